"""The ``budgets:`` config section: one validated ``BudgetSpec`` per named budget.

```yaml
budgets:
  platform-monthly:
    amount: 5000
    currency: USD              # default: defaults.currency, else USD
    period: monthly            # monthly | quarterly | yearly
    scope: {provider: aws, tag:team: platform}
    thresholds: [50, 80, 100, 120]
    forecast_alerts: true      # thresholds apply to the forecast as well
    warning: 80                # `check --period budget` states, percent of the amount
    critical: 100
    start: 2026-03-15          # optional: the budget exists from this day (first period prorated)
```

Every problem is a ConfigError with its key path (``budgets.platform-monthly.period: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from costctl.budgets.periods import PERIODS
from costctl.budgets.scope import Scope
from costctl.errors import ConfigError
from costctl.schema import Field, check

DEFAULT_THRESHOLDS = (50.0, 80.0, 100.0, 120.0)


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"expected an amount above 0, got {value:g}")
    return value


def _percents(values: list[Any]) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            raise ValueError(f"expected percentages above 0 like [50, 80, 100], got {v!r}")
        out.append(float(v))
    return sorted(set(out))


def _percent(value: float) -> float:
    if value <= 0:
        raise ValueError(f"expected a percentage above 0, got {value:g}")
    return value


def _day(value: Any) -> date:
    if isinstance(value, date):  # YAML already parsed 2026-03-15 into a date
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


BUDGET_FIELDS: dict[str, Field] = {
    "amount": Field("float", required=True, help="budget per period, in currency", validator=_positive),
    "currency": Field("str", default=None, help="ISO 4217 code; rows in other currencies are not counted"),
    "period": Field("str", default="monthly", choices=PERIODS),
    "scope": Field("map", default=dict, help="provider, account, service, region, tag:KEY... -> value or list"),
    "thresholds": Field("list", default=lambda: list(DEFAULT_THRESHOLDS), validator=_percents,
                        help="alert at these percentages of the amount"),
    "forecast_alerts": Field("bool", default=False, help="apply the thresholds to the forecast too"),
    "warning": Field("float", default=80.0, validator=_percent, help="check --period budget: WARNING at this %"),
    "critical": Field("float", default=100.0, validator=_percent, help="check --period budget: CRITICAL at this %"),
    "metric": Field("str", default=None, choices=("billed", "effective"), help="default: defaults.metric"),
    "start": Field("any", default=None, validator=_day, help="first day of the budget (YYYY-MM-DD)"),
}


@dataclass(frozen=True)
class BudgetSpec:
    """One budget as configured, defaults applied."""

    name: str
    amount: float
    currency: str
    period: str
    scope: Scope
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    forecast_alerts: bool = False
    warning: float = 80.0
    critical: float = 100.0
    metric: str = "effective"
    start: date | None = None


def parse_budgets(raw: Any, *, default_currency: str | None = None, default_metric: str = "effective",
                  path: str = "budgets") -> dict[str, BudgetSpec]:
    """Validate the ``budgets`` mapping (name -> settings) into specs, in file order."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: expected a mapping of budget name -> settings")
    out: dict[str, BudgetSpec] = {}
    for name, settings in raw.items():
        where = f"{path}.{name}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", str(name)):
            raise ConfigError(f"{where}: budget names may use letters, digits, '.', '_' and '-'")
        values = check(settings, BUDGET_FIELDS, where)
        try:
            scope = Scope.from_mapping(values["scope"])
        except ValueError as exc:
            raise ConfigError(f"{where}.scope: {exc}") from None
        if values["warning"] > values["critical"]:
            raise ConfigError(f"{where}.warning: {values['warning']:g} is above critical ({values['critical']:g})")
        out[str(name)] = BudgetSpec(
            name=str(name), amount=values["amount"], currency=(values["currency"] or default_currency or "USD").upper(),
            period=values["period"], scope=scope, thresholds=tuple(values["thresholds"]),
            forecast_alerts=values["forecast_alerts"], warning=values["warning"], critical=values["critical"],
            metric=values["metric"] or default_metric, start=values["start"],
        )
    return out
