"""The digest behind ``costctl report``: one period's spend, what moved, and what needs a person.

Nothing here computes anything new. The digest gathers what the other commands already find,
with their own functions, so a number in the report is the number the command would print:
spend and change come from the cost report (``analysis.costs.build``) and the ``--compare``
join (``analysis.compare.join``), anomalies from ``analysis.anomalies.detect`` with the
acknowledgements of ``anomalies ack``, budgets from ``budgets.status.evaluate_all``, idle savings
from ``idle.run`` (silenced findings left out, as ``costctl idle`` does). All records are read in
one load of the cache, summed per day in DuckDB; pandas only regroups those daily sums.

Periods: ``week`` is the last 7 complete days (what ``costs --days 7`` reports) against the 7
days before; ``month`` is the month of the latest complete day, through that day, against the same
days of the month before (``costs --compare previous`` alignment). The digest's ``key`` is the
calendar week (ISO) or month of the run day: what ``--notify`` sends once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import CostctlError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from costctl.analysis.anomalies import Anomaly
    from costctl.budgets.status import BudgetStatus
    from costctl.context import Env
    from costctl.idle.findings import Finding
    from costctl.loader import SourceStatus

PERIODS = ("week", "month")
TOP_MOVERS = 5
TOP_IDLE = 5
# Every rendering (markdown, text, html) has exactly these sections, in this order.
SECTIONS = ("Spend", "Top movers by service", "Top movers by account", "Open anomalies", "Budgets at risk",
            "Idle savings", "Data freshness")


@dataclass(frozen=True)
class Change:
    """One group's cost in the period and in the reference period (same currency)."""

    label: str
    currency: str | None
    cost: float
    previous: float

    @property
    def delta(self) -> float:
        return self.cost - self.previous

    @property
    def pct(self) -> float | None:
        """Change in percent of the reference (None when the reference is 0: new spend)."""
        return self.delta / abs(self.previous) * 100.0 if self.previous else None


@dataclass(frozen=True)
class ProviderSpend:
    """A provider's change and its daily spend over the period (the chart's bars)."""

    change: Change
    daily: list[tuple[date, float]]


@dataclass(frozen=True)
class Freshness:
    """How current one provider instance's data is."""

    source: str
    newest: date | None  # the newest day with rows
    ok: bool  # False: its refresh failed (answered from the cache when rows are there)
    error: str | None
    fetched_seconds_ago: float | None  # age of the oldest cached day served


@dataclass
class IdleSummary:
    savings: dict[str, float] = field(default_factory=dict)  # currency -> estimated monthly savings
    count: int = 0
    top: list[Finding] = field(default_factory=list)
    silenced: int = 0
    failed: list[str] = field(default_factory=list)


@dataclass
class Digest:
    """Everything a report shows; renderers only format it."""

    period: str
    key: str  # 2026-W49 or 2026-12: the calendar week/month of the run day (the --notify key)
    start: date
    end: date  # exclusive
    ref_start: date
    ref_end: date
    metric: str
    today: date
    totals: list[Change] = field(default_factory=list)  # one per currency, label = currency
    providers: list[ProviderSpend] = field(default_factory=list)
    services: list[Change] = field(default_factory=list)
    accounts: list[Change] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    budgets: list[BudgetStatus] = field(default_factory=list)
    idle: IdleSummary = field(default_factory=IdleSummary)
    freshness: list[Freshness] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be included, and why

    @property
    def title(self) -> str:
        from costctl.ranges import describe

        return f"costctl {self.period}ly cost report, {describe(self.start, self.end)}"


def windows(period: str, today: date) -> tuple[date, date, date, date, str]:
    """(start, end, reference start, reference end, key) of the digest of ``period`` run on ``today``."""
    from costctl.analysis.compare import reference

    if period not in PERIODS:
        raise UsageError(f"--period: expected week or month, got {period!r}")
    last = today - timedelta(days=1)
    if period == "week":
        start = today - timedelta(days=7)
        year, week, _ = today.isocalendar()
        return start, today, start - timedelta(days=7), start, f"{year}-W{week:02d}"
    start = last.replace(day=1)
    ref_start, ref_end = reference(start, today, "previous", per_month=True)
    return start, today, ref_start, ref_end, f"{today:%Y-%m}"


def build(env: Env, period: str, providers: tuple[str, ...] = (), metric: str = "effective") -> Digest:
    """Load the records once and assemble the digest (the idle scan and budgets read their own)."""
    from costctl import loader

    today = env.today()
    start, end, ref_start, ref_end, key = windows(period, today)
    digest = Digest(period, key, start, end, ref_start, ref_end, metric, today)
    settings = _anomaly_settings(env, metric)
    history = int(env.config.section("anomalies")["history"])
    first = min(ref_start, start - timedelta(days=history))
    data, statuses = loader.load(env, loader.select_sources(env, providers), first, end, tolerate_errors=True)
    frame = data.frame(*_columns(settings.keys))
    _spend(digest, frame)
    digest.anomalies = _anomalies(env, frame, settings, first, start, end)
    digest.freshness = _freshness(env, frame, statuses)
    digest.budgets = _budgets(env, providers, digest.notes)
    digest.idle = _idle(env, providers)
    return digest


def _columns(anomaly_keys: list[str]) -> tuple[list[str], list[str]]:
    from costctl.analysis.anomalies import frame_columns
    from costctl.query import columns_for

    columns, tags = frame_columns(anomaly_keys)
    more, _ = columns_for(["provider", "service", "account"])
    return list(dict.fromkeys([*columns, *more])), tags


def _anomaly_settings(env: Env, metric: str) -> Any:
    """The settings ``costctl anomalies`` runs with when given no option (the config's ``anomalies:``)."""
    from costctl.analysis import anomalies as core
    from costctl.analysis.costs import parse_group_by

    cfg = env.config.section("anomalies")
    return core.Settings(keys=parse_group_by(cfg["by"]), method=cfg["method"], sensitivity=cfg["sensitivity"],
                         min_impact=cfg["min_impact"], min_pct=cfg["min_pct"], metric=metric,
                         top_contributors=cfg["contributors"], cutoffs=cfg["severity"] or core.DEFAULT_CUTOFFS)


def _changes(daily: pd.DataFrame, names: list[str], digest: Digest,
             label: Callable[[dict[str, Any]], str] | None = None) -> list[Change]:
    """Cost per group of ``names`` in the period against the reference days, largest change first.

    ``label`` names a group for people (default: its one key's value; no keys: the currency)."""
    from costctl.analysis import compare as cmp

    window = cmp.Window(None, digest.start, digest.end, digest.ref_start, digest.ref_end)
    rows = cmp.join(daily, daily, [window], names, None)

    def default(row: dict[str, Any]) -> str:
        return str(row.get(names[0]) or "(none)") if names else (row["currency"] or "")

    name = label or default
    changes = [Change(name(r), r["currency"], r["cost"], r["previous_cost"]) for r in rows]
    return sorted(changes, key=lambda c: (-abs(c.delta), c.label))


def _account(row: dict[str, Any]) -> str:
    """``acme-prod (AWS)``: names repeat across clouds (and ids are GUIDs), so the provider is part of it."""
    return f"{row.get('account_name') or row.get('account') or '(none)'} ({row.get('provider') or '?'})"


def _daily(frame: pd.DataFrame, keys: list[str], metric: str) -> pd.DataFrame:
    import pandas as pd

    from costctl.analysis import costs

    return pd.DataFrame(costs.build(frame, group_by=keys, granularity="daily", metric=metric).rows)


def _spend(digest: Digest, frame: pd.DataFrame) -> None:
    """Totals, providers with their daily series, and the top movers by service and account."""
    if frame.empty:
        digest.notes.append("no cost records in the period or the one before")
        return
    digest.totals = sorted(_changes(_daily(frame, [], digest.metric), [], digest), key=lambda c: -abs(c.cost))
    by_provider = _daily(frame, ["provider"], digest.metric)
    inside = by_provider.loc[(by_provider["date"] >= digest.start.isoformat())
                             & (by_provider["date"] < digest.end.isoformat())]
    days = [digest.start + timedelta(days=i) for i in range((digest.end - digest.start).days)]
    for change in sorted(_changes(by_provider, ["provider"], digest), key=lambda c: -abs(c.cost)):
        mine = inside.loc[(inside["provider"].fillna("(none)") == change.label)
                          & (inside["currency"].fillna("") == (change.currency or ""))]
        per_day = dict(zip(mine["date"], mine["cost"], strict=True))
        digest.providers.append(ProviderSpend(change, [(d, float(per_day.get(d.isoformat(), 0.0))) for d in days]))
    digest.services = _changes(_daily(frame, ["service"], digest.metric), ["service"], digest)[:TOP_MOVERS]
    accounts = ["provider", "account", "account_name"]
    digest.accounts = _changes(_daily(frame, accounts, digest.metric), accounts, digest, _account)[:TOP_MOVERS]


def _anomalies(env: Env, frame: pd.DataFrame, settings: Any, first: date, start: date, end: date) -> list[Anomaly]:
    """Unacknowledged anomalies of the period, most severe first."""
    from costctl.analysis import anomalies as core
    from costctl.analysis.anomaly_severity import RANK
    from costctl.analysis.anomaly_store import AnomalyStore
    from costctl.statedir import state_dir

    if frame.empty:
        return []
    found = core.detect(frame, settings, first, start, end, core.reported_through(frame))
    AnomalyStore(state_dir(env)).mark(found)
    return sorted((a for a in found if not a.acknowledged), key=lambda a: (-RANK[a.severity], -abs(a.impact)))


def _freshness(env: Env, frame: pd.DataFrame, statuses: list[SourceStatus]) -> list[Freshness]:
    from costctl.analysis.anomaly_series import reported_through

    newest = reported_through(frame)
    now = env.clock().timestamp()
    return [Freshness(s.name, newest.get(s.name), s.ok, s.error,
                      None if s.oldest_fetch is None else max(0.0, now - s.oldest_fetch)) for s in statuses]


def _budgets(env: Env, providers: tuple[str, ...], notes: list[str]) -> list[BudgetStatus]:
    """Budgets in warning or critical, or forecast to overrun (none configured: an empty list)."""
    from costctl.budgets.current import current_statuses
    from costctl.budgets.setup import budget_specs

    specs = list(budget_specs(env).values())
    if not specs:
        return []
    current = current_statuses(env, specs, providers)
    notes.extend(f"budgets: {reason}" for reason in current.failed)
    return [s for s in current.statuses if s.state() != "ok" or s.forecast_pct >= 100.0]


def _idle(env: Env, providers: tuple[str, ...]) -> IdleSummary:
    from costctl.idle import run as idle_run
    from costctl.idle.report import Reporter

    limits = idle_run.limits_of(env)
    try:
        result = idle_run.run(env, providers, idle_run.parse_checks(None, limits), [], None, Reporter())
    except CostctlError as exc:  # no cloud provider to scan, a provider type idle cannot scan
        return IdleSummary(failed=[" ".join(str(exc).split())])
    savings: dict[str, float] = {}
    for f in result.findings:
        savings[f.currency] = savings.get(f.currency, 0.0) + (f.estimated_monthly_savings or 0.0)
    return IdleSummary(savings, len(result.findings), result.findings[:TOP_IDLE], len(result.silenced),
                       result.failed)
