"""One provider's cost rows reduced to what a check needs, in plain Python.

A ``Ledger`` reads a ``Block`` once (day, cost, currency, account, service per row) and then
answers totals, daily series and per-key breakdowns for any window. It exists so that ``check``
on a warm cache never needs pandas: a few thousand tuples sum in well under a millisecond.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from costctl.model import METRICS
from costctl.records import Block

EPOCH = date(1970, 1, 1)
OTHER = "(other)"


def day_of(epoch_seconds: int) -> date:
    """The UTC date of an epoch-seconds timestamp (how the cache assigns rows to days)."""
    return EPOCH + timedelta(days=epoch_seconds // 86400)


def days(start: date, end: date) -> list[date]:
    """Every date of ``[start, end)``."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


@dataclass
class Row:
    day: date
    cost: float
    currency: str
    account: str
    service: str


@dataclass
class Ledger:
    """The rows of one source, for one cost metric."""

    rows: list[Row] = field(default_factory=list)
    present: set[date] = field(default_factory=set)  # days the source has data for (before filters)
    newest_end: int | None = None  # epoch seconds of the source's newest ChargePeriodEnd (before filters)
    source_currencies: set[str] = field(default_factory=set)  # before filters: the currency of an empty selection

    @classmethod
    def from_block(cls, block: Block, metric: str = "effective", coverage: Block | None = None) -> Ledger:
        """Rows of ``block``; ``coverage`` is the unfiltered block, which alone says whether a day is
        missing (a filter that selects nothing on a day means 0, not "no data")."""
        column = METRICS[metric]
        ledger = cls()
        for start, cost, currency, account_id, account_name, service in block.rows(
                "ChargePeriodStart", column, "BillingCurrency", "SubAccountId", "SubAccountName", "ServiceName"):
            if start is None:
                continue
            ledger.rows.append(Row(day_of(start), float(cost or 0.0), currency or "", account_id or account_name or "",
                                   service or ""))
        source = block if coverage is None else coverage
        for start, end, currency in source.rows("ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency"):
            if currency:
                ledger.source_currencies.add(currency)
            if start is not None:
                ledger.present.add(day_of(start))
            if end is not None and (ledger.newest_end is None or end > ledger.newest_end):
                ledger.newest_end = end
        return ledger

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        """True when the source had no data at all (filters aside)."""
        return not self.present

    @property
    def newest_day(self) -> date | None:
        return max(self.present, default=None)

    @property
    def first_day(self) -> date | None:
        return min(self.present, default=None)

    def newest_datetime(self) -> datetime | None:
        return None if self.newest_end is None else datetime.fromtimestamp(self.newest_end, UTC)

    def only(self, currency: str) -> Ledger:
        """The rows in one currency (same coverage), for sums that must not mix currencies."""
        return Ledger([r for r in self.rows if r.currency == currency], self.present, self.newest_end, {currency})

    def window(self, start: date, end: date) -> list[Row]:
        return [r for r in self.rows if start <= r.day < end]

    def currencies(self, start: date, end: date) -> list[str]:
        """Currencies of the selected rows in the window (the source's own when nothing is selected)."""
        found = sorted({r.currency for r in self.window(start, end) if r.currency})
        return found or (sorted(self.source_currencies) if len(self.source_currencies) == 1 else [])

    def has_day(self, day: date) -> bool:
        return day in self.present

    def total(self, start: date, end: date) -> float:
        return sum(r.cost for r in self.window(start, end))

    def daily(self, start: date, end: date) -> dict[date, float]:
        """Cost per day of ``[start, end)``; days without rows count 0 once the source has data."""
        first = self.first_day
        out = {d: 0.0 for d in days(start, end) if first is not None and d >= first}
        for r in self.window(start, end):
            out[r.day] = out.get(r.day, 0.0) + r.cost
        return out

    def breakdown(self, key: str, start: date, end: date) -> dict[str, float]:
        """Cost per ``service`` or ``account`` over ``[start, end)``, largest first."""
        sums: dict[str, float] = defaultdict(float)
        for r in self.window(start, end):
            sums[getattr(r, key)] += r.cost
        return dict(sorted(sums.items(), key=lambda kv: (-kv[1], kv[0])))


def top(breakdown: dict[str, float], n: int) -> dict[str, float]:
    """The ``n`` largest entries, the rest summed under ``(other)``."""
    items = list(breakdown.items())
    if n < 0 or len(items) <= n:
        return dict(items)
    kept = dict(items[:n])
    kept[OTHER] = kept.get(OTHER, 0.0) + sum(v for _, v in items[n:])
    return kept
