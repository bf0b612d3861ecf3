"""The process's one DuckDB connection: the ingest engine, the day store and every report share it.

Exports can be far larger than memory (a month of CUR for a big organisation is tens of GB), so
the connection has a memory limit and a temp directory to spill to; DuckDB then streams CSV and
Parquet through the mapper queries instead of holding them. Everything runs in UTC so that naive
timestamps in exports are read as UTC, as the record requires.

Imported only by code that handles rows: a warm ``check`` never loads DuckDB (nor this module's
tempfile and threading imports, which are cheap but not free).
"""

from __future__ import annotations

import os
import threading
from typing import Any

PARTITION_FLUSH_ROWS = 2048
MEMORY_LIMIT = os.environ.get("COSTCTL_DUCKDB_MEMORY", "512MB")  # leaves room for Python + pandas in 1 GiB RSS


def thread_count() -> int:
    """DuckDB's worker threads: ``$COSTCTL_DUCKDB_THREADS``, else one per core.

    Where many costctl processes run at once (parallel checks, a parallel test suite), one thread
    each avoids oversubscribing the cores: DuckDB's threads wait actively, and two processes with
    a thread per core each on a 2-core machine ran several times slower than with one.
    """
    text = os.environ.get("COSTCTL_DUCKDB_THREADS", "").strip()
    if not text:
        return max(1, os.cpu_count() or 1)
    if not text.isdigit() or int(text) < 1:
        from costctl.errors import ConfigError

        raise ConfigError(f"COSTCTL_DUCKDB_THREADS={text!r} is not a whole number of threads (1 or more); "
                          "fix or unset it")
    return int(text)

_lock = threading.Lock()
_connection: Any = None


def connect() -> Any:
    """The shared connection (created on first use). Callers use ``.cursor()`` for thread safety."""
    global _connection
    with _lock:
        if _connection is None:
            _connection = new_connection()
        return _connection


def new_connection(memory_limit: str = MEMORY_LIMIT) -> Any:
    """A connection set up for export reading (UTC, bounded memory, spill directory, the tags UDF)."""
    import atexit
    import shutil
    import tempfile

    import duckdb

    from costctl.formats.sqlexpr import register_functions

    # A private spill folder (mkdtemp: 0700, unpredictable name), removed when the process ends:
    # a predictable /tmp path could be pre-created by another user.
    spill = tempfile.mkdtemp(prefix="costctl-duckdb-")
    atexit.register(shutil.rmtree, spill, True)
    try:
        con = duckdb.connect(config={
            "threads": thread_count(),
            "memory_limit": memory_limit,
            "temp_directory": spill,
            "preserve_insertion_order": True,  # error rows are numbered in file order
        })
    except duckdb.Error as exc:
        if "memory" in str(exc).lower():
            from costctl.errors import ConfigError

            raise ConfigError(f"COSTCTL_DUCKDB_MEMORY={memory_limit!r} is not a memory size DuckDB accepts "
                              "(e.g. 512MB or 2GB); fix or unset it") from None
        raise
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB draws a progress bar on stdout for a query that runs past two seconds (a loaded machine,
    # a large export): stdout carries data only, so a JSON answer would start with a bar.
    con.execute("SET enable_progress_bar = false")
    con.execute("SET enable_progress_bar_print = false")
    # The in_clause optimizer turns every constant IN list (the null spellings of each text column)
    # into a MARK join that runs over every row even when the query reads none of that column's
    # values: 19 such joins were 30 % of a 1M-row report's CPU. Short IN lists stay scalar this way.
    con.execute("SET disabled_optimizers = 'in_clause'")
    # The day store's partitioned COPY buffers up to this many rows per day before writing them.
    # DuckDB's default (524,288) holds a whole fetch in memory, spilling at the memory limit: a
    # 1M-row fetch took 6.4 s to write, 4.8 s with 2,048 (row groups of a few thousand rows; the
    # files are ~10 % larger and read as fast within noise).
    con.execute(f"SET partitioned_write_flush_threshold = {PARTITION_FLUSH_ROWS}")
    register_functions(con)
    return con


def settings(con: Any) -> dict[str, str]:
    """The connection's settings that bound memory, for diagnostics and tests."""
    names = ("memory_limit", "threads", "temp_directory", "TimeZone", "preserve_insertion_order")
    rows = con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN (" + ", ".join("?" for _ in names) + ")",
        list(names),
    ).fetchall()
    return {name: value for name, value in rows}


def quote(name: str) -> str:
    """A SQL identifier, quoted (column names of exports hold '/', ':', spaces...)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
