"""SQL building blocks for the export mappers: the parsing rules of ``common`` as DuckDB expressions.

Each format module maps an export by returning, per record column, one SQL expression over the
raw table's columns (see ``docs``/the ingest contract). These helpers keep the rules identical
across formats and identical to the pandas helpers they replace: what an empty value is
(``common.NULL_STRINGS``), how a bad cost is reported (a one-line error naming column and row),
how dates are read (naive = UTC, ``M/D/YYYY`` month-first) and how tags are read (``common.parse_tags``).

Value errors are raised inside the query with DuckDB's ``error()`` so that a file is read in one
pass; the text is ``[costctl:check:RAW:K] costctl: MESSAGE``: the message is complete but for the
row number, and the check key lets the engine find the ``Check`` registered here and re-run a
small query for the first bad row.

Nothing here imports duckdb: the functions build strings; ``register_functions`` adds the one
Python UDFs (tag text, service categories: per distinct value) to a connection the engine owns.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from typing import Any

from costctl.errors import ExportFormatError
from costctl.formats import categories
from costctl.formats.common import NULL_STRINGS, parse_tags
from costctl.model import MAX_COST

TAGS_FUNCTION = "costctl_tags"  # the UDF names registered on the engine's connection
CATEGORY_FUNCTION = "costctl_category"
QUOTE = "''''"  # SQL for a literal holding one single quote
ERROR_PREFIX = "costctl:check:"  # errors read "[costctl:check:RAW:K] costctl: MESSAGE"
WHITESPACE = " \t\r\n\x0b\x0c"  # what str.strip() removes from export cells (ASCII part)

_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
            "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT", "INT", "INT8", "INT4", "INT2", "FLOAT4",
            "FLOAT8", "VARINT", "BIGNUM")
_raw_ids = itertools.count(1)


def lit(value: str) -> str:
    """A SQL string literal for ``value`` (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def lookup(key_sql: str, table: dict[str, str]) -> str:
    """SQL for ``table[key]``, NULL for a key the table does not hold (or a NULL key)."""
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in table.items())
    return f"(CASE {key_sql} {cases} END)"


def ident(name: str) -> str:
    """A quoted SQL identifier (double quotes doubled), safe for names like ``lineItem/UnblendedCost``."""
    return '"' + str(name).replace('"', '""') + '"'


def _base_type(type_name: str) -> str:
    """'DECIMAL(18,3)' -> 'DECIMAL'; 'TIMESTAMP WITH TIME ZONE' stays whole; nested types keep their head."""
    upper = type_name.strip().upper()
    if upper.endswith("]"):
        return "LIST"
    head = upper.split("(", 1)[0].strip()
    return head


class Check:
    """One value rule a mapper's SQL enforces with ``error()``: what is bad, and how the engine words it.

    ``kind``: ``not_number`` / ``not_finite`` (costs), ``empty_date`` / ``bad_date`` (timestamps),
    ``end_before_start`` (the engine's check of the charge period).
    ``bad`` is a SQL predicate over the raw row, ``value`` the SQL of the cell shown in the message
    (text as written; for typed numbers ``numeric`` is true and the value is shown as a float).
    """

    __slots__ = ("key", "kind", "column", "bad", "value", "numeric")

    def __init__(self, key: str, kind: str, column: str, bad: str, value: str, numeric: bool = False) -> None:
        self.key = key
        self.kind = kind
        self.column = column
        self.bad = bad
        self.value = value
        self.numeric = numeric

    def message(self, source: str, row: int | None, value: Any, shown: str | None = None) -> str:
        """The one-line error for the first bad row (``row`` is 1-based; None when it could not be found).

        ``shown`` replaces the formatted value verbatim (``sql_error`` builds the in-query message with it).
        """
        where = f"column {self.column}" + (f" row {row}" if row is not None else "")
        if shown is None:
            if self.numeric and value is not None:
                shown = repr(float(value))
            else:
                shown = repr(str(value)[:40]) if value is not None else "''"
        if self.kind == "not_number":
            return f"{source}: {where}: cost {shown} is not a number; fix or remove that row"
        if self.kind == "not_finite":
            return (f"{source}: {where}: cost {shown} is not a finite amount (at most {MAX_COST:g} in size); "
                    "fix or remove that row")
        if self.kind == "empty_date":
            return f"{source}: {where}: empty date; every row needs one"
        if self.kind == "end_before_start":
            return f"{source}: {where}: the charge period ends before it starts (end {shown}); fix or remove that row"
        if self.kind == "bad_date":
            return f"{source}: {where}: unreadable date {shown}; use ISO 8601 dates (or M/D/YYYY)"
        return f"{source}: {where}: unreadable value {shown}; fix or remove that row"

    def sql_error(self, source: str) -> str:
        """SQL raising this check: ``[costctl:check:KEY] costctl: MESSAGE`` with the cell in the message.

        The text after ``costctl: `` is already the one-line message (without the row number), so a
        caller that only has DuckDB's exception can show it; ``engine`` finds the check by KEY and
        adds the row.
        """
        mark = "\x00costctl-value\x00"
        text = Check.message(self, source, None, None, shown=mark)
        before, found, after = text.partition(mark)
        head = lit(f"[{ERROR_PREFIX}{self.key}] costctl: {before}")
        if not found:
            return f"error({head})"
        cell = f"replace(replace(left(CAST({self.value} AS VARCHAR), 40), chr(10), ' '), chr(13), ' ')"
        shown = cell if self.numeric else f"{QUOTE} || {cell} || {QUOTE}"
        empty = lit("''")  # an empty cell shows as '' (the repr of an empty string)
        return f"error({head} || coalesce({shown}, {empty}) || {lit(after)})"


def check_key(message: str) -> str | None:
    """The check key (``RAW:K``) in the text of a DuckDB error raised by a check, or None."""
    match = re.search(r"\[" + re.escape(ERROR_PREFIX) + r"(\d+:\d+)\]", message)
    return match.group(1) if match else None


class Raw:
    """The raw table of one export as DuckDB sees it: column name -> DuckDB type name.

    CSV columns are always VARCHAR (read with all_varchar); Parquet/JSON keep their types, and
    struct columns are available flattened under dotted names too (``service.description``), as
    BigQuery names them. Helpers return SQL expressions over these columns; value rules they
    enforce are registered in ``checks`` so the engine can word the error of a failing query.
    """

    def __init__(self, columns: dict[str, str], source: str) -> None:
        self.columns = dict(columns)
        self.source = source
        self.checks: dict[str, Check] = {}
        self._id = next(_raw_ids)
        # With clean_once (the ingest engine sets it), ``text`` names an alias that ``cleaned_from``
        # computes once per row; otherwise the expressions read the raw columns alone.
        self.clean_once = False
        self.cleaned: dict[str, tuple[str, str]] = {}  # raw column -> (alias, SQL of its cleaned text)
        self._lower = {}
        for name in self.columns:
            self._lower.setdefault(name.lower(), name)

    # --- names -----------------------------------------------------------------------------

    @property
    def key_prefix(self) -> str:
        """The first part of this table's check keys (``RAW`` in ``RAW:K``)."""
        return str(self._id)

    def has(self, name: str) -> bool:
        """Whether the raw table has exactly this column (case-sensitive, as written in the file)."""
        return name in self.columns

    def resolve(self, *candidates: str) -> str | None:
        """The first of ``candidates`` present, compared case-insensitively (Azure camelCase vs PascalCase)."""
        for name in candidates:
            if name in self.columns:
                return name
            found = self._lower.get(name.lower())
            if found is not None:
                return found
        return None

    def require(self, what: str, *candidates: str) -> str:
        """Like ``resolve`` but raise a one-line ExportFormatError naming what is missing and the fix."""
        found = self.resolve(*candidates)
        if found is None:
            names = " or ".join(candidates)
            raise ExportFormatError(f"{self.source}: missing {what} column {names}; "
                                    "re-export with that column included")
        return found

    def col(self, name: str) -> str:
        """The quoted identifier of a raw column."""
        return ident(name)

    def type_of(self, name: str) -> str:
        """The base DuckDB type of a column ('VARCHAR', 'DOUBLE', 'LIST', 'STRUCT', 'MAP', ...)."""
        return _base_type(self.columns.get(name, "VARCHAR"))

    def _present(self, name: str | None) -> bool:
        return name is not None and name in self.columns

    def _check(self, kind: str, column: str, bad: str, value: str, numeric: bool = False) -> str:
        """Register a rule; the SQL that raises it when the row is bad (the check key leads the message)."""
        key = f"{self._id}:{len(self.checks)}"
        check = self.checks[key] = Check(key, kind, column, bad, value, numeric)
        return check.sql_error(self.source)

    # --- values ----------------------------------------------------------------------------

    def text(self, name: str | None) -> str:
        """VARCHAR trimmed, the export's null spellings (NULL_STRINGS) as NULL; NULL when the column is absent."""
        if not self._present(name):
            return "CAST(NULL AS VARCHAR)"
        assert name is not None
        kind = self.type_of(name)
        c = self.col(name) if kind == "VARCHAR" else f"CAST({self.col(name)} AS VARCHAR)"
        if not self.clean_once:
            return f"{TEXT_MACRO}({c})"
        if name not in self.cleaned:
            self.cleaned[name] = (f"{CLEANED_PREFIX}{len(self.cleaned)}", f"{TEXT_MACRO}({c})")
        return ident(self.cleaned[name][0])

    def cleaned_from(self, raw_sql: str) -> str:
        """``raw_sql`` as the FROM item the mapping reads (``AS raw``), with every column ``text``
        was asked for cleaned once, in an inner projection, under its alias.

        A mapping reads a text column several times (a money column five, a date four); the
        cleaning inlined at each use made DuckDB's binder and common-subexpression pass spend
        ~0.3 s on every query over a file, whatever its size (78 rows took as long as 100,000).
        """
        if not self.cleaned:
            return f"({raw_sql}) AS raw"
        cleaned = ", ".join(f"{sql} AS {ident(alias)}" for alias, sql in self.cleaned.values())
        return f"(SELECT *, {cleaned} FROM ({raw_sql}) AS raw_cells) AS raw"

    def money(self, name: str | None, default: float = 0.0) -> str:
        """DOUBLE cost; empty -> ``default``; a non-number or a size beyond MAX_COST raises naming column and row."""
        fallback = f"CAST({float(default)!r} AS DOUBLE)"
        if not self._present(name):
            return fallback
        assert name is not None
        if self.type_of(name) in _NUMERIC:
            x = f"CAST({self.col(name)} AS DOUBLE)"
            too_big = self._check("not_finite", name, f"(NOT isnan({x}) AND abs({x}) > {MAX_COST!r})", x, numeric=True)
            return f"(CASE WHEN {x} IS NULL OR isnan({x}) THEN {fallback} WHEN abs({x}) > {MAX_COST!r} " \
                   f"THEN {too_big} ELSE {x} END)"
        t = self.text(name)
        fast = f"TRY_CAST({self.col(name)} AS DOUBLE)"  # most cells: a plain number, no text rules needed
        v = f"TRY_CAST({t} AS DOUBLE)"
        not_number = self._check("not_number", name, f"({t} IS NOT NULL AND ({v} IS NULL OR isnan({v})))", t)
        too_big = self._check("not_finite", name, f"({t} IS NOT NULL AND NOT isnan({v}) AND abs({v}) > {MAX_COST!r})",
                              t)
        return (f"(CASE WHEN {fast} IS NOT NULL AND NOT isnan({fast}) AND abs({fast}) <= {MAX_COST!r} THEN {fast} "
                f"WHEN {t} IS NULL THEN {fallback} WHEN {v} IS NULL OR isnan({v}) THEN {not_number} "
                f"WHEN abs({v}) > {MAX_COST!r} THEN {too_big} ELSE {v} END)")

    def number(self, name: str | None) -> str:
        """DOUBLE or NULL: quantities never block a report, so bad or empty values are NULL (never NaN)."""
        if not self._present(name):
            return "CAST(NULL AS DOUBLE)"
        assert name is not None
        if self.type_of(name) in _NUMERIC:
            v = f"CAST({self.col(name)} AS DOUBLE)"
        else:
            v = f"TRY_CAST({self.text(name)} AS DOUBLE)"
        return f"(CASE WHEN isnan({v}) THEN NULL ELSE {v} END)"

    def timestamp(self, name: str, if_empty: str | None = None) -> str:
        """TIMESTAMPTZ in UTC. Naive values are UTC, slash dates are month-first (``9/2/2023`` is 2 September).

        Empty or unreadable values raise naming column and row; for an optional column, ``if_empty``
        is the SQL used instead of an empty cell (an optional column never rejects a file for a
        blank). Text with an offset or a zone name
        (``Z``, ``+02:00``, `` UTC``) is converted; text without one is read as UTC (the engine's
        connection runs with TimeZone=UTC).
        """
        kind = self.type_of(name)
        c = self.col(name)
        if kind == "TIMESTAMP WITH TIME ZONE" or kind == "TIMESTAMPTZ":
            parsed = c
        elif kind in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATETIME", "DATE"):
            parsed = f"timezone('UTC', CAST({c} AS TIMESTAMP))"
        else:
            t = self.text(name)
            fast = f"TRY_CAST({c} AS TIMESTAMPTZ)"  # ISO text, with or without offset: no text rules needed
            slash = f"timezone('UTC', try_strptime({t}, ['%m/%d/%Y', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M']))"
            iso = f"TRY_CAST({t} AS TIMESTAMPTZ)"
            parsed = f"(CASE WHEN contains({t}, '/') THEN {slash} WHEN isfinite({iso}) THEN {iso} END)"
            empty = if_empty if if_empty is not None else self._check("empty_date", name, f"({t} IS NULL)", t)
            bad = self._check("bad_date", name, f"({t} IS NOT NULL AND {parsed} IS NULL)", t)
            return (f"(CASE WHEN isfinite({fast}) AND NOT contains({c}, '/') THEN {fast} WHEN {t} IS NULL THEN {empty} "
                    f"WHEN {parsed} IS NULL THEN {bad} ELSE {parsed} END)")
        empty = if_empty if if_empty is not None else self._check("empty_date", name, f"({c} IS NULL)", "NULL")
        return f"(CASE WHEN {c} IS NULL THEN {empty} ELSE {parsed} END)"

    def usage_month(self, usage_start: str) -> str:
        """The first of the month of a usage timestamp (TIMESTAMPTZ SQL): what an optional billing
        period falls back to when a row leaves it empty, as the Query API path does."""
        return f"timezone('UTC', date_trunc('month', timezone('UTC', {usage_start})))"

    def tags(self, name: str | None) -> str:
        """VARCHAR JSON object text with string values, '{}' when none (``common.parse_tags`` rules).

        Accepts a JSON object, Azure's text without braces, GCP ``[{'key': .., 'value': ..}]`` lists
        (JSON or Python literal), MAP and list-of-struct columns. Non-trivial text goes through the
        ``costctl_tags`` UDF, which parses each distinct value of a vector once and caches results.
        """
        if not self._present(name):
            return "'{}'"
        assert name is not None
        kind = self.type_of(name)
        if kind == "VARCHAR":
            t = self.text(name)
        elif kind == "JSON":
            t = f"CAST({self.col(name)} AS VARCHAR)"
        elif kind == "MAP" and self.columns[name].replace(" ", "").upper() == "MAP(VARCHAR,VARCHAR)":
            # DuckDB writes a text map as the compact JSON the UDF would produce, unless a key or
            # value needed an escape (a backslash in the text) or a value is NULL (the rule makes
            # it ''): only those maps go through the UDF. A CUR 2.0 resource_tags column is
            # millions of small maps, and JSON text through Python cost ~0.3 s per million rows.
            t = f"CAST(to_json({self.col(name)}) AS VARCHAR)"
            return (f"(CASE WHEN {t} IS NULL OR {t} = '{{}}' THEN '{{}}' "
                    f"WHEN contains({t}, '\\') OR contains({t}, '\":null') THEN {TAGS_FUNCTION}({t}) "
                    f"ELSE {t} END)")
        elif kind in ("MAP", "LIST", "STRUCT"):
            t = f"CAST(to_json({self.col(name)}) AS VARCHAR)"
        else:
            return "'{}'"  # a number or date is not a tag set (parse_tags gives {} for those too)
        return f"(CASE WHEN {t} IS NULL OR {t} IN ('{{}}', '[]') THEN '{{}}' ELSE {TAGS_FUNCTION}({t}) END)"

    def map_value(self, name: str | None, key: str) -> str | None:
        """VARCHAR value of ``key`` in a MAP(VARCHAR, VARCHAR) column read directly (trimmed, '' as NULL),
        or None when the column is not such a map (the caller then reads it through ``tags``).

        The same value ``tag_value(tags(name), key)`` gives, without turning every row's map into
        JSON text and back: on a CUR 2.0 export that detour was most of a report's CPU.
        """
        if not self._present(name):
            return None
        assert name is not None
        if self.columns[name].replace(" ", "").upper() != "MAP(VARCHAR,VARCHAR)":
            return None
        v = f"map_extract_value({self.col(name)}, {lit(key)})"
        # trim() with a character list is slow: only values starting or ending at or below ' ' take it
        return (f"(CASE WHEN {v}[1] <= ' ' OR {v}[-1] <= ' ' THEN NULLIF(trim({v}, {lit(WHITESPACE)}), '') "
                f"ELSE {v} END)")

    # --- tag sets built from several columns: module functions here, other dialects override them --------

    def tag_object(self, pairs: list[tuple[str, str]]) -> str:
        """``tag_object`` in this raw table's SQL dialect (a Trino table overrides the four tag-set helpers)."""
        return tag_object(pairs)

    def merge_tags(self, *objects: str | None) -> str:
        """``merge_tags`` in this raw table's SQL dialect."""
        return merge_tags(*objects)

    def strip_tag_prefixes(self, tags_sql: str, prefixes: tuple[str, ...]) -> str:
        """``strip_tag_prefixes`` in this raw table's SQL dialect."""
        return strip_tag_prefixes(tags_sql, prefixes)

    def tag_value(self, tags_sql: str, key: str) -> str:
        """``tag_value`` in this raw table's SQL dialect."""
        return tag_value(tags_sql, key)


def service_category(service_sql: str, consumed_service_sql: str = "NULL") -> str:
    """SQL for ``categories.service_category``: Azure provider table first, then ordered keywords, else Other.

    The rule runs in Python (``categories`` is its one definition) through the ``costctl_category``
    UDF, once per DISTINCT (consumed service, service name) pair of each vector, cached across
    vectors. A CASE of 250 branches cost ~1 µs a row, and a correlated subquery over VALUES tables
    made DuckDB hold the whole input for the join back, which breaks streaming of large exports.
    NULL and '' mean the same for both arguments, so they travel as one key joined by chr(1).
    """
    consumed = f"coalesce(CAST({consumed_service_sql} AS VARCHAR), '')"
    service = f"coalesce(CAST({service_sql} AS VARCHAR), '')"
    return f"{CATEGORY_FUNCTION}({consumed} || chr(1) || {service})"



# --- tag sets built from several columns (the DuckDB JSON functions are confined to these helpers) --------------

def tag_object(pairs: list[tuple[str, str]]) -> str:
    """JSON object text from (key, value SQL) pairs, leaving out NULL values; '{}' when there are no pairs.

    For exports that spread tags over one column per key (AWS ``resourceTags/user:KEY``): an
    empty cell means the resource lacks that tag, so it adds no key.
    """
    if not pairs:
        return "'{}'"
    args = ", ".join(f"{lit(key)}, {value}" for key, value in pairs)
    # merging into {} drops the NULL members (RFC 7396), so absent tags are absent keys
    return f"CAST(json_merge_patch('{{}}', json_object({args})) AS VARCHAR)"


def merge_tags(*objects: str | None) -> str:
    """JSON object text of several tag sets (SQL of JSON object text each), a later set winning per key."""
    parts = [o for o in objects if o is not None]
    if not parts:
        return "'{}'"
    if len(parts) == 1:
        return parts[0]
    return f"CAST(json_merge_patch({', '.join(parts)}) AS VARCHAR)"


def strip_tag_prefixes(tags_sql: str, prefixes: tuple[str, ...]) -> str:
    """Tag set (JSON text from ``Raw.tags``) with ``prefixes`` removed from the start of its keys.

    ``Raw.tags`` writes compact JSON, where an unescaped quote right after ``{`` or ``,`` always
    opens a key (a quote inside a value is escaped), so the prefix is cut only from keys.
    """
    if not prefixes:
        return tags_sql
    pattern = '([{,])"(' + "|".join(re.escape(p) for p in prefixes) + ")"
    replacement = "\\1" + '"'  # the character before the key, then the key's opening quote
    return f"regexp_replace({tags_sql}, {lit(pattern)}, {lit(replacement)}, 'g')"


def tag_value(tags_sql: str, key: str) -> str:
    """VARCHAR value of ``key`` in a tag set (JSON text), NULL when absent or empty."""
    path = "$." + json.dumps(key)
    return f"NULLIF(trim(json_extract_string({tags_sql}, {lit(path)}), {lit(WHITESPACE)}), '')"

# --- the tags UDF -----------------------------------------------------------------------------

_TAG_CACHE: dict[str, str] = {}
_TAG_CACHE_LIMIT = 200_000


def tags_json(value: str | None) -> str:
    """One tag cell as JSON object text with string values (``common.parse_tags`` is the one rule)."""
    if value is None:
        return "{}"
    cached = _TAG_CACHE.get(value)
    if cached is None:
        cached = json.dumps(parse_tags(value), ensure_ascii=False, separators=(",", ":"))
        if len(_TAG_CACHE) >= _TAG_CACHE_LIMIT:
            _TAG_CACHE.clear()
        _TAG_CACHE[value] = cached
    return cached


_CATEGORY_CACHE: dict[str, str] = {}


def category_of_key(key: str | None) -> str:
    """``categories.service_category`` of a 'consumed<chr(1)>service' key (see ``service_category``)."""
    if key is None:
        return "Other"
    cached = _CATEGORY_CACHE.get(key)
    if cached is None:
        consumed, _, service = key.partition("\x01")
        cached = categories.service_category(service, consumed or None)
        if len(_CATEGORY_CACHE) >= _TAG_CACHE_LIMIT:
            _CATEGORY_CACHE.clear()
        _CATEGORY_CACHE[key] = cached
    return cached


def _per_distinct(function: Any) -> Any:
    """An Arrow UDF body applying ``function`` once per DISTINCT value of each vector, spread back by index."""

    def vector(values: Any) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)  # one hash pass: distinct values + each row's index
        mapped = pa.array([function(v) for v in encoded.dictionary.to_pylist()], type=pa.string())
        return pc.fill_null(pc.take(mapped, encoded.indices), function(None))

    return vector


TEXT_MACRO = "costctl_text"
CLEANED_PREFIX = "__costctl_text_"  # aliases of cleaned text columns (``Raw.cleaned_from``)


def text_macro_sql() -> str:
    """The ``costctl_text(c)`` macro: ``c`` trimmed of WHITESPACE, the null spellings (NULL_STRINGS) as NULL.

    One macro, not the expression inlined at every use: a mapping reads each text column several
    times (a money column five), and the inlined form made a FOCUS mapping 68 KB of SQL whose
    planning cost ~0.3 s per query whatever the file's size.
    """
    # list_contains, not IN (...): DuckDB plans a long IN list as a join that runs for every
    # mapped column even when a query reads none of them; a scalar function is pruned with it.
    nulls = "[" + ", ".join(lit(v) for v in sorted(NULL_STRINGS)) + "]"
    trimmed = f"trim(c, {lit(WHITESPACE)})"
    slow = f"(CASE WHEN list_contains({nulls}, {trimmed}) THEN NULL ELSE {trimmed} END)"
    # trim() with a character list is slow, so only cells that start or end with whitespace take it.
    # Every WHITESPACE character sorts at or below ' ' (a control character there takes the slow
    # path too and comes out unchanged).
    return (f"CREATE OR REPLACE MACRO {TEXT_MACRO}(c) AS (CASE WHEN list_contains({nulls}, c) THEN NULL "
            f"WHEN c[1] <= ' ' OR c[-1] <= ' ' THEN {slow} ELSE c END)")


def register_functions(con: Any) -> None:
    """Add the ``costctl_text`` macro and the ``costctl_tags`` and ``costctl_category`` UDFs to a DuckDB
    connection (idempotent)."""
    import duckdb

    con.execute(text_macro_sql())

    for name, function in ((TAGS_FUNCTION, tags_json), (CATEGORY_FUNCTION, category_of_key)):
        with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):  # already registered
            con.create_function(name, _per_distinct(function), [duckdb.sqltype("VARCHAR")],
                                duckdb.sqltype("VARCHAR"), type="arrow", null_handling="special", side_effects=False)
