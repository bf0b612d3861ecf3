"""The normalized record as Arrow and SQL: the columnar form the store, the engine and reports share.

``costctl.model`` defines the record's columns and its pandas form (what the analysis code and
the API providers use). The columnar form differs in one place: ``Tags`` is the FOCUS JSON object
text (``{"team": "web"}``, ``{}`` when untagged) instead of a dict per row, so Parquet stores it
as a plain string column and DuckDB reads one key with ``json_extract_string``.

Conversions here are the only bridges between the two forms: ``frame_to_table`` for a provider's
pandas answer on its way into the store, ``table_to_frame`` for an aggregated result on its way
into pandas, ``table_to_block`` for the plain-Python rows ``check`` sums.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from costctl.duck import quote
from costctl.model import COLUMN_KINDS, COLUMN_NAMES, COLUMNS, FLAG, MONEY, NUMBER, STRING, TAGS, TIMESTAMP

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from costctl.records import Block

SQL_TYPES = {
    TIMESTAMP: "TIMESTAMPTZ",
    MONEY: "DOUBLE",
    NUMBER: "DOUBLE",
    STRING: "VARCHAR",
    TAGS: "VARCHAR",
    FLAG: "BOOLEAN",
}


def schema() -> pa.Schema:
    """The record's Arrow schema (timestamps in microseconds, UTC: DuckDB's and Parquet's unit)."""
    import pyarrow as pa

    types = {
        TIMESTAMP: pa.timestamp("us", tz="UTC"),
        MONEY: pa.float64(),
        NUMBER: pa.float64(),
        STRING: pa.string(),
        TAGS: pa.string(),
        FLAG: pa.bool_(),
    }
    return pa.schema([pa.field(c.name, types[c.kind]) for c in COLUMNS])


def cast_select(columns: dict[str, str] | None = None) -> str:
    """A SELECT list giving exactly the record's columns, in order, with their SQL types.

    ``columns`` maps a record column to an expression; absent ones are NULL (or the column's
    neutral value for the never-null kinds), so relations of any provider line up for UNION ALL.
    """
    columns = columns or {}
    parts = []
    for col in COLUMNS:
        expr = columns.get(col.name)
        if expr is None:
            expr = {TAGS: "'{}'", FLAG: "false"}.get(col.kind, "NULL")
        parts.append(f"CAST({expr} AS {SQL_TYPES[col.kind]}) AS {quote(col.name)}")
    return ", ".join(parts)


def identity_select() -> str:
    """``cast_select`` over a relation that already has every record column."""
    return cast_select({name: quote(name) for name in COLUMN_NAMES})


def tags_json(value: Any) -> str:
    """One tag map as canonical JSON text (sorted keys, so equal maps are equal strings)."""
    if not isinstance(value, dict) or not value:
        return "{}"
    return json.dumps({str(k): str(v) for k, v in value.items()}, sort_keys=True, ensure_ascii=False)


def frame_to_table(frame: pd.DataFrame) -> pa.Table:
    """A validated normalized frame (``model.validate``) as an Arrow table of the record schema."""
    import pyarrow as pa

    sch = schema()
    arrays = []
    for field in sch:
        series = frame[field.name]
        kind = COLUMN_KINDS[field.name]
        if kind == TAGS:
            memo: dict[int, str] = {}  # mappers share one dict object between equal rows
            values = [memo.get(id(v)) or memo.setdefault(id(v), tags_json(v)) for v in series.tolist()]
            arrays.append(pa.array(values, type=pa.string()))
        elif kind == TIMESTAMP:
            arrays.append(pa.array(series.dt.tz_convert("UTC").dt.as_unit("us"), type=field.type))
        elif kind == STRING:
            arrays.append(pa.array(series.astype("object").where(series.notna(), None), type=pa.string()))
        else:
            arrays.append(pa.array(series, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=sch)


def parse_tags_column(values: list[str | None]) -> list[dict[str, str]]:
    """JSON tag texts -> dicts, parsing each distinct text once (and sharing the dict)."""
    memo: dict[str | None, dict[str, str]] = {}
    out = []
    for text in values:
        tags = memo.get(text)
        if tags is None:
            tags = memo[text] = _loads(text)
        out.append(tags)
    return out


def _loads(text: str | None) -> dict[str, str]:
    if not text or text == "{}":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table with the record's columns (any subset; the rest filled) as a normalized frame.

    Built for millions of rows (issue #25): text columns become pandas' Arrow-backed strings over
    the table's own buffers (no copy when they are ``large_string``, as ``Dataset.frame`` asks
    DuckDB for), and an absent text column is one shared block of nulls repeated, not a column
    of its own; absent number and time columns are a single all-null array each.
    """
    import pandas as pd

    from costctl.model import PANDAS_DTYPES

    n = table.num_rows
    data: dict[str, Any] = {}
    names = set(table.column_names)
    for name in COLUMN_NAMES:
        kind = COLUMN_KINDS[name]
        if name not in names:
            if kind == TAGS:
                data[name] = pd.Series([{}] * n, dtype="object")
            elif kind == FLAG:
                data[name] = pd.Series(False, index=range(n), dtype="bool")
            elif kind == STRING:
                data[name] = pd.Series(_absent_strings(n))
            else:
                data[name] = pd.Series(None, index=range(n), dtype=PANDAS_DTYPES[kind])
            continue
        column = table.column(name)
        if kind == TAGS:
            data[name] = pd.Series(parse_tags_column(column.to_pylist()), dtype="object")
        elif kind == TIMESTAMP:
            series = column.to_pandas()
            if getattr(series.dt, "tz", None) is None:
                series = series.dt.tz_localize("UTC")
            data[name] = series.dt.tz_convert("UTC").dt.as_unit("ns")
        elif kind == STRING:
            data[name] = pd.Series(_strings(column))
        elif kind == FLAG:
            data[name] = column.to_pandas().fillna(False).astype("bool")
        else:
            data[name] = column.to_pandas().astype("float64")
    return pd.DataFrame(data)


_NULL_BLOCK = 1 << 16  # rows per shared block of an absent text column


def _strings(column: Any) -> Any:
    """An Arrow text column as pandas' Arrow-backed string array (``string`` dtype), over the same
    buffers when the column is already ``large_string``."""
    import pandas as pd
    import pyarrow as pa

    if column.type != pa.large_string():
        column = column.cast(pa.large_string())
    return pd.arrays.ArrowStringArray(column)


def _absent_strings(n: int) -> Any:
    """``n`` missing text values in constant memory: one block of nulls, repeated (chunks share buffers)."""
    import pyarrow as pa

    block = pa.nulls(min(n, _NULL_BLOCK), pa.large_string())
    whole, rest = divmod(n, _NULL_BLOCK)
    chunks = [block] * whole + ([block.slice(0, rest)] if rest else [])
    return _strings(pa.chunked_array(chunks, type=pa.large_string()))


def table_to_block(table: pa.Table) -> Block:
    """An Arrow table with the record's columns (any subset) as plain-Python column lists."""
    import pyarrow.compute as pc

    from costctl.records import Block

    n = table.num_rows
    names = set(table.column_names)
    columns: dict[str, list[Any]] = {}
    for name in COLUMN_NAMES:
        kind = COLUMN_KINDS[name]
        if name not in names:
            columns[name] = [{}] * n if kind == TAGS else [False] * n if kind == FLAG else [None] * n
            continue
        column = table.column(name)
        if kind == TIMESTAMP:
            seconds = pc.divide(column.cast("int64"), 1_000_000) if column.type.unit == "us" else column.cast("int64")
            columns[name] = seconds.to_pylist()
        elif kind == TAGS:
            columns[name] = parse_tags_column(column.to_pylist())
        elif kind == FLAG:
            columns[name] = [bool(v) for v in column.to_pylist()]
        else:
            columns[name] = column.to_pylist()
    return Block(columns)
