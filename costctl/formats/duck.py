"""The process's one DuckDB connection for reading exports: UTC, bounded memory, spill to disk.

Exports can be far larger than memory (a month of CUR for a big organisation is tens of GB), so
the connection has a memory limit and a temp directory to spill to; DuckDB then streams CSV and
Parquet through the mapper queries instead of holding them. Everything runs in UTC so that naive
timestamps in exports are read as UTC, as the record requires.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from typing import Any

MEMORY_LIMIT = os.environ.get("COSTCTL_DUCKDB_MEMORY", "512MB")  # leaves room for Python + pandas in 1 GiB RSS

_lock = threading.Lock()
_connection: Any = None


def connect() -> Any:
    """The shared connection (created on first use). Callers use ``.cursor()`` for thread safety."""
    global _connection
    with _lock:
        if _connection is None:
            _connection = new_connection()
            atexit.register(_close)
        return _connection


def _close() -> None:
    """Close the shared connection and remove its spill directory (DuckDB leaves the directory behind)."""
    global _connection
    if _connection is not None:
        spill = settings(_connection).get("temp_directory")
        _connection.close()
        _connection = None
        if spill and os.path.basename(spill).startswith("costctl-duckdb-"):
            shutil.rmtree(spill, ignore_errors=True)


def new_connection(memory_limit: str = MEMORY_LIMIT) -> Any:
    """A connection set up for export reading (UTC, bounded memory, spill directory, the tags UDF)."""
    import duckdb

    from costctl.formats.sqlexpr import register_functions

    spill = os.path.join(tempfile.gettempdir(), f"costctl-duckdb-{os.getpid()}")
    con = duckdb.connect(config={
        "threads": max(1, os.cpu_count() or 1),
        "memory_limit": memory_limit,
        "temp_directory": spill,
        "preserve_insertion_order": True,  # error rows are numbered in file order
    })
    con.execute("SET TimeZone = 'UTC'")
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
