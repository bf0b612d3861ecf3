"""Containers and encodings: turn a file or bytes into raw tables, reading only the needed columns.

Knows about .csv, .gz, .zip, .parquet and .json/.jsonl/.ndjson, nothing about cost formats: the
caller passes a ``plan`` callback that sees a table's column names (before the body is parsed)
and answers which format it is and which columns to load. Every low-level failure (bad gzip,
bad zip, bad Parquet, bad JSON line) becomes a one-line ExportFormatError naming the file.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from costctl.errors import ExportFormatError

# plan(columns, name) -> (format name, columns to load)
Plan = Callable[[list[str], str], tuple[str, list[str]]]
Table = tuple[str, str, pd.DataFrame]  # (format, name for messages, raw frame)
Source = Path | bytes

CSV_SUFFIXES = (".csv", ".csv.gz")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
DATA_ERRORS = (OSError, EOFError, zlib.error, ValueError, UnicodeDecodeError, pd.errors.ParserError)


def read_tables(source: Source, name: str, plan: Plan) -> list[Table]:
    """Every table in ``source`` (one, or one per data member of a zip), with its detected format."""
    lower = name.lower()
    if lower.endswith(".zip"):
        return _read_zip(source, name, plan)
    if lower.endswith(".parquet") or lower.endswith(".parq"):
        return [_read_parquet(source, name, plan)]
    if lower.endswith(JSON_SUFFIXES) or lower.endswith(tuple(s + ".gz" for s in JSON_SUFFIXES)):
        return [_read_json(source, name, plan)]
    if lower.endswith(".gz") and not lower.endswith(".csv.gz") and lower[:-3].endswith((".parquet", ".zip")):
        return read_tables(_gunzip(_bytes(source, name), name), name[:-3], plan)
    if lower.endswith((".csv", ".gz", ".txt")):
        return [_read_csv(source, name, plan)]
    raise ExportFormatError(
        f"{name}: unsupported file type; use .csv, .csv.gz, .zip, .parquet, .json, .jsonl or .json.gz"
    )


def _bytes(source: Source, name: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except OSError as exc:
        raise ExportFormatError(f"{name}: cannot read file ({exc.strerror or exc}); check the path and permissions") \
            from exc


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportFormatError(f"{name}: truncated or corrupt gzip ({exc}); download the file again") from exc


def _handle(source: Source) -> Any:
    """What pandas/pyarrow read: the path itself (streamed from disk) or a buffer over the bytes."""
    return io.BytesIO(source) if isinstance(source, bytes) else str(source)


def _read_csv(source: Source, name: str, plan: Plan) -> Table:
    compression = "gzip" if name.lower().endswith(".gz") else None
    options: dict[str, Any] = {"compression": compression, "encoding": "utf-8-sig"}
    try:
        header = pd.read_csv(_handle(source), nrows=0, **options)
    except pd.errors.EmptyDataError as exc:
        raise ExportFormatError(f"{name}: empty file without a header row; re-export it") from exc
    except DATA_ERRORS as exc:
        raise _container_error(name, exc) from exc
    fmt, usecols = plan([str(c) for c in header.columns], name)
    try:
        raw = pd.read_csv(_handle(source), usecols=usecols, dtype=str, keep_default_na=False, **options)
    except DATA_ERRORS as exc:
        raise _container_error(name, exc) from exc
    return fmt, name, raw


def _container_error(name: str, exc: BaseException) -> ExportFormatError:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if name.lower().endswith(".gz") and isinstance(exc, OSError | EOFError | zlib.error):
        return ExportFormatError(f"{name}: truncated or corrupt gzip ({detail}); download the file again")
    if isinstance(exc, UnicodeDecodeError):
        return ExportFormatError(f"{name}: not UTF-8 text ({detail}); export as UTF-8 CSV")
    return ExportFormatError(f"{name}: unreadable CSV ({detail}); check that the file is a complete CSV export")


def _read_parquet(source: Source, name: str, plan: Plan) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(_handle(source))
        flat_names = _flatten(parquet.schema_arrow.empty_table()).column_names
        fmt, usecols = plan(flat_names, name)
        top = sorted({c.split(".")[0] for c in usecols} & set(parquet.schema_arrow.names))
        table = _flatten(parquet.read(columns=top))
        raw = table.select([c for c in usecols if c in table.column_names]).to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExportFormatError(f"{name}: unreadable Parquet ({detail}); re-export or download the file again") \
            from exc
    return fmt, name, raw


def _flatten(table: Any) -> Any:
    """Struct columns -> dotted top-level columns (``service.description``), as BigQuery names them."""
    import pyarrow as pa

    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    return table


def _read_json(source: Source, name: str, plan: Plan) -> Table:
    data = _bytes(source, name)
    if name.lower().endswith(".gz"):
        data = _gunzip(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"{name}: not UTF-8 JSON ({exc}); export as UTF-8") from exc
    records = _json_records(text, name)
    frame = pd.json_normalize(records) if records else pd.DataFrame()
    fmt, usecols = plan([str(c) for c in frame.columns], name)
    return fmt, name, frame[[c for c in usecols if c in frame.columns]]


def _json_records(text: str, name: str) -> list[dict[str, Any]]:
    """A JSON array of objects or newline-delimited objects (BigQuery's JSON export)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except ValueError as exc:
            raise ExportFormatError(f"{name}: invalid JSON ({exc}); re-export the file") from exc
        except RecursionError:
            raise ExportFormatError(f"{name}: JSON nested too deeply to be a cost export; re-export the file") \
                from None
        lines = records if isinstance(records, list) else []
    else:
        lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                lines.append(json.loads(line))
            except ValueError as exc:
                raise ExportFormatError(f"{name}: line {number}: invalid JSON ({exc}); re-export the file") from exc
            except RecursionError:
                raise ExportFormatError(f"{name}: line {number}: JSON nested too deeply to be a cost export; "
                                        "re-export the file") from None
    if not all(isinstance(r, dict) for r in lines):
        raise ExportFormatError(f"{name}: expected one JSON object per row (newline-delimited JSON export)")
    return lines


def _read_zip(source: Source, name: str, plan: Plan) -> list[Table]:
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    tables: list[Table] = []
    try:
        with zipfile.ZipFile(handle) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and _is_data_member(m.filename)]
            if not members:
                raise ExportFormatError(f"{name}: zip holds no .csv, .csv.gz or .parquet file; check the archive")
            for member in members:
                tables.extend(read_tables(archive.read(member), f"{name}/{member.filename}", plan))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ExportFormatError(f"{name}: truncated or corrupt zip ({exc}); download the file again") from exc
    return tables


def _is_data_member(filename: str) -> bool:
    lower = filename.lower()
    return lower.endswith(CSV_SUFFIXES + (".parquet",)) and not lower.split("/")[-1].startswith(("._", "__macosx"))
