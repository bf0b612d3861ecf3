"""How much a series may move by chance when its amounts come in whole units.

The robust score divides a deviation by the series' relative noise (the MAD of its past
residuals, at least 2 %). A series of small whole amounts (an instance billed by the hour at
1.00 an hour: 3, 4, 4, 5, 4 a day) repeats its median so often that its MAD is 0; the 2 % floor
then made every ordinary step of one unit a 12-sigma spike (issue #25: 9 % precision on such
series). Such a series moves in steps of its own granularity, and a count of units of mean ``n``
varies by about ``sqrt(n)`` units (Poisson), and an expected value between two whole amounts is
off by up to a unit (quantization). So for a count-like series the relative noise at an expected
cost ``e`` is at least ``sqrt(q / e + (q / e) ** 2)``, ``q`` its unit: 26 % of the level at 16
units a day, 2.5 % at 1,600. A series whose unit is below 1 % of its level (any bill summed from
many line items, amounts in cents) is not count-like and keeps its MAD alone.
"""

from __future__ import annotations

import numpy as np

COUNT_LIKE_UNIT = 0.01  # a unit at least this share of the median day makes a series count-like
ON_GRID = 1e-6  # how close to a whole number of units every amount must be


def unit(values: np.ndarray, since: np.ndarray, end: int) -> np.ndarray:
    """Per row, the unit of a count-like series over ``[since, end)`` (its smallest step between
    distinct positive amounts, every amount a whole number of it); 0 when it is not count-like."""
    rows, days = values.shape
    cols = np.arange(days)
    seen = (cols >= since[:, None]) & (cols < end) & (values > 0)
    ranked = np.sort(np.where(seen, values, np.nan), axis=1)
    steps = np.diff(ranked, axis=1)
    with np.errstate(invalid="ignore"):
        steps = np.where(steps > 1e-9, steps, np.nan)
    out = np.zeros(rows)
    has = ~np.isnan(steps).all(axis=1) if days > 1 else np.zeros(rows, dtype=bool)
    if not has.any():
        return out
    q = np.full(rows, np.nan)
    q[has] = np.nanmin(steps[has], axis=1)
    count = seen.sum(axis=1)[has]  # ``ranked`` holds the seen amounts first, sorted: read the median off it
    lo = np.take_along_axis(ranked[has], np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ranked[has], np.maximum(count // 2, 0)[:, None], axis=1)[:, 0]
    median = (lo + hi) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / q[:, None]
        on_grid = np.where(seen, np.abs(ratio - np.round(ratio)) <= ON_GRID * np.maximum(np.abs(ratio), 1.0), True)
    count_like = np.zeros(rows, dtype=bool)
    count_like[has] = (q[has] >= COUNT_LIKE_UNIT * median) & on_grid[has].all(axis=1)
    out[count_like] = q[count_like]
    return out


def spread(scale: np.ndarray | float, unit_size: np.ndarray | float, expected: np.ndarray | float) -> np.ndarray:
    """Relative noise at ``expected``: the series' ``scale``, at least ``sqrt(u + u**2)`` with ``u =
    unit / expected`` for a count-like series (``unit`` 0 leaves ``scale`` unchanged)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        units = np.where(np.asarray(expected) > 0, np.asarray(unit_size) / np.asarray(expected), 0.0)
    return np.maximum(scale, np.sqrt(units + units * units))
