"""Frozen copy of the per-series detection methods before issue #25 (the oracle of test_anomaly_matrix).

The vectorised methods in costctl.analysis must flag exactly what these flag, on any series.

Every method has the same shape: ``method(values, weekdays, start, threshold, window) -> [Flag]``
where ``values`` holds the history followed by the report window, ``start`` is the index of the
first report day and ``weekdays`` the day of week of every value (0 = Monday). A method only
says *which days look wrong and what it expected*; money filters, severity and root cause are
applied by the caller, the same way for every method, so methods stay comparable.

``robust`` is the default because the classic rules (``zscore``, ``pct``, ``iqr``) read a
weekly pattern as anomalies every Monday and are blinded by an old spike in their window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
MIN_REL_SCALE = 0.02  # no cost repeats to the cent: noise below 2 % of the level is treated as 2 %
MIN_SPARSE_SCALE = 0.10  # intermittent charges (monthly fees) vary more between occurrences
SPARSE_DENSITY = 0.5  # a series with cost on fewer than half of its days is intermittent
MIN_DAYS = 14  # robust needs two weeks of a series before it judges it
SEASON_WEEKS = 3  # weekday factors need at least this many weeks of history
SHIFT_LOOKAHEAD = 7  # days after a deviation that decide "new level" vs "spike"
SHIFT_MIN_FOLLOWING = 3  # fewer following days: too early to call it a level shift
SHIFT_AGREEMENT = 0.8  # share of following days that must stay on the new side


@dataclass(frozen=True)
class Flag:
    """One day a method finds unusual."""

    index: int
    kind: str  # spike | drop | level_shift
    expected: float
    score: float


def _kind(score: float) -> str:
    return "spike" if score > 0 else "drop"


def zscore(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> list[Flag]:
    """Classic rule: distance from the trailing mean in trailing standard deviations."""
    flags = []
    for i in range(max(start, window), len(values)):
        past = values[i - window:i]
        mean, sd = float(past.mean()), float(past.std(ddof=1)) if window > 1 else 0.0
        diff = float(values[i]) - mean
        score = diff / sd if sd > 0 else (0.0 if abs(diff) < 1e-9 else float(np.sign(diff)) * np.inf)
        if abs(score) >= threshold:
            flags.append(Flag(i, _kind(score), mean, score))
    return flags


def pct(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> list[Flag]:
    """Classic "cost spike" rule: day-over-day change in percent (the day before must have cost)."""
    flags = []
    for i in range(max(start, 1), len(values)):
        prev = float(values[i - 1])
        if prev <= 0:
            continue
        change = (float(values[i]) - prev) / prev * 100.0
        if abs(change) >= threshold:
            flags.append(Flag(i, _kind(change), prev, change))
    return flags


def iqr(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> list[Flag]:
    """Tukey fences: outside ``[Q1 - k*IQR, Q3 + k*IQR]`` of the trailing window, k = threshold."""
    flags = []
    for i in range(max(start, window), len(values)):
        q1, median, q3 = np.percentile(values[i - window:i], [25, 50, 75])
        spread = float(q3 - q1)
        v = float(values[i])
        if v > q3 + threshold * spread:
            score = (v - q3) / spread if spread > 0 else np.inf
        elif v < q1 - threshold * spread:
            score = (v - q1) / spread if spread > 0 else -np.inf
        else:
            continue
        if spread == 0 and abs(v - q3) < 1e-9:
            continue
        flags.append(Flag(i, _kind(score), float(median), float(score)))
    return flags


def weekday_factors(values: np.ndarray, weekdays: np.ndarray, first: int, end: int, window: int) -> np.ndarray:
    """How each weekday compares with the trailing median level, from ``[first, end)``.

    Medians of ratios, so one odd week does not bend the profile. All ones when there are fewer
    than ``SEASON_WEEKS`` weeks to learn from (no seasonality is better than a made-up one).
    """
    ratios: list[list[float]] = [[] for _ in range(7)]
    for j in range(first + 7, end):
        level = float(np.median(values[max(first, j - window):j]))
        if level > 0:
            ratios[int(weekdays[j])].append(float(values[j]) / level)
    if min(len(r) for r in ratios) < SEASON_WEEKS:
        return np.ones(7)
    factors = np.array([np.median(r) for r in ratios])
    if factors.mean() <= 0:
        return np.ones(7)
    return np.maximum(factors / factors.mean(), 0.05)


def _level(deseasoned: np.ndarray, lo: int, hi: int) -> float:
    return float(np.median(deseasoned[lo:hi])) if hi > lo else 0.0


def _relative_scale(values: np.ndarray, expected: np.ndarray) -> float:
    """Robust relative noise: MAD of ``(value - expected) / expected`` as a standard deviation."""
    ok = expected > 0
    if not ok.any():
        return MIN_REL_SCALE
    rel = (values[ok] - expected[ok]) / expected[ok]
    return max(MAD_TO_SIGMA * float(np.median(np.abs(rel))), MIN_REL_SCALE)


def _is_level_shift(values: np.ndarray, factors: np.ndarray, weekdays: np.ndarray, i: int, level: float,
                    scale: float, sign: float, threshold: float) -> bool:
    """True when the days after ``i`` stay on the new side: a new level, not a one-off."""
    following = range(i + 1, min(len(values), i + 1 + SHIFT_LOOKAHEAD))
    if len(following) < SHIFT_MIN_FOLLOWING:
        return False
    agree = 0
    for k in following:
        exp = level * factors[int(weekdays[k])]
        if exp > 0 and sign * (float(values[k]) - exp) / (exp * scale) >= threshold / 2:
            agree += 1
    return agree >= SHIFT_AGREEMENT * len(following)


def robust(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> list[Flag]:
    """Rolling median with weekday seasonality, scaled by the MAD of past residuals.

    Expected = median of the deseasoned trailing ``window`` days times the day's weekday factor.
    Medians ignore an old spike in the baseline; the residual scale is relative, so weekend lows
    are judged against weekend noise. A deviation whose following days stay on the new side is
    one ``level_shift`` on its first day, and the baseline restarts there (no alert every day
    after). Intermittent series (monthly fees) go to ``_robust_sparse``.
    """
    nonzero = np.flatnonzero(np.abs(values) > 1e-9)
    if len(nonzero) == 0:
        return []
    first = int(nonzero[0])
    span = max(start - first, 1)
    if np.count_nonzero(np.abs(values[first:start]) > 1e-9) / span < SPARSE_DENSITY:
        return _robust_sparse(values, start, threshold)
    factors = weekday_factors(values, weekdays, first, start, window)
    deseasoned = values / factors[weekdays]
    expected = np.zeros(len(values))
    for j in range(first + 7, start):
        expected[j] = _level(deseasoned, max(first, j - window), j) * factors[int(weekdays[j])]
    past = slice(first + 7, start)
    scale = _relative_scale(values[past], expected[past])
    flags: list[Flag] = []
    restart = first
    for i in range(max(start, first + MIN_DAYS), len(values)):
        level = _level(deseasoned, max(restart, i - window), i)
        exp = level * factors[int(weekdays[i])]
        if exp <= 0:
            continue
        score = (float(values[i]) - exp) / (exp * scale)
        if abs(score) < threshold:
            continue
        kind = _kind(score)
        if _is_level_shift(values, factors, weekdays, i, level, scale, float(np.sign(score)), threshold):
            kind, restart = "level_shift", i
        flags.append(Flag(i, kind, exp, score))
    return flags


def _robust_sparse(values: np.ndarray, start: int, threshold: float) -> list[Flag]:
    """Intermittent charges: compare a charge with the median of its earlier occurrences."""
    flags = []
    for i in range(start, len(values)):
        v = float(values[i])
        prior = values[:i][np.abs(values[:i]) > 1e-9]
        if v <= 0 or len(prior) < 2:
            continue
        exp = float(np.median(prior))
        if exp <= 0:
            continue
        scale = max(MAD_TO_SIGMA * float(np.median(np.abs(prior / exp - 1))), MIN_SPARSE_SCALE)
        score = (v - exp) / (exp * scale)
        if score >= threshold:
            flags.append(Flag(i, "spike", exp, score))
    return flags


Method = Callable[[np.ndarray, np.ndarray, int, float, int], list[Flag]]

METHODS: dict[str, Method] = {"robust": robust, "zscore": zscore, "pct": pct, "iqr": iqr}

# Thresholds per --sensitivity (documented in docs/anomalies.md), and the default trailing window.
THRESHOLDS: dict[str, dict[str, float]] = {
    "robust": {"low": 6.0, "medium": 4.0, "high": 3.0},  # robust z-score (MAD sigmas)
    "zscore": {"low": 3.0, "medium": 2.0, "high": 1.5},  # standard deviations
    "pct": {"low": 100.0, "medium": 50.0, "high": 25.0},  # percent day over day
    "iqr": {"low": 3.0, "medium": 1.5, "high": 1.0},  # Tukey k
}
WINDOWS: dict[str, int] = {"robust": 28, "zscore": 7, "pct": 1, "iqr": 14}
