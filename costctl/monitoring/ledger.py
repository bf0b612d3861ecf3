"""One provider's cost rows reduced to what a check needs, in plain Python.

A ``Ledger`` reads a ``Block`` once (day, cost, currency, account, service per row), or the
cache's day summaries of the same days (``from_summaries``, the warm path), and then
answers totals, daily series and per-key breakdowns for any window. It exists so that ``check``
on a warm cache never needs pandas: a few thousand tuples sum in well under a millisecond.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from costctl.model import METRICS
from costctl.records import Block
from costctl.values import Value

EPOCH = date(1970, 1, 1)
OTHER = "(other)"


def day_of(epoch_seconds: int) -> date:
    """The UTC date of an epoch-seconds timestamp (how the cache assigns rows to days)."""
    return EPOCH + timedelta(days=epoch_seconds // 86400)


def days(start: date, end: date) -> list[date]:
    """Every date of ``[start, end)``."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


class Row(Value):
    """The cost of one (day, currency, account, service) of a source."""

    __slots__ = ("day", "cost", "currency", "account", "service")
    frozen = True

    def __init__(self, day: date, cost: float, currency: str, account: str, service: str) -> None:
        self.day = day
        self.cost = cost
        self.currency = currency
        self.account = account
        self.service = service


class Ledger(Value):
    """The rows of one source, for one cost metric.

    Plain classes and tuples, not dataclasses: ``check`` builds a ledger on every run, and both
    defining dataclasses and creating thousands of their instances show up in its start-up time.
    """

    __slots__ = ("rows", "present", "newest_end", "source_currencies")

    def __init__(self, rows: list[Row] | None = None, present: set[date] | None = None,
                 newest_end: int | None = None, source_currencies: set[str] | None = None) -> None:
        self.rows: list[Row] = rows if rows is not None else []
        self.present: set[date] = present if present is not None else set()  # days with data (before filters)
        self.newest_end = newest_end  # epoch seconds of the newest ChargePeriodEnd (before filters)
        self.source_currencies: set[str] = source_currencies if source_currencies is not None else set()
        # ^ before filters: the currency of an empty selection

    def __repr__(self) -> str:
        return f"Ledger({len(self.rows)} rows, {len(self.present)} days)"

    @classmethod
    def from_block(cls, block: Block, metric: str = "effective", coverage: Block | None = None) -> Ledger:
        """Rows of ``block``, summed per (day, currency, account, service); ``coverage`` is the
        unfiltered block, which alone says whether a day is missing (a filter that selects nothing
        on a day means 0, not "no data")."""
        column = METRICS[metric]
        cols = block.columns
        sums: dict[tuple[int, str | None, str | None, str | None], float] = {}
        get = sums.get
        # Sum per (start, currency, account, service) first: a few hundred keys for thousands of rows.
        for start, cost, currency, account_id, account_name, service in zip(
                cols["ChargePeriodStart"], cols[column], cols["BillingCurrency"], cols["SubAccountId"],
                cols["SubAccountName"], cols["ServiceName"], strict=True):
            if start is not None:
                key = (start, currency, account_id or account_name, service)
                sums[key] = get(key, 0.0) + (cost or 0.0)
        day_memo: dict[int, date] = {}  # rows share a handful of distinct start times
        rows = []
        for (start, currency, account, service), cost in sums.items():
            day = day_memo.get(start)
            if day is None:
                day = day_memo[start] = day_of(start)
            rows.append(Row(day, float(cost), currency or "", account or "", service or ""))
        ledger = cls(rows)
        source = block if coverage is None else coverage
        columns = source.columns
        ledger.source_currencies = {c for c in columns["BillingCurrency"] if c}
        starts = {s for s in columns["ChargePeriodStart"] if s is not None}
        ledger.present = {day_memo.get(s) or day_of(s) for s in starts}
        ledger.newest_end = max((e for e in columns["ChargePeriodEnd"] if e is not None), default=None)
        return ledger

    @classmethod
    def from_summaries(cls, summaries: dict[date, dict[str, Any]], metric: str = "effective",
                       keep: Callable[[str | None, str | None, str | None], bool] | None = None) -> Ledger:
        """Rows of cached day summaries (``costctl.daysummary``); ``keep(account id, account name,
        service)`` applies the account and service filters. Coverage is the summaries' own: a
        day with rows is present even when the filters keep none of them."""
        billed = METRICS[metric] == "BilledCost"
        rows: list[Row] = []
        present: set[date] = set()
        currencies: set[str] = set()
        newest_end = None
        for day, summary in summaries.items():
            if summary["rows"]:
                present.add(day)
            end = summary["end"]
            if end is not None and (newest_end is None or end > newest_end):
                newest_end = end
            for currency, account_id, account_name, service, billed_cost, effective_cost in summary["sums"]:
                if currency:
                    currencies.add(currency)
                if keep is None or keep(account_id, account_name, service):
                    rows.append(Row(day, float(billed_cost if billed else effective_cost), currency or "",
                                    account_id or account_name or "", service or ""))
        return cls(rows, present, newest_end, currencies)

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
    def newest_data_day(self) -> date | None:
        """The day of the newest ChargePeriodEnd (its last second), also when it lies outside the window."""
        if self.newest_end is None:
            return None
        return datetime.fromtimestamp(self.newest_end - 1, UTC).date()

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
