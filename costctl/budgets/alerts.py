"""Budget alerts for ``costctl budgets --notify NAME``: each threshold once per budget period.

A *crossing* is one of a budget's ``thresholds`` (percent of the amount) reached by the spend so
far, or, with ``forecast_alerts``, by the forecast. Its key names the budget, the period (by its
first day), the kind and the threshold, so the notification state (``NotifiedState``) sends it
once per period, and a new period starts afresh. When several thresholds are crossed at once the
message names the highest per budget and kind, and all of them are recorded.

Severity, for the channels' ``min_severity``: spend at or above the budget's ``critical`` percent
is critical, at or above ``warning`` high, any other spend crossing low; a forecast crossing is
medium when it reaches ``critical`` (not spent yet), else low.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from costctl.analysis.anomaly_severity import RANK, at_least
from costctl.budgets.spec import BudgetSpec
from costctl.budgets.status import BudgetStatus
from costctl.notify.message import Notice, money


@dataclass(frozen=True)
class Crossing:
    status: BudgetStatus
    kind: str  # spend | forecast
    threshold: float  # percent

    @property
    def key(self) -> str:
        return f"budget:{self.status.name}:{self.status.start}:{self.kind}:{self.threshold:g}"

    @property
    def severity(self) -> str:
        s = self.status
        if self.kind == "forecast":
            return "medium" if self.threshold >= s.critical else "low"
        return "critical" if self.threshold >= s.critical else "high" if self.threshold >= s.warning else "low"

    def record(self) -> dict[str, Any]:
        s = self.status
        return {"budget": s.name, "period": s.period, "start": s.start.isoformat(),
                "end": (s.end - timedelta(days=1)).isoformat(), "kind": self.kind, "threshold": self.threshold,
                "severity": self.severity, "currency": s.currency, "amount": s.amount, "spend": s.spend,
                "consumed_pct": s.consumed_pct, "forecast": s.forecast, "forecast_pct": s.forecast_pct}


def crossings(statuses: list[BudgetStatus], specs: dict[str, BudgetSpec]) -> list[Crossing]:
    """Every threshold each budget's spend (and forecast, where enabled) has reached this period."""
    out = []
    for status in statuses:
        spec = specs[status.name]
        out += [Crossing(status, "spend", t) for t in spec.thresholds if status.consumed_pct >= t]
        if spec.forecast_alerts:
            out += [Crossing(status, "forecast", t) for t in spec.thresholds if status.forecast_pct >= t]
    return out


def _line(c: Crossing) -> str:
    s = c.status
    period = f"{s.period} {s.start}..{s.end - timedelta(days=1)}"
    if c.kind == "spend":
        runs_out = f", runs out {s.exhaustion}" if s.exhaustion and s.consumed_pct < 100 else ""
        return (f"{s.name} ({period}): spend {money(s.spend, s.currency)} of {s.amount:,.2f} = "
                f"{s.consumed_pct:.0f}%, crossed {c.threshold:g}% [{c.severity}]{runs_out}")
    return (f"{s.name} ({period}): forecast {money(s.forecast, s.currency)} of {s.amount:,.2f} = "
            f"{s.forecast_pct:.0f}%, crosses {c.threshold:g}% by the period end [{c.severity}]")


def budget_notice(new: list[Crossing]) -> Notice:
    """One message for the new crossings: the highest per budget and kind, most severe first."""
    top: dict[tuple[str, str], Crossing] = {}
    for c in new:
        key = (c.status.name, c.kind)
        if key not in top or c.threshold > top[key].threshold:
            top[key] = c
    shown = sorted(top.values(), key=lambda c: (-RANK[c.severity], c.status.name, c.kind))
    names = list(dict.fromkeys(c.status.name for c in shown))
    title = f"costctl: budget alert: {', '.join(names)}"
    lines = [f"costctl: {len(shown)} budget threshold(s) crossed:", *(f"- {_line(c)}" for c in shown)]
    return Notice(title, lines, shown[0].severity, {"budgets": [c.record() for c in shown]})


def source_for(found: list[Crossing]):  # -> costctl.notify.dispatch.Source
    """What ``deliver`` asks per channel: the crossings it has not been sent, at its min_severity or above."""
    def source(_name: str, settings: dict[str, Any], sent: set[str]) -> tuple[Notice, dict[str, str]] | None:
        new = [c for c in found if c.key not in sent and at_least(c.severity, settings["min_severity"])]
        if not new:
            return None
        return budget_notice(new), {c.key: c.status.start.isoformat() for c in new}

    return source


def alert_source(found: list[Crossing], evaluated: list[str]):  # -> costctl.notify.dispatch.AlertSource
    """PagerDuty: one incident per crossing (dedup_key ``costctl:budget:NAME:START:KIND:PCT``).

    A budget evaluated in this run resolves its open incidents that no longer hold: spend back
    under a threshold (a refund), a forecast that fell, or a new period (its keys carry the start).
    """
    from costctl.notify.pagerduty import Alert

    def source(settings: dict[str, Any]) -> tuple[list[Any], Any]:
        todo = [c for c in found if at_least(c.severity, settings["min_severity"])]
        current = {c.key for c in todo}
        alerts = [Alert(key=c.key, summary=f"costctl: budget {_line(c)}", severity=c.severity,
                        component=c.status.name, group="budgets", kind=f"budget {c.kind}",
                        day=c.status.start.isoformat(), details=c.record()) for c in todo]

        def cleared(key: str, _day: str) -> bool:
            return key not in current and any(key.startswith(f"budget:{name}:") for name in evaluated)

        return alerts, cleared

    return source
