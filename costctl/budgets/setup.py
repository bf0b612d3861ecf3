"""Which budgets a run evaluates: the config's ``budgets:`` section, or the demo's own budgets.

``costctl --demo`` has no config file, so it brings budgets sized to the bundled data (one per
period kind, one per scope kind, one created mid-year) unless the user's config defines some.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costctl.budgets.spec import BudgetSpec, parse_budgets
from costctl.errors import UsageError

if TYPE_CHECKING:
    from costctl.context import Env

DEMO_BUDGETS: dict[str, dict[str, Any]] = {
    "all-clouds": {"amount": 38000, "period": "monthly", "forecast_alerts": True},
    "aws-quarter": {"amount": 52000, "period": "quarterly", "scope": {"provider": "aws"}, "forecast_alerts": True},
    "team-data": {"amount": 8000, "period": "monthly", "scope": {"tag:team": "data"}},
    "platform": {"amount": 4000, "period": "monthly", "scope": {"tag:team": "platform"}},
    "prod-h2": {"amount": 240000, "period": "yearly", "scope": {"tag:env": "prod"}, "start": "2026-07-01",
                "thresholds": [25, 50, 75, 100]},
}


def budget_specs(env: Env) -> dict[str, BudgetSpec]:
    """Every budget of the config (the demo's without one), possibly none: for callers such as
    ``export-prometheus`` that add budget figures only when there are budgets."""
    defaults = env.config.defaults
    raw = env.config.section("budgets")
    if not raw and env.demo:
        raw = DEMO_BUDGETS
    return parse_budgets(raw, default_currency=defaults.get("currency"), default_metric=defaults["metric"])


def configured_budgets(env: Env, names: tuple[str, ...] = ()) -> dict[str, BudgetSpec]:
    """The budgets to evaluate (all, or those named), validated with their config key paths."""
    specs = budget_specs(env)
    if not specs:
        raise UsageError("no budgets are configured; add a 'budgets:' section to the config "
                         "(see config.example.yaml and docs/budgets.md), or try --demo")
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise UsageError(f"--budget: unknown budget {unknown[0]!r} (configured: {', '.join(specs)})")
    return {n: s for n, s in specs.items() if not names or n in names}
