"""The ``athena`` mode of the ``aws`` provider: CUR / Data Exports aggregated in place by Athena.

A large CUR is not downloaded: costctl reads the table's schema from Glue (``GetTable``), maps it
with the same SQL mapper as the files path (``aws_cur_sql.columns`` over a ``TrinoRaw``, so the
amortization, credit, tax and Savings Plan / RI rules are one definition), and sends Athena ONE
aggregating query per fetched range: daily rows grouped by the record's dimensions, with the
billing-period partitions pruned. Only the aggregate (a few thousand rows) travels back.

Flow: ``settings`` (validated ``athena:`` mapping) -> ``table_of`` (Glue) -> ``build_query`` ->
``estimate_scan`` (refuse above ``max_scan_gb``) -> ``run`` (start, poll with backoff, read the
answer: one GetQueryResults page when it holds it all, else the result file in S3,
``aws_athena_file``; every answer shape-checked in ``aws_answers``) -> ``aws_athena_record``
(checked and mapped to the record in DuckDB) -> a table the loader reads with ``fetch_sql``.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from costctl.errors import ConfigError, ExportFormatError, ProviderError
from costctl.schema import Field

if TYPE_CHECKING:
    import pandas as pd

    from costctl.clouds.aws.session import AwsSession

log = logging.getLogger(__name__)

GB = 10**9  # Athena bills per decimal TB; max_scan_gb is decimal too
POLL_INITIAL = 0.25  # seconds of the first wait between GetQueryExecution calls; doubled up to POLL_MAX
POLL_MAX = 5.0
PAGE_SIZE = 1000  # GetQueryResults' maximum
RUNNING = ("QUEUED", "RUNNING")


def _glue_name(value: Any) -> str:
    from costctl.formats.sqlexpr_trino import safe_identifier

    if not safe_identifier(str(value)):
        raise ValueError(f"{value!r} is not a Glue name (letters, digits, _ and -)")
    return str(value)


def _s3_prefix(value: Any) -> str:
    if not str(value).startswith("s3://") or len(str(value)) <= len("s3://"):
        raise ValueError(f"expected s3://bucket/prefix/, got {value!r}")
    return str(value)


FIELDS: dict[str, Field] = {
    "database": Field("str", required=True, validator=_glue_name, help="Glue database of the CUR table"),
    "table": Field("str", required=True, validator=_glue_name, help="Glue table of the CUR / Data Export"),
    "workgroup": Field("str", default="primary", help="Athena workgroup that runs (and pays for) the query",
                       data=False),
    "output_location": Field("str", validator=_s3_prefix, data=False,
                             help="s3:// prefix for query results (default: the workgroup's)"),
    "catalog": Field("str", default="AwsDataCatalog", help="Athena data catalog holding the database"),
    "max_scan_gb": Field("float", default=50.0, data=False,
                         help="refuse a query whose partitions hold more than this many GB (0: no limit)"),
    "resources": Field("bool", default=False, help="also group by resource id (many more rows)"),
    "max_query_time": Field("duration", default=600.0, data=False,
                            help="give up on a query still running after this long"),
}


def validate(value: Any) -> dict[str, Any]:
    """The ``athena:`` mapping checked against ``FIELDS`` (defaults filled in)."""
    from costctl import schema

    try:
        checked = schema.check(value, FIELDS, "")
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    if checked["max_scan_gb"] < 0:
        raise ValueError(f"max_scan_gb: expected 0 (no limit) or more, got {checked['max_scan_gb']:g}")
    return checked


# --- the table ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """A Glue table: its columns and partition keys (name -> Glue type) and its S3 location."""

    name: str  # database.table, for messages
    columns: dict[str, str]
    partitions: dict[str, str]
    location: str

    @property
    def layout(self) -> str:
        """``cur2`` (``billing_period`` partitions) or ``legacy`` (``year``/``month``)."""
        keys = {k.lower() for k in self.partitions}
        if "billing_period" in keys:
            return "cur2"
        if {"year", "month"} <= keys:
            return "legacy"
        raise ProviderError(
            f"athena table {self.name}: partitioned by {', '.join(self.partitions) or 'nothing'}, not by "
            "billing_period (Data Exports / CUR 2.0) or year/month (legacy CUR); create the table as AWS's "
            "CUR Athena integration does (docs/aws.md)")


def table_of(aws: AwsSession, settings: dict[str, Any]) -> Table:
    """The table as Glue describes it (one GetTable call)."""
    from costctl.clouds.aws import answers as aws_answers

    answer = aws.call("glue", "GetTable", DatabaseName=settings["database"], Name=settings["table"])
    columns, partitions, location = aws_answers.glue_table(answer)
    return Table(f"{settings['database']}.{settings['table']}", columns, partitions, location)


# --- the query ----------------------------------------------------------------------------------

# Columns the aggregate needs (legacy spelling; looked up under both): without them there is no record.
NEEDED = (("cost", "lineItem/UnblendedCost"), ("usage start", "lineItem/UsageStartDate"),
          ("usage end", "lineItem/UsageEndDate"), ("line item type", "lineItem/LineItemType"),
          ("usage account", "lineItem/UsageAccountId"))


@dataclass
class Query:
    """One generated query and how to read its answer."""

    sql: str
    dims: list[str]  # output columns that are grouped by
    attrs: list[str]  # output columns that depend on the group (MAX)
    measures: list[str]  # summed costs
    tag_keys: list[str]
    partitions: list[dict[str, str]]  # partition key -> value, for the scan estimate
    columns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = ["usage_day", *self.dims, *self.attrs, *self.measures, "estimated", "row_count"]


def months(start: date, end: date) -> list[date]:
    """First days of the months that ``[start, end)`` touches (the billing periods to read)."""
    out = []
    month = date(start.year, start.month, 1)
    while month < end:
        out.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return out


def _partition_filter(table: Table, periods: list[date]) -> tuple[str, list[dict[str, str]]]:
    from costctl.formats.sqlexpr import ident, lit

    keys = {k.lower(): k for k in table.partitions}
    numeric = {k: table.partitions[k].lower() in ("int", "bigint", "smallint", "tinyint", "integer")
               for k in table.partitions}
    if table.layout == "cur2":
        key = keys["billing_period"]
        values = [f"{p.year:04d}-{p.month:02d}" for p in periods]
        return f"{ident(key)} IN ({', '.join(lit(v) for v in values)})", [{key: v} for v in values]
    year, month = keys["year"], keys["month"]
    parts, chosen = [], []
    for p in periods:
        if numeric[year] and numeric[month]:
            parts.append(f"({ident(year)} = {p.year} AND {ident(month)} = {p.month})")
        else:  # AWS writes month=6; a table made by hand may say 06
            months_text = ", ".join(lit(v) for v in dict.fromkeys((str(p.month), f"{p.month:02d}")))
            parts.append(f"({ident(year)} = {lit(str(p.year))} AND {ident(month)} IN ({months_text}))")
        chosen.append({year: str(p.year), month: str(p.month)})
    return "(" + " OR ".join(parts) + ")", chosen


def build_query(table: Table, settings: dict[str, Any], tag_keys: list[str], start: date, end: date) -> Query:
    """The aggregating Trino query for ``[start, end)``: daily rows per record dimension.

    The mapped rows are split into UTC days exactly as ``formats.engine`` splits a file's rows
    (days from the start's midnight to the end, each piece's share of the row's duration), and a
    day outside the row's billing period is left out as ``aws_cur.fetch`` leaves it out.
    """
    from costctl.clouds.aws import cur_sql as aws_cur_sql
    from costctl.clouds.aws.cur_format import V2_NAMES
    from costctl.formats.sqlexpr import ident
    from costctl.formats.sqlexpr_trino import TrinoRaw, glue_type

    raw = TrinoRaw({name: glue_type(kind) for name, kind in table.columns.items()}, f"athena table {table.name}")
    v2_of = {legacy: v2 for v2, legacy in V2_NAMES.items()}
    for what, legacy in NEEDED:
        v2 = v2_of[legacy]
        if raw.resolve(legacy, v2) is None:
            raise ProviderError(f"athena table {table.name}: no {what} column {v2} (or {legacy}); the CUR / Data "
                                "Export must include it (recreate the export with that column)")
    try:
        exprs = aws_cur_sql.columns(raw)
    except ExportFormatError as exc:
        raise ProviderError(str(exc)) from None
    where, partitions = _partition_filter(table, months(start, end))
    lo, hi = f"TIMESTAMP '{start.isoformat()} 00:00:00'", f"TIMESTAMP '{end.isoformat()} 00:00:00'"

    dims = {"sub_account_id": exprs["SubAccountId"], "service": exprs["ServiceName"], "region": exprs["RegionId"]}
    if settings.get("resources"):
        dims["resource"] = exprs["ResourceId"]
    for index, key in enumerate(tag_keys):
        dims[f"tag_{index}"] = raw.tag_value(exprs["Tags"], key)
    dims["charge_category"] = exprs["ChargeCategory"]
    dims["currency"] = exprs["BillingCurrency"]
    attrs = {"billing_account_id": exprs["BillingAccountId"], "sub_account_name": exprs["SubAccountName"]}
    measures = {"billed_cost": exprs["BilledCost"], "effective_cost": exprs["EffectiveCost"],
                "list_cost": exprs["ListCost"]}
    period = exprs.get("BillingPeriodStart")
    estimated = exprs.get("x_Estimated", "false")

    mapped = [f"{exprs['ChargePeriodStart']} AS charge_start", f"{exprs['ChargePeriodEnd']} AS charge_end",
              f"{period or 'CAST(NULL AS TIMESTAMP)'} AS billing_period",
              *(f"{sql} AS {ident(name)}" for name, sql in {**dims, **attrs, **measures}.items()),
              f"(CASE WHEN {estimated} THEN 1 ELSE 0 END) AS estimated"]
    piece_start = "(CASE WHEN split_day IS NULL THEN charge_start ELSE greatest(charge_start, split_day) END)"
    piece_end = ("(CASE WHEN split_day IS NULL THEN charge_end "
                 "ELSE least(charge_end, split_day + INTERVAL '1' DAY) END)")
    share = ("(CASE WHEN split_day IS NULL THEN 1.0 ELSE (to_unixtime(piece_end) - to_unixtime(piece_start)) "
             "/ (to_unixtime(charge_end) - to_unixtime(charge_start)) END)")
    in_period = ("(billing_period IS NULL OR (piece_start >= billing_period "
                 "AND piece_start < date_add('month', 1, billing_period)))")
    names = list(dims) + list(attrs) + list(measures)
    select = ",\n  ".join(
        ["CAST(date_trunc('day', piece_start) AS DATE) AS usage_day", *(ident(d) for d in dims),
         *(f"max({ident(a)}) AS {ident(a)}" for a in attrs),
         *(f"sum({ident(m)} * share) AS {ident(m)}" for m in measures),
         "max(estimated) AS estimated", "count(*) OVER () AS row_count"])
    sql = (
        "WITH mapped AS (\n"
        "SELECT\n  " + ",\n  ".join(mapped) + "\n"
        f"FROM {ident(settings['catalog'])}.{ident(settings['database'])}.{ident(settings['table'])}\n"
        f"WHERE {where}\n"
        f"  AND {exprs['ChargePeriodStart']} < {hi} AND {exprs['ChargePeriodEnd']} >= {lo}\n"
        "), pieces AS (\n"
        f"SELECT charge_start, charge_end, billing_period, {', '.join(ident(n) for n in names)}, estimated, "
        f"split_day,\n  {piece_start} AS piece_start,\n  {piece_end} AS piece_end\n"
        "FROM mapped CROSS JOIN UNNEST(CASE WHEN charge_end - charge_start > INTERVAL '1' DAY "
        "THEN sequence(date_trunc('day', charge_start), charge_end, INTERVAL '1' DAY) "
        "ELSE ARRAY[CAST(NULL AS TIMESTAMP)] END) AS split (split_day)\n"
        "WHERE split_day IS NULL OR split_day < charge_end\n"
        "), shared AS (\n"
        f"SELECT pieces.*, {share} AS share FROM pieces\n"
        f"WHERE piece_start >= {lo} AND piece_start < {hi} AND {in_period}\n"
        ")\n"
        f"SELECT\n  {select}\nFROM shared\n"
        f"GROUP BY {', '.join(str(i) for i in range(1, len(dims) + 2))}\n"
        f"ORDER BY {', '.join(str(i) for i in range(1, len(dims) + 2))}"
    )
    return Query(sql, list(dims), list(attrs), list(measures), list(tag_keys), partitions)


# --- the scan estimate ----------------------------------------------------------------------------

def estimate_scan(aws: AwsSession, table: Table, query: Query) -> int:
    """Bytes of the data files in the partitions the query reads, from an S3 listing of the table's
    location (Hive-style ``key=value/`` folders, any case, as Data Exports and the CUR Athena
    integration write them). An upper bound: Athena reads only the needed columns of Parquet. When
    the location holds no such folders (partitions registered elsewhere), all of it is counted."""
    from costctl.clouds.aws import cur as aws_cur

    bucket, prefix = aws_cur.split_uri(table.location)
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    objects = aws_cur.list_objects(aws, bucket, prefix)
    wanted = [{k.lower(): v.lstrip("0") or "0" for k, v in p.items()} for p in query.partitions]
    total, partitioned = 0, False
    for obj in objects:
        values = {}
        for segment in obj["Key"][len(prefix):].split("/")[:-1]:
            key, eq, value = segment.partition("=")
            if eq:
                values[key.lower()] = value.lstrip("0") or "0"
        if not values:
            continue
        partitioned = True
        if any(all(values.get(k) == v for k, v in p.items()) for p in wanted):
            total += int(obj.get("Size") or 0)
    if not partitioned:
        return sum(int(o.get("Size") or 0) for o in objects) if objects else 0
    return total


def check_scan(aws: AwsSession, table: Table, query: Query, settings: dict[str, Any]) -> None:
    """Refuse, before Athena bills anything, a query whose partitions exceed ``max_scan_gb``."""
    limit = float(settings.get("max_scan_gb") or 0)
    if limit <= 0:
        return
    size = estimate_scan(aws, table, query)
    log.debug("athena %s: partitions hold %s bytes", table.name, size)
    if size > limit * GB:
        raise ProviderError(
            f"athena query over {table.name} would scan up to {size / GB:.1f} GB (the partitions' files), more "
            f"than athena.max_scan_gb ({limit:g}); raise athena.max_scan_gb or fetch fewer days")


# --- running it -----------------------------------------------------------------------------------

@dataclass
class Answer:
    """The query's result as a DuckDB table of text columns (the query's, in answer order)."""

    table: str  # on the shared connection; dropped once mapped to the record
    source: str  # how messages name where it came from
    scanned: int
    query_id: str
    requests: int = 0  # GetQueryResults pages read


_tables = itertools.count(1)


def table_name(what: str) -> str:
    """A fresh table name on the shared connection (the process may run several queries)."""
    return f"costctl_athena_{what}_{next(_tables)}"


def run(aws: AwsSession, settings: dict[str, Any], query: Query) -> Answer:
    """Start the query, wait for it with backoff inside the command's deadline, read its answer.

    How the answer is read: the first GetQueryResults page (up to 1,000 rows). When it is the
    whole answer, that one request is all (no S3 read). When more pages follow, the query's
    result file is read from S3 instead (``aws_athena_file``: one GetObject, streamed), unless
    Athena names no file or the caller may not read it; then the pages are read to the end.
    """
    from costctl.clouds.aws import answers as aws_answers

    params: dict[str, Any] = {
        "QueryString": query.sql,
        "QueryExecutionContext": {"Database": settings["database"], "Catalog": settings["catalog"]},
        "WorkGroup": settings["workgroup"],
        # one token for every attempt: a retried start after a lost answer does not run (and bill) twice
        "ClientRequestToken": str(uuid.uuid4()),
    }
    if settings.get("output_location"):
        params["ResultConfiguration"] = {"OutputLocation": settings["output_location"]}
    query_id = aws_answers.started_query(aws.call("athena", "StartQueryExecution", **params))
    from costctl import deadline

    try:
        state, reason, scanned, location = _wait(aws, settings, query_id)
    except deadline.DeadlineExceeded:
        _stop(aws, query_id)  # the command's time is up: the query must not go on billing
        raise
    if state != "SUCCEEDED":
        raise ProviderError(_failure(settings, query_id, state, reason))
    page, token = _page(aws, query, query_id, None)
    if token and location:
        from costctl.clouds.aws import athena_file as aws_athena_file

        try:
            table = _from_file(aws, query, location)
            return Answer(table, aws_athena_file.source_of(location), scanned, query_id, 1)
        except aws_athena_file.NoAccess as exc:
            log.info("athena query %s: reading the answer page by page; grant s3:GetObject on %s to read it "
                     "in one request (%s)", query_id, location, exc)
    elif token:
        log.debug("athena query %s: no result file named; reading the answer page by page", query_id)
    return _from_pages(aws, query, query_id, page, token, scanned)


def _page(aws: AwsSession, query: Query, query_id: str, token: str | None) -> tuple[list[list[str | None]],
                                                                                  str | None]:
    from costctl.clouds.aws import answers as aws_answers

    request: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE_SIZE}
    if token:
        request["NextToken"] = token
    return aws_answers.result_page(aws.call("athena", "GetQueryResults", **request), query.columns, token is None)


def _from_pages(aws: AwsSession, query: Query, query_id: str, page: list[list[str | None]], token: str | None,
                scanned: int) -> Answer:
    """Every GetQueryResults page from the first (already read) to the last, as a table."""
    import pyarrow as pa

    from costctl.clouds.aws import answers as aws_answers
    from costctl.duck import connect, quote

    # Kept column by column, each distinct text once (accounts, services, regions repeat on every day):
    # an answer of 500,000 rows then holds its values rather than half a million lists of them.
    columns: list[list[str | None]] = [[] for _ in query.columns]
    shared: dict[str, str] = {}
    requests = 1
    while True:
        for name, values, column in zip(query.columns, zip(*page, strict=True), columns, strict=False):
            if name in query.measures:  # amounts rarely repeat
                column.extend(values)
            else:
                column.extend(v if v is None else shared.setdefault(v, v) for v in values)
        if not token:
            break
        page, token = _page(aws, query, query_id, token)
        requests += 1
    arrow = pa.table({name: pa.array(values, type=pa.string()) for name, values in zip(query.columns, columns,
                                                                                           strict=True)})
    del columns, shared
    table, view = table_name("answer"), table_name("pages")
    con = connect()
    con.register(view, arrow)
    try:
        con.execute(f"CREATE TABLE {quote(table)} AS SELECT * FROM {quote(view)}")
    finally:
        con.unregister(view)
    return Answer(table, aws_answers.ATHENA_RESULTS, scanned, query_id, requests)


def _from_file(aws: AwsSession, query: Query, location: str) -> str:
    """The result file at ``location`` as a table (downloaded to a private folder, removed after)."""
    import shutil

    from costctl.clouds.aws import athena_file as aws_athena_file
    from costctl.duck import connect

    folder = aws_athena_file.private_folder()
    try:
        path = aws_athena_file.download(aws, location, folder)
        table = table_name("answer")
        aws_athena_file.load(connect(), path, location, query.columns, table)
        return table
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait(aws: AwsSession, settings: dict[str, Any], query_id: str) -> tuple[str, str, int, str | None]:
    """Poll GetQueryExecution (tenacity: exponential backoff from POLL_INITIAL to POLL_MAX) until the
    query ends, giving up at ``max_query_time`` or before the command's deadline (then the query is
    stopped, so it bills no further)."""
    from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

    from costctl import deadline
    from costctl.clouds.aws import answers as aws_answers

    limit = deadline.retry_budget(float(settings.get("max_query_time") or 600.0))

    def poll() -> tuple[str, str, int, str | None]:
        return aws_answers.query_execution(aws.call("athena", "GetQueryExecution", QueryExecutionId=query_id))

    retrying = Retrying(wait=wait_exponential(multiplier=POLL_INITIAL, max=POLL_MAX), stop=stop_after_delay(limit),
                        retry=retry_if_result(lambda r: r[0] in RUNNING),
                        retry_error_callback=lambda last: last.outcome.result())
    state = retrying(poll)
    if state[0] in RUNNING:
        _stop(aws, query_id)
        raise ProviderError(f"Athena query {query_id} still {state[0]} after {limit:.0f} s; it was stopped. Raise "
                            "athena.max_query_time (and -t), or check the workgroup's queue in the Athena console")
    return state


def _stop(aws: AwsSession, query_id: str) -> None:
    """Best effort: a query left running bills until it ends, but failing to stop it changes no answer."""
    import contextlib

    with contextlib.suppress(ProviderError):
        aws.call("athena", "StopQueryExecution", QueryExecutionId=query_id)


def _failure(settings: dict[str, Any], query_id: str, state: str, reason: str) -> str:
    """One line for a query that FAILED or was CANCELLED, naming the setting to fix when it is known."""
    text = " ".join(reason.split())[:200] or "no reason given"
    lower = text.lower()
    if "access denied" in lower and ("output" in lower or "s3" in lower):
        where = settings.get("output_location") or f"the output location of workgroup {settings['workgroup']}"
        return (f"Athena cannot write query results to {where} (access denied): grant s3:PutObject and "
                f"s3:GetObject there, or set athena.output_location to a bucket the caller may write ({text})")
    if "column" in lower and ("cannot be resolved" in lower or "not found" in lower):
        return (f"athena table {settings['database']}.{settings['table']} lacks a column the query needs ({text}); "
                "check that the table is a CUR / Data Export table")
    if "table_not_found" in lower or ("table" in lower and "does not exist" in lower):
        return (f"athena table {settings['catalog']}.{settings['database']}.{settings['table']} not found ({text}); "
                "check athena.catalog, athena.database and athena.table")
    return f"Athena query {query_id} {state}: {text}"


# --- the answer as records ------------------------------------------------------------------------

def fetch_table(aws: AwsSession, settings: dict[str, Any], tag_keys: list[str], start: date, end: date,
                on_scanned: Any = None) -> str | None:
    """Records of ``[start, end)`` from one Athena query, as a table on the shared DuckDB connection
    (None when the range is empty); ``on_scanned(bytes)`` reports the scan.

    The answer is checked (``aws_athena_record.check``) and mapped in SQL; a BadAnswer leaves no
    table behind, and the loader then caches nothing.
    """
    from costctl.clouds.aws import athena_record as aws_athena_record
    from costctl.duck import connect, quote

    if start >= end:
        return None
    table = table_of(aws, settings)
    query = build_query(table, settings, tag_keys, start, end)
    check_scan(aws, table, query, settings)
    log.debug("athena %s: %s .. %s\n%s", table.name, start, end, query.sql)
    answer = run(aws, settings, query)
    if on_scanned is not None:
        on_scanned(answer.scanned)
    con = connect()
    try:
        rows = aws_athena_record.check(con, answer.table, query, answer.source)
        records = table_name("records")
        con.execute(f"CREATE TABLE {quote(records)} AS {aws_athena_record.record_sql(answer.table, query)}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote(answer.table)}")
    log.info("athena %s: query %s scanned %d bytes, %d row(s) from %s (%d GetQueryResults page(s))", table.name,
             answer.query_id, answer.scanned, rows, answer.source, answer.requests)
    return records


def fetch(aws: AwsSession, settings: dict[str, Any], tag_keys: list[str], start: date, end: date,
          on_scanned: Any = None) -> pd.DataFrame:
    """As ``fetch_table``, as a normalized pandas frame (for callers that want one)."""
    from costctl import model
    from costctl.arrowrec import table_to_frame
    from costctl.duck import connect, quote

    records = fetch_table(aws, settings, tag_keys, start, end, on_scanned)
    if records is None:
        return model.empty_frame()
    con = connect()
    try:
        frame = table_to_frame(con.sql(f"SELECT * FROM {quote(records)}").to_arrow_table())
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote(records)}")
    model.validate(frame)
    return frame


def check(aws: AwsSession, settings: dict[str, Any]) -> str:
    """For ``test-auth``: the table's schema maps (GetTable) and the workgroup exists (GetWorkGroup)."""
    table = table_of(aws, settings)
    today = date.today()
    build_query(table, settings, [], today.replace(day=1), today)
    aws.call("athena", "GetWorkGroup", WorkGroup=settings["workgroup"])
    return f"{table.name} ({table.layout}, {len(table.columns)} columns), workgroup {settings['workgroup']}"

