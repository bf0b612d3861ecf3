"""A local Athena + Glue stand-in: the JSON 1.1 protocol boto3 speaks, queries really executed.

``FakeAthena`` answers Glue ``GetTable`` from the tables a test registers, and Athena
``StartQueryExecution`` / ``GetQueryExecution`` / ``GetQueryResults`` (paged with NextToken, the
header row first as Athena sends it) / ``StopQueryExecution`` / ``GetWorkGroup``. A query's text is
translated from Trino to DuckDB with sqlglot and executed by DuckDB over the table's files, which
the stand-in downloads from the (moto) S3 bucket under the table's location, reading Hive-style
``key=value/`` folders as partition columns and CSV columns by position under the Glue names (as
Athena's CSV SerDe does). ``DataScannedInBytes`` is the size of the files in the partitions the
query's WHERE keeps (Parquet column pruning is not modelled). A query that succeeds leaves its
answer where Athena does: ``<output location>/<QueryExecutionId>.csv`` in the (moto) S3 bucket,
named by GetQueryExecution's ``ResultConfiguration.OutputLocation``.

Failures it can play: an unknown workgroup (InvalidRequestException, as Athena answers), an output
bucket it may not write (the query FAILS with Athena's access-denied reason), an unknown table
(Glue EntityNotFoundException), a query DuckDB rejects (FAILED with the engine's message).
"""

from __future__ import annotations

import itertools
import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from local_http import JsonHandler, LocalHttp


class Handler(JsonHandler):
    content_type = "application/x-amz-json-1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        target = self.headers.get("X-Amz-Target", "")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        service, _, operation = target.partition(".")
        self.fake.calls.append(operation)
        method = getattr(self.fake, f"op_{operation}", None)
        if method is None:
            self._send(400, {"__type": "UnknownOperationException", "message": operation})
            return
        try:
            self._send(200, method(body))
        except ApiError as exc:
            self._send(exc.status, {"__type": exc.code, "message": exc.message, "Message": exc.message})


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class FakeAthena(LocalHttp):
    """Tables: ``add_table``; knobs: ``workgroups``, ``denied_outputs``, ``page_size``, ``running_polls``,
    ``managed_results``, ``result_filter``."""

    def __init__(self, s3_endpoint: str) -> None:
        self.s3_endpoint = s3_endpoint
        self.tables: dict[tuple[str, str], dict[str, Any]] = {}
        self.workgroups = {"primary"}
        self.denied_outputs: set[str] = set()  # buckets the query may not write results to
        self.page_size = 1000
        self.managed_results: set[str] = set()  # workgroups with Athena managed query results: no result file
        self.result_filter: Callable[[bytes], bytes] | None = None  # damages the result file as written
        self.running_polls = 1  # GetQueryExecution answers RUNNING this many times first
        # Run each query on a thread after StartQueryExecution has answered, as Athena does (a query
        # over millions of rows outlasts an HTTP read timeout when run inside the request).
        self.background = False
        self.queries: dict[str, dict[str, Any]] = {}
        self.started: list[str] = []  # the SQL of every StartQueryExecution, in order
        self.calls: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._serve(Handler)

    def add_table(self, database: str, name: str, columns: dict[str, str], partitions: dict[str, str],
                  location: str, fmt: str) -> None:
        """Register a Glue table: ``columns`` in file order (name -> Glue type), ``fmt`` parquet or csv."""
        self.tables[(database, name)] = {"columns": dict(columns), "partitions": dict(partitions),
                                         "location": location, "format": fmt}

    # --- Glue ------------------------------------------------------------------------------------

    def op_GetTable(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        table = self.tables.get((body.get("DatabaseName"), body.get("Name")))
        if table is None:
            raise ApiError("EntityNotFoundException", f"Table {body.get('Name')} not found.")
        return {"Table": {
            "Name": body["Name"], "DatabaseName": body["DatabaseName"], "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": k, "Type": v} for k, v in table["columns"].items()],
                                  "Location": table["location"]},
            "PartitionKeys": [{"Name": k, "Type": v} for k, v in table["partitions"].items()],
        }}

    # --- Athena ----------------------------------------------------------------------------------

    def op_GetWorkGroup(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if body.get("WorkGroup") not in self.workgroups:
            raise ApiError("InvalidRequestException", f"WorkGroup {body.get('WorkGroup')} is not found.")
        return {"WorkGroup": {"Name": body["WorkGroup"], "State": "ENABLED"}}

    def op_StartQueryExecution(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        workgroup = body.get("WorkGroup", "primary")
        if workgroup not in self.workgroups:
            raise ApiError("InvalidRequestException", f"WorkGroup {workgroup} is not found.")
        sql = body["QueryString"]
        query_id = f"q-{next(self._ids):04d}"
        self.started.append(sql)
        output = (body.get("ResultConfiguration") or {}).get("OutputLocation") or f"s3://{workgroup}-results/"
        bucket = output[len("s3://"):].split("/", 1)[0]
        record: dict[str, Any] = {"sql": sql, "polls": 0, "scanned": 0, "rows": [], "columns": [],
                                  "output": output, "workgroup": workgroup}
        if bucket in self.denied_outputs:
            record.update(state="FAILED", reason=f"Access denied when writing output to url: {output}. Please "
                          "ensure you are allowed to access the S3 bucket.")
            self.queries[query_id] = record
        elif self.background:
            record["state"] = "RUNNING"
            self.queries[query_id] = record
            threading.Thread(target=self._finish, args=(record, body, query_id), daemon=True).start()
        else:
            self._finish(record, body, query_id)
            self.queries[query_id] = record
        return {"QueryExecutionId": query_id}

    def _finish(self, record: dict[str, Any], body: dict[str, Any], query_id: str) -> None:
        """Execute the query and write its result file; the record's state ends SUCCEEDED or FAILED."""
        done: dict[str, Any] = {}
        try:
            done.update(self._execute(record["sql"], body.get("QueryExecutionContext") or {}))
            done["state"] = "SUCCEEDED"
        except Exception as exc:  # noqa: BLE001 - any engine error is a FAILED query, as in Athena
            first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            done.update(state="FAILED", reason=first)
        if record["workgroup"] in self.managed_results:
            done["output"] = None
        elif done["state"] == "SUCCEEDED":
            done["output"] = self._write_result(record["output"], query_id, done["columns"], done["rows"])
        if record.get("state") != "CANCELLED":
            state = done.pop("state")
            record.update(done)
            record["state"] = state  # last: a poll never sees SUCCEEDED before the answer is there

    def op_GetQueryExecution(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        record = self._query(body)
        record["polls"] += 1
        state = "RUNNING" if record["polls"] <= self.running_polls and record["state"] != "CANCELLED" \
            else record["state"]
        status: dict[str, Any] = {"State": state}
        if state in ("FAILED", "CANCELLED"):
            status["StateChangeReason"] = record.get("reason", "")
        return {"QueryExecution": {
            "QueryExecutionId": body["QueryExecutionId"], "Query": record["sql"], "Status": status,
            "WorkGroup": record["workgroup"],
            "ResultConfiguration": {"OutputLocation": record["output"]} if record["output"] else {},
            "Statistics": {"DataScannedInBytes": record["scanned"] if state == "SUCCEEDED" else 0,
                           "EngineExecutionTimeInMillis": 5},
        }}

    def op_StopQueryExecution(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        record = self._query(body)
        record["state"], record["reason"] = "CANCELLED", "Query cancelled by the user"
        return {}

    def op_GetQueryResults(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        record = self._query(body)
        if record["state"] != "SUCCEEDED":
            raise ApiError("InvalidRequestException", f"Query has not yet finished. Current state: {record['state']}")
        columns = record["columns"]
        offset = int(body.get("NextToken") or 0)  # into the header row followed by the data rows
        size = min(int(body.get("MaxResults") or 1000), self.page_size)
        rows = [columns] if offset == 0 else []
        rows += record["rows"][max(0, offset - 1):offset + size - 1]
        total = len(record["rows"]) + 1
        answer: dict[str, Any] = {"ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in r]} for r in rows],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": c, "Label": c, "Type": "varchar"} for c in columns]},
        }, "UpdateCount": 0}
        if offset + size < total:
            answer["NextToken"] = str(offset + size)
        return answer

    def _write_result(self, output: str, query_id: str, columns: list[str], rows: list[list[str | None]]) -> str:
        """The answer as Athena writes it to ``<output>/<id>.csv`` in S3 (the moto server); its s3:// URI.

        Athena's CSV: a header row, every value in double quotes (a quote doubled inside), NULL as
        an empty unquoted field, rows ending in a newline. The bucket stands for the workgroup's
        result bucket, so it is created when missing. ``result_filter`` may damage the bytes.
        """
        bucket, _, prefix = output[len("s3://"):].partition("/")
        key = f"{prefix.rstrip('/')}/{query_id}.csv".lstrip("/")

        def line(values: list[str | None]) -> str:
            return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values) + "\n"

        data = (line(list(columns)) + "".join(line(r) for r in rows)).encode()
        if self.result_filter is not None:
            data = self.result_filter(data)
        s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        s3.put_object(Bucket=bucket, Key=key + ".metadata", Body=b"")  # Athena's (binary) metadata file
        return f"s3://{bucket}/{key}"

    def _query(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self.queries.get(body.get("QueryExecutionId"))
        if record is None:
            raise ApiError("InvalidRequestException", f"QueryExecution {body.get('QueryExecutionId')} was not found")
        return record

    # --- execution -------------------------------------------------------------------------------

    def _execute(self, sql: str, context: dict[str, Any]) -> dict[str, Any]:
        """Run ``sql`` (Trino) with DuckDB over the referenced table's files: rows as text, bytes scanned."""
        import duckdb
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="trino")
        tables = {(t.db or context.get("Database"), t.name) for t in tree.find_all(exp.Table)
                  if t.name not in {c.alias_or_name for c in tree.find_all(exp.CTE)}}
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        scanned = 0
        with self._lock, tempfile.TemporaryDirectory(prefix="fake-athena-") as work:
            for database, name in tables:
                table = self.tables.get((database, name))
                if table is None:
                    raise RuntimeError(f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.{name}' does not exist")
                view = f"t_{database}_{name}".replace("-", "_")
                files = self._download(table, Path(work))
                if not files:
                    raise RuntimeError(f"no data under {table['location']}")
                self._register(con, view, table, files)
                for node in tree.find_all(exp.Table):
                    if node.name == name:
                        node.replace(exp.to_table(view))
                scanned += self._scanned(con, view, table, tree, files)
            text = tree.sql(dialect="duckdb")
            result = con.sql(text)
            columns = list(result.columns)
            rows = [[None if v is None else _text(v) for v in row] for row in result.fetchall()]
        con.close()
        return {"columns": columns, "rows": rows, "scanned": scanned}

    def _download(self, table: dict[str, Any], work: Path) -> list[tuple[Path, int]]:
        s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1")
        bucket, _, prefix = table["location"][len("s3://"):].partition("/")
        files = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/") or key.lower().endswith(".json"):
                    continue
                target = work / key
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target))
                files.append((target, int(obj["Size"])))
        return files

    def _register(self, con: Any, view: str, table: dict[str, Any], files: list[tuple[Path, int]]) -> None:
        paths = "[" + ", ".join(f"'{p}'" for p, _ in files) + "]"
        names = list(table["columns"])
        if table["format"] == "csv":
            compression = "gzip" if str(files[0][0]).endswith(".gz") else "none"
            reader = (f"read_csv({paths}, header=true, all_varchar=true, names={names!r}, hive_partitioning=true, "
                      f"hive_types_autocast=false, compression='{compression}', filename=true)")
        else:
            reader = f"read_parquet({paths}, hive_partitioning=true, hive_types_autocast=false, filename=true)"
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM {reader}")

    def _scanned(self, con: Any, view: str, table: dict[str, Any], tree: Any, files: list[tuple[Path, int]]) -> int:
        """Sizes of the files in the partitions the WHERE of the query reading ``view`` keeps."""
        from sqlglot import exp

        keys = {k.lower() for k in table["partitions"]}
        conditions = []
        for select in tree.find_all(exp.Select):
            source = select.args.get("from") or select.args.get("from_")
            if source is None or not isinstance(source.this, exp.Table) or source.this.name != view:
                continue
            where = select.args.get("where")
            if where is None:
                continue
            for part in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
                columns = {c.name.lower() for c in part.find_all(exp.Column)}
                if columns and columns <= keys:
                    conditions.append(part.sql(dialect="duckdb"))
        query = f"SELECT DISTINCT filename FROM {view}" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
        kept = {row[0] for row in con.sql(query).fetchall()}
        return sum(size for path, size in files if str(path) in kept)


def _text(value: Any) -> str:
    """A value as Athena's result CSV writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
