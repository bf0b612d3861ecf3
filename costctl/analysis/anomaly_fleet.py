"""Flags of every group at once: the method, its start-up wait and new spend, over the matrix.

Sits between the series matrix (``anomaly_series``) and the explanations (``anomalies``). Groups
whose sources have reported through the same day share one ``series x days`` matrix and one
call of the method; nothing here loops over groups, so 10,000 resources cost about what 10 do
plus array arithmetic (issue #25). New spend (a group absent for a week that now costs at least
``min_impact``) is found here the same way for every method.
"""

from __future__ import annotations

import numpy as np

from costctl.analysis import anomaly_methods as methods
from costctl.analysis.anomaly_flags import Flags
from costctl.analysis.anomaly_rolling import first_nonzero

NEW_MIN_QUIET_DAYS = 7  # a group is new only if the data shows at least a week without it


def fleet_flags(values: np.ndarray, known: np.ndarray, weekdays: np.ndarray, start: int, threshold: float,
                window: int, method: methods.MatrixMethod, min_impact: float) -> Flags:
    """Flags of ``values[day, group]``; ``known[g]`` = how many leading days of group ``g`` are reported.

    ``Flags.row`` is the group's column. Days a group's sources have not reported are cut off
    before any method sees them.
    """
    active = np.flatnonzero(np.abs(values).sum(axis=0) > 1e-9)
    data_first = int(np.flatnonzero(np.abs(values[:, active]).sum(axis=1) > 1e-9)[0]) if len(active) else 0
    parts = []
    for days in np.unique(known):
        if days <= start:
            continue  # its sources have not reported a day of the window yet
        cols = np.flatnonzero(known == days)
        series = np.ascontiguousarray(values[:days, cols].T)
        flags = series_flags(series, weekdays[:days], start, threshold, window, method, data_first, min_impact)
        flags.row = cols[flags.row]
        parts.append(flags)
    return Flags.concat(parts).sorted()


def series_flags(values: np.ndarray, weekdays: np.ndarray, start: int, threshold: float, window: int,
                 method: methods.MatrixMethod, data_first: int, min_impact: float) -> Flags:
    """Method flags plus new spend of ``values[series, day]``.

    ``robust`` judges a series from its 15th day (``MIN_DAYS``): two weeks show every weekday
    twice, so the median of what there is (its window is cut at the series' start) is a level
    one odd day cannot move; waiting for the whole 28-day window left a new resource unwatched
    for four weeks. The classic rules need their whole window (and two weeks when the series
    started after the data did).
    """
    first = first_nonzero(values)
    flags = method(values, weekdays, start, threshold, window)
    if method is methods.MATRIX_METHODS["robust"]:
        wait = np.full(len(first), methods.MIN_DAYS)
    else:
        wait = np.where(first > data_first, max(window, methods.MIN_DAYS), window)
    flags = flags.select((first[flags.row] < values.shape[1]) & (flags.index >= first[flags.row] + wait[flags.row]))
    new = new_spend(values, first, data_first, start, min_impact)
    if len(new):
        taken = set(zip(new.row.tolist(), new.index.tolist(), strict=True))
        flags = flags.select(np.array([(r, i) not in taken for r, i in zip(flags.row.tolist(), flags.index.tolist(),
                                                                              strict=True)], dtype=bool))
    return Flags.concat([flags, new])


def new_spend(values: np.ndarray, first: np.ndarray, data_first: int, start: int, min_impact: float) -> Flags:
    """Per series, the first day it costs at least ``min_impact`` if the series was absent for at
    least ``NEW_MIN_QUIET_DAYS`` of data before it and that day is in the window."""
    cols = np.arange(values.shape[1])
    material = (values >= min_impact) & (cols >= first[:, None])
    day = material.argmax(axis=1)
    hit = material.any(axis=1) & (first - data_first >= NEW_MIN_QUIET_DAYS) & (day >= start)
    rows = np.flatnonzero(hit)
    return Flags.of(rows, day[rows], np.zeros(len(rows)), np.full(len(rows), np.inf),
                    np.full(len(rows), "new", dtype=object))
