"""Budget periods: the calendar month, quarter or year a day belongs to, as ``[first, end)``."""

from __future__ import annotations

from datetime import date

PERIODS = ("monthly", "quarterly", "yearly")


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """``[first day, first day of the next period)`` of the period containing ``day``.

    Quarters are calendar quarters (Jan, Apr, Jul, Oct); day counts come from the dates, so leap
    years give a 366-day year and a 91-day first quarter without special cases.
    """
    if period == "monthly":
        first_month, months = day.month, 1
    elif period == "quarterly":
        first_month, months = 3 * ((day.month - 1) // 3) + 1, 3
    elif period == "yearly":
        first_month, months = 1, 12
    else:
        raise ValueError(f"unknown budget period {period!r} (known: {', '.join(PERIODS)})")
    first = date(day.year, first_month, 1)
    index = first.month - 1 + months
    return first, date(first.year + index // 12, index % 12 + 1, 1)
