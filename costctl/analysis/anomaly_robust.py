"""The default method, ``robust``, over a whole ``series x days`` matrix.

Expected = median of the deseasoned trailing ``window`` days times the day's weekday factor.
Medians ignore an old spike in the baseline; the residual scale is relative, so weekend lows
are judged against weekend noise. A deviation whose following days stay on the new side is one
``level_shift`` on its first day, and the baseline restarts there (no alert every day after).
Intermittent series (monthly fees) compare a charge with the median of its earlier charges.

Everything up to the candidate points is array arithmetic over all series (issue #25: the
per-series loop spent 80 s in ``numpy.median`` on 10,000 resources). Only a series with at
least one candidate point is then walked day by day, because a level shift restarts its
baseline and changes what the next days are compared with; the walk reuses the factors and
scale computed for all, so its result is the per-series method's exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costctl.analysis.anomaly_flags import Flag, Flags
from costctl.analysis.anomaly_noise import spread, unit
from costctl.analysis.anomaly_rolling import EPS, first_nonzero, masked_median, trailing_median

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
MIN_REL_SCALE = 0.02  # no cost repeats to the cent: noise below 2 % of the level is treated as 2 %
MIN_SPARSE_SCALE = 0.10  # intermittent charges (monthly fees) vary more between occurrences
SPARSE_DENSITY = 0.5  # a series with cost on fewer than half of its days is intermittent
MIN_DAYS = 14  # robust needs two weeks of a series before it judges it
SEASON_WEEKS = 3  # weekday factors need at least this many weeks of history
LEARN_DAYS = 84  # weekday factors and noise come from at most the 12 weeks before the window
RELEARN_DAYS = 28  # in a longer report window the noise is learned again every four weeks
SHIFT_LOOKAHEAD = 7  # days after a deviation that decide "new level" vs "spike"
SHIFT_MIN_FOLLOWING = 3  # fewer following days: too early to call it a level shift
SHIFT_AGREEMENT = 0.8  # share of following days that must stay on the new side


def weekday_factor_matrix(values: np.ndarray, weekdays: np.ndarray, first: np.ndarray, end: int,
                          window: int) -> np.ndarray:
    """Per series (row), how each weekday compares with the trailing median level, from ``[first, end)``.

    Medians of ratios, so one odd week does not bend the profile. All ones for a series with
    fewer than ``SEASON_WEEKS`` ratios on some weekday (no seasonality beats a made-up one).
    Only the last ``LEARN_DAYS`` before ``end`` count (see ``learn_from``).
    """
    rows, days = values.shape
    if rows == 0:
        return np.ones((0, 7))
    since = learn_from(first, end)
    level = trailing_median(values, first, window, int(since.min()), end)
    cols = np.arange(days)
    with np.errstate(invalid="ignore", divide="ignore"):
        valid = (cols >= since[:, None]) & (cols < end) & (level > 0)
        ratio = values / level
    factors, counts = np.ones((rows, 7)), np.zeros((rows, 7), dtype=np.int64)
    for day in range(7):
        at = np.flatnonzero(weekdays == day)
        factors[:, day], counts[:, day] = masked_median(ratio[:, at], valid[:, at])
    mean = factors.mean(axis=1)
    usable = (counts.min(axis=1) >= SEASON_WEEKS) & (mean > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.maximum(factors / mean[:, None], 0.05)
    return np.where(usable[:, None], scaled, 1.0)


def learn_from(first: np.ndarray, end: int) -> np.ndarray:
    """First day whose deviation teaches the weekday profile and the noise: a week after the series
    starts, and no more than ``LEARN_DAYS`` before ``end``.

    The profile and the noise of a series are what it is like now; a year-old weekly pattern or
    the quiet of last spring should not judge today. It also bounds the work per series whatever
    ``--history`` is (the default 90-day history is all learned from: 83 days after the first week).
    """
    return np.maximum(first + 7, end - LEARN_DAYS)


def weekday_factors(values: np.ndarray, weekdays: np.ndarray, first: int, end: int, window: int) -> np.ndarray:
    """``weekday_factor_matrix`` of one series."""
    return weekday_factor_matrix(np.asarray(values, dtype=np.float64)[None, :], weekdays, np.array([first]), end,
                                 window)[0]


def robust_matrix(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> Flags:
    """Flags of every series (row) of ``values`` on the days from ``start`` on."""
    rows, days = values.shape
    first = first_nonzero(values)
    cols = np.arange(min(start, days))
    seen = (np.abs(values[:, :len(cols)]) > EPS) & (cols >= first[:, None])
    density = seen.sum(axis=1) / np.maximum(start - first, 1)
    active = first < days
    sparse, dense = np.flatnonzero(active & (density < SPARSE_DENSITY)), np.flatnonzero(active & ~(
        density < SPARSE_DENSITY))
    parts = []
    for picked, find in ((dense, _dense), (sparse, _sparse)):
        if len(picked):
            flags = find(values[picked], weekdays, first[picked], start, threshold, window)
            flags.row = picked[flags.row]
            parts.append(flags)
    return Flags.concat(parts)


@dataclass
class Regime:
    """What the days from ``begin`` on (to the next regime) are judged with, per series: weekday
    factors and relative noise learned from the ``LEARN_DAYS`` before ``begin``."""

    begin: int
    factors: np.ndarray  # series x 7
    deseasoned: np.ndarray  # series x days: values / that day's factor
    scale: np.ndarray  # per series


def regimes(values: np.ndarray, weekdays: np.ndarray, first: np.ndarray, start: int, window: int) -> list[Regime]:
    """The window's regimes: one learned before ``start``, then one every ``RELEARN_DAYS``.

    A report window of four weeks or less (the default is 14 days) is judged with what was learned
    before it, as always. Over a long one (``--days 90``) a series that became noisier, calmer or
    changed its weekly pattern is judged by what it is like now, not by how it was three months
    ago: fixed at the window's start, the noise of a noisy spring hides a jump in a calm summer,
    and a calm spring flags every ordinary day of a noisy summer.
    """
    days = values.shape[1]
    found = []
    for begin in [start, *range(start + RELEARN_DAYS, days, RELEARN_DAYS)]:
        factors = weekday_factor_matrix(values, weekdays, first, begin, window)
        seasonal = factors[:, weekdays]
        deseasoned = values / seasonal
        found.append(Regime(begin, factors, deseasoned,
                            _relative_scale(values, deseasoned, seasonal, first, begin, window)))
    return found


def _dense(values: np.ndarray, weekdays: np.ndarray, first: np.ndarray, start: int, threshold: float,
           window: int) -> Flags:
    rows, days = values.shape
    periods = regimes(values, weekdays, first, start, window)
    units = unit(values, learn_from(first, start), start)
    cols = np.arange(days)
    candidate = np.zeros((rows, days), dtype=bool)
    for k, regime in enumerate(periods):
        end = periods[k + 1].begin if k + 1 < len(periods) else days
        level = trailing_median(regime.deseasoned, first, window, regime.begin, end)
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = level * regime.factors[:, weekdays]
            score = (values - expected) / (expected * spread(regime.scale[:, None], units[:, None], expected))
            candidate |= (cols >= np.maximum(regime.begin, first + MIN_DAYS)[:, None]) & (cols < end) & (
                expected > 0) & (np.abs(score) >= threshold)
    found: list[Flags] = []
    for r in np.flatnonzero(candidate.any(axis=1)):  # only series with something to explain
        flags = _walk(values[r], [(p.begin, p.deseasoned[r], p.factors[r], float(p.scale[r])) for p in periods],
                      weekdays, int(first[r]), start, float(units[r]), threshold, window)
        if flags:
            found.append(Flags.of(np.full(len(flags), r), [f.index for f in flags], [f.expected for f in flags],
                                  [f.score for f in flags], [f.kind for f in flags]))
    return Flags.concat(found)


def _relative_scale(values: np.ndarray, deseasoned: np.ndarray, seasonal: np.ndarray, first: np.ndarray,
                    start: int, window: int) -> np.ndarray:
    """Robust relative noise per series: MAD of ``(value - expected) / expected`` over the learned
    history (``learn_from``), as a standard deviation, at least ``MIN_REL_SCALE``."""
    rows, days = values.shape
    since = learn_from(first, start)
    level = trailing_median(deseasoned, first, window, int(since.min()), start)
    cols = np.arange(days)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = level * seasonal
        ok = (cols >= since[:, None]) & (cols < start) & (expected > 0)
        rel = np.abs((values - expected) / expected)
    mad, count = masked_median(rel, ok)
    return np.where(count > 0, np.maximum(MAD_TO_SIGMA * mad, MIN_REL_SCALE), MIN_REL_SCALE)


def alarm_rates(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> np.ndarray:
    """Per series, the expected false-alarm rate of ``robust`` per judged day: the share of its
    learned history days (``learn_from``) that the noise model would have scored at or beyond
    ``threshold``. History holds anomalies too, so this is an upper bound; NaN where nothing
    was learned (too short, or intermittent)."""
    rows, days = values.shape
    first = first_nonzero(values)
    rates = np.full(rows, np.nan)
    dense = np.flatnonzero(first < min(start, days))
    if not len(dense):
        return rates
    v, f = values[dense], first[dense]
    seasonal = weekday_factor_matrix(v, weekdays, f, start, window)[:, weekdays]
    deseasoned = v / seasonal
    scale = _relative_scale(v, deseasoned, seasonal, f, start, window)
    since = learn_from(f, start)
    units = unit(v, since, start)
    level = trailing_median(deseasoned, f, window, int(since.min()), start)
    cols = np.arange(days)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = level * seasonal
        ok = (cols >= since[:, None]) & (cols < start) & (expected > 0)
        score = np.abs(v - expected) / (expected * spread(scale[:, None], units[:, None], expected))
        rates[dense] = np.where(ok.sum(axis=1) > 0, (ok & (score >= threshold)).sum(axis=1) / ok.sum(axis=1),
                                np.nan)
    return rates


def _level(deseasoned: np.ndarray, lo: int, hi: int) -> float:
    return float(np.median(deseasoned[lo:hi])) if hi > lo else 0.0


def _walk(values: np.ndarray, periods: list[tuple[int, np.ndarray, np.ndarray, float]], weekdays: np.ndarray,
          first: int, start: int, unit_size: float, threshold: float, window: int) -> list[Flag]:
    """One series day by day from ``start``: level shifts restart the baseline. ``periods`` are
    its regimes (begin, deseasoned values, weekday factors, relative scale); ``unit_size`` its unit
    (0 unless count-like, ``anomaly_noise``)."""
    flags: list[Flag] = []
    restart = first
    k = 0
    for i in range(max(start, first + MIN_DAYS), len(values)):
        while k + 1 < len(periods) and i >= periods[k + 1][0]:
            k += 1
        _begin, deseasoned, factors, scale = periods[k]
        noise = (scale, unit_size)
        level = _level(deseasoned, max(restart, i - window), i)
        exp = level * factors[int(weekdays[i])]
        if exp <= 0:
            continue
        score = (float(values[i]) - exp) / (exp * _spread(noise, exp))
        if abs(score) < threshold:
            continue
        kind = "spike" if score > 0 else "drop"
        if _is_level_shift(values, factors, weekdays, i, level, noise, float(np.sign(score)), threshold):
            kind, restart = "level_shift", i
        flags.append(Flag(i, kind, float(exp), float(score)))
    return flags


def _is_level_shift(values: np.ndarray, factors: np.ndarray, weekdays: np.ndarray, i: int, level: float,
                    noise: tuple[float, float], sign: float, threshold: float) -> bool:
    """True when the days after ``i`` stay on the new side: a new level, not a one-off."""
    following = range(i + 1, min(len(values), i + 1 + SHIFT_LOOKAHEAD))
    if len(following) < SHIFT_MIN_FOLLOWING:
        return False
    agree = 0
    for k in following:
        exp = level * factors[int(weekdays[k])]
        if exp > 0 and sign * (float(values[k]) - exp) / (exp * _spread(noise, exp)) >= threshold / 2:
            agree += 1
    return agree >= SHIFT_AGREEMENT * len(following)


def _spread(noise: tuple[float, float], expected: float) -> float:
    """``anomaly_noise.spread`` of one point; exactly the scale when the series is not count-like."""
    scale, unit_size = noise
    return scale if unit_size == 0 else float(spread(scale, unit_size, expected))


def _sparse(values: np.ndarray, weekdays: np.ndarray, first: np.ndarray, start: int, threshold: float,
            window: int) -> Flags:
    """Intermittent charges: a charge against the median of the series' earlier charges."""
    rows, days = values.shape
    nonzero = np.abs(values) > EPS
    found: list[Flags] = []
    for i in range(start, days):
        charged = np.flatnonzero(values[:, i] > 0)
        if not len(charged):
            continue
        prior, seen = values[charged, :i], nonzero[charged, :i]
        expected, count = masked_median(prior, seen)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread, _n = masked_median(np.abs(prior / expected[:, None] - 1), seen)
            scale = np.maximum(MAD_TO_SIGMA * spread, MIN_SPARSE_SCALE)
            score = (values[charged, i] - expected) / (expected * scale)
            hit = (count >= 2) & (expected > 0) & (score >= threshold)
        found.append(Flags.of(charged[hit], np.full(int(hit.sum()), i), expected[hit], score[hit],
                              np.full(int(hit.sum()), "spike", dtype=object)))
    return Flags.concat(found)
