"""The public entry points: file or bytes -> detected format -> mapper -> validated record.

``engine.scan`` does the reading (DuckDB, streamed) and the mapping of every format that has a
SQL mapper; this module keeps the frame-returning API its callers use, and the pandas mappers
(``MAPPERS``) of the formats still waiting for their SQL port (FOCUS, Azure and GCP are SQL-only:
``focus_sql`` here, each cloud's ``export_sql``/``cur_sql`` in ``costctl/clouds/<cloud>/``, found
through ``engine.SQL_MAPPERS``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from costctl.errors import ExportFormatError
from costctl.formats.detect import detect_format

Mapper = Callable[[pd.DataFrame, str], pd.DataFrame]

# Pandas mappers of formats without a SQL mapper: none left (every format maps in SQL); kept as the
# engine's fallback hook for a third-party format module.
MAPPERS: dict[str, tuple[Callable[[list[str]], list[str]], Mapper]] = {}


def read_export(path: str | os.PathLike[str]) -> pd.DataFrame:
    """One local export file as a normalized, validated frame (header-only file -> empty frame)."""
    from costctl.formats.engine import scan

    path = Path(path)
    if not path.is_file():
        raise ExportFormatError(f"{path}: no such file; check the path")
    with scan(path, str(path)) as export:
        return export.df()


def parse_export(data: bytes, name: str) -> pd.DataFrame:
    """Like ``read_export`` for bytes fetched elsewhere (S3, Blob); ``name`` gives the extension."""
    from costctl.formats.engine import scan

    with scan(bytes(data), name) as export:
        return export.df()


def map_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Detect the format of an already-parsed raw frame and map it to the record."""
    from costctl.formats.engine import scan_frame

    with scan_frame(raw, source) as export:
        return export.df()


def columns_for(columns: Iterable[str], source: str = "export") -> tuple[str, list[str]]:
    """(format, the columns its mapper reads) for a header: lets readers skip everything else."""
    from costctl.formats.engine import wanted

    names = [str(c) for c in columns]
    fmt = detect_format(names, source)
    return fmt, wanted(fmt, names)
