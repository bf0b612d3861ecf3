"""The series matrix computed inside DuckDB, straight from the cached records (issue #25).

``anomaly_codes.fleet_series`` builds the groups x days matrix from a pandas frame holding one
row per group and day: at 10,000 resources over 400 days that frame is 4 million rows and most
of the command's memory (2.8 GiB) before any method starts. Here DuckDB does the grouping: it
numbers the distinct groups in sorted order and sums each group's day, so what crosses into
Python is one number per cell plus the group names. Only the rows of the groups a method flags
are read as a frame, for their explanations (``rows_of``).

Same answer as the frame path: a group is the ``--by`` values (``NONE`` for a missing one)
plus the currency, in the same sorted order (DuckDB orders text by code point, as Python does);
a day is the UTC day of ``ChargePeriodStart``; groups with no day in the range are left out;
each group's series stops at the newest day of the least advanced source it has rows from.
The cell sums are compensated (``fsum``), as the frame path's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from costctl.analysis.anomaly_series import NONE, SeriesMatrix
from costctl.duck import literal, quote
from costctl.model import GROUP_KEYS, METRICS
from costctl.query import translated

if TYPE_CHECKING:
    import pandas as pd

    from costctl.query import Dataset

_names = itertools.count()
SEPARATOR = "\x1f"  # joins a group's values into one text for the flagged-groups filter (unit separator)


def key_sql(key: str) -> str:
    """SQL for a group key's value per row, ``NONE`` when the row lacks it (as ``group_series``)."""
    from costctl.query import tag_value

    value = tag_value(key[4:]) if key.startswith("tag:") else f"CAST({quote(GROUP_KEYS[key])} AS VARCHAR)"
    return f"coalesce({value}, {literal(NONE)})"


def group_sql(keys: list[str]) -> list[str]:
    """The SQL of a group's parts: each key, then the currency."""
    return [key_sql(k) for k in keys] + [f"coalesce(BillingCurrency, {literal(NONE)})"]


def reported_through(data: Dataset) -> dict[str, date]:
    """``anomaly_series.reported_through`` over a dataset: the newest UTC day of each source."""
    if data.source is None:
        return {}
    table = data.arrow(data.sql(f"coalesce(x_Source, {literal(NONE)}) AS source, "
                                "max(ChargePeriodStart) AS newest") + " GROUP BY ALL")
    return {str(s): t.astimezone(UTC).date() for s, t in zip(table.column("source").to_pylist(),
                                                             table.column("newest").to_pylist(), strict=True)
            if t is not None}


def fleet(data: Dataset, keys: list[str], metric: str, start: date, end: date,
          reported: dict[str, date]) -> tuple[SeriesMatrix, list[int]]:
    """Daily ``metric`` per group over ``[start, end)``, zero-filled, and how far each group is reported.

    One pass over the records fills a temp table of (group parts, their hash, source, day, cost);
    the questions below read it instead of the cache files. Cells are summed per group hash and day
    (integers: no join on the group's text), and the hashes are mapped to the sorted groups here;
    should two groups share a hash, the groups are joined by their text instead.
    """
    from costctl.duck import connect
    from costctl.query import DAY_NUMBER

    n = (end - start).days
    days = [start + timedelta(days=i) for i in range(n)]
    if data.source is None or n <= 0:
        return SeriesMatrix(days, [], np.zeros((max(n, 0), 0))), []
    parts = group_sql(keys)
    names = [f"g{i}" for i in range(len(parts))]
    listed = ", ".join(names)
    first = (start - date(1970, 1, 1)).days
    rows = data.sql(", ".join([f"{p} AS {g}" for p, g in zip(parts, names, strict=True)]
                              + [f"hash({', '.join(parts)}) AS h",
                                 f"coalesce(x_Source, {literal(NONE)}) AS source",
                                 f"{DAY_NUMBER} - {first} AS day",
                                 f"{quote(METRICS[metric])} AS cost"]))
    con = connect()
    table = f"costctl_fleet_{next(_names)}"
    values: np.ndarray | None = None
    inside = f"day >= 0 AND day < {n}"
    with translated():
        con.execute(f"CREATE TEMP TABLE {table} AS {rows}")
    try:
        # Groups are numbered over the rows inside the range, in sorted order (the frame path's codes).
        groups_table = con.sql(f"SELECT DISTINCT {listed}, h FROM {table} WHERE {inside} ORDER BY {listed}"
                               ).to_arrow_table()
        count = groups_table.num_rows
        if count == 0:
            return SeriesMatrix(days, [], np.zeros((n, 0))), []
        hashes = groups_table.column("h").to_numpy()
        if all_distinct(hashes):
            order = np.argsort(hashes)
            sources = con.sql(f"SELECT DISTINCT h, source FROM {table}").to_arrow_table()
            source_gid = _positions(hashes, order, sources.column("h").to_numpy())
            summed = _summed_here(con, table, inside, hashes, order, n)
            if summed is not None:  # at most two rows a cell: summed here, as the frame path does
                values = summed
            else:
                cells = con.sql(f"SELECT h, CAST(day AS BIGINT) AS day, fsum(cost) AS cost FROM {table} "
                                f"WHERE {inside} GROUP BY h, day").to_arrow_table()
                cell_gid = _positions(hashes, order, cells.column("h").to_numpy())
        else:  # two groups share a hash: number them by their text
            ranked = (f"WITH g AS (SELECT {listed}, CAST(row_number() OVER (ORDER BY {listed}) - 1 AS BIGINT) AS gid "
                      f"FROM (SELECT DISTINCT {listed} FROM {table} WHERE {inside}))")
            cells = con.sql(f"{ranked} SELECT gid, CAST(day AS BIGINT) AS day, fsum(cost) AS cost FROM {table} "
                            f"JOIN g USING ({listed}) WHERE {inside} GROUP BY gid, day").to_arrow_table()
            sources = con.sql(f"{ranked} SELECT DISTINCT gid, source FROM {table} JOIN g USING ({listed})"
                              ).to_arrow_table()
            cell_gid, source_gid = cells.column("gid").to_numpy(), sources.column("gid").to_numpy()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    if values is None:
        values = np.zeros((n, count))
        values[cells.column("day").to_numpy(), cell_gid] = cells.column("cost").to_numpy(zero_copy_only=False)
        np.nan_to_num(values, copy=False, nan=0.0)  # a cell of NULL costs only: nothing was spent
    columns = [groups_table.column(g).to_pylist() for g in names]
    matrix = SeriesMatrix(days, [tuple(str(v) for v in t) for t in zip(*columns, strict=True)], values)
    known = np.full(count, n, dtype=np.int64)
    for g, source in zip(source_gid.tolist(), sources.column("source").to_pylist(), strict=True):
        if g < 0:
            continue  # a group with no day in the range
        reach = (reported[source] - start).days + 1 if source in reported else n
        known[g] = min(known[g], reach)
    return matrix, np.clip(known, 0, n).tolist()


def _summed_here(con: Any, table: str, inside: str, hashes: np.ndarray, order: np.ndarray,
                 n: int) -> np.ndarray | None:
    """The ``days x groups`` matrix summed in numpy when no cell has more than two rows (one row a
    resource and day, the common case): the sum of two amounts is the same correctly rounded number
    whichever way it is added, so this equals the compensated ``fsum`` without a grouped query.
    None when some cell has more rows (the caller sums in DuckDB)."""
    rows = con.sql(f"SELECT h, CAST(day AS BIGINT) AS day, cost FROM {table} WHERE {inside}").to_arrow_table()
    gid = _positions(hashes, order, rows.column("h").to_numpy())
    cell = gid * n + rows.column("day").to_numpy()
    size = len(hashes) * n
    if len(cell) and np.bincount(cell, minlength=size).max() > 2:
        return None
    cost = np.nan_to_num(rows.column("cost").to_numpy(zero_copy_only=False), nan=0.0)  # NULL: nothing spent
    return np.bincount(cell, weights=cost, minlength=size).reshape(len(hashes), n).T.copy()


def all_distinct(hashes: np.ndarray) -> bool:
    """True when no two groups share a hash (64 bits: a clash is rare, but then the text decides)."""
    return len(np.unique(hashes)) == len(hashes)


def _positions(hashes: np.ndarray, order: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Each wanted hash's group number (its row in ``hashes``), -1 where no group has it."""
    if len(wanted) == 0:
        return np.zeros(0, dtype=np.int64)
    ranked = hashes[order]
    at = np.minimum(np.searchsorted(ranked, wanted), len(ranked) - 1)
    return np.where(ranked[at] == wanted, order[at], -1).astype(np.int64)


def rows_reader(data: Dataset, keys: list[str], columns: list[str],
                tag_keys: list[str]) -> Callable[[list[tuple[str, ...]], date | None], pd.DataFrame]:
    """A reader of the daily rows of some groups (the flagged ones), as the frame path holds them;
    from day ``since`` on when given (the cache's day files before it are not read)."""
    joined = " || " + literal(SEPARATOR) + " || "

    def read(groups: list[tuple[str, ...]], since: date | None = None) -> pd.DataFrame:
        wanted = sorted({SEPARATOR.join(g) for g in groups})
        narrowed = data.narrowed(f"({joined.join(group_sql(keys))}) IN ({', '.join(map(literal, wanted))})"
                                 if wanted else "false")
        if since is not None:
            narrowed = narrowed.narrowed("ChargePeriodStart >= TIMESTAMPTZ "
                                         f"{literal(since.isoformat() + ' 00:00:00+00')}")
        return narrowed.frame(columns, tag_keys)

    return read
