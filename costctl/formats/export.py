"""The public entry points: file or bytes -> detected format -> mapper -> validated record.

This is the only module that knows all formats; ``io`` reads containers, ``detect`` names the
format, each format module maps its columns, ``periods`` splits multi-day rows, and
``model.normalize``/``model.validate`` fix the schema at the boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from costctl import model
from costctl.errors import ExportFormatError, SchemaError
from costctl.formats import aws_cur, azure, focus, gcp, io
from costctl.formats.detect import detect_format
from costctl.formats.periods import split_daily

Mapper = Callable[[pd.DataFrame, str], pd.DataFrame]

MAPPERS: dict[str, tuple[Callable[[list[str]], list[str]], Mapper]] = {
    "focus": (focus.wanted, focus.map_focus),
    "aws_cur": (aws_cur.wanted, aws_cur.map_cur),
    "aws_cur2": (aws_cur.wanted, aws_cur.map_cur),
    "azure": (azure.wanted, azure.map_azure),
    "gcp": (gcp.wanted, gcp.map_gcp),
}


def read_export(path: Path) -> pd.DataFrame:
    """One local export file as a normalized, validated frame (header-only file -> empty frame)."""
    path = Path(path)
    if not path.is_file():
        raise ExportFormatError(f"{path}: no such file; check the path")
    return _to_record(io.read_tables(path, str(path), _plan))


def parse_export(data: bytes, name: str) -> pd.DataFrame:
    """Like ``read_export`` for bytes fetched elsewhere (S3, Blob); ``name`` gives the extension."""
    return _to_record(io.read_tables(data, name, _plan))


def map_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Detect the format of an already-parsed raw frame and map it to the record."""
    fmt = detect_format(raw.columns, source)
    return _finish(MAPPERS[fmt][1](raw, source), source)


def columns_for(columns: Iterable[str], source: str = "export") -> tuple[str, list[str]]:
    """(format, the columns its mapper reads) for a header: lets readers skip everything else."""
    names = [str(c) for c in columns]
    fmt = detect_format(names, source)
    return fmt, MAPPERS[fmt][0](names)


def _plan(columns: list[str], name: str) -> tuple[str, list[str]]:
    return columns_for(columns, name)


def _to_record(tables: list[io.Table]) -> pd.DataFrame:
    frames = [_finish(MAPPERS[fmt][1](raw, name), name) for fmt, name, raw in tables]
    frames = [f for f in frames if len(f)]
    if not frames:
        return model.empty_frame()
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    model.validate(frame)
    return frame


def _finish(mapped: pd.DataFrame, source: str) -> pd.DataFrame:
    """Normalize, split multi-day rows, validate; schema problems become errors naming the file."""
    if mapped.empty:
        return model.empty_frame()
    try:
        frame = model.normalize(split_daily(mapped))
        model.validate(frame)
    except SchemaError as exc:
        raise ExportFormatError(f"{source}: {exc}") from exc
    return frame
