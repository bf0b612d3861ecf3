"""The process's one DuckDB connection: the engine under ingest, the day store and every report.

One connection per process, set up once: UTC as the session time zone (the record's timestamps
are UTC, and a naive timestamp in an export means UTC), a memory limit and a spill directory so
that an export larger than memory streams through instead of growing the process, and no
network extensions (costctl reads local files; S3 and Blob objects are downloaded first).

Imported only by code that handles rows: a warm ``check`` never loads DuckDB.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

_CONNECTION: Any = None

# Enough for DuckDB's hash tables on tens of millions of rows, well under a monitoring host's RAM;
# COSTCTL_DUCKDB_MEMORY overrides it (DuckDB syntax: "512MB", "2GB").
DEFAULT_MEMORY_LIMIT = "768MB"


def connect() -> Any:
    """The shared connection, created on first use."""
    global _CONNECTION
    if _CONNECTION is None:
        import duckdb

        spill = os.path.join(tempfile.gettempdir(), f"costctl-duckdb-{os.getuid()}")
        config = {
            "memory_limit": os.environ.get("COSTCTL_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT),
            "temp_directory": spill,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        con = duckdb.connect(":memory:", config=config)
        con.execute("SET TimeZone = 'UTC'")
        _CONNECTION = con
    return _CONNECTION


def quote(name: str) -> str:
    """A SQL identifier, quoted (column names of exports hold '/', ':', spaces...)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
