"""The series matrix straight from the normalized frame, by integer codes.

``anomaly_series.long_frame`` + ``build_matrix`` turn every row into Python objects (dates,
key strings) and pivot them: 6 s of a 10,000-resource run before any method started (issue
#25). Here each key column is factorized once, a row's group is one integer and its day an
integer offset, and the matrix is one grouped sum over those integers. Groups come out in the
same sorted order, and each cell sums the same rows in the same order with the same (Kahan)
summation as the pivot, so every figure is unchanged. Only the rows of flagged groups are later
turned into a long frame, for their explanations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from costctl.analysis.anomaly_series import NONE, SeriesMatrix
from costctl.analysis.costs import group_series
from costctl.model import METRICS

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class FleetSeries:
    """The matrix plus, for every frame row, its group's column (-1: no day in the range)."""

    matrix: SeriesMatrix
    row_group: np.ndarray
    known: list[int]  # per group, how many leading days its sources have reported


def epoch_days(frame: pd.DataFrame) -> np.ndarray:
    """UTC day of each row's ``ChargePeriodStart`` as days since 1970-01-01."""
    utc = frame["ChargePeriodStart"].dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(utc, dtype="datetime64[D]").astype(np.int64)


def _codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One integer per row whose order is the order of the rows' (key values..., currency) tuples."""
    import pandas as pd

    columns = [group_series(frame, k).fillna(NONE) for k in keys]
    columns.append(frame["BillingCurrency"].astype("string").fillna(NONE))
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques: list[np.ndarray] = []
    radix = 1
    for column in columns:
        codes, values = pd.factorize(column, sort=True)
        uniques.append(np.asarray(values, dtype=object))
        radix *= max(len(values), 1)
        if radix >= 2 ** 62:  # too many combinations for one integer: rank the tuples instead
            table = pd.DataFrame({i: c for i, c in enumerate(columns)})
            return table.groupby(list(table.columns), sort=True).ngroup().to_numpy(np.int64), []
        combined = combined * max(len(values), 1) + codes
    return combined, uniques


def fleet_series(frame: pd.DataFrame, keys: list[str], metric: str, start: date, end: date,
                 reported: dict[str, date]) -> FleetSeries:
    """Daily cost per group over ``[start, end)``, zero-filled, and how far each group is reported."""
    import pandas as pd

    n = (end - start).days
    days = [start + timedelta(days=i) for i in range(n)]
    if len(frame) == 0:
        return FleetSeries(SeriesMatrix(days, [], np.zeros((n, 0))), np.zeros(0, dtype=np.int64), [])
    code, uniques = _codes(frame, keys)
    offset = epoch_days(frame) - (start - date(1970, 1, 1)).days
    inside = (offset >= 0) & (offset < n)
    present, column = _dense_ranks(code[inside])
    cell = column * n + offset[inside]
    cost = frame[METRICS[metric]].to_numpy(np.float64)[inside]
    if len(cell) == 0 or np.bincount(cell).max() <= 2:  # one or two rows a cell: Kahan's sum is the plain sum
        values = np.bincount(cell, weights=cost, minlength=len(present) * n)
    else:
        sums = pd.Series(cost).groupby(cell).sum()  # the pivot's grouped (Kahan) sum, in row order
        values = np.zeros(len(present) * n)
        values[sums.index.to_numpy()] = sums.to_numpy()
    groups = _tuples(present, uniques, frame, keys, code)
    row_group = _positions(present, code)
    matrix = SeriesMatrix(days, groups, values.reshape(len(present), n).T.copy())
    return FleetSeries(matrix, row_group, _known(frame, row_group, len(present), reported, start, n))


def _positions(present: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Each row's group column: the position of its code in ``present`` (-1 when absent)."""
    if len(present) == 0:
        return np.full(len(code), -1, dtype=np.int64)
    if code.max() < 50_000_000:  # a lookup table beats a binary search per row
        table = np.full(int(max(code.max(), present.max())) + 1, -1, dtype=np.int64)
        table[present] = np.arange(len(present))
        return table[code]
    at = np.minimum(np.searchsorted(present, code), len(present) - 1)
    return np.where(present[at] == code, at, -1)


def _dense_ranks(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct codes, each code's rank among them): ``np.unique`` without sorting every row
    when the codes are small enough to count."""
    if len(code) and code.max() < 50_000_000:
        seen = np.bincount(code) > 0
        present = np.flatnonzero(seen)
        rank = np.cumsum(seen) - 1
        return present.astype(np.int64), rank[code]
    present, column = np.unique(code, return_inverse=True)
    return present, column


def _tuples(present: np.ndarray, uniques: list[np.ndarray], frame: pd.DataFrame, keys: list[str],
            code: np.ndarray) -> list[tuple[str, ...]]:
    """Each group's (key values..., currency), decoded from its integer."""
    if not uniques:  # ranked tuples: read them off a row of each group
        first_row = {c: i for i, c in reversed(list(enumerate(code.tolist())))}
        columns = [group_series(frame, k).fillna(NONE) for k in keys]
        columns.append(frame["BillingCurrency"].astype("string").fillna(NONE))
        return [tuple(str(col.iat[first_row[c]]) for col in columns) for c in present.tolist()]
    parts, rest = [], present.copy()
    for values in reversed(uniques):
        size = max(len(values), 1)
        parts.append(values[rest % size])
        rest //= size
    return [tuple(str(v) for v in t) for t in zip(*reversed(parts), strict=True)]


def _known(frame: pd.DataFrame, row_group: np.ndarray, groups: int, reported: dict[str, date], start: date,
           n: int) -> list[int]:
    """Per group, the days of ``[start, start + n)`` all its sources have reported (as ``reported_days``)."""
    import pandas as pd

    codes, sources = pd.factorize(frame["x_Source"].astype("string").fillna(NONE))
    days = np.array([(reported[s] - start).days + 1 if s in reported else n for s in sources] or [n], dtype=np.int64)
    known = np.full(groups, n, dtype=np.int64)
    for source, reach in enumerate(days.tolist()):  # few sources: the least advanced one a group has rows from
        if reach < n:
            rows = row_group[(codes == source) & (row_group >= 0)]
            has = np.bincount(rows, minlength=groups) > 0
            known[has] = np.minimum(known[has], reach)
    return np.clip(known, 0, n).tolist()
