"""Streamed ingest: an export file -> DuckDB relation of the normalized record, read in one pass.

Pipeline per table (a file, or each data member of a zip): container -> a temp file DuckDB can
stream (bytes, zip members and gzipped Parquet go through one) -> ``raw`` (read_csv with every
column VARCHAR and strict field counts, read_parquet or read_json, struct columns flattened to
dotted names) -> format detected from the header alone (``detect``) -> the format's SQL mapper
(``<format>_sql.columns(raw)``) -> multi-day rows split into UTC days pro rata (the rules of
the pieces scaled by duration) -> columns cast to the record's types, in ``model.COLUMN_NAMES`` order.

Building a ``Scan`` reads only headers; the data is read when ``Scan.relation`` is executed. Value
errors raised inside the query (``sqlexpr`` checks) and DuckDB's own reader errors are translated
into the same one-line ExportFormatError messages the pandas readers gave, naming file and row.

Formats whose SQL mapper does not exist yet (``SQL_MAPPERS`` names the module; it is used as soon
as it can be imported) are still mapped by the pandas mapper in ``export.MAPPERS`` after DuckDB
has read the raw columns, so the mappers can be ported one at a time.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import importlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
import weakref
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from costctl import model
from costctl.errors import ExportFormatError, SchemaError
from costctl.formats.detect import detect_format
from costctl.formats.sqlexpr import Raw, check_key, ident, lit
from costctl.providers.registry import EXPORT_FORMATS

if TYPE_CHECKING:
    import pandas as pd

# Format -> the module holding its SQL mapper; a format whose module is absent uses the pandas mapper.
# FOCUS is cross-cloud and lives here; each cloud's own export format lives in its cloud package,
# which only the registry names.
SQL_MAPPERS: dict[str, str] = {"focus": "costctl.formats.focus_sql", **EXPORT_FORMATS}

CSV_SUFFIXES = (".csv", ".csv.gz")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
PRORATED = ("BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity")  # scaled by each day's share
CHUNK = 1 << 20
CSV_BUFFER = 4 << 20  # bytes DuckDB buffers per CSV read step (default 32 MB): a 32 MB memory limit still streams

SQL_TYPES = {model.TIMESTAMP: "TIMESTAMPTZ", model.MONEY: "DOUBLE", model.NUMBER: "DOUBLE",
             model.STRING: "VARCHAR", model.TAGS: "VARCHAR", model.FLAG: "BOOLEAN"}


def sql_mapper(fmt: str) -> ModuleType | None:
    """The SQL mapper module of a format, or None while that format is still mapped in pandas."""
    name = SQL_MAPPERS.get(fmt)
    if name is None:
        return None
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


class Part:
    """One table of a scan: a file or zip member with its raw columns, format and mapper."""

    def __init__(self, name: str, fmt: str, raw: Raw, raw_sql: str, kind: str, path: str | None) -> None:
        self.name = name  # what messages call it: the file, or ARCHIVE.zip/member.csv
        self.fmt = fmt
        self.raw = raw
        self.raw_sql = raw_sql  # SELECT of the projected raw columns (dotted names for struct fields)
        self.kind = kind  # csv, parquet, json or frame
        self.path = path  # the local file DuckDB reads (None for a frame)
        self.mapper = sql_mapper(fmt)
        self.where: str | None = None
        self.header_width: int | None = None  # CSV: fields in the header (more than read when row 1 is short)
        self.record_sql: str | None = None
        if self.mapper is not None:
            self.record_sql = self._record_sql()

    def _record_sql(self) -> str:
        """The mapper's expressions, cast to the record's types, multi-day rows split into days."""
        assert self.mapper is not None
        self.raw.clean_once = True  # the FROM below is raw.cleaned_from(...)
        exprs = self.mapper.columns(self.raw)
        where = getattr(self.mapper, "where", None)
        self.where = where(self.raw) if where is not None else None
        unknown = sorted(set(exprs) - set(model.COLUMN_NAMES))
        missing = [c.name for c in model.COLUMNS if c.required and c.kind in (model.MONEY, model.TIMESTAMP,
                                                                                model.STRING) and c.name not in exprs
                   and c.name != "x_Source"]
        if unknown or missing:  # a mapper bug, said plainly rather than as a SQL error
            raise ExportFormatError(f"{self.name}: the {self.fmt} mapper gives unknown column(s) {unknown} "
                                    f"or lacks required column(s) {missing}; report this as a costctl bug")
        start, end = exprs["ChargePeriodStart"], exprs["ChargePeriodEnd"]
        backwards = self.raw._check("end_before_start", "ChargePeriodEnd", f"(({end}) < ({start}))",
                                    f"CAST(({end}) AS VARCHAR)")
        exprs = dict(exprs, ChargePeriodEnd=f"(CASE WHEN ({end}) < ({start}) THEN {backwards} ELSE ({end}) END)")
        select = ",\n  ".join(f"{_typed(c, exprs.get(c.name))} AS {ident(c.name)}" for c in model.COLUMNS)
        mapped = f"SELECT\n  {select}\nFROM {self.raw.cleaned_from(self.raw_sql)}" + (
            f"\nWHERE {self.where}" if self.where else "")
        return _split_days(mapped)


def _typed(column: model.Column, expr: str | None) -> str:
    """A mapper expression cast to the record type of ``column``; the default when the mapper omits it."""
    sql_type = SQL_TYPES[column.kind]
    if expr is None:
        return {model.TAGS: "'{}'", model.FLAG: "false", model.MONEY: "CAST(0 AS DOUBLE)"}.get(
            column.kind, f"CAST(NULL AS {sql_type})")
    if column.kind == model.STRING:
        return f"nullif(CAST(({expr}) AS VARCHAR), '')"
    if column.kind == model.TAGS:
        return f"coalesce(CAST(({expr}) AS VARCHAR), '{{}}')"
    if column.kind == model.FLAG:
        return f"coalesce(CAST(({expr}) AS BOOLEAN), false)"
    if column.kind == model.MONEY:
        return f"coalesce(CAST(({expr}) AS DOUBLE), 0)"
    return f"CAST(({expr}) AS {sql_type})"


def _split_days(mapped: str) -> str:
    """Rows longer than one day -> one row per (partial) UTC day, costs and quantity scaled by duration.

    The days run from the start's midnight up to the end, each piece is clipped to the row's own
    period, and the shares of a row add up to one (a November tax line becomes 30 rows of 1/30).
    """
    s, e = ident("ChargePeriodStart"), ident("ChargePeriodEnd")
    day = "__costctl_day"
    piece_start = f"(CASE WHEN {day} IS NULL THEN {s} ELSE greatest({s}, {day}) END)"
    piece_end = f"(CASE WHEN {day} IS NULL THEN {e} ELSE least({e}, {day} + INTERVAL 1 DAY) END)"
    share = f"((epoch({piece_end}) - epoch({piece_start})) / (epoch({e}) - epoch({s})))"
    columns = []
    for name in model.COLUMN_NAMES:
        if name == "ChargePeriodStart":
            columns.append(f"{piece_start} AS {s}")
        elif name == "ChargePeriodEnd":
            columns.append(f"{piece_end} AS {e}")
        elif name in PRORATED:
            columns.append(f"(CASE WHEN {day} IS NULL THEN {ident(name)} ELSE {ident(name)} * {share} END) "
                           f"AS {ident(name)}")
        else:
            columns.append(ident(name))
    days = (f"unnest(CASE WHEN {e} - {s} > INTERVAL 1 DAY THEN range(date_trunc('day', {s}), {e}, INTERVAL 1 DAY) "
            f"ELSE [CAST(NULL AS TIMESTAMPTZ)] END) AS {day}")
    return f"SELECT {', '.join(columns)}\nFROM (SELECT *, {days} FROM (\n{mapped}\n) AS mapped) AS pieces"


class Scan:
    """The normalized record of one export, as a lazy DuckDB relation (nothing read until executed).

    ``relation`` has exactly ``model.COLUMN_NAMES`` in order, one row per (partial) UTC day.
    Execute it inside ``with scan.errors():`` so that bad values and unreadable data become
    one-line ExportFormatErrors; ``df()`` does that and returns the validated pandas frame.
    Temp files (bytes sources, zip members) live until ``close()`` or garbage collection.
    """

    def __init__(self, con: Any, name: str, parts: list[Part], workdir: str | None, owns_con: bool = False) -> None:
        self.con = con
        self._owns_con = owns_con  # a cursor made for this scan is closed with it
        self.name = name
        self.parts = parts
        self.workdir = workdir
        self._relation: Any = None
        self._cleanup = weakref.finalize(self, shutil.rmtree, workdir, True) if workdir else None
        for part in parts:
            _SCANS[part.raw.key_prefix] = self
        for mapper in {p.mapper for p in parts if p.mapper is not None}:  # a mapper's own UDFs (GCP credits)
            register = getattr(mapper, "register_functions", None)
            if register is not None:
                register(con)

    @property
    def formats(self) -> tuple[str, ...]:
        """The detected format of each part, in order."""
        return tuple(p.fmt for p in self.parts)

    @property
    def format(self) -> str:
        """The detected format ('mixed' for a zip holding several formats)."""
        found = sorted(set(self.formats))
        return found[0] if len(found) == 1 else "mixed"

    @property
    def relation(self) -> Any:
        """The record relation (UNION ALL of the parts); parts mapped in pandas are mapped here."""
        if self._relation is None:
            selects = [f"SELECT * FROM ({self._part_sql(i, p)}) AS part{i}" for i, p in enumerate(self.parts)]
            with self.errors():
                self._relation = self.con.sql("\nUNION ALL\n".join(selects))
        return self._relation

    def _part_sql(self, index: int, part: Part) -> str:
        """The record SQL of a part: its SQL mapper's, or a view over its pandas mapper's frame."""
        if part.record_sql is None:
            part.record_sql = self._pandas_mapped(index, part)
        return part.record_sql

    def _pandas_mapped(self, index: int, part: Part) -> str:
        """Map a part with the pandas mapper of ``export.MAPPERS`` (a format module outside the SQL
        ones): the frame is normalized, registered as a view and split into days by the same SQL."""
        from costctl.formats import export

        with self.errors():
            relation = self.con.sql(part.raw_sql)
            if part.kind == "csv":
                raw = relation.df().astype(object).fillna("")  # pandas mappers read CSV cells as '' strings
            else:
                arrow = relation.arrow()
                raw = (arrow.read_all() if hasattr(arrow, "read_all") else arrow).to_pandas()
        mapped = export.MAPPERS[part.fmt][1](raw, part.name)
        try:
            frame = model.normalize(mapped) if not mapped.empty else model.empty_frame()
        except SchemaError as exc:
            raise ExportFormatError(f"{part.name}: {exc}") from exc
        frame["Tags"] = frame["Tags"].map(lambda tags: json.dumps(tags, ensure_ascii=False, separators=(",", ":")))
        for column in model.COLUMNS:
            if column.kind == model.STRING:
                frame[column.name] = frame[column.name].astype(object).where(frame[column.name].notna(), None)
        view = f"costctl_pandas_{id(self)}_{index}"
        self.con.register(view, frame)
        casts = ", ".join(f"CAST({ident(c.name)} AS {SQL_TYPES[c.kind]}) AS {ident(c.name)}" for c in model.COLUMNS)
        return _split_days(f"SELECT {casts} FROM {view}")

    def df(self) -> pd.DataFrame:
        """The record as a validated pandas frame (Tags as dicts, parsed once per distinct value)."""
        frames = []
        for index, part in enumerate(self.parts):
            sql = self._part_sql(index, part)
            with self.errors():
                frame = self.con.sql(sql).df()
            frames.append(_to_record(frame, part.name))
        frames = [f for f in frames if len(f)]
        if not frames:
            return model.empty_frame()
        import pandas as pd

        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        model.validate(frame)
        return frame

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Translate DuckDB errors raised while reading into one-line ExportFormatErrors."""
        import duckdb

        try:
            yield
        except duckdb.Error as exc:
            raise self.translate(exc) from None

    def translate(self, exc: BaseException) -> ExportFormatError:
        """The one-line message for a DuckDB error of this scan (value checks get their first bad row)."""
        message = str(exc)
        key = check_key(message)
        if key is not None:
            found = self._check_error(key, message)
            if found is not None:
                return found
        part = self._part_named_in(message)
        return _reader_error(part.name if part else self.name, part, self.scrub(message))

    def scrub(self, message: str) -> str:
        """``message`` without the temp files this scan reads (a local export's own path stays).

        A downloaded object or an extracted zip member sits in a temp directory: a message naming
        that path would say nothing to the user (and point at a private directory), and the
        message already starts with the export's name.
        """
        for part in self.parts:
            if part.path and part.path != part.name:
                message = without_path(message, part.path)
        return message

    def translate_check(self, exc: BaseException) -> ExportFormatError | None:
        """The message of a value check raised by this scan's SQL (None when the error is not
        one of its checks): used by queries that read this scan through a view."""
        message = str(exc)
        key = check_key(message)
        return self._check_error(key, message) if key is not None else None

    def names_its_file(self, message: str) -> bool:
        """True when a DuckDB error message names a file this scan reads."""
        return any(p.path and p.path in message for p in self.parts) or self.name in message

    def _check_error(self, key: str, message: str) -> ExportFormatError | None:
        import duckdb

        for part in self.parts:
            check = part.raw.checks.get(key)
            if check is None:
                continue
            filters = f"({part.where}) AND {check.bad}" if part.where else check.bad
            numbered = f"SELECT row_number() OVER () AS n, * FROM ({part.raw_sql}) AS numbered"
            diagnostic = (f"SELECT n, CAST({check.value} AS VARCHAR) FROM {part.raw.cleaned_from(numbered)} "
                          f"WHERE {filters} LIMIT 1")
            with contextlib.suppress(duckdb.Error):  # the message of the query stands, without a row number
                found = self.con.sql(diagnostic).fetchall()
                if found:
                    return ExportFormatError(check.message(part.name, int(found[0][0]), found[0][1]))
            first = message.splitlines()[0] if message else ""
            return ExportFormatError(first.split("costctl: ", 1)[-1])
        return None

    def _part_named_in(self, message: str) -> Part | None:
        if len(self.parts) == 1:
            return self.parts[0]
        for part in self.parts:
            if part.path and part.path in message:
                return part
        return None

    def close(self) -> None:
        """Remove the scan's temp files and its cursor (the relation cannot be executed afterwards)."""
        if self._owns_con:
            self._owns_con = False
            self.con.close()
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Scan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SCANS: weakref.WeakValueDictionary[str, Scan] = weakref.WeakValueDictionary()  # raw id -> its live scan


def explain(exc: BaseException) -> ExportFormatError | None:
    """The one-line message, with the row, for a DuckDB error a live scan's relation raised; else None.

    For code that runs ``Scan.relation`` inside its own query (the ``--file`` path) and only holds the
    exception: a value check names its scan through the check key in the message.
    """
    key = check_key(str(exc))
    scan = _SCANS.get(key.split(":")[0]) if key else None
    return scan.translate(exc) if scan is not None else None


def _to_record(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A record-typed DuckDB result -> the pandas record (Tags dicts parsed once per distinct text)."""
    if frame.empty:
        return model.empty_frame()
    parsed = {text: json.loads(text) for text in frame["Tags"].unique()}
    frame["Tags"] = [dict(parsed[text]) for text in frame["Tags"]]
    try:
        frame = model.normalize(frame)
        model.validate(frame)
    except SchemaError as exc:
        raise ExportFormatError(f"{name}: {exc}") from exc
    return frame


# --- errors of the readers ----------------------------------------------------------------------

def without_path(message: str, path: str) -> str:
    """``message`` with a temp file's path (quoted or not, with a leading "in file" or colon) left out:
    "Footer length error in file '/tmp/x/a.parquet'" -> "Footer length error"."""
    return re.sub(r"(?:\s+in file|:)?\s*['\"]?" + re.escape(path) + r"['\"]?", "", message)


def _reader_error(name: str, part: Part | None, message: str) -> ExportFormatError:
    """DuckDB's multi-line reader errors as the one-line messages of the pandas readers."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), type(message).__name__)
    line = re.search(r"CSV Error on Line: (\d+)", message)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if line and counts:
        row = int(line.group(1)) - 1
        width = getattr(part, "header_width", None)
        if width is not None and width != int(counts.group(1)) and int(counts.group(2)) == width:
            return ExportFormatError(f"{name}: row 1 has {counts.group(1)} fields but the header and row {row} "
                                     f"have {width}; fix row 1 or re-export the file")
        return ExportFormatError(f"{name}: row {row} has {counts.group(2)} fields but the header has "
                                 f"{counts.group(1)}; fix that row (a missing or extra comma, or an unquoted "
                                 "comma in a value) or re-export the file")
    if "Invalid unicode" in message or "not utf-8" in message.lower():
        where = f" (row {int(line.group(1)) - 1})" if line else ""
        return ExportFormatError(f"{name}: not UTF-8 text{where}; export as UTF-8 CSV")
    lower = message.lower()
    if "out of memory" in lower:
        return ExportFormatError(f"{name}: not enough memory to read the export ({first}); free memory or raise "
                                 "COSTCTL_DUCKDB_MEMORY (default 512MB)")
    if any(word in lower for word in ("gzip", "zlib", "compress", "inflate")):
        return ExportFormatError(f"{name}: truncated or corrupt gzip ({first}); download the file again")
    if part is not None and part.kind == "parquet":
        return ExportFormatError(f"{name}: unreadable Parquet ({first}); re-export or download the file again")
    if part is not None and part.kind == "json" or "json" in lower:
        return _json_error(name, part, first)
    if part is not None and part.kind == "csv":
        return ExportFormatError(f"{name}: unreadable CSV ({first}); check that the file is a complete CSV export")
    return ExportFormatError(f"{name}: unreadable export ({first}); check that the file is a complete export")


def _json_error(name: str, part: Any, first: str) -> ExportFormatError:
    """Find the bad line in Python (errors only: the file is read again) to say which one it is."""
    if "recursion depth" in first or "nest" in first.lower():
        return ExportFormatError(f"{name}: JSON nested too deeply to be a cost export; re-export the file")
    if part is not None and part.path is not None:
        with contextlib.suppress(OSError, EOFError, zlib.error, UnicodeDecodeError):
            opener = gzip.open if part.path.lower().endswith(".gz") else open
            with opener(part.path, "rt", encoding="utf-8-sig") as fh:
                head = fh.read(1)
                if head.lstrip() and head.lstrip()[0] != "[":
                    fh.seek(0)
                    for number, text in enumerate(fh, start=1):
                        if not text.strip():
                            continue
                        try:
                            json.loads(text)
                        except ValueError as exc:
                            return ExportFormatError(f"{name}: line {number}: invalid JSON ({exc}); re-export the file")
                        except RecursionError:
                            return ExportFormatError(f"{name}: line {number}: JSON nested too deeply to be a cost "
                                                     "export; re-export the file")
    return ExportFormatError(f"{name}: invalid JSON ({first}); re-export the file")


# --- containers -----------------------------------------------------------------------------------

def scan(source: str | bytes | os.PathLike[str], name: str | None = None, con: Any = None) -> Scan:
    """Scan a local file or downloaded bytes (``name`` gives the extension and the name in messages)."""
    from costctl.formats import duck

    cursor = con if con is not None else duck.connect().cursor()
    workdir = tempfile.mkdtemp(prefix="costctl-scan-")
    try:
        if isinstance(source, bytes):
            if name is None:
                raise ValueError("scan(bytes) needs a name (it gives the file type)")
            path = Path(workdir) / safe_name(name)
            path.write_bytes(source)
        else:
            path = Path(source)
            name = name or str(source)
            if not path.is_file():
                raise ExportFormatError(f"{name}: no such file; check the path")
        parts = _parts(cursor, path, name, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        if con is None:
            cursor.close()
        raise
    return Scan(cursor, name, parts, workdir, owns_con=con is None)


def scan_frame(frame: pd.DataFrame, source: str, con: Any = None) -> Scan:
    """Scan an already-parsed raw frame (tests and callers that hold a DataFrame)."""
    from costctl.formats import duck

    cursor = con if con is not None else duck.connect().cursor()
    view = f"costctl_raw_{id(frame)}"
    cursor.register(view, frame)
    relation = cursor.sql(f"SELECT * FROM {view}")
    columns = {str(c): str(t) for c, t in zip(relation.columns, relation.dtypes, strict=True)}
    fmt = detect_format(list(columns), source)
    raw = Raw(columns, source)
    return Scan(cursor, source, [Part(source, fmt, raw, f"SELECT * FROM {view}", "frame", None)], None,
                owns_con=con is None)


def safe_name(name: str) -> str:
    """A local file name for an export named ``name`` (a path, key or URI): its last part, extension kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or "export"
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[-120:]


def _parts(con: Any, path: Path, name: str, workdir: str) -> list[Part]:
    lower = name.lower()
    if lower.endswith(".zip"):
        return _zip_parts(con, path, name, workdir)
    if lower.endswith((".parquet", ".parq")):
        return [_parquet_part(con, path, name)]
    if lower.endswith(JSON_SUFFIXES) or lower.endswith(tuple(s + ".gz" for s in JSON_SUFFIXES)):
        return [_json_part(con, path, name)]
    if lower.endswith(".gz") and lower[:-3].endswith((".parquet", ".parq", ".zip")):
        target = Path(tempfile.mkstemp(dir=workdir, suffix="-" + safe_name(name[:-3]))[1])
        _gunzip_to(path, target, name)
        return _parts(con, target, name[:-3], workdir)
    if lower.endswith((".csv", ".gz", ".txt")):
        return [_csv_part(con, path, name)]
    raise ExportFormatError(
        f"{name}: unsupported file type; use .csv, .csv.gz, .zip, .parquet, .json, .jsonl or .json.gz"
    )


def _gunzip_to(path: Path, target: Path, name: str) -> None:
    try:
        with gzip.open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportFormatError(f"{name}: truncated or corrupt gzip ({exc}); download the file again") from exc


def _zip_parts(con: Any, path: Path, name: str, workdir: str) -> list[Part]:
    """Each .csv, .csv.gz or .parquet member, extracted to a temp file in chunks (never whole in memory)."""
    parts: list[Part] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and _is_data_member(m.filename)]
            if not members:
                raise ExportFormatError(f"{name}: zip holds no .csv, .csv.gz or .parquet file; check the archive")
            for number, member in enumerate(members):
                target = Path(workdir) / f"m{number}-{safe_name(member.filename)}"
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
                parts.extend(_parts(con, target, f"{name}/{member.filename}", workdir))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ExportFormatError(f"{name}: truncated or corrupt zip ({exc}); download the file again") from exc
    return parts


def _is_data_member(filename: str) -> bool:
    lower = filename.lower()
    return lower.endswith(CSV_SUFFIXES + (".parquet",)) and not lower.split("/")[-1].startswith(("._", "__macosx"))


def wanted(fmt: str, columns: list[str]) -> list[str]:
    """The columns the format's mapper reads (SQL mapper if present, else the pandas one)."""
    mapper = sql_mapper(fmt)
    if mapper is not None and hasattr(mapper, "wanted"):
        chosen = list(mapper.wanted(columns))
    elif mapper is not None:
        chosen = list(columns)
    else:
        from costctl.formats import export

        chosen = list(export.MAPPERS[fmt][0](columns))
    return chosen


def _csv_header(path: Path, name: str, gz: bool) -> tuple[list[str], list[str] | None]:
    """The header row and the first data row (None if absent), read with the csv module (quoted names,
    BOM) before DuckDB reads the body."""
    try:
        opener: Any = gzip.open if gz else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            row = next(reader, None)
            first = next(reader, None)
    except (OSError, EOFError, zlib.error) as exc:
        if gz:
            raise ExportFormatError(f"{name}: truncated or corrupt gzip ({exc}); download the file again") from exc
        raise ExportFormatError(f"{name}: cannot read file ({exc}); check the path and permissions") from exc
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"{name}: not UTF-8 text ({exc}); export as UTF-8 CSV") from exc
    except csv.Error as exc:
        raise ExportFormatError(f"{name}: unreadable CSV header ({exc}); check that the file is a CSV export") \
            from exc
    if row is None:
        raise ExportFormatError(f"{name}: empty file without a header row; re-export it")
    return _unique(row), first


def _unique(names: list[str]) -> list[str]:
    """Duplicate header names get .1, .2 (as pandas named them), so every column stays addressable."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(names):
        name = name or f"Unnamed: {index}"  # an empty header cell (a trailing comma), named as pandas did
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            out.append(candidate)
            seen[candidate] = 0
        else:
            seen[name] = 0
            out.append(name)
    return out


def _csv_part(con: Any, path: Path, name: str) -> Part:
    gz = name.lower().endswith(".gz")
    header, first_row = _csv_header(path, name, gz)
    fmt = detect_format(header, name)
    width = len(header)
    if first_row is not None and len(first_row) < len(header):
        # Some exporters drop trailing empty columns on every row (koku's CUR samples): the first row
        # sets the layout, those trailing columns are absent, and strict mode holds every row to it.
        header = header[:len(first_row)]
    chosen = [c for c in wanted(fmt, header) if c in header] or header[:1]
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
    reader = (f"read_csv({lit(str(path))}, columns={columns}, header=true, auto_detect=false, strict_mode=true, "
              f"null_padding=false, delim=',', quote='\"', escape='\"', encoding='utf-8', "
              f"compression={lit('gzip' if gz else 'none')}, buffer_size={CSV_BUFFER})")
    raw_sql = f"SELECT {', '.join(ident(c) for c in chosen)} FROM {reader}"
    raw = Raw(dict.fromkeys(chosen, "VARCHAR"), name)
    part = Part(name, fmt, raw, raw_sql, "csv", str(path))
    part.header_width = width
    return part


def _flat_columns(relation: Any) -> dict[str, tuple[str, str]]:
    """name -> (SQL, DuckDB type) for every column, struct fields also under dotted names (BigQuery)."""
    flat: dict[str, tuple[str, str]] = {}

    def add(name: str, sql: str, dtype: Any) -> None:
        flat[name] = (sql, str(dtype))
        if getattr(dtype, "id", "") == "struct":
            for child, child_type in dtype.children:
                add(f"{name}.{child}", f"struct_extract({sql}, {lit(child)})", child_type)

    for column, dtype in zip(relation.columns, relation.dtypes, strict=True):
        add(str(column), ident(str(column)), dtype)
    return flat


def _typed_part(con: Any, path: Path, name: str, reader: str, kind: str) -> Part:
    """A Parquet or JSON table: types kept, struct fields flattened, only the wanted columns selected."""
    import duckdb

    try:
        relation = con.sql(f"SELECT * FROM {reader}")
        flat = _flat_columns(relation)
    except duckdb.Error as exc:
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        if str(path) != name:  # a temp copy (download, zip member): the message starts with the name
            first = without_path(first, str(path))
        if kind == "parquet":
            raise ExportFormatError(f"{name}: unreadable Parquet ({first}); re-export or download the file again") \
                from None
        raise _json_error(name, _PathOnly(str(path)), first) from None
    leaves = [c for c, (_, t) in flat.items() if not (t.upper().startswith("STRUCT(") and not t.endswith("]"))]
    fmt = detect_format(leaves, name)
    chosen = [c for c in wanted(fmt, leaves) if c in flat] or leaves[:1]
    raw_sql = f"SELECT {', '.join(f'{flat[c][0]} AS {ident(c)}' for c in chosen)} FROM {reader}"
    raw = Raw({c: flat[c][1] for c in chosen}, name)
    return Part(name, fmt, raw, raw_sql, kind, str(path))


class _PathOnly:
    """Enough of a Part for ``_json_error`` before the part exists."""

    kind = "json"

    def __init__(self, path: str) -> None:
        self.path = path


def _parquet_part(con: Any, path: Path, name: str) -> Part:
    return _typed_part(con, path, name, f"read_parquet({lit(str(path))})", "parquet")


def _json_part(con: Any, path: Path, name: str) -> Part:
    gz = name.lower().endswith(".gz")
    if path.stat().st_size == 0:
        raise ExportFormatError(f"{name}: empty file; re-export it")
    # The schema comes from the first 20480 records (DuckDB's default sample), so building a scan does not
    # read a large file; BigQuery writes every field on every row, so later rows bring no new columns.
    reader = (f"read_json({lit(str(path))}, format='auto', records=true, "
              f"compression={lit('gzip' if gz else 'none')})")
    return _typed_part(con, path, name, reader, "json")
