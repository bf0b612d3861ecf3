"""The ingest's view of the process's one DuckDB connection (``costctl.duck``): plus the ingest's UDFs.

Exports can be far larger than memory, so the shared connection has a memory limit and a spill
directory (``costctl.duck``); DuckDB then streams CSV and Parquet through the mapper queries
instead of holding them. It runs in UTC, so naive timestamps in exports are read as UTC. The
ingest adds its Python UDFs (tag text, service categories) to it once, so that a scan's SQL runs
on that connection too (the report queries of ``costctl.query`` embed it).
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

from costctl.errors import ConfigError

_lock = threading.Lock()
_registered: set[int] = set()


def connect() -> Any:
    """The shared connection with the ingest's UDFs. Scans use ``.cursor()`` of it (thread safety)."""
    import duckdb

    from costctl import duck as shared
    from costctl.formats.sqlexpr import register_functions

    try:
        con = shared.connect()
    except duckdb.Error as exc:
        raise _config_error(exc, os.environ.get("COSTCTL_DUCKDB_MEMORY", shared.DEFAULT_MEMORY_LIMIT)) from None
    with _lock:
        if id(con) not in _registered:
            register_functions(con)
            _registered.add(id(con))
    return con


def new_connection(memory_limit: str = "512MB") -> Any:
    """A separate connection set up like the shared one (UTC, memory limit, spill directory, UDFs).

    For tests and tools that need other limits than the process's connection.
    """
    import duckdb

    from costctl.formats.sqlexpr import register_functions

    spill = os.path.join(tempfile.gettempdir(), f"costctl-duckdb-{os.getuid()}")
    try:
        con = duckdb.connect(":memory:", config={
            "memory_limit": memory_limit,
            "temp_directory": spill,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        })
    except duckdb.Error as exc:
        raise _config_error(exc, memory_limit) from None
    con.execute("SET TimeZone = 'UTC'")
    register_functions(con)
    return con


def _config_error(exc: BaseException, memory_limit: str) -> BaseException:
    if "memory" in str(exc).lower():
        return ConfigError(f"COSTCTL_DUCKDB_MEMORY={memory_limit!r} is not a memory size DuckDB accepts "
                           "(e.g. 512MB or 2GB); fix or unset it")
    return exc


def settings(con: Any) -> dict[str, str]:
    """The connection's settings that bound memory, for diagnostics and tests."""
    names = ("memory_limit", "threads", "temp_directory", "TimeZone", "preserve_insertion_order")
    rows = con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN (" + ", ".join("?" for _ in names) + ")",
        list(names),
    ).fetchall()
    return {name: value for name, value in rows}
