"""What ``export-prometheus`` publishes, computed once per run in plain Python.

Per provider instance: the latest complete day and the month to date per account, service and
currency (services beyond the ``top_services`` largest of the month are folded into
``(other)`` to bound the label cardinality), the month-end forecast per currency, the newest
data timestamp, whether its refresh succeeded, and the upstream requests this run made. A
provider whose refresh failed still contributes what the cache holds, and ``up`` says it failed.
The previous month's total per currency, when the data covers its first and last day. Per
configured budget (``BudgetFigures``): amount, spend and forecast of its current period. Findings
(``costctl.monitoring.findings``) are added by the command when enabled.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from costctl.errors import ConfigError, ProviderError
from costctl.filters import Filters
from costctl.monitoring import forecast as fc
from costctl.monitoring.findings import FindingFigures
from costctl.monitoring.ledger import OTHER, Ledger, Row
from costctl.monitoring.source import load_ledger

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.monitoring.commitment_metrics import CommitmentFigures

Key = tuple[str, str, str]  # account, service, currency


@dataclass
class ProviderSnapshot:
    name: str
    up: bool = True
    error: str | None = None
    requests: int = 0
    bytes_scanned: int = 0  # what the upstream engine scanned (Athena, BigQuery bill by it)
    newest_end: int | None = None
    latest_day: dict[Key, float] = field(default_factory=dict)
    month_to_date: dict[Key, float] = field(default_factory=dict)
    forecast: dict[str, float] = field(default_factory=dict)  # currency -> projected month total
    previous_month: dict[str, float] = field(default_factory=dict)  # currency -> last month's total, when whole


@dataclass(frozen=True)
class BudgetFigures:
    """One budget's current period, as export-prometheus publishes it."""

    name: str
    currency: str
    period: str  # monthly | quarterly | yearly
    amount: float  # prorated when the budget starts mid-period
    spend: float
    forecast: float

    @property
    def consumed_ratio(self) -> float:
        """Spend / amount: 0..1 while within budget, above 1 when overspent."""
        return self.spend / self.amount if self.amount else 0.0

    @property
    def forecast_ratio(self) -> float:
        """Forecast / amount: above 1 when the period is projected to overspend (``budgets``' forecast_pct / 100)."""
        return self.forecast / self.amount if self.amount else 0.0


@dataclass
class Snapshot:
    day: date
    providers: list[ProviderSnapshot]
    started: float = 0.0
    finished: float = 0.0
    budgets: list[BudgetFigures] = field(default_factory=list)
    anomalies: list[FindingFigures] | None = None  # None: not computed (--no-anomalies), no families
    idle: list[FindingFigures] | None = None
    commitments: list[CommitmentFigures] | None = None  # None: not computed (--no-commitments), no families

    @property
    def duration(self) -> float:
        return max(self.finished - self.started, 0.0)


def _sum(rows: list[Row], keep: set[str]) -> dict[Key, float]:
    sums: dict[Key, float] = defaultdict(float)
    for r in rows:
        sums[(r.account, r.service if r.service in keep else OTHER, r.currency)] += r.cost
    return dict(sorted(sums.items()))


def summarize_provider(name: str, ledger: Ledger, day: date, top_services: int) -> ProviderSnapshot:
    """The metrics of one provider's ledger for latest complete day ``day``."""
    first, _ = fc.month_bounds(day)
    end = day + timedelta(days=1)
    month_rows = ledger.window(first, end)
    ranking = ledger.breakdown("service", first, end)
    keep = set(list(ranking)[:max(top_services, 0)])
    snap = ProviderSnapshot(name=name, newest_end=ledger.newest_end)
    snap.latest_day = _sum([r for r in month_rows if r.day == day], keep) if ledger.has_day(day) else {}
    snap.month_to_date = _sum(month_rows, keep)
    prev_first = (first - timedelta(days=1)).replace(day=1)
    if ledger.has_day(prev_first) and ledger.has_day(first - timedelta(days=1)):  # a partial month would mislead
        for row in ledger.window(prev_first, first):
            snap.previous_month[row.currency] = snap.previous_month.get(row.currency, 0.0) + row.cost
    for currency in ledger.currencies(fc.history_start(day), end):
        daily = ledger.only(currency).daily(fc.history_start(day), end)
        projected = fc.month_forecast(daily, day) if ledger.has_day(day) else None
        if projected is not None:
            snap.forecast[currency] = projected
    return snap


def previous_month_start(day: date) -> date:
    """First day the snapshot loads: the previous month's first (for its total) or the forecast's history."""
    return min(fc.history_start(day), (fc.month_bounds(day)[0] - timedelta(days=1)).replace(day=1))


def take_snapshot(env: Env, *, providers: tuple[str, ...] = (), files: tuple[str, ...] = (),
                  filters: Filters | None = None, metric: str = "effective", top_services: int = 10) -> Snapshot:
    """Load every selected provider (or the ``--file`` exports) and summarize each."""
    from costctl import loader

    filters = filters or Filters()
    started = time.time()
    if files:
        data, _first, last = loader.load_files(files, providers=providers)
        day = env.as_of - timedelta(days=1) if env.as_of else (last or env.today()) - timedelta(days=1)
        from costctl.monitoring.source import ledger_of

        ledger = ledger_of(data, filters, metric)
        return Snapshot(day, [summarize_provider("file", ledger, day, top_services)], started, time.time())
    day = env.today() - timedelta(days=1)
    start, end = previous_month_start(day), day + timedelta(days=1)
    snaps = []
    for name in loader.select_sources(env, providers):
        try:
            ledger, status = load_ledger(env, name, start, end, filters, metric)
        except (ProviderError, ConfigError) as exc:
            snaps.append(ProviderSnapshot(name=name, up=False, error=str(exc)))
            continue
        snap = summarize_provider(name, ledger, day, top_services)
        snap.up, snap.error, snap.requests = status.ok, status.error, status.requests
        snap.bytes_scanned = status.bytes_scanned
        snaps.append(snap)
    return Snapshot(day, snaps, started, time.time())
