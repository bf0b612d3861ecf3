"""The query layer: records as a DuckDB query, aggregated before anything reaches pandas.

A ``Dataset`` is a SQL source giving the normalized record's columns (``costctl.arrowrec``): the
cached Parquet days of some provider instances, export files mapped by the ingest engine, or a
provider's answer registered as an Arrow table. Nothing is read when it is built. Commands ask it
for what they need: ``rollup`` sums the money and quantity columns per day over only the
dimensions a command reads (a cost report by service reads three columns of a ten-million-row
bill and gets back a few thousand rows), ``filtered`` pushes ``--account/--service/--region/--tag``
into the same query, and only the aggregated result becomes a pandas frame or a plain ``Block``.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.duck import connect, literal, quote
from costctl.model import COLUMN_KINDS, FLAG, MONEY, NUMBER, TAGS, TIMESTAMP

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from costctl.filters import Filters
    from costctl.records import Block

_names = itertools.count()
_KEEP_ALIVE: list[Any] = []  # Arrow tables registered as views must outlive their queries
_SCANS: list[Any] = []  # ingest scans behind views: they translate their own read errors

# Always kept by a rollup: amounts in different currencies or of different sources are never summed.
ROLLUP_ALWAYS = ("BillingCurrency", "ProviderName", "x_Source")
# Amounts a rollup sums. Not every number of the record: the commitment and pricing quantities only
# the FOCUS export and commitment analysis read, row by row, and each fsum costs every report time.
SUMMED = ("BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity")


def columns_for(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """(record columns, tag keys) that the group keys of a report read (``service``, ``tag:team``)."""
    from costctl.model import GROUP_KEYS

    columns, tags = [], []
    for key in keys:
        if key.startswith("tag:"):
            tags.append(key[4:])
        elif key == "account" or key == "account_name":
            columns += ["SubAccountId", "SubAccountName"]
        elif key in GROUP_KEYS:
            columns.append(GROUP_KEYS[key])
    return list(dict.fromkeys(columns)), list(dict.fromkeys(tags))


# A rollup's day and month are integer keys (the UTC day number of ChargePeriodStart, and its
# month through a calendar table), turned back into timestamps once per group: date_trunc on a
# TIMESTAMPTZ goes through the ICU calendar for every row, 60 % of a rollup over 20M cached rows.
_US_PER_DAY = 86_400_000_000
DAY_NUMBER = (f"((epoch_us(ChargePeriodStart) - ((epoch_us(ChargePeriodStart) % {_US_PER_DAY}) + {_US_PER_DAY}) "
              f"% {_US_PER_DAY}) // {_US_PER_DAY})")  # floor division, also before 1970
CALENDAR = ("(SELECT range AS d, CAST(year(t) * 12 + month(t) - 1 AS BIGINT) AS k FROM "
            "(SELECT range, CAST(to_timestamp(range * 86400) AS TIMESTAMP) AS t FROM range(-36525, 109575)))")
# Days outside the calendar (before 1870, after 2269) take the exact, slower path.
MONTH_KEY = ("CASE WHEN cal.k IS NULL THEN CAST(year(CAST(r.ChargePeriodStart AS TIMESTAMP)) * 12 "
             "+ month(CAST(r.ChargePeriodStart AS TIMESTAMP)) - 1 AS BIGINT) ELSE cal.k END")

LEDGER_COLUMNS = ("SubAccountId", "SubAccountName", "ServiceName")  # what a check's Ledger sums by


def tag_path(key: str) -> str:
    """A JSON pointer to one tag key (keys may hold '.', '/', quotes...)."""
    return literal("/" + key.replace("~", "~0").replace("/", "~1"))


def tag_value(key: str) -> str:
    """SQL for the value of tag ``key`` (NULL when the row lacks it)."""
    return f"json_extract_string(Tags, {tag_path(key)})"


class Dataset:
    """Normalized records behind one SQL source (a subquery or a table function)."""

    def __init__(self, source: str | None = None, where: tuple[str, ...] = ()) -> None:
        self.source = source  # None: no rows at all
        self.where = where
        self._span: tuple[date, date] | None | bool = False  # False: not computed yet

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> Dataset:
        return cls(None)

    @classmethod
    def from_table(cls, table: pa.Table) -> Dataset:
        """Rows held in memory (a provider's answer without a cache) as a dataset."""
        name = f"costctl_rows_{next(_names)}"
        connect().register(name, table)
        _KEEP_ALIVE.append(table)
        return cls(name)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Dataset:
        from costctl.arrowrec import frame_to_table

        return cls.from_table(frame_to_table(frame))

    @classmethod
    def union(cls, parts: Iterable[Dataset]) -> Dataset:
        sources = [p.sql() for p in parts if p.source is not None]
        if not sources:
            return cls.empty()
        if len(sources) == 1:
            return cls(f"({sources[0]})")
        return cls("(" + " UNION ALL ".join(f"SELECT * FROM ({s})" for s in sources) + ")")

    def narrowed(self, condition: str) -> Dataset:
        """The same records with one more SQL condition."""
        return Dataset(self.source, self.where + (condition,)) if self.source is not None else self

    def between(self, start: date, end: date) -> Dataset:
        """Only rows whose ChargePeriodStart falls in ``[start, end)`` (UTC days)."""
        return self.narrowed(f"ChargePeriodStart >= TIMESTAMPTZ {literal(start.isoformat() + ' 00:00:00+00')} "
                             f"AND ChargePeriodStart < TIMESTAMPTZ {literal(end.isoformat() + ' 00:00:00+00')}")

    def filtered(self, filters: Filters | None) -> Dataset:
        """``--account/--service/--region/--tag`` as SQL (same rules as ``Filters._row_ok``)."""
        if not filters:
            return self
        out = self

        def low_in(expr: str, values: Iterable[str]) -> str:
            return f"coalesce(lower({expr}), '') IN ({', '.join(literal(v.lower()) for v in values)})"

        if filters.accounts:
            out = out.narrowed(f"({low_in('SubAccountId', filters.accounts)} OR "
                               f"{low_in('SubAccountName', filters.accounts)})")
        if filters.services:
            out = out.narrowed(low_in("ServiceName", filters.services))
        if filters.regions:
            out = out.narrowed(low_in("RegionId", filters.regions))
        by_key: dict[str, list[str]] = {}
        for key, value in filters.tags:
            by_key.setdefault(key, []).append(value)
        for key, values in by_key.items():
            out = out.narrowed(low_in(tag_value(key), values))
        return out

    # -- reading ----------------------------------------------------------------------------
    def sql(self, select: str = "*") -> str:
        """A query over the records (callers add GROUP BY / ORDER BY after it)."""
        if self.source is None:
            from costctl.arrowrec import cast_select

            return f"SELECT {select} FROM (SELECT {cast_select()}) WHERE false"
        where = f" WHERE {' AND '.join(f'({w})' for w in self.where)}" if self.where else ""
        return f"SELECT {select} FROM {self.source}{where}"

    def arrow(self, query: str, large_strings: bool = False) -> pa.Table:
        """The query's answer as Arrow. ``large_strings``: text as ``large_string`` (64-bit offsets),
        which pandas' Arrow-backed strings wrap without a copy: for answers headed into a frame."""
        with translated():
            if not large_strings:
                return connect().sql(query).to_arrow_table()
            con = connect()  # the setting is this connection's; threads query through cursors of their own
            con.execute("SET arrow_large_buffer_size = true")
            try:
                return con.sql(query).to_arrow_table()
            finally:
                con.execute("RESET arrow_large_buffer_size")

    def rows(self) -> pa.Table:
        """Every row with every column (for small datasets and exports of the rows themselves)."""
        return self.arrow(self.sql())

    def rollup_table(self, columns: Iterable[str] = (), tag_keys: Iterable[str] = (), all_tags: bool = False,
                     large_strings: bool = False, by_month: bool = False) -> pa.Table:
        """Money and quantities summed per day (per month with ``by_month``) over ``columns`` (plus
        ``ROLLUP_ALWAYS``).

        Tags: ``tag_keys`` keeps only those keys (as Tags of the result), ``all_tags`` keeps the
        whole tag map as a dimension. Other columns come back absent (NULL). ChargePeriodEnd is
        the group's latest end; x_Estimated is true when any summed row is estimated.
        """
        keep = [c for c in dict.fromkeys([*ROLLUP_ALWAYS, *columns])
                if c in COLUMN_KINDS and COLUMN_KINDS[c] not in (MONEY, NUMBER, TAGS, FLAG, TIMESTAMP)]
        keep += [c for c in columns if c == "BillingPeriodStart"]
        keys = list(dict.fromkeys(tag_keys))
        parts = [f"{MONTH_KEY} AS _month" if by_month else "_day", "max(ChargePeriodEnd) AS ChargePeriodEnd"]
        parts += [quote(c) for c in keep]
        parts += [f"fsum({quote(c)}) AS {quote(c)}" for c in SUMMED]  # compensated: order-independent
        parts.append("bool_or(x_Estimated) AS x_Estimated")
        if all_tags:
            parts.append("Tags")
        parts += [f"{tag_value(k)} AS {quote(f'_tag_{i}')}" for i, k in enumerate(keys)]
        if by_month:
            rows = f"({self.sql(f'*, {DAY_NUMBER} AS _day')}) r LEFT JOIN {CALENDAR} cal ON cal.d = r._day"
            query = (f"SELECT make_timestamptz(_month // 12, _month % 12 + 1, 1, 0, 0, 0.0, 'UTC') AS "
                     f"ChargePeriodStart, * EXCLUDE (_month) FROM (SELECT {', '.join(parts)} FROM {rows} GROUP BY ALL)")
        else:
            query = (f"SELECT to_timestamp(_day * 86400) AS ChargePeriodStart, * EXCLUDE (_day) FROM "
                     f"(SELECT {', '.join(parts)} FROM ({self.sql(f'*, {DAY_NUMBER} AS _day')}) GROUP BY ALL)")
        table = self.arrow(query, large_strings)
        if keys:
            table = _tags_from_columns(table, keys)
        self._note_span(table)
        return table

    def frame(self, columns: Iterable[str] | None = None, tag_keys: Iterable[str] = (),
              all_tags: bool = False, by_month: bool = False) -> pd.DataFrame:
        """A normalized pandas frame: every row when ``columns`` is None, else a rollup (per day, or
        per month with ``by_month``: a monthly report by resource over 20M cached rows is 650k
        month rows, not 20M day rows)."""
        from costctl.arrowrec import table_to_frame
        from costctl.prewarm import importing

        with importing("pandas"):  # loads while DuckDB runs the query
            table = (self.arrow(self.sql(), large_strings=True) if columns is None
                     else self.rollup_table(columns, tag_keys, all_tags, large_strings=True, by_month=by_month))
        return table_to_frame(table)

    def block(self, columns: Iterable[str] | None = None, tag_keys: Iterable[str] = (),
              all_tags: bool = False) -> Block:
        """Plain-Python columns: every row when ``columns`` is None, else a rollup."""
        from costctl.arrowrec import table_to_block

        if columns is None:
            return table_to_block(self.rows())
        return table_to_block(self.rollup_table(columns, tag_keys, all_tags))

    def count(self) -> int:
        return int(self.arrow(self.sql("count(*) AS n")).column("n")[0].as_py())

    def __len__(self) -> int:
        return self.count()

    def span(self) -> tuple[date, date] | None:
        """(first day, day after the last) of the rows; None when there are none.

        Read from the first rollup when one ran (no second pass over an export file)."""
        if self._span is False:
            table = self.arrow(self.sql("min(ChargePeriodStart) AS lo, max(ChargePeriodStart) AS hi"))
            lo, hi = table.column("lo")[0].as_py(), table.column("hi")[0].as_py()
            self._span = None if lo is None else (lo.date(), hi.date() + timedelta(days=1))
        return self._span  # type: ignore[return-value]

    def _note_span(self, table: pa.Table) -> None:
        if self._span is not False or not self.where_is_unfiltered():
            return
        import pyarrow.compute as pc

        if table.num_rows == 0:
            self._span = None
            return
        bounds = pc.min_max(table.column("ChargePeriodStart")).as_py()
        self._span = (bounds["min"].date(), bounds["max"].date() + timedelta(days=1))

    def where_is_unfiltered(self) -> bool:
        return not self.where


def keep_scan(scan: Any) -> str:
    """Expose an ingest engine scan (``costctl.formats.engine.Scan``) as a view; return its name.

    The scan stays alive (its temp files with it) for the process, and its error translation
    (bad values named by file and row) applies to every query that reads the view.
    """
    name = f"costctl_scan_{next(_names)}"
    with scan.errors():
        scan.relation.create_view(name)
    _SCANS.append(scan)
    return name


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Run a query that reads records: DuckDB failures become costctl's one-line errors (``translate``)."""
    try:
        yield
    except Exception as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from None


def translate(exc: BaseException) -> Exception | None:
    """A DuckDB failure while reading records as one of costctl's one-line errors (None: a bug).

    Value errors the ingest engine raises inside its SQL (``error('costctl: ...')``) name the file
    and the fix already; I/O failures name the file DuckDB could not read.
    """
    from costctl.errors import CacheError, ExportFormatError

    if "duckdb" not in type(exc).__module__:  # _duckdb: the extension module
        return None
    for scan in _SCANS:  # a value check of the ingest engine: it knows the file and finds the row
        found = scan.translate_check(exc)
        if found is not None:
            return found
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for scan in _SCANS:
        if scan.names_its_file(message):
            return scan.translate(exc)
    marker = message.find("costctl: ")
    if marker >= 0:
        return ExportFormatError(message[marker + len("costctl: "):])
    if "IO" in type(exc).__name__ or "parquet" in message.lower():
        return CacheError(f"cannot read cached or exported rows ({message}); run `costctl cache clear` if it "
                          "names a cache file, or check the export file")
    return None


def _tags_from_columns(table: pa.Table, keys: list[str]) -> pa.Table:
    """Replace the ``_tag_i`` value columns of a rollup by a Tags column of JSON objects."""
    import json

    import pyarrow as pa

    values = [table.column(f"_tag_{i}").to_pylist() for i in range(len(keys))]
    memo: dict[tuple[Any, ...], str] = {}
    tags = []
    for combo in zip(*values, strict=True):
        text = memo.get(combo)
        if text is None:
            text = memo[combo] = json.dumps({k: v for k, v in zip(keys, combo, strict=True) if v is not None},
                                            sort_keys=True, ensure_ascii=False)
        tags.append(text)
    table = table.drop_columns([f"_tag_{i}" for i in range(len(keys))])
    return table.append_column("Tags", pa.array(tags, type=pa.string()))
