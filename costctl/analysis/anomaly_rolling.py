"""Medians over many daily series at once: the arithmetic under every anomaly method.

Detection works on a ``series x days`` matrix. A Python loop over series with ``numpy.median``
per series and per day cost 80 s on 10,000 resources (issue #25); these helpers do the same
arithmetic for all rows in a few array operations. Every result is bit-for-bit what
``numpy.median`` of the same values returns (the mean of the two middle values for an even
count), so a vectorised method finds exactly what the per-series one found.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9  # |cost| below this is "no cost" (float sums of cancelling rows are not exactly 0)


def first_nonzero(values: np.ndarray) -> np.ndarray:
    """Per row, the index of the first day with cost; ``n_days`` for a row without any."""
    nonzero = np.abs(values) > EPS
    return np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), values.shape[1])


def masked_median(values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median along the last axis of the ``valid`` entries only, and how many there were.

    Rows without a valid entry get NaN. Sorting puts the invalid entries (set to NaN) last, so
    the middle of the first ``count`` sorted values is the median of the valid ones.
    """
    ranked = np.sort(np.where(valid, values, np.nan), axis=-1)
    count = valid.sum(axis=-1)
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.maximum(count // 2, 0)
    a = np.take_along_axis(ranked, lo[..., None], axis=-1)[..., 0]
    b = np.take_along_axis(ranked, hi[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        median = (a + b) / 2
    return np.where(count > 0, median, np.nan), count


def trailing_median(values: np.ndarray, first: np.ndarray, window: int, lo: int, hi: int) -> np.ndarray:
    """``out[s, j]`` = median of ``values[s, max(first[s], j - window):j]`` for ``lo <= j < hi``.

    NaN where that slice is empty (``j <= first[s]``) and outside ``[lo, hi)``. Days before a
    series' first cost are not part of its history, as in the per-series methods. pandas'
    rolling median (a skip list in C, O(log window) a day) does the sliding; it counts only
    non-NaN values, which is how the slice is cut at ``first``.
    """
    import pandas as pd

    rows, days = values.shape
    out = np.full((rows, days), np.nan)
    lo = max(lo, 1)
    if hi <= lo or rows == 0:
        return out
    begin = max(lo - window, 0)
    # All rows as one long series, each behind ``window`` NaNs so no window reaches the row
    # before: one call of the C loop instead of one per series.
    part = np.full((rows, window + hi - 1 - begin), np.nan)
    part[:, window:] = values[:, begin:hi - 1]
    part[:, window:][np.arange(begin, hi - 1)[None, :] < first[:, None]] = np.nan
    rolled = pd.Series(part.ravel()).rolling(window, min_periods=1).median().to_numpy()
    rolled = rolled.reshape(rows, -1)[:, window:]
    # rolled[:, k] covers values[begin + k - window + 1 : begin + k + 1], i.e. the window before day begin + k + 1
    out[:, lo:hi] = rolled[:, lo - 1 - begin:hi - 1 - begin]
    return out
