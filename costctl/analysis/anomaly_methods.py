"""Detection methods, each over a whole ``series x days`` matrix of daily costs.

A matrix method has the shape ``method(values, weekdays, start, threshold, window) -> Flags``:
``values[series, day]`` holds the history followed by the report window, ``start`` is the index
of the first report day and ``weekdays`` the day of week of every day (0 = Monday). A method
only says *which days look wrong and what it expected*; money filters, severity and root cause
are applied by the caller, the same way for every method, so methods stay comparable.
``METHODS`` holds the same methods for one series (a 1-D array, answering ``[Flag]``).

``robust`` (``anomaly_robust``) is the default because the classic rules (``zscore``, ``pct``,
``iqr``) read a weekly pattern as anomalies every Monday and are blinded by an old spike in
their window. The classic rules only look at the report days, each through its trailing window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from costctl.analysis.anomaly_flags import Flag, Flags
from costctl.analysis.anomaly_robust import (  # noqa: F401  (re-exported: the method's tunables)
    MAD_TO_SIGMA,
    MIN_DAYS,
    MIN_REL_SCALE,
    MIN_SPARSE_SCALE,
    SEASON_WEEKS,
    SPARSE_DENSITY,
    robust_matrix,
    weekday_factors,
)

__all__ = ["Flag", "Flags", "METHODS", "MATRIX_METHODS", "THRESHOLDS", "WINDOWS", "weekday_factors"]


def _windows(values: np.ndarray, lo: int, window: int) -> np.ndarray:
    """``out[s, k]`` = the ``window`` days before day ``lo + k`` (a contiguous copy, so each window's
    sum runs in the same order as ``numpy`` would sum that window alone)."""
    return np.ascontiguousarray(sliding_window_view(values[:, lo - window:values.shape[1] - 1], window, axis=1))


def zscore_matrix(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> Flags:
    """Classic rule: distance from the trailing mean in trailing standard deviations."""
    lo = max(start, window)
    if lo >= values.shape[1]:
        return Flags.empty()
    past = _windows(values, lo, window)
    mean = past.mean(axis=-1)
    sd = past.std(axis=-1, ddof=1) if window > 1 else np.zeros_like(mean)
    diff = values[:, lo:] - mean
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(sd > 0, diff / sd, np.where(np.abs(diff) < 1e-9, 0.0, np.sign(diff) * np.inf))
    row, k = np.nonzero(np.abs(score) >= threshold)
    return Flags.of(row, k + lo, mean[row, k], score[row, k])


def pct_matrix(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> Flags:
    """Classic "cost spike" rule: day-over-day change in percent (the day before must have cost)."""
    lo = max(start, 1)
    prev, cur = values[:, lo - 1:-1], values[:, lo:]
    with np.errstate(invalid="ignore", divide="ignore"):
        change = (cur - prev) / prev * 100.0
    row, k = np.nonzero((prev > 0) & (np.abs(change) >= threshold))
    return Flags.of(row, k + lo, prev[row, k], change[row, k])


def iqr_matrix(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> Flags:
    """Tukey fences: outside ``[Q1 - k*IQR, Q3 + k*IQR]`` of the trailing window, k = threshold.

    The batched percentiles can differ from one window's in the last bit, so they only pick
    candidates (with a margin); each candidate is then judged from its own window exactly.
    """
    lo = max(start, window)
    if lo >= values.shape[1]:
        return Flags.empty()
    windows = _windows(values, lo, window)
    q1, q3 = np.percentile(windows, [25, 75], axis=-1)
    spread, v = q3 - q1, values[:, lo:]
    margin = 1e-9 * (np.abs(q1) + np.abs(q3) + np.abs(v) + 1.0)
    near = (v > q3 + threshold * spread - margin) | (v < q1 - threshold * spread + margin)
    found = [(r, k + lo, *point) for r, k in zip(*np.nonzero(near), strict=True)
             if (point := _iqr_point(windows[r, k], float(v[r, k]), threshold)) is not None]
    if not found:
        return Flags.empty()
    row, index, expected, score = (np.array(c) for c in zip(*found, strict=True))
    return Flags.of(row, index, expected, score)


def _iqr_point(past: np.ndarray, v: float, threshold: float) -> tuple[float, float] | None:
    """(median, score) of a day outside the fences of its window ``past``; None inside."""
    q1, median, q3 = np.percentile(past, [25, 50, 75])
    spread = float(q3 - q1)
    if v > q3 + threshold * spread:
        score = (v - q3) / spread if spread > 0 else np.inf
    elif v < q1 - threshold * spread:
        score = (v - q1) / spread if spread > 0 else -np.inf
    else:
        return None
    if spread == 0 and abs(v - q3) < 1e-9:
        return None
    return float(median), float(score)


MatrixMethod = Callable[[np.ndarray, np.ndarray, int, float, int], Flags]
Method = Callable[[np.ndarray, np.ndarray, int, float, int], list[Flag]]

MATRIX_METHODS: dict[str, MatrixMethod] = {"robust": robust_matrix, "zscore": zscore_matrix, "pct": pct_matrix,
                                           "iqr": iqr_matrix}


def _one_series(method: MatrixMethod) -> Method:
    def run(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int) -> list[Flag]:
        matrix = np.asarray(values, dtype=np.float64)[None, :]
        return method(matrix, np.asarray(weekdays), start, threshold, window).for_row(0)

    run.__doc__ = f"{method.__name__} of one series: ``[Flag]`` by day."
    return run


robust, zscore, pct, iqr = (_one_series(MATRIX_METHODS[n]) for n in ("robust", "zscore", "pct", "iqr"))
METHODS: dict[str, Method] = {"robust": robust, "zscore": zscore, "pct": pct, "iqr": iqr}

# Thresholds per --sensitivity (documented in docs/anomalies.md), and the default trailing window.
THRESHOLDS: dict[str, dict[str, float]] = {
    "robust": {"low": 6.0, "medium": 4.0, "high": 3.0},  # robust z-score (MAD sigmas)
    "zscore": {"low": 3.0, "medium": 2.0, "high": 1.5},  # standard deviations
    "pct": {"low": 100.0, "medium": 50.0, "high": 25.0},  # percent day over day
    "iqr": {"low": 3.0, "medium": 1.5, "high": 1.0},  # Tukey k
}
WINDOWS: dict[str, int] = {"robust": 28, "zscore": 7, "pct": 1, "iqr": 14}
