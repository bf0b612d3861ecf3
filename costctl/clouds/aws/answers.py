"""Shape checks of the AWS answers the ``aws`` provider reads (see ``costctl.providers.answers``).

boto3 parses a 200 whose body is truncated or not JSON/XML into ``{}`` (or a dict missing most
keys) without raising, so every answer is checked here before it is mapped: Cost Explorer's
``ResultsByTime`` with its groups and amounts, Organizations' account pages, S3 listings.
"""

from __future__ import annotations

from typing import Any

from costctl.providers.answers import amount, bad, field

CE = "Cost Explorer GetCostAndUsage"
ORGANIZATIONS = "Organizations ListAccounts"
S3_LIST = "S3 ListObjectsV2"


def cost_and_usage(answer: Any, metrics: list[str], group_keys: int) -> None:
    """One GetCostAndUsage page: every period, group, key and requested metric present, amounts finite."""
    periods = field(answer, "ResultsByTime", list, CE)
    for i, period in enumerate(periods):
        where = f"ResultsByTime[{i}]"
        span = field(period, "TimePeriod", dict, CE, where)
        field(span, "Start", str, CE, f"{where}.TimePeriod")
        field(span, "End", str, CE, f"{where}.TimePeriod")
        groups = field(period, "Groups", list, CE, where) if group_keys else []
        for j, group in enumerate(groups):
            spot = f"{where}.Groups[{j}]"
            keys = field(group, "Keys", list, CE, spot)
            if len(keys) != group_keys or not all(isinstance(k, str) for k in keys):
                raise bad(CE, f"{spot}.Keys = {keys!r:.60}, expected {group_keys} string(s)")
            values = field(group, "Metrics", dict, CE, spot)
            for name in metrics:
                metric = field(values, name, dict, CE, f"{spot}.Metrics")
                amount(field(metric, "Amount", str, CE, f"{spot}.Metrics.{name}"), CE,
                       f"{spot}.Metrics.{name}.Amount")
    token = answer.get("NextPageToken")
    if token is not None and not isinstance(token, str):
        raise bad(CE, f"NextPageToken = {token!r:.40}, not a string")


def every_day(answers: list[Any], start: str, end: str) -> None:
    """A DAILY answer lists every day of ``[start, end)`` (an empty day has ``Groups: []``); a day
    that is missing from all pages means a page or part of one was lost, not that it cost nothing."""
    from datetime import date, timedelta

    lo, hi = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    seen = {p["TimePeriod"]["Start"][:10] for a in answers for p in a["ResultsByTime"]}
    day = lo
    while day < hi:
        if day.isoformat() not in seen:
            held = f"{len(seen)} day(s)" if seen else "no day at all"
            raise bad(CE, f"{held} of the {(hi - lo).days} asked; {day} is missing")
        day += timedelta(days=1)


def account_page(answer: Any) -> tuple[dict[str, str], str | None]:
    """One ListAccounts page: id -> name (the id when unnamed), and the next page's token."""
    accounts = field(answer, "Accounts", list, ORGANIZATIONS)
    names = {}
    for i, account in enumerate(accounts):
        ident = field(account, "Id", str, ORGANIZATIONS, f"Accounts[{i}]")
        names[ident] = account.get("Name") if isinstance(account.get("Name"), str) and account["Name"] else ident
    token = answer.get("NextToken")
    if token is not None and not isinstance(token, str):
        raise bad(ORGANIZATIONS, f"NextToken = {token!r:.40}, not a string")
    return names, token or None


def object_page(answer: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One ListObjectsV2 page: its objects (Key, LastModified) and the continuation token if truncated.

    A real listing always says ``KeyCount`` and ``IsTruncated``; a page whose ``Contents`` do not
    match its ``KeyCount``, or a truncated page without a token, would silently drop objects.
    """
    count = field(answer, "KeyCount", int, S3_LIST)
    truncated = field(answer, "IsTruncated", bool, S3_LIST)
    objects = answer.get("Contents", [])
    if not isinstance(objects, list):
        raise bad(S3_LIST, "Contents not being a list")
    # KeyCount counts CommonPrefixes too (only with a Delimiter, which costctl never sends).
    if count != len(objects):
        raise bad(S3_LIST, f"{len(objects)} object(s) where KeyCount says {count} (the listing was cut short)")
    for i, obj in enumerate(objects):
        field(obj, "Key", str, S3_LIST, f"Contents[{i}]")
        if "LastModified" not in obj:
            raise bad(S3_LIST, f"no Contents[{i}].LastModified")
    token = None
    if truncated:
        token = field(answer, "NextContinuationToken", str, S3_LIST)
    return objects, token


GLUE = "Glue GetTable"
ATHENA_START = "Athena StartQueryExecution"
ATHENA_STATE = "Athena GetQueryExecution"
ATHENA_RESULTS = "Athena GetQueryResults"
QUERY_STATES = ("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")


def glue_table(answer: Any) -> tuple[dict[str, str], dict[str, str], str]:
    """A GetTable answer: columns and partition keys (name -> Glue type) and the S3 location."""
    table = field(answer, "Table", dict, GLUE)
    storage = field(table, "StorageDescriptor", dict, GLUE, "Table")
    listed = field(storage, "Columns", list, GLUE, "Table.StorageDescriptor")
    keys = table.get("PartitionKeys", [])
    if not isinstance(keys, list):
        raise bad(GLUE, "Table.PartitionKeys not being a list")
    out: list[dict[str, str]] = [{}, {}]
    for target, entries, where in ((0, listed, "Table.StorageDescriptor.Columns"), (1, keys, "Table.PartitionKeys")):
        for i, column in enumerate(entries):
            name = field(column, "Name", str, GLUE, f"{where}[{i}]")
            out[target][name] = field(column, "Type", str, GLUE, f"{where}[{i}]")
    if not out[0]:
        raise bad(GLUE, "a table without columns")
    location = field(storage, "Location", str, GLUE, "Table.StorageDescriptor")
    return out[0], out[1], location


def started_query(answer: Any) -> str:
    """StartQueryExecution's QueryExecutionId."""
    query_id = field(answer, "QueryExecutionId", str, ATHENA_START)
    if not query_id:
        raise bad(ATHENA_START, "an empty QueryExecutionId")
    return query_id


def query_execution(answer: Any) -> tuple[str, str, int, str | None]:
    """GetQueryExecution: (state, reason, bytes scanned so far, the result file's s3:// location or
    None when Athena names none, as with managed query results); the state must be one Athena defines."""
    execution = field(answer, "QueryExecution", dict, ATHENA_STATE)
    status = field(execution, "Status", dict, ATHENA_STATE, "QueryExecution")
    state = field(status, "State", str, ATHENA_STATE, "QueryExecution.Status")
    if state not in QUERY_STATES:
        raise bad(ATHENA_STATE, f"QueryExecution.Status.State = {state!r:.40}, not one of {', '.join(QUERY_STATES)}")
    reason = status.get("StateChangeReason") or ""
    scanned = 0
    if state == "SUCCEEDED":
        stats = field(execution, "Statistics", dict, ATHENA_STATE, "QueryExecution")
        scanned = field(stats, "DataScannedInBytes", int, ATHENA_STATE, "QueryExecution.Statistics")
        if scanned < 0:
            raise bad(ATHENA_STATE, f"DataScannedInBytes = {scanned}, below 0")
    config = execution.get("ResultConfiguration")
    location = config.get("OutputLocation") if isinstance(config, dict) else None
    if location is not None and not isinstance(location, str):
        raise bad(ATHENA_STATE, "QueryExecution.ResultConfiguration.OutputLocation not being a string")
    return state, str(reason), scanned, location or None


def result_page(answer: Any, columns: list[str], first: bool) -> tuple[list[list[str | None]], str | None]:
    """One GetQueryResults page: its data rows (the header row of the first page checked and dropped)
    as lists of text or None, and the next page's token. Columns must be exactly the query's."""
    result = field(answer, "ResultSet", dict, ATHENA_RESULTS)
    meta = field(result, "ResultSetMetadata", dict, ATHENA_RESULTS, "ResultSet")
    info = field(meta, "ColumnInfo", list, ATHENA_RESULTS, "ResultSet.ResultSetMetadata")
    names = [c.get("Name") if isinstance(c, dict) else None for c in info]
    if names != columns:
        raise bad(ATHENA_RESULTS, f"columns {names!r:.80}, expected {columns!r:.80}")
    rows = []
    for i, row in enumerate(field(result, "Rows", list, ATHENA_RESULTS, "ResultSet")):
        data = field(row, "Data", list, ATHENA_RESULTS, f"ResultSet.Rows[{i}]")
        if len(data) != len(columns):
            raise bad(ATHENA_RESULTS, f"row {i} with {len(data)} value(s), expected {len(columns)}")
        values: list[str | None] = []
        for j, datum in enumerate(data):
            if not isinstance(datum, dict):
                raise bad(ATHENA_RESULTS, f"ResultSet.Rows[{i}].Data[{j}] not being an object")
            value = datum.get("VarCharValue")
            if value is not None and not isinstance(value, str):
                raise bad(ATHENA_RESULTS, f"ResultSet.Rows[{i}].Data[{j}].VarCharValue not being a string")
            values.append(value)
        rows.append(values)
    if first:
        if not rows or rows[0] != columns:
            raise bad(ATHENA_RESULTS, "a first page without the header row of the query's columns")
        rows = rows[1:]
    token = answer.get("NextToken")
    if token is not None and not isinstance(token, str):
        raise bad(ATHENA_RESULTS, f"NextToken = {token!r:.40}, not a string")
    return rows, token or None
