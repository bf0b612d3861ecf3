"""``costs --compare``: each report row beside the same row of a reference period.

Periods are aligned by days elapsed: a month the range covers only in part (the month to date)
is compared with the same days of the reference month (November 1-23 against October 1-23), days
the reference month lacks are left out (March 1-30 against February 1-28), a part that runs to
the end of its month is compared through the end of the other month (a whole November against the
whole of October, November 3-30 against October 3-31), and a range that does not
start on the 1st is compared with the range of the same length before it (``previous``). Modes:

- ``previous``: monthly rows against the month before; a total (or daily) range against the
  range before it (the same days of the previous month(s) when it starts on the 1st);
- ``last-year``: the same days twelve months earlier;
- ``YYYY-MM``: the same days of that month (monthly rows: every row against that month).

Daily rows pair day N of the range with day N of the reference range. The join keeps rows found
in only one period (0 on the other side); ``delta_pct`` is None when the reference is 0, so the
deltas of a period always add up to the difference of its two totals. Works on the report's
daily rows (already aggregated by the query layer): pandas only sees aggregated results.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

MODES = ("previous", "last-year")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def parse_mode(text: str) -> str:
    """``previous``, ``last-year`` or ``YYYY-MM``; UsageError otherwise."""
    if text in MODES:
        return text
    if _MONTH.match(text) and 1 <= int(text[5:]) <= 12:
        return text
    raise UsageError(f"--compare: expected previous, last-year or a month YYYY-MM, got {text!r}")


@dataclass(frozen=True)
class Window:
    """One row period: current days ``[lo, hi)`` and reference days ``[ref_lo, ref_hi)``."""

    label: str | None  # the period column's value (None for a total report)
    lo: date
    hi: date
    ref_lo: date
    ref_hi: date


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


def _first(month_index: int) -> date:
    return date(month_index // 12, month_index % 12 + 1, 1)


def _length(first: date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def _same_days(lo: date, hi: date, offset: int) -> tuple[date, date]:
    """Days ``[lo, hi)`` moved by ``offset`` months, day of month kept, clipped to the target months."""
    last = hi - timedelta(days=1)
    lo_month, last_month = _first(_months(lo) + offset), _first(_months(last) + offset)
    if lo.day > _length(lo_month):  # e.g. the 30th against February: starts with the next month
        ref_lo = _first(_months(lo_month) + 1)
    else:
        ref_lo = lo_month.replace(day=lo.day)
    if hi.day == 1:  # through the end of its month: so is the reference (October whole against November)
        ref_hi = _first(_months(last_month) + 1)
    else:
        ref_hi = last_month.replace(day=min(last.day, _length(last_month))) + timedelta(days=1)
    return ref_lo, max(ref_lo, ref_hi)


def _offset(mode: str, lo: date, hi: date, per_month: bool) -> int | None:
    """Months to move by, or None for "the same number of days just before"."""
    if mode == "last-year":
        return -12
    if mode != "previous":
        return _months(date(int(mode[:4]), int(mode[5:]), 1)) - _months(lo)
    if per_month:
        return -1
    if lo.day != 1:
        return None
    return -(_months(hi - timedelta(days=1)) - _months(lo) + 1)


def reference(lo: date, hi: date, mode: str, per_month: bool = False) -> tuple[date, date]:
    """The reference days of ``[lo, hi)``."""
    offset = _offset(mode, lo, hi, per_month)
    if offset is None:
        return lo - (hi - lo), lo
    return _same_days(lo, hi, offset)


def windows(lo: date, hi: date, granularity: str, mode: str) -> list[Window]:
    """The row periods of a report over ``[lo, hi)`` and what each is compared with."""
    if hi <= lo:
        return []
    if granularity == "monthly":
        out = []
        month = _first(_months(lo))
        while month < hi:
            after = _first(_months(month) + 1)
            a, b = max(lo, month), min(hi, after)
            out.append(Window(f"{month:%Y-%m}", a, b, *reference(a, b, mode, per_month=True)))
            month = after
        return out
    ref_lo, ref_hi = reference(lo, hi, mode)
    if granularity == "total":
        return [Window(None, lo, hi, ref_lo, ref_hi)]
    out = []
    for n in range((hi - lo).days):
        day, ref = lo + timedelta(days=n), ref_lo + timedelta(days=n)
        ref_end = ref + timedelta(days=1) if ref < ref_hi else ref
        out.append(Window(day.isoformat(), day, day + timedelta(days=1), ref, ref_end))
    return out


def span(found: list[Window]) -> tuple[date, date] | None:
    """The reference days to load: ``[first, after last)`` over every window (None: none)."""
    days = [(w.ref_lo, w.ref_hi) for w in found if w.ref_hi > w.ref_lo]
    if not days:
        return None
    return min(d[0] for d in days), max(d[1] for d in days)


_NONE = "\x00none"  # stands for a missing group value in joins (pandas drops NaN keys)


def _sums(daily: pd.DataFrame, keys: list[str], lo: date, hi: date) -> pd.DataFrame:
    """Cost per group (and currency) of the daily rows in ``[lo, hi)``."""
    inside = daily.loc[(daily["date"] >= lo.isoformat()) & (daily["date"] < hi.isoformat())]
    return inside.groupby(keys, sort=False)["cost"].sum().reset_index()


def join(current: pd.DataFrame, previous: pd.DataFrame, found: list[Window], names: list[str],
         period: str | None, top: int | None = None) -> list[dict[str, Any]]:
    """Rows with ``cost``, ``previous_cost``, ``delta``, ``delta_pct`` and the reference days.

    ``current``/``previous``: daily report rows (``date``, the group columns, ``currency``, ``cost``).
    """
    import pandas as pd

    keys = [*names, "currency"]
    current, previous = _filled(current, keys), _filled(previous, keys)
    parts = []
    for w in found:
        cur, ref = _sums(current, keys, w.lo, w.hi), _sums(previous, keys, w.ref_lo, w.ref_hi)
        both = cur.merge(ref, on=keys, how="outer", suffixes=("", "_ref"), sort=False)
        both["_label"], both["_ref_lo"], both["_ref_hi"] = w.label, w.ref_lo, w.ref_hi
        parts.append(both)
    if not parts:
        return []
    data = pd.concat(parts, ignore_index=True)
    data["cost"] = data["cost"].fillna(0.0).astype("float64")
    data["previous_cost"] = data.pop("cost_ref").fillna(0.0).astype("float64")
    if top is not None and top > 0 and names:
        data = _fold(data, names, top)
    data["_abs"] = -data["cost"].abs() - data["previous_cost"].abs() * 1e-9  # current first, then reference
    data["_other"] = data[names].eq(OTHER).any(axis=1) if names else False
    data = data.sort_values(["_label", "_other", "_abs"] if period else ["_other", "_abs"], kind="stable",
                            na_position="first")
    rows = []
    for rec in data.to_dict(orient="records"):
        row: dict[str, Any] = {period: rec["_label"]} if period else {}
        row.update({k: (None if rec[k] == _NONE else rec[k]) for k in names})
        cost, before = float(rec["cost"]), float(rec["previous_cost"])
        row.update(cost=cost, currency=None if rec["currency"] in (_NONE, "") else rec["currency"],
                   previous_cost=before, delta=cost - before,
                   delta_pct=(cost - before) / abs(before) * 100.0 if before else None,
                   previous_start=rec["_ref_lo"].isoformat(),
                   previous_end=(max(rec["_ref_lo"], rec["_ref_hi"] - timedelta(days=1))).isoformat()
                   if rec["_ref_hi"] > rec["_ref_lo"] else None)
        rows.append(row)
    return rows


OTHER = "(other)"


def _filled(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    import pandas as pd

    if frame.empty:
        return pd.DataFrame({k: pd.Series(dtype="object") for k in ["date", *keys]} | {"cost": pd.Series(
            dtype="float64")})
    out = frame.copy()
    for k in keys:
        out[k] = out[k].astype("object").where(out[k].notna(), _NONE)
    return out


def _fold(data: pd.DataFrame, names: list[str], top: int) -> pd.DataFrame:
    """Keep the ``top`` groups of largest current cost; the rest become one ``(other)`` row per period."""
    ranking = data.groupby([*names, "currency"], sort=False)["cost"].sum()
    keep = set(ranking.sort_values(ascending=False, key=lambda s: s.abs()).index[:top])
    index = list(zip(*(data[k] for k in [*names, "currency"]), strict=True))
    folded = [i not in keep for i in index]
    data = data.copy()
    for name in names:
        data.loc[folded, name] = OTHER
    by = ["_label", "_ref_lo", "_ref_hi", *names, "currency"]
    data["_label"] = data["_label"].astype("object").where(data["_label"].notna(), _NONE)
    out = data.groupby(by, sort=False)[["cost", "previous_cost"]].sum().reset_index()
    out["_label"] = out["_label"].where(out["_label"] != _NONE, None)
    return out


def totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency: cost, previous_cost, delta and delta_pct over every row."""
    sums: dict[Any, list[float]] = {}
    for r in rows:
        entry = sums.setdefault(r["currency"], [0.0, 0.0])
        entry[0] += r["cost"]
        entry[1] += r["previous_cost"]
    return [{"currency": cur, "cost": c, "previous_cost": p, "delta": c - p,
             "delta_pct": (c - p) / abs(p) * 100.0 if p else None} for cur, (c, p) in sums.items()]


def describe(found: list[Window], mode: str, granularity: str) -> str:
    """What the title says the rows are compared with."""
    from costctl.ranges import describe as days

    what = {"previous": "the previous period", "last-year": "the same days a year earlier"}.get(
        mode, f"the same days of {mode}")
    if mode == "previous" and granularity == "monthly":
        what = "the previous month"
    if not found:
        return f"vs {what} (no days to compare)"
    if len(found) == 1 or granularity != "daily":
        spans = "; ".join(f"{w.label + ': ' if w.label else ''}{days(w.ref_lo, w.ref_hi)}" for w in found[:3])
        more = "; ..." if len(found) > 3 else ""
        return f"vs {what}, aligned by days elapsed ({spans}{more})"
    return f"vs {what}, aligned by days elapsed ({days(found[0].ref_lo, found[-1].ref_hi)})"
