"""Cached rows on disk: one Parquet file (zstd) per provider instance, settings fingerprint and day.

The layout, below the cache directory::

    rows/<source>/<fingerprint>/<YYYY-MM>/<YYYY-MM-DD>/<fetched-at>-<pid>.parquet

Every file holds the normalized record's columns (``costctl.arrowrec.schema``; ``Tags`` as JSON
text) for the rows whose ChargePeriodStart falls on that UTC day. A file is written under a temp
name and renamed into place, so a reader never sees half a file; which file is a day's current one
is recorded in the cache index (``costctl.cache``), committed after the rename. A file the index
no longer names (superseded by a re-fetch, or written by a process killed before its commit) is
removed by the next write of that day once it is older than ``GRACE_SECONDS``, so a reader that
looked the index up a moment before a re-fetch still finds the file it was told about.

Inspecting a day by hand: ``duckdb -c "FROM 'rows/prod-aws/*/2026-11/2026-11-03/*.parquet'"`` or
``pyarrow.parquet.read_table(path)``.
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from typing import Any

from costctl.duck import literal, quote

GRACE_SECONDS = 900.0  # superseded files stay this long for readers that looked the index up before
TEMP_PREFIX = ".tmp-"


def source_dir_name(source: str) -> str:
    """A provider instance name as one safe path component (names are config keys: any text)."""
    import urllib.parse

    return urllib.parse.quote(source, safe="-_.") or "_"


class DayFiles:
    """What one write put on disk for one day: its files and the figures of its summary."""

    __slots__ = ("files", "rows", "end", "sums")

    def __init__(self) -> None:
        self.files: list[str] = []  # relative to the cache directory
        self.rows = 0
        self.end: int | None = None  # newest ChargePeriodEnd, epoch seconds
        self.sums: list[list[Any]] = []  # [currency, account id, account name, service, billed, effective]


class DayStore:
    """Writes and locates the Parquet files of cached days."""

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir
        self.root = os.path.join(cache_dir, "rows")

    def day_dir(self, source: str, fingerprint: str, day: date) -> str:
        iso = day.isoformat()
        return os.path.join(self.root, source_dir_name(source), fingerprint, iso[:7], iso)

    def source_dir(self, source: str) -> str:
        return os.path.join(self.root, source_dir_name(source))

    def absolute(self, relative: str) -> str:
        return os.path.join(self.cache_dir, relative)

    def write(self, con: Any, select_sql: str, source: str, fingerprint: str, days: list[date],
              stamp: str, first: date | None = None) -> dict[date, DayFiles]:
        """Write the rows of ``select_sql`` (a query giving the record's columns) into day files.

        Only rows whose UTC day is in ``days`` are kept; with ``first``, every day from ``first``
        to the last of ``days`` that has rows is kept too, and the empty days between the rows.
        Returns, for every day kept, the new files (relative to the cache directory; none for a
        day without rows) and the sums its summary needs (``costctl.daysummary``), read back from
        the files just written. DuckDB streams the query into partitioned Parquet, so a fetch
        larger than memory never sits in the process whole.
        """
        import shutil

        from costctl.safedisk import make_private

        lowest = min(days) if first is None else min(first, min(days))
        last = max(days)
        staging = os.path.join(self.root, f"{TEMP_PREFIX}{stamp}")
        make_private(self.root)
        try:
            con.execute(
                f"COPY (SELECT *, CAST(CAST(ChargePeriodStart AS DATE) AS VARCHAR) AS _day FROM ({select_sql}) "
                f"WHERE CAST(ChargePeriodStart AS DATE) BETWEEN DATE {literal(lowest.isoformat())} "
                f"AND DATE {literal(last.isoformat())}) "
                f"TO {literal(staging)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_day), "
                f"OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part{{i}}')")
            sums = self._sums(con, staging)
            if first is not None and sums:
                span = [min(sums), max(sums)]
                days = sorted(set(days) | {span[0] + timedelta(days=i) for i in range((span[1] - span[0]).days + 1)})
            wanted = set(days)
            out = {day: DayFiles() for day in days}
            for name in sorted(os.listdir(staging)) if os.path.isdir(staging) else []:
                day = date.fromisoformat(name.split("=", 1)[1])
                if day not in wanted:
                    continue
                target = self.day_dir(source, fingerprint, day)
                make_private(target)
                moved = []
                for i, part in enumerate(sorted(os.listdir(os.path.join(staging, name)))):
                    final = os.path.join(target, f"{stamp}-{i}.parquet")
                    os.replace(os.path.join(staging, name, part), final)
                    moved.append(os.path.relpath(final, self.cache_dir))
                out[day] = sums.get(day) or DayFiles()
                out[day].files = moved
            return out
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def _sums(con: Any, staging: str) -> dict[date, DayFiles]:
        """Per day: rows, newest end, and BilledCost/EffectiveCost per (currency, account id,
        account name, service), in one pass over the staged files."""
        import glob

        pattern = os.path.join(staging, "*", "*.parquet")
        if not glob.glob(pattern):  # nothing in range: DuckDB may leave the folder empty
            return {}
        # Sorted by DuckDB (the order ``sum_order`` gives: text keys, NULL as '') and read as Arrow
        # columns: a large organisation has ~10,000 summary lines a day, and tuples plus a Python
        # sort cost more than the query.
        keys = ("BillingCurrency", "SubAccountId", "SubAccountName", "ServiceName")
        order = ", ".join(f"coalesce({k}, '')" for k in keys)
        table = con.sql(
            f"SELECT * FROM (SELECT _day, {', '.join(keys)}, fsum(BilledCost) AS billed, "
            "fsum(EffectiveCost) AS effective, count(*) AS n, max(epoch(ChargePeriodEnd)) AS last_end "
            f"FROM read_parquet({literal(pattern)}, hive_partitioning = true, hive_types_autocast = false) "
            f"GROUP BY ALL) ORDER BY _day, {order}"
        ).to_arrow_table()
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        out: dict[date, DayFiles] = {}
        entry = DayFiles()
        current: Any = None
        for day, currency, account_id, account_name, service, billed, effective, rows, end in zip(
                columns["_day"], *(columns[k] for k in keys), columns["billed"], columns["effective"],
                columns["n"], columns["last_end"], strict=True):
            if day != current:
                current = day
                key = day if isinstance(day, date) else date.fromisoformat(str(day))
                entry = out.setdefault(key, DayFiles())
            entry.rows += int(rows)
            if end is not None:
                end = int(end)
                entry.end = end if entry.end is None else max(entry.end, end)
            entry.sums.append([currency, account_id, account_name, service, float(billed or 0.0),
                               float(effective or 0.0)])
        return out

    def collect(self, source: str, fingerprint: str, day: date, keep: set[str], now: float | None = None) -> int:
        """Remove files of one day that the index does not name and that are past the grace
        period (superseded copies, leftovers of killed writers); return how many."""
        directory = self.day_dir(source, fingerprint, day)
        now = time.time() if now is None else now
        removed = 0
        try:
            names = os.listdir(directory)
        except OSError:
            return 0
        for name in names:
            path = os.path.join(directory, name)
            if os.path.relpath(path, self.cache_dir) in keep:
                continue
            try:
                if now - os.stat(path).st_mtime > GRACE_SECONDS:
                    os.unlink(path)
                    removed += 1
            except OSError:
                continue
        return removed

    def supersede(self, relatives: list[str]) -> None:
        """Mark files the index no longer names: their grace period starts now."""
        for rel in relatives:
            try:
                os.utime(self.absolute(rel))
            except OSError:
                continue

    def sweep_staging(self, now: float | None = None) -> int:
        """Remove staging folders of writers that died (older than an hour)."""
        import shutil

        now = time.time() if now is None else now
        removed = 0
        try:
            names = os.listdir(self.root)
        except OSError:
            return 0
        for name in names:
            path = os.path.join(self.root, name)
            if name.startswith(TEMP_PREFIX):
                try:
                    if now - os.stat(path).st_mtime > 3600:
                        shutil.rmtree(path, ignore_errors=True)
                        removed += 1
                except OSError:
                    continue
        return removed

    def usable(self, relatives: list[str]) -> bool:
        """True when every file exists and ends with Parquet's magic bytes (a cheap check that
        catches a missing or truncated file before DuckDB would fail the whole query)."""
        for rel in relatives:
            try:
                with open(self.absolute(rel), "rb") as fh:
                    fh.seek(-4, os.SEEK_END)
                    if fh.read(4) != b"PAR1":
                        return False
            except OSError:
                return False
        return True

    def remove_source(self, source: str | None) -> None:
        """Delete every file of one provider instance (or all)."""
        import shutil

        shutil.rmtree(self.root if source is None else self.source_dir(source), ignore_errors=True)

    def size_bytes(self) -> int:
        total = 0
        for directory, _dirs, files in os.walk(self.root):
            for name in files:
                try:
                    total += os.stat(os.path.join(directory, name)).st_size
                except OSError:
                    continue
        return total


def sum_order(line: list[Any]) -> tuple[str, ...]:
    """A stable order for summary lines (DuckDB's GROUP BY has none): by their text keys."""
    return tuple("" if v is None else str(v) for v in line[:4])


def read_sql(paths: list[str]) -> str:
    """A FROM source over day files (their columns are exactly the record's)."""
    listed = ", ".join(literal(p) for p in paths)
    return f"read_parquet([{listed}])"


__all__ = ["DayStore", "read_sql", "quote"]
