"""A local BigQuery REST stand-in that really executes the SQL it is sent.

The real ``google.cloud.bigquery.Client`` talks to this ``http.server`` on loopback. Queries are
transpiled from BigQuery SQL to DuckDB with sqlglot and run, with their parameters, over an
in-memory billing table that has the export's real nested schema (``service``, ``project`` with
repeated ``labels``, ``location``, repeated ``credits``, ``invoice``, ``_PARTITIONTIME``). So a
wrong filter, a missing parameter or a wrong credits sum changes the answer and fails a test.

Speaks: jobs.insert (``POST .../jobs``, dry runs included), jobs.get, jobs.getQueryResults with
``pageToken`` paging, jobs.query (``POST .../queries``), and BigQuery's error bodies. Bytes
processed are modelled as ``ROW_BYTES`` per table row in the partitions the query's
``@partition_*`` parameters select, so tests can see the partition filter narrow the scan.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import ThreadingHTTPServer
from typing import Any

from local_http import JsonHandler

ROW_BYTES = 1000

BILLING_DDL = """
CREATE TABLE billing (
  billing_account_id VARCHAR,
  service STRUCT(id VARCHAR, description VARCHAR),
  sku STRUCT(id VARCHAR, description VARCHAR),
  usage_start_time TIMESTAMPTZ,
  usage_end_time TIMESTAMPTZ,
  project STRUCT(id VARCHAR, name VARCHAR, labels STRUCT(key VARCHAR, value VARCHAR)[]),
  labels STRUCT(key VARCHAR, value VARCHAR)[],
  location STRUCT(location VARCHAR, country VARCHAR, region VARCHAR, zone VARCHAR),
  resource STRUCT(name VARCHAR, global_name VARCHAR),
  export_time TIMESTAMPTZ,
  cost DOUBLE,
  currency VARCHAR,
  credits STRUCT(name VARCHAR, amount DOUBLE, full_name VARCHAR, id VARCHAR, type VARCHAR)[],
  invoice STRUCT(month VARCHAR),
  cost_type VARCHAR,
  _PARTITIONTIME TIMESTAMPTZ
)
"""
COLUMNS = ("billing_account_id", "service", "sku", "usage_start_time", "usage_end_time", "project", "labels",
           "location", "resource", "export_time", "cost", "currency", "credits", "invoice", "cost_type",
           "_PARTITIONTIME")


def arrow_rows(rows: list[dict[str, Any]]) -> Any:
    """The rows as an Arrow table with the export's nested types (DuckDB reads it natively)."""
    import pyarrow as pa

    text = pa.string()
    ts = pa.timestamp("us", tz="UTC")
    pair = pa.list_(pa.struct([("key", text), ("value", text)]))
    schema = pa.schema([
        ("billing_account_id", text),
        ("service", pa.struct([("id", text), ("description", text)])),
        ("sku", pa.struct([("id", text), ("description", text)])),
        ("usage_start_time", ts), ("usage_end_time", ts),
        ("project", pa.struct([("id", text), ("name", text), ("labels", pair)])),
        ("labels", pair),
        ("location", pa.struct([("location", text), ("country", text), ("region", text), ("zone", text)])),
        ("resource", pa.struct([("name", text), ("global_name", text)])),
        ("export_time", ts), ("cost", pa.float64()), ("currency", text),
        ("credits", pa.list_(pa.struct([("name", text), ("amount", pa.float64()), ("full_name", text),
                                        ("id", text), ("type", text)]))),
        ("invoice", pa.struct([("month", text)])), ("cost_type", text), ("_PARTITIONTIME", ts),
    ])
    return pa.Table.from_pylist([{c: row.get(c) for c in COLUMNS} for row in rows], schema=schema)


DUCK_TO_BQ = {"DATE": "DATE", "VARCHAR": "STRING", "DOUBLE": "FLOAT", "BIGINT": "INTEGER", "HUGEINT": "INTEGER",
              "INTEGER": "INTEGER", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "BOOLEAN": "BOOLEAN",
              "DECIMAL(38,0)": "INTEGER"}


@dataclass
class Failure:
    """An error to answer instead of the next matching call."""

    status: int
    reason: str
    message: str
    on: str = "insert"  # insert (jobs.insert / jobs.query) or results (getQueryResults)
    times: int = 1


@dataclass
class Job:
    job_id: str
    project: str
    fields: list[dict[str, str]]
    rows: list[list[Any]]
    bytes_processed: int
    dry_run: bool
    configuration: dict[str, Any]


@dataclass
class Sent:
    """One query the fake received, as the provider sent it."""

    sql: str
    params: dict[str, Any]
    param_types: dict[str, str]
    dry_run: bool
    maximum_bytes_billed: int | None
    project: str


@dataclass
class FakeBigQuery:
    """State of the fake: the table, what was sent, errors to inject."""

    table: str  # project.dataset.table that exists
    rows: list[dict[str, Any]] = field(default_factory=list)
    queries: list[Sent] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    corrupt: dict[str, Any] | None = None  # {"column": name, "value": v}: garble that cell of the first row
    max_page_rows: int | None = None  # cap rows per page whatever the client asks
    jobs: dict[str, Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, status: int, reason: str, message: str = "", on: str = "insert", times: int = 1) -> None:
        self.failures.append(Failure(status, reason, message or f"{reason} (injected)", on, times))

    def take_failure(self, on: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.on == on and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    # -- the engine -------------------------------------------------------------------------------

    def execute(self, sql: str, params: dict[str, Any]) -> tuple[list[dict[str, str]], list[list[Any]], int]:
        """Run BigQuery SQL on DuckDB: (BigQuery schema fields, rows, bytes processed)."""
        import duckdb
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="bigquery")
        for table in tree.find_all(exp.Table):
            name = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            if table.db and name != self.table:
                raise BigQueryError(404, "notFound", f"Not found: Table {name.replace('.', ':', 1)} was not found "
                                                     "in location US")
            if table.db:
                table.replace(exp.to_table("billing"))
        duck_sql = tree.sql(dialect="duckdb")
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone='UTC'")
            con.execute(BILLING_DDL)
            if self.rows:
                source = arrow_rows(self.rows)  # noqa: F841 - DuckDB reads the local by name
                con.execute(f"INSERT INTO billing SELECT {', '.join(COLUMNS)} FROM source")
            used = {k: v for k, v in params.items() if f"${k}" in duck_sql}
            cursor = con.execute(duck_sql, used)
            fields = [{"name": d[0], "type": DUCK_TO_BQ.get(str(d[1]), "STRING"), "mode": "NULLABLE"}
                      for d in cursor.description]
            rows = [list(r) for r in cursor.fetchall()]
        finally:
            con.close()
        return fields, rows, self.scanned_bytes(params)

    def scanned_bytes(self, params: dict[str, Any]) -> int:
        lo, hi = params.get("partition_start"), params.get("partition_end")
        count = sum(1 for r in self.rows
                    if (lo is None or r["_PARTITIONTIME"] >= lo) and (hi is None or r["_PARTITIONTIME"] < hi))
        return count * ROW_BYTES

    # -- the REST surface -------------------------------------------------------------------------

    def run_query(self, project: str, body: dict[str, Any]) -> Job:
        query_conf = body.get("configuration", {}).get("query", body)
        sql = query_conf["query"]
        params, types = parse_parameters(query_conf.get("queryParameters", []))
        dry_run = bool(body.get("configuration", {}).get("dryRun", body.get("dryRun", False)))
        limit = query_conf.get("maximumBytesBilled")
        self.queries.append(Sent(sql, params, types, dry_run, int(limit) if limit else None, project))
        failure = self.take_failure("insert")
        if failure:
            raise BigQueryError(failure.status, failure.reason, failure.message)
        fields, rows, scanned = self.execute(sql, params)
        if limit and scanned > int(limit) and not dry_run:
            raise BigQueryError(400, "bytesBilledLimitExceeded",
                                f"Query exceeded limit for bytes billed: {limit}. {scanned} or higher required.")
        job_id = (body.get("jobReference") or {}).get("jobId") or f"job_{uuid.uuid4().hex[:12]}"
        job = Job(job_id, project, fields, [] if dry_run else rows, scanned, dry_run, body.get("configuration", {}))
        self.jobs[job_id] = job
        return job


class BigQueryError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message

    def body(self) -> dict[str, Any]:
        statuses = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                    500: "INTERNAL", 503: "UNAVAILABLE"}
        return {"error": {"code": self.status, "message": self.message, "status": statuses.get(self.status, "UNKNOWN"),
                          "errors": [{"message": self.message, "domain": "global", "reason": self.reason}]}}


def parse_parameters(raw: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Named query parameters from the wire format, typed for DuckDB."""
    values: dict[str, Any] = {}
    types: dict[str, str] = {}
    for p in raw:
        kind = p["parameterType"]["type"]
        value = (p.get("parameterValue") or {}).get("value")
        if value is not None and kind == "TIMESTAMP":
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
        elif value is not None and kind == "DATE":
            value = date.fromisoformat(value)
        elif value is not None and kind in ("INT64", "INTEGER"):
            value = int(value)
        elif value is not None and kind in ("FLOAT64", "FLOAT"):
            value = float(value)
        values[p["name"]] = value
        types[p["name"]] = kind
    return values, types


def cell(value: Any, kind: str) -> Any:
    """One value in BigQuery's JSON row format: strings, TIMESTAMP as integer microseconds."""
    if value is None:
        return None
    if kind == "TIMESTAMP":
        return str(int(value.timestamp() * 1_000_000))
    if kind == "DATE":
        return value.isoformat()
    if kind == "FLOAT":
        return repr(float(value))
    return str(value)


class Handler(JsonHandler):
    fake: FakeBigQuery

    content_type = "application/json; charset=UTF-8"

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        path = self.path.split("?")[0]
        self.fake.requests.append(("POST", path))
        try:
            if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/jobs", path):
                job = self.fake.run_query(m.group(1), self._body())
                return self._send(200, job_resource(job))
            if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/queries", path):
                body = self._body()
                job = self.fake.run_query(m.group(1), body)
                return self._send(200, results_page(self.fake, job, None, body.get("maxResults")))
        except BigQueryError as exc:
            return self._send(exc.status, exc.body())
        except Exception as exc:  # noqa: BLE001 - an engine failure is an invalid query, not a dropped connection
            return self._send(400, BigQueryError(400, "invalidQuery", f"{type(exc).__name__}: {exc}").body())
        self._send(404, BigQueryError(404, "notFound", f"no route {path}").body())

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path, _, query = self.path.partition("?")
        self.fake.requests.append(("GET", path))
        args = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/queries/([^/]+)", path):
            failure = self.fake.take_failure("results")
            if failure:
                return self._send(failure.status, BigQueryError(failure.status, failure.reason, failure.message).body())
            job = self.fake.jobs.get(m.group(2))
            if job is None:
                return self._send(404, BigQueryError(404, "notFound", f"Not found: Job {m.group(2)}").body())
            return self._send(200, results_page(self.fake, job, args.get("pageToken"), args.get("maxResults")))
        if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/jobs/([^/]+)", path):
            job = self.fake.jobs.get(m.group(2))
            if job is None:
                return self._send(404, BigQueryError(404, "notFound", f"Not found: Job {m.group(2)}").body())
            return self._send(200, job_resource(job))
        self._send(404, BigQueryError(404, "notFound", f"no route {path}").body())


def job_resource(job: Job) -> dict[str, Any]:
    now = str(int(datetime.now(UTC).timestamp() * 1000))
    stats = {"totalBytesProcessed": str(job.bytes_processed), "statementType": "SELECT",
             "totalBytesBilled": str(0 if job.dry_run else job.bytes_processed)}
    if job.dry_run:
        stats["schema"] = {"fields": job.fields}
    return {"kind": "bigquery#job", "id": f"{job.project}:US.{job.job_id}",
            "jobReference": {"projectId": job.project, "jobId": job.job_id, "location": "US"},
            "configuration": job.configuration, "status": {"state": "DONE"},
            "statistics": {"creationTime": now, "startTime": now, "endTime": now,
                           "totalBytesProcessed": str(job.bytes_processed), "query": stats}}


def results_page(fake: FakeBigQuery, job: Job, token: str | None, max_results: Any) -> dict[str, Any]:
    start = int(token or 0)
    size = int(max_results) if max_results else len(job.rows) or 1
    if fake.max_page_rows:
        size = min(size, fake.max_page_rows)
    page = job.rows[start:start + size]
    kinds = [f["type"] for f in job.fields]
    rows = [{"f": [{"v": cell(v, k)} for v, k in zip(r, kinds, strict=True)]} for r in page]
    if fake.corrupt and start == 0 and rows:
        index = [f["name"] for f in job.fields].index(fake.corrupt["column"])
        rows[0]["f"][index]["v"] = fake.corrupt["value"]
    answer = {"kind": "bigquery#getQueryResultsResponse", "jobComplete": True, "cacheHit": False,
              "jobReference": {"projectId": job.project, "jobId": job.job_id, "location": "US"},
              "schema": {"fields": job.fields}, "totalRows": str(len(job.rows)), "rows": rows,
              "totalBytesProcessed": str(job.bytes_processed)}
    if start + size < len(job.rows):
        answer["pageToken"] = str(start + size)
    return answer


@contextlib.contextmanager
def serving(fake: FakeBigQuery) -> Iterator[str]:
    """Serve ``fake`` on a free loopback port; yield the endpoint URL; stop on exit."""
    handler = type("BoundHandler", (Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
