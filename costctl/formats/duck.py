"""The shared DuckDB connection lives in ``costctl.duck`` (ingest, day store and reports use one)."""

from costctl.duck import MEMORY_LIMIT, connect, new_connection, settings

__all__ = ["MEMORY_LIMIT", "connect", "new_connection", "settings"]
