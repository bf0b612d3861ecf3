"""The value a ``--period`` checks, for one provider's ledger.

``day``: cost of the latest complete day. ``mtd``: that day's month through that day.
``forecast``: projected total of that month (``costctl.monitoring.forecast``). ``change``:
percent change of the latest complete day against the mean of the 7 days before it, in the
``--direction`` the operator watches: ``up`` (default) checks the increase (a drop counts as 0),
so ``-w 50 -c 100`` is the classic "cost spike" rule under the exact range semantics; ``down``
checks the decrease as a positive number; ``both`` checks the signed change. ``mom``: percent
change of the month to date against the same days of the previous month (the whole previous month
once the month is complete; ``costctl.analysis.compare`` aligns the days as ``costs --compare``
does), in the same ``--direction``. Each measurement also
brings extra perfdata (no thresholds) and the top contributors for the long output.
"""

from __future__ import annotations

from datetime import date, timedelta

from costctl.monitoring import forecast as fc
from costctl.monitoring.ledger import Ledger, top
from costctl.monitoring.perfdata import Perfdata
from costctl.values import Value

PERIODS = ("day", "mtd", "forecast", "change", "mom")
DIRECTIONS = ("up", "down", "both")
BASELINE_DAYS = 7

STALE = "stale"  # the data needed is not there (yet): --stale-state decides
UNDEFINED = "undefined"  # the data is there but the value has no meaning (no baseline): UNKNOWN


def load_window(period: str, day: date) -> tuple[date, date]:
    """The ``[start, end)`` of records a period needs for latest complete day ``day``."""
    end = day + timedelta(days=1)
    if period == "day":
        return day, end
    if period == "change":
        return day - timedelta(days=BASELINE_DAYS), end
    if period == "mtd":
        return fc.month_bounds(day)[0], end
    if period == "forecast":
        return fc.history_start(day), end
    if period == "mom":
        return previous_days(day)[0], end
    raise ValueError(f"unknown period {period!r} (one of {', '.join(PERIODS)})")


def headline(period: str, day: date) -> str:
    """What the status line says is being checked."""
    return {"day": f"day {day}", "mtd": f"mtd {day}", "forecast": f"forecast {day:%Y-%m}",
            "change": f"change {day} vs {BASELINE_DAYS}-day mean",
            "mom": f"mom {day} vs same days of last month"}[period]


def previous_days(day: date) -> tuple[date, date]:
    """``[start, end)`` of last month's days that the month to date through ``day`` is compared with."""
    from costctl.analysis.compare import reference

    return reference(fc.month_bounds(day)[0], day + timedelta(days=1), "previous", per_month=True)


class Measurement(Value):
    """What ``measure`` found. A plain class: ``check`` defines it on every start-up, where
    generating dataclass methods would cost more than the measuring."""

    __slots__ = ("value", "uom", "text", "currency", "extra", "contributors", "problem", "problem_kind")

    def __init__(self, value: float | None = None, uom: str = "", text: str = "", currency: str = "",
                 extra: list[Perfdata] | None = None, contributors: list[str] | None = None,
                 problem: str | None = None, problem_kind: str = STALE) -> None:
        self.value, self.uom, self.text, self.currency = value, uom, text, currency  # text: as the status line shows it
        self.extra: list[Perfdata] = extra if extra is not None else []
        self.contributors: list[str] = contributors if contributors is not None else []
        self.problem, self.problem_kind = problem, problem_kind


def _money(value: float, currency: str) -> str:
    return f"{value:.2f} {currency}".rstrip()


def measure(period: str, ledger: Ledger, label: str, day: date, top_n: int = 3,
            direction: str = "up") -> Measurement:
    """Compute ``period`` for ``day`` from ``ledger``; ``label`` prefixes the extra perfdata labels."""
    start, end = load_window(period, day)
    currencies = ledger.currencies(start, end)
    if len(currencies) > 1:
        return Measurement(problem=f"mixed currencies ({', '.join(currencies)}); narrow with --account",
                           problem_kind=UNDEFINED)
    currency = currencies[0] if currencies else ""
    if not ledger.has_day(day):
        newest = ledger.newest_day or ledger.newest_data_day
        seen = f"newest data {newest}" if newest else "no data at all yet"
        return Measurement(currency=currency, problem=f"no data for {day} ({seen})", problem_kind=STALE)
    if period == "change":
        return _change(ledger, label, day, currency, top_n, direction)
    if period == "mom":
        return _mom(ledger, label, day, currency, top_n, direction)
    month_start = fc.month_bounds(day)[0]
    lo = day if period == "day" else month_start
    value = ledger.total(lo, end)
    m = Measurement(value=value, text=_money(value, currency), currency=currency)
    if top_n > 0:
        m.contributors = [f"{name} {_money(cost, currency)}"
                          for name, cost in top(ledger.breakdown("service", lo, end), top_n).items()]
    if period == "forecast":
        projected = fc.month_forecast(ledger.daily(start, end), day)
        m.value, m.text = projected, _money(projected or 0.0, currency)
        m.extra = [Perfdata(f"{label}_mtd", value)]
        m.contributors.insert(0, f"month to date {_money(value, currency)}; forecast is day-of-week aware")
    return m


def directed(pct: float, direction: str) -> float:
    """The value a ``change`` check evaluates: the increase, the decrease, or the signed change."""
    if direction == "up":
        return max(pct, 0.0)
    if direction == "down":
        return max(-pct, 0.0)
    return pct


def _change(ledger: Ledger, label: str, day: date, currency: str, top_n: int, direction: str = "up") -> Measurement:
    base_start = day - timedelta(days=BASELINE_DAYS)
    baseline_days = ledger.daily(base_start, day)
    today = ledger.total(day, day + timedelta(days=1))
    if not baseline_days:
        return Measurement(currency=currency, problem=f"no data in the {BASELINE_DAYS} days before {day}",
                           problem_kind=UNDEFINED)
    baseline = sum(baseline_days.values()) / len(baseline_days)
    extra = [Perfdata(f"{label}_day", today), Perfdata(f"{label}_baseline", baseline)]
    if baseline <= 0:
        return Measurement(currency=currency, extra=extra, problem_kind=UNDEFINED,
                           problem=f"baseline is {_money(baseline, currency)}; a percent change has no meaning")
    pct = (today - baseline) / baseline * 100.0
    if direction != "both":
        extra.append(Perfdata(f"{label}_pct", pct, "%"))  # the signed change, for graphs
    m = Measurement(value=directed(pct, direction), uom="%", currency=currency, extra=extra,
                    text=f"{pct:+.1f}%")
    before = {k: v / len(baseline_days) for k, v in ledger.breakdown("service", base_start, day).items()}
    now = ledger.breakdown("service", day, day + timedelta(days=1))
    deltas = {k: now.get(k, 0.0) - before.get(k, 0.0) for k in set(before) | set(now)}
    ranked = sorted(deltas.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:max(top_n, 0)]
    m.contributors = [f"{day} {_money(today, currency)} vs {BASELINE_DAYS}-day mean {_money(baseline, currency)}"]
    m.contributors += [f"{name} {_money(now.get(name, 0.0), currency)} ({delta:+.2f} vs mean)"
                       for name, delta in ranked]
    return m


def _mom(ledger: Ledger, label: str, day: date, currency: str, top_n: int, direction: str = "up") -> Measurement:
    month_start, end = fc.month_bounds(day)[0], day + timedelta(days=1)
    ref_lo, ref_hi = previous_days(day)
    now, before = ledger.total(month_start, end), ledger.total(ref_lo, ref_hi)
    extra = [Perfdata(f"{label}_mtd", now), Perfdata(f"{label}_previous", before)]
    span = f"{ref_lo:%m-%d}..{ref_hi - timedelta(days=1):%m-%d}"
    if not ledger.daily(ref_lo, ref_hi):
        return Measurement(currency=currency, extra=extra, problem_kind=UNDEFINED,
                           problem=f"no data for last month's {span}; nothing to compare with")
    if before <= 0:
        return Measurement(currency=currency, extra=extra, problem_kind=UNDEFINED,
                           problem=f"last month's {span} cost {_money(before, currency)}; a percent change has no "
                                   "meaning")
    pct = (now - before) / before * 100.0
    if direction != "both":
        extra.append(Perfdata(f"{label}_pct", pct, "%"))  # the signed change, for graphs
    m = Measurement(value=directed(pct, direction), uom="%", currency=currency, extra=extra, text=f"{pct:+.1f}%")
    was = ledger.breakdown("service", ref_lo, ref_hi)
    is_ = ledger.breakdown("service", month_start, end)
    deltas = {k: is_.get(k, 0.0) - was.get(k, 0.0) for k in set(was) | set(is_)}
    ranked = sorted(deltas.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:max(top_n, 0)]
    m.contributors = [f"{month_start}..{day} {_money(now, currency)} vs {ref_lo}..{ref_hi - timedelta(days=1)} "
                      f"{_money(before, currency)}"]
    m.contributors += [f"{name} {_money(is_.get(name, 0.0), currency)} ({delta:+.2f} vs last month)"
                       for name, delta in ranked]
    return m
