"""Date ranges from the command line: ``--days``, ``--month``, ``--start/--end``.

Everything inside costctl uses ``[start, end)`` dates; the command line's ``--end`` is inclusive
because that is what people type. "The last N days" are the N complete days before today, so a
report never mixes in the partial current day unless asked (``--end`` today).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from costctl.errors import UsageError

# Cloud billing data begins in the 2000s. Far dates are typos, and a range from year 1000 would
# fill the cache with a million empty days; year 9999 overflows date arithmetic.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def _in_span(day: date, option: str, given: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(f"{option}: {given} is outside the dates costctl handles ({FIRST_DAY} .. {LAST_DAY})")
    return day


def parse_date(value: str, option: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: expected a date as YYYY-MM-DD, got {value!r}") from None
    return _in_span(day, option, value)


def month_range(value: str) -> tuple[date, date]:
    """``[first day, first day of next month)`` of ``YYYY-MM``."""
    if not re.fullmatch(r"\d{4}-\d{2}", value or ""):
        raise UsageError(f"--month: expected YYYY-MM, got {value!r}")
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12:
        raise UsageError(f"--month: no month {month} in {value!r}")
    first = _in_span(date(max(year, 1), month, 1), "--month", value)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt


def resolve(today: date, *, days: int | None = None, month: str | None = None, start: str | None = None,
            end: str | None = None, default_days: int = 30) -> tuple[date, date]:
    """The ``[start, end)`` range the options ask for."""
    given = [name for name, v in (("--days", days), ("--month", month), ("--start/--end", start or end)) if v]
    if len(given) > 1:
        raise UsageError(f"{given[0]} and {given[1]} cannot be combined; give one range")
    if month:
        return month_range(month)
    if start or end:
        if end and not start:
            raise UsageError("--end needs --start (or use --days N)")
        lo = parse_date(start, "--start")  # type: ignore[arg-type]
        hi = parse_date(end, "--end") + timedelta(days=1) if end else today
        if hi <= lo:
            raise UsageError(f"--end ({hi - timedelta(days=1)}) is before --start ({lo})")
        return lo, hi
    n = days if days is not None else default_days
    if n < 1:
        raise UsageError(f"--days: expected a positive number of days, got {n}")
    if n > (today - FIRST_DAY).days:
        raise UsageError(f"--days: {n} days reach back before {FIRST_DAY}; give at most {(today - FIRST_DAY).days}")
    return today - timedelta(days=n), today


def has_range(days: int | None, month: str | None, start: str | None, end: str | None) -> bool:
    return bool(days or month or start or end)


def describe(start: date, end: date) -> str:
    """``[start, end)`` as a title shows it: ``A .. B``, one day as ``A``, nothing as ``no days``.

    A title never shows an end before its start (an empty ``--file`` has no span).
    """
    if end <= start:
        return "no days"
    last = end - timedelta(days=1)
    return str(start) if last == start else f"{start} .. {last}"


def month_part(month: str, start: date, end: date) -> str | None:
    """How much of calendar month ``YYYY-MM`` the range ``[start, end)`` covers, when not all of it.

    ``from 11-02`` (a late start), ``1 day`` / ``12 days`` (an early end), ``11-02 .. 11-20``
    (both); None for the whole month, or a month label that is not ``YYYY-MM``.
    """
    try:
        first, after = month_range(month)
    except UsageError:
        return None
    lo, hi = max(first, start), min(after, end)
    if lo <= first and hi >= after:
        return None
    if hi <= lo:
        return "no days"
    if lo > first and hi < after:
        return f"{lo:%m-%d} .. {hi - timedelta(days=1):%m-%d}"
    if lo > first:
        return f"from {lo:%m-%d}"
    days = (hi - lo).days
    return f"{days} day{'s' if days != 1 else ''}"
