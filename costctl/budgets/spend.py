"""Daily spend per budget from loaded records, in pure Python (one pass over a ``Block``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from costctl.budgets.scope import COLUMNS_READ
from costctl.budgets.spec import BudgetSpec
from costctl.model import METRICS
from costctl.records import Block


def day_of(epoch_seconds: int) -> date:
    return datetime.fromtimestamp(epoch_seconds, UTC).date()


def daily_spend(block: Block, specs: Iterable[BudgetSpec]) -> tuple[dict[str, dict[date, float]], dict[str, float]]:
    """Per budget ``{day: cost}`` of the rows in its scope and currency, and per budget the cost
    that matched the scope but was billed in another currency (reported, never converted)."""
    specs = list(specs)
    daily: dict[str, dict[date, float]] = {s.name: {} for s in specs}
    other_currency: dict[str, float] = {s.name: 0.0 for s in specs}
    names = ("ChargePeriodStart", "BillingCurrency", *METRICS.values(), *COLUMNS_READ)
    names = tuple(dict.fromkeys(names))
    for values in block.rows(*names):
        row = dict(zip(names, values, strict=True))
        day = day_of(row["ChargePeriodStart"])
        currency = (row["BillingCurrency"] or "").upper()
        for spec in specs:
            if not spec.scope.matches(row):
                continue
            cost = row[METRICS[spec.metric]] or 0.0
            if currency and currency != spec.currency:
                other_currency[spec.name] += cost
                continue
            series = daily[spec.name]
            series[day] = series.get(day, 0.0) + cost
    return daily, other_currency


def last_day(block: Block) -> date | None:
    """The newest day any record covers (the data's "through" date), None when empty."""
    starts = block.columns["ChargePeriodStart"]
    return day_of(max(starts)) if starts else None
