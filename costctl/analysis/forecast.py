"""Spend forecast to the end of any period: weekday-aware run rate with a damped, robust trend.

Pure Python on ``{date: cost}`` (no pandas), because ``costctl check`` answers budget states from
a warm cache without importing pandas, and budgets need quarter and year ends, not only months.

Why this shape rather than "spend so far / days elapsed x days in period":

* Cloud cost is weekly-periodic (batch on weekdays, dev environments off at weekends). Each
  weekday gets a factor: the median ratio of that weekday's cost to the centred 7-day mean
  around it (classical decomposition). Medians, so one spike does not make every future Tuesday
  expensive; ratios to the local mean, so a trend does not pass for a weekday effect.
* Cost drifts (growth, a new service, a scale-up mid-period). The deseasonalized history gets a
  Theil-Sen slope (median of pairwise slopes: a single spike cannot tilt it), and the level is the
  robust intercept of that line at the last day, so a level shift inside the window moves the
  forecast as soon as most of the window agrees.
* A straight line extrapolated to a year end runs away; the trend is damped (each further day
  adds ``DAMPING`` times the previous day's increment), so the slope's total effect is capped at
  about ``1 / (1 - DAMPING)`` days of trend.

With under two weeks of history the weekday factors are all 1 and there is no trend; sparse
series (days that cost nothing) get no weekday factors either.
``bench/forecast_eval.py`` backtests this against the naive projection (figures in docs/budgets.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

HISTORY_DAYS = 28  # four of each weekday
MIN_SEASONAL_DAYS = 14
MIN_FACTOR = 0.1  # floor of a weekday factor: history is divided by it
MIN_TREND_DAYS = 14  # a slope from a week of data mostly extrapolates noise (see the backtest)
DAMPING = 0.9


@dataclass(frozen=True)
class Projection:
    """What the model projects for the days after ``last`` up to ``end`` (exclusive)."""

    last: date
    end: date
    level: float  # deseasonalized daily cost at ``last``
    slope: float  # change of the deseasonalized daily cost per day
    factors: dict[int, float]  # weekday (0 = Monday) -> multiplier, mean 1
    daily: dict[date, float] = field(default_factory=dict)  # projected cost per remaining day

    @property
    def remaining(self) -> float:
        return sum(self.daily.values())


def history(daily: Mapping[date, float], last: date, days: int = HISTORY_DAYS) -> dict[date, float]:
    """The window the model learns from: up to ``days`` days ending at ``last``.

    Days missing inside the window count as zero cost (nothing was billed), except before the
    first day that has data at all, which simply is not history yet (a new account or scope).
    """
    known = [d for d in daily if d <= last]
    if not known:
        return {}
    first = max(min(known), last - timedelta(days=days - 1))
    out: dict[date, float] = {}
    day = first
    while day <= last:
        out[day] = float(daily.get(day, 0.0))
        day += timedelta(days=1)
    return out


def weekday_factors(window: Mapping[date, float]) -> dict[int, float]:
    """Weekday -> typical ratio of that weekday's cost to its surrounding week (mean 1).

    Ratios to the centred 7-day mean, not raw weekday means: on a rising series the raw mean of
    the last weekday of the window would look expensive just for coming late. Medians of the
    ratios, so one spike does not move a weekday. All 1 without two weeks, or when some day cost
    nothing: that is sparse, lumpy spend (a fee now and then), not a weekly rhythm, and dividing
    by a near-zero factor would blow one lucky day up into the whole forecast.
    """
    ones = {w: 1.0 for w in range(7)}
    if len(window) < MIN_SEASONAL_DAYS or min(window.values()) <= 0:
        return ones
    days = sorted(window)
    ratios: dict[int, list[float]] = {w: [] for w in range(7)}
    for i in range(3, len(days) - 3):
        mean = sum(window[d] for d in days[i - 3:i + 4]) / 7
        if mean > 0:
            ratios[days[i].weekday()].append(window[days[i]] / mean)
    if any(not r for r in ratios.values()):
        return ones
    medians = {w: median(r) for w, r in ratios.items()}
    mean = sum(medians.values()) / 7
    if mean <= 0:
        return ones
    return {w: max(MIN_FACTOR, m / mean) for w, m in medians.items()}


def theil_sen(points: list[tuple[float, float]]) -> float:
    """Median of the slopes between every pair of points (0 with fewer than two)."""
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1:] if x2 != x1]
    return median(slopes) if slopes else 0.0


def fit(daily: Mapping[date, float], last: date) -> tuple[float, float, dict[int, float]] | None:
    """(level at ``last``, slope per day, weekday factors) from the recent history; None without data."""
    window = history(daily, last)
    if not window:
        return None
    factors = weekday_factors(window)
    points = [((d - last).days, v / factors[d.weekday()] if factors[d.weekday()] > 0 else v)
              for d, v in window.items()]
    slope = theil_sen(points) if len(points) >= MIN_TREND_DAYS else 0.0
    # Level = mean residual around the robust line: the median would ignore real, recurring spend
    # that arrives in lumps (a weekly backup, a monthly fee split over days), the mean keeps it.
    level = sum(y - slope * x for x, y in points) / len(points)
    return level, slope, factors


def project(daily: Mapping[date, float], last: date, end: date) -> Projection | None:
    """Project each day after ``last`` up to ``end`` (exclusive); None when there is no history.

    ``daily`` maps days to cost (absent days cost nothing). Projections never go below zero: a
    falling trend flattens out at no spend rather than forecasting refunds.
    """
    fitted = fit(daily, last)
    if fitted is None:
        return None
    level, slope, factors = fitted
    out: dict[date, float] = {}
    day, drift, step = last + timedelta(days=1), 0.0, 1.0
    while day < end:
        step *= DAMPING
        drift += slope * step
        out[day] = max(0.0, (level + drift) * factors[day.weekday()])
        day += timedelta(days=1)
    return Projection(last=last, end=end, level=level, slope=slope, factors=factors, daily=out)


def period_forecast(daily: Mapping[date, float], start: date, last: date, end: date) -> float | None:
    """Spend of ``[start, end)``: actual through ``last`` plus the projection of the rest."""
    projection = project(daily, last, end)
    if projection is None:
        return None
    actual = sum(v for d, v in daily.items() if start <= d <= last)
    return actual + projection.remaining


def naive_forecast(daily: Mapping[date, float], start: date, last: date, end: date) -> float | None:
    """The baseline: spend so far / days elapsed x days in the period (what most tools show)."""
    elapsed = (last - start).days + 1
    if elapsed <= 0:
        return None
    actual = sum(v for d, v in daily.items() if start <= d <= last)
    return actual / elapsed * (end - start).days
