"""Month-end forecast from the month so far, aware of the day of the week.

Cloud cost is weekly-periodic (batch jobs on weekdays, dev environments off at weekends), so a
plain "month to date / days elapsed x days in month" overshoots on a month that ends with a
weekend and undershoots otherwise. Each remaining day is projected as the recent level (mean of
the last 7 complete days, one of each weekday) times that weekday's factor (mean of that weekday
over the last 4 weeks / mean of those 4 weeks). With less than two weeks of history the factors
are all 1 and the projection is the recent mean.
"""

from __future__ import annotations

from datetime import date, timedelta

HISTORY_DAYS = 28
LEVEL_DAYS = 7


def month_bounds(day: date) -> tuple[date, date]:
    """``[first of the month, first of the next month)`` of ``day``."""
    first = day.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def history_start(day: date) -> date:
    """The first day a forecast for ``day``'s month needs loaded."""
    return min(month_bounds(day)[0], day - timedelta(days=HISTORY_DAYS - 1))


def weekday_factors(daily: dict[date, float], last: date) -> dict[int, float]:
    """Weekday (0=Monday) -> cost on that weekday relative to the mean, from the last 4 weeks."""
    recent = {d: v for d, v in daily.items() if last - timedelta(days=HISTORY_DAYS) < d <= last}
    if len(recent) < 14:
        return {w: 1.0 for w in range(7)}
    mean = sum(recent.values()) / len(recent)
    if mean <= 0:
        return {w: 1.0 for w in range(7)}
    factors = {}
    for w in range(7):
        values = [v for d, v in recent.items() if d.weekday() == w]
        factors[w] = (sum(values) / len(values) / mean) if values else 1.0
    return factors


def recent_level(daily: dict[date, float], last: date) -> float | None:
    """Mean daily cost of the last 7 days up to ``last`` (fewer when the source is newer)."""
    values = [v for d, v in daily.items() if last - timedelta(days=LEVEL_DAYS) < d <= last]
    return sum(values) / len(values) if values else None


def month_forecast(daily: dict[date, float], last: date) -> float | None:
    """Projected total of ``last``'s month: actual cost through ``last`` plus projected remaining days.

    ``daily`` maps each day to its cost (days without data absent); None when there is no data.
    """
    first, nxt = month_bounds(last)
    level = recent_level(daily, last)
    if level is None:
        return None
    actual = sum(v for d, v in daily.items() if first <= d <= last)
    factors = weekday_factors(daily, last)
    # Scale the weekday factors so that a week of projections sums to 7 x level.
    norm = sum(factors.values()) / 7 or 1.0
    remaining = 0.0
    day = last + timedelta(days=1)
    while day < nxt:
        remaining += level * factors[day.weekday()] / norm
        day += timedelta(days=1)
    return actual + remaining
