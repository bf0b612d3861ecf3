"""A digest as sections of sentences and small tables, before any markup.

The markdown, text and HTML renderers all format these same blocks, so the three variants of a
report cannot drift apart: the same sections in the same order with the same figures (the tests
compare markdown's headings with HTML's). Figures are formatted here once, for people: money with
two decimals and its currency, changes signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from costctl.analysis.digest import SECTIONS

if TYPE_CHECKING:
    from costctl.analysis.digest import Change, Digest
    from costctl.budgets.status import BudgetStatus


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # column indexes aligned right
    nowrap: frozenset[int] = frozenset()  # columns a narrow page must not break (days, ids); numbers never break


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None
    after: list[str] = field(default_factory=list)  # notes under the table


def money(amount: float, currency: str | None) -> str:
    return f"{amount:,.2f} {currency or ''}".rstrip()


def signed(amount: float) -> str:
    return f"{amount:+,.2f}"


def pct(value: float | None) -> str:
    return "new" if value is None else f"{value:+.1f}%"


def _change_table(first: str, changes: list[Change]) -> Table:
    rows = [[c.label, money(c.cost, c.currency), money(c.previous, c.currency), signed(c.delta), pct(c.pct)]
            for c in changes]
    return Table([first, "Spend", "Previous", "Change", "Change %"], rows, frozenset({1, 2, 3, 4}))


def _movers(title: str, first: str, changes: list[Change], before: str) -> Section:
    if not changes:
        return Section(title, [f"No spend in this period or on {before}."])
    return Section(title, [f"The largest changes against {before}, up or down."], _change_table(first, changes))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    from costctl.monitoring.evaluate import format_age

    return format_age(seconds)


def sections(d: Digest) -> list[Section]:
    """The digest's sections, titled as ``SECTIONS`` says, in that order."""
    from costctl.ranges import describe

    period, before = describe(d.start, d.end), describe(d.ref_start, d.ref_end)
    spend = Section(SECTIONS[0])
    if d.totals:
        for t in d.totals:
            spend.paragraphs.append(f"Spent {money(t.cost, t.currency)} ({d.metric} cost) on {period}: "
                                    f"{signed(t.delta)} ({pct(t.pct)}) against {money(t.previous, t.currency)} "
                                    f"on {before}.")
        spend.table = _change_table("Provider", [p.change for p in d.providers])
    else:
        spend.paragraphs.append(f"No cost records for {period}.")

    services = _movers(SECTIONS[1], "Service", d.services, before)
    accounts = _movers(SECTIONS[2], "Account", d.accounts, before)

    anomalies = Section(SECTIONS[3])
    if d.anomalies:
        from costctl.analysis.anomaly_rootcause import main_cause

        anomalies.paragraphs.append(f"{len(d.anomalies)} unacknowledged anomal{'y' if len(d.anomalies) == 1 else 'ies'}"
                                    f" on {period} (acknowledge with `costctl anomalies ack ID`).")
        rows = []
        for a in d.anomalies:
            cause = main_cause(a.contributors)
            because = "-"
            if cause is not None:
                (key, value), = cause.keys.items()
                because = f"{key} {_short(value)} ({cause.share:.0%})"
            rows.append([a.date.isoformat(), a.severity, a.kind.replace("_", " "),
                         " / ".join(v or "(none)" for v in a.group.values()), money(a.cost, a.currency),
                         money(a.expected, a.currency), signed(a.impact), because, a.id])
        anomalies.table = Table(["Day", "Severity", "Kind", "Where", "Cost", "Expected", "Impact", "Main cause", "Id"],
                                rows, frozenset({4, 5, 6}), frozenset({0, 8}))
    else:
        anomalies.paragraphs.append(f"No open anomalies on {period}.")

    budgets = Section(SECTIONS[4])
    if d.budgets:
        budgets.paragraphs.append("Budgets past their warning level or forecast to overrun:")
        budgets.table = Table(
            ["Budget", "Period", "Spend", "Amount", "Used", "Forecast", "State"],
            [[b.name, describe(b.start, b.end), money(b.spend, b.currency),
              money(b.amount, b.currency), f"{b.consumed_pct:.1f}%", f"{b.forecast_pct:.1f}%", _budget_state(b)]
             for b in d.budgets], frozenset({2, 3, 4, 5}))
    else:
        budgets.paragraphs.append("No budget is at risk.")

    idle = Section(SECTIONS[5])
    if d.idle.count:
        total = ", ".join(money(v, c) for c, v in sorted(d.idle.savings.items()))
        idle.paragraphs.append(f"{d.idle.count} idle or oversized resource(s) could save about {total} a month"
                               + (f" ({d.idle.silenced} silenced)." if d.idle.silenced else "."))
        idle.table = Table(["Provider", "Resource", "Check", "Saves a month", "Recommendation"],
                           [[f.provider, _short(f.resource_id), f.check, money(f.estimated_monthly_savings or 0.0,
                                                                                f.currency), f.recommendation]
                            for f in d.idle.top], frozenset({3}))
        if d.idle.count > len(d.idle.top):
            idle.after.append(f"The largest {len(d.idle.top)} shown; `costctl idle` lists all.")
    else:
        idle.paragraphs.append("No idle resources found." if not d.idle.failed else "Idle resources were not scanned.")
    idle.after += [f"Not scanned: {reason}" for reason in d.idle.failed]

    fresh = Section(SECTIONS[6])
    rows = []
    for f in d.freshness:
        status = "ok" if f.ok else f"refresh failed: {f.error or 'unknown error'}"
        behind = 0 if f.newest is None else (d.today - f.newest).days - 1  # yesterday is up to date
        lag = f" ({behind} day(s) behind)" if behind > 0 else ""
        rows.append([f.source, (f.newest.isoformat() if f.newest else "no data") + lag, _age(f.fetched_seconds_ago),
                     status])
    fresh.paragraphs.append(f"Report made on {d.today}; it counts complete days, through {d.end - timedelta(days=1)}.")
    fresh.table = Table(["Source", "Newest day", "Fetched", "Status"], rows) if rows else None
    fresh.after += d.notes
    return [spend, services, accounts, anomalies, budgets, idle, fresh]


def _budget_state(status: BudgetStatus) -> str:
    """``warning``/``critical`` as ``check --period budget`` says; an ok budget is listed for its forecast."""
    state = status.state()
    return "ok, forecast over" if state == "ok" and status.forecast_pct >= 100.0 else state


def _short(value: str | None) -> str:
    """The last part of an ARN / Azure id / GCP name: what a report line has room for."""
    if not value:
        return "(none)"
    tail = value.rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit(":", 1)[-1] if len(tail) > 40 or tail == value else tail
