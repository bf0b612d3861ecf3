"""Where a budget stands: spend to date, burn rates, forecast, exhaustion date, thresholds crossed.

Dates: ``today`` is the day the report is made (``--as-of``); the complete days of the period are
those before it. ``through`` is the newest day with data (clouds lag a day or two): days after it
are projected by the forecast rather than counted as zero.

A budget with ``start`` inside a period (created mid-period) covers only ``[start, period end)``
in that first period, with the amount prorated by days, so "on track" and the thresholds mean
the same thing as in a full period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from costctl.analysis.forecast import project
from costctl.budgets.periods import period_bounds
from costctl.budgets.spec import BudgetSpec
from costctl.records import Block

BURN_DAYS = 7


@dataclass(frozen=True)
class BudgetStatus:
    """One budget on one day; percentages are of the (prorated) amount."""

    name: str
    period: str
    start: date  # first day counted (period start, or the budget's own start)
    end: date  # exclusive
    today: date
    through: date | None  # newest day of data counted
    currency: str
    amount: float
    spend: float
    forecast: float
    burn_rate: float | None  # mean daily spend of the period so far
    burn_rate_7d: float | None  # mean daily spend of the last 7 days with data
    exhaustion: date | None  # first day the (actual, then forecast) cumulative spend reaches the amount
    threshold: float | None  # highest threshold crossed by actual spend
    forecast_threshold: float | None  # highest threshold crossed by the forecast (forecast_alerts only)
    warning: float
    critical: float
    forecast_alerts: bool = False

    @property
    def remaining(self) -> float:
        return self.amount - self.spend

    @property
    def consumed_pct(self) -> float:
        return self.spend / self.amount * 100

    @property
    def forecast_pct(self) -> float:
        return self.forecast / self.amount * 100

    @property
    def elapsed_pct(self) -> float:
        return max(0, (self.today - self.start).days) / (self.end - self.start).days * 100

    @property
    def on_track(self) -> bool:
        """Consumed no faster than time passes (the burn-down line of every budget tool)."""
        return self.consumed_pct <= self.elapsed_pct

    def state(self) -> str:
        """ok / warning / critical for ``check --period budget``: actual spend against the
        critical and warning percentages; with ``forecast_alerts`` a forecast at or above the
        critical percentage warns early (never critical: it has not happened yet)."""
        if self.consumed_pct >= self.critical:
            return "critical"
        if self.consumed_pct >= self.warning or (self.forecast_alerts and self.forecast_pct >= self.critical):
            return "warning"
        return "ok"


def _amount(value: float, currency: str) -> str:
    text = f"{value:,.2f}"
    return f"{text[:-3] if text.endswith('.00') else text} {currency}".rstrip()


def reason(status: BudgetStatus) -> str | None:
    """Why a budget is not ok, for the status line: ``forecast 112% of 9,000 USD (warning at 100%)``."""
    state = status.state()
    amount = _amount(status.amount, status.currency)
    if state == "critical":
        return f"spend {status.consumed_pct:.0f}% of {amount} (critical at {status.critical:g}%)"
    if state == "warning":
        if status.consumed_pct >= status.warning:
            return f"spend {status.consumed_pct:.0f}% of {amount} (warning at {status.warning:g}%)"
        return f"forecast {status.forecast_pct:.0f}% of {amount} (warning at {status.critical:g}%)"
    return None


def highest_crossed(thresholds: tuple[float, ...], pct: float) -> float | None:
    crossed = [t for t in thresholds if pct >= t]
    return max(crossed) if crossed else None


def active(spec: BudgetSpec, today: date) -> bool:
    """A budget with a start date in the future has no period yet."""
    return spec.start is None or spec.start <= today


def evaluate(spec: BudgetSpec, daily: Mapping[date, float], today: date, through: date | None) -> BudgetStatus:
    """The status of ``spec`` on ``today`` from its daily spend (absent days cost nothing)."""
    first, end = period_bounds(spec.period, today)
    start = max(first, spec.start) if spec.start else first
    amount = round(spec.amount * (end - start).days / (end - first).days, 2)
    last_complete = today - timedelta(days=1)
    seen = min(through, last_complete) if through is not None else None
    spend = sum((v for d, v in daily.items() if start <= d <= last_complete), 0.0)

    counted_days = (seen - start).days + 1 if seen is not None and seen >= start else 0
    burn_rate = spend / counted_days if counted_days else None
    burn_rate_7d = (sum(v for d, v in daily.items() if seen - timedelta(days=BURN_DAYS) < d <= seen) / BURN_DAYS
                    if seen is not None else None)

    cumulative, exhaustion = 0.0, None
    day = start
    while seen is not None and day <= seen and exhaustion is None:
        cumulative += daily.get(day, 0.0)
        if cumulative >= amount:
            exhaustion = day
        day += timedelta(days=1)
    projection = project(daily, seen, end) if seen is not None else None
    forecast = spend
    if projection is not None:
        for d, v in sorted(projection.daily.items()):
            if d < start:
                continue
            forecast += v
            cumulative += v
            if exhaustion is None and cumulative >= amount:
                exhaustion = d

    consumed = spend / amount * 100
    return BudgetStatus(
        name=spec.name, period=spec.period, start=start, end=end, today=today, through=seen,
        currency=spec.currency, amount=amount, spend=spend, forecast=forecast, burn_rate=burn_rate,
        burn_rate_7d=burn_rate_7d, exhaustion=exhaustion, threshold=highest_crossed(spec.thresholds, consumed),
        forecast_threshold=highest_crossed(spec.thresholds, forecast / amount * 100) if spec.forecast_alerts else None,
        warning=spec.warning, critical=spec.critical, forecast_alerts=spec.forecast_alerts,
    )


def load_window(specs: list[BudgetSpec], today: date) -> tuple[date, date]:
    """``[start, end)`` of the records a set of budgets needs: every current period so far plus
    the forecast's history before it (so day one of a month still has a run rate to project)."""
    from costctl.analysis.forecast import HISTORY_DAYS

    starts = [period_bounds(s.period, today)[0] for s in specs]
    return min([*starts, today - timedelta(days=HISTORY_DAYS + 1)]), today


def evaluate_all(block: Block, specs: list[BudgetSpec], today: date) -> tuple[list[BudgetStatus], dict[str, float]]:
    """Statuses of the active budgets from loaded records, and per budget the in-scope cost billed in
    another currency (not counted; the caller warns about it)."""
    from costctl.budgets.spend import daily_spend, last_day

    live = [s for s in specs if active(s, today)]
    daily, other_currency = daily_spend(block, live)
    through = last_day(block)
    return [evaluate(s, daily[s.name], today, through) for s in live], other_currency
