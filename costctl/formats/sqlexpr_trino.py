"""``Raw`` for tables a Trino engine reads (Athena over a Glue table): the same helpers, Trino SQL.

The export mappers (``costctl/clouds/aws/cur_sql.columns``) are written against ``Raw``'s helpers and plain SQL,
so one mapper definition serves both the files path (DuckDB, ``sqlexpr.Raw``) and a query run
where the bill lives (Athena, this ``TrinoRaw``). Only the helpers differ:

* values: the same null spellings (``common.NULL_STRINGS``) and trimming; a cost that is not a
  number fails the query (Trino's CAST raises; there is no ``error()`` to name the row, so the
  engine's message is shown), NaN costs count 0 and NaN quantities are NULL as in DuckDB;
* timestamps: typed columns as they are (Athena's session zone is UTC), text as ISO 8601
  (``from_iso8601_timestamp``) or ``M/D/YYYY``, all as UTC ``TIMESTAMP``;
* tag sets: Trino has no JSON merge, so a tag set is a ``TagSet``, an object that answers "the
  SQL of key K's value" by the same rules the DuckDB JSON helpers apply (prefix stripping, a later
  set winning per key, NULL and empty values absent). Queries only ever ask for named keys.

Types are the names ``Raw`` expects (``VARCHAR``, ``DOUBLE``, ``DECIMAL(18,2)``, ``TIMESTAMP``,
``MAP(VARCHAR, VARCHAR)``...): ``glue_type`` converts Glue/Hive type names to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from costctl.formats.common import NULL_STRINGS
from costctl.formats.sqlexpr import _NUMERIC, Raw, lit

_HIVE_SCALARS = {
    "string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR", "double": "DOUBLE", "float": "FLOAT",
    "real": "FLOAT", "decimal": "DECIMAL", "bigint": "BIGINT", "int": "INTEGER", "integer": "INTEGER",
    "smallint": "SMALLINT", "tinyint": "TINYINT", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP",
    "date": "DATE", "binary": "BLOB",
}


def glue_type(type_name: str) -> str:
    """A Glue/Hive column type (``string``, ``decimal(18,9)``, ``map<string,string>``...) as ``Raw`` names it.

    Unknown scalar names become VARCHAR (``Raw`` reads those as text, which is what Athena would
    give when cast); nested types keep their head (MAP, LIST, STRUCT), which is all ``Raw`` looks at.
    """
    text = type_name.strip().lower()
    if text.startswith("map<"):
        return "MAP(VARCHAR, VARCHAR)"
    if text.startswith("array<"):
        return "VARCHAR[]"
    if text.startswith("struct<"):
        return "STRUCT"
    head, _, rest = text.partition("(")
    base = _HIVE_SCALARS.get(head.strip(), "VARCHAR")
    return f"DECIMAL({rest.upper()}" if base == "DECIMAL" and rest else base


class TagSet:
    """A tag set in Trino SQL, known only through ``value(key)``: the SQL of that key's value (or NULL)."""

    def __init__(self, value: Callable[[str], str]) -> None:
        self.value = value


NO_TAGS = TagSet(lambda key: "CAST(NULL AS VARCHAR)")


def _json_path(key: str) -> str:
    return "$[" + json.dumps(key) + "]"


class TrinoRaw(Raw):
    """A Glue table's columns (name -> ``Raw`` type name); every helper returns Trino SQL."""

    def text(self, name: str | None) -> str:
        if not self._present(name):
            return "CAST(NULL AS VARCHAR)"
        assert name is not None
        c = self.col(name) if self.type_of(name) == "VARCHAR" else f"CAST({self.col(name)} AS VARCHAR)"
        nulls = ", ".join(lit(s) for s in sorted(NULL_STRINGS))
        return f"(CASE WHEN trim({c}) IN ({nulls}) THEN NULL ELSE trim({c}) END)"

    def money(self, name: str | None, default: float = 0.0) -> str:
        fallback = f"CAST({float(default)!r} AS DOUBLE)"
        if not self._present(name):
            return fallback
        assert name is not None
        x = f"CAST({self.col(name)} AS DOUBLE)" if self.type_of(name) in _NUMERIC else \
            f"CAST({self.text(name)} AS DOUBLE)"  # text that is not a number fails the query
        return f"(CASE WHEN {x} IS NULL OR is_nan({x}) THEN {fallback} ELSE {x} END)"

    def number(self, name: str | None) -> str:
        if not self._present(name):
            return "CAST(NULL AS DOUBLE)"
        assert name is not None
        v = f"CAST({self.col(name)} AS DOUBLE)" if self.type_of(name) in _NUMERIC else \
            f"TRY_CAST({self.text(name)} AS DOUBLE)"
        return f"(CASE WHEN is_nan({v}) THEN NULL ELSE {v} END)"

    def timestamp(self, name: str, if_empty: str | None = None) -> str:
        """``Raw.timestamp`` in Trino; ``if_empty`` replaces an empty cell of an optional column."""
        kind = self.type_of(name)
        c = self.col(name)
        if kind in ("TIMESTAMP", "DATE"):
            parsed = f"CAST({c} AS TIMESTAMP)"
            return parsed if if_empty is None else f"COALESCE({parsed}, {if_empty})"
        t = self.text(name)
        iso = f"CAST(from_iso8601_timestamp({t}) AT TIME ZONE 'UTC' AS TIMESTAMP)"
        slash = f"date_parse({t}, '%m/%d/%Y')"
        parsed = f"(CASE WHEN strpos({t}, '/') > 0 THEN {slash} ELSE {iso} END)"
        return parsed if if_empty is None else f"(CASE WHEN {t} IS NULL THEN {if_empty} ELSE {parsed} END)"

    def usage_month(self, usage_start: str) -> str:
        """``Raw.usage_month`` in Trino: the first of the usage timestamp's month."""
        return f"date_trunc('month', {usage_start})"

    def tags(self, name: str | None) -> TagSet:  # type: ignore[override]
        """A MAP column's entries, or a JSON object held as text (CUR 2.0 CSV as Athena reads it)."""
        if not self._present(name):
            return NO_TAGS
        assert name is not None
        kind = self.type_of(name)
        c = self.col(name)
        if kind == "MAP":
            return TagSet(lambda key: f"element_at({c}, {lit(key)})")
        if kind == "VARCHAR":
            t = self.text(name)
            return TagSet(lambda key: f"json_extract_scalar({t}, {lit(_json_path(key))})")
        return NO_TAGS

    def map_value(self, name: str | None, key: str) -> str | None:
        """None: ``tags`` of a MAP already reads it with ``element_at``, no JSON detour to avoid."""
        return None

    def tag_object(self, pairs: list[tuple[str, str]]) -> TagSet:  # type: ignore[override]
        values = dict(pairs)  # a later pair with the same key wins, as in json_object
        return TagSet(lambda key: values.get(key, "CAST(NULL AS VARCHAR)"))

    def merge_tags(self, *objects: TagSet | None) -> TagSet:  # type: ignore[override]
        parts = [o for o in objects if o is not None]
        if not parts:
            return NO_TAGS
        if len(parts) == 1:
            return parts[0]
        # the later set wins per key; its absent (NULL) keys leave the earlier value (json_merge_patch)
        return TagSet(lambda key: "COALESCE(" + ", ".join(p.value(key) for p in reversed(parts)) + ")")

    def strip_tag_prefixes(self, tags_sql: TagSet, prefixes: tuple[str, ...]) -> TagSet:  # type: ignore[override]
        """Key K of the stripped set is the source's ``<prefix>K`` for any prefix, or ``K`` itself when K
        starts with none of them (a key that does is always stripped, as ``sqlexpr``'s regex does).
        A map holding both ``user_K`` and ``K`` is ambiguous (DuckDB keeps the later entry, Trino
        maps have no order): here the prefixed one wins."""
        if not prefixes:
            return tags_sql

        def value(key: str) -> str:
            sources = [tags_sql.value(p + key) for p in prefixes]
            if not key.startswith(prefixes):
                sources.append(tags_sql.value(key))
            return sources[0] if len(sources) == 1 else "COALESCE(" + ", ".join(sources) + ")"

        return TagSet(value)

    def tag_value(self, tags_sql: TagSet, key: str) -> str:  # type: ignore[override]
        return f"NULLIF(trim({tags_sql.value(key)}), '')"


def safe_identifier(name: str) -> bool:
    """Whether ``name`` is a plain Glue name (letters, digits, _, -): what Athena databases and tables are."""
    return bool(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}", name))
