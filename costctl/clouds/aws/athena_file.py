"""An Athena query's result file in S3, streamed to a private temp file and loaded into DuckDB.

Athena writes every SELECT's whole answer to ``<output location>/<QueryExecutionId>.csv``
(GetQueryExecution's ``ResultConfiguration.OutputLocation``): a header row, every value quoted,
NULL as an empty unquoted field, ``""`` for an empty string. Reading that one object replaces a
GetQueryResults request per 1,000 rows and a Python string per value (what PyAthena's S3 fetch
and awswrangler do). Here it is downloaded in chunks (never whole in memory) and read by DuckDB
with the exact dialect and every column VARCHAR; ``aws_athena_record`` then checks and casts it.

Sits between ``aws_athena.run`` (which decides when to read the file) and ``aws_athena_record``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import tempfile
from typing import TYPE_CHECKING, Any

from costctl.errors import ProviderError
from costctl.providers.answers import bad

if TYPE_CHECKING:
    from costctl.clouds.aws.session import AwsSession

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes per read of the object's body
HEADER_LIMIT = 1 << 20  # a header line longer than this is not Athena's


class NoAccess(ProviderError):
    """The caller may not read the result object (s3:GetObject, or kms:Decrypt of its key)."""


def source_of(location: str) -> str:
    """How messages name the file: ``Athena result file s3://bucket/key``."""
    return f"Athena result file {location}"


def split(location: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); BadAnswer for anything else (a location is Athena's to give)."""
    bucket, _, key = location[len("s3://"):].partition("/") if location.startswith("s3://") else ("", "", "")
    if not bucket or not key or key.endswith("/"):
        raise bad("Athena GetQueryExecution", f"ResultConfiguration.OutputLocation = {location!r:.80}, not an "
                  "s3:// object")
    return bucket, key


def download(aws: AwsSession, location: str, folder: str) -> str:
    """The object at ``location`` copied into ``folder`` chunk by chunk; the local path.

    Access denied is ``NoAccess`` (the caller decides what then); a body that breaks off (botocore
    checks Content-Length at its end) is a BadAnswer, as for any other S3 read.
    """
    from botocore.exceptions import BotoCoreError

    bucket, key = split(location)
    try:
        answer = aws.call("s3", "GetObject", Bucket=bucket, Key=key)
    except ProviderError as exc:
        if "denied" in str(exc).lower():
            raise NoAccess(str(exc)) from None
        raise
    body = answer.get("Body") if isinstance(answer, dict) else None
    if body is None:
        raise bad(f"S3 GetObject {location}", "no Body")
    path = os.path.join(folder, "result.csv")
    size = 0
    try:
        with open(path, "wb") as out:
            for chunk in body.iter_chunks(CHUNK):
                out.write(chunk)
                size += len(chunk)
    except (BotoCoreError, OSError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
            from costctl.oserrors import describe

            raise ProviderError(f"Athena result file: {describe(exc, path)}") from None
        raise bad(f"S3 GetObject {location}", f"a body that broke off ({' '.join(str(exc).split())})") from None
    finally:
        with contextlib.suppress(Exception):
            body.close()
    log.debug("athena result file %s: %d bytes", location, size)
    return path


def header(path: str, location: str) -> list[str]:
    """The column names of the file's first line (quoted, comma-separated, as Athena writes them)."""
    with open(path, "rb") as handle:
        line = handle.readline(HEADER_LIMIT)
    if not line.endswith(b"\n"):
        raise bad(source_of(location), "no header row" if not line else "a header row that does not end")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise bad(source_of(location), "a header row that is not UTF-8") from None
    return next(csv.reader(io.StringIO(text)), [])


def load(con: Any, path: str, location: str, columns: list[str], table: str) -> int:
    """The file's rows into the DuckDB table ``table`` (every column VARCHAR, file order kept);
    its row count. The header must be exactly ``columns``; a row DuckDB cannot parse (a file cut
    short mid-row, a stray quote, a wrong number of fields) is a BadAnswer naming its line."""
    from costctl.duck import literal, quote

    names = header(path, location)
    if names != columns:
        raise bad(source_of(location), f"columns {names!r:.80}, expected {columns!r:.80}")
    types = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns) + "}"
    # Athena's dialect, spelled out so nothing is sniffed: "" is an empty string, an empty field NULL.
    reader = (f"read_csv({literal(path)}, header = true, columns = {types}, auto_detect = false, delim = ',', "
              "quote = '\"', escape = '\"', allow_quoted_nulls = false, strict_mode = true, null_padding = false, "
              "ignore_errors = false, encoding = 'utf-8')")
    try:
        con.execute(f"CREATE TABLE {quote(table)} AS SELECT * FROM {reader}")
    except Exception as exc:
        if "duckdb" not in type(exc).__module__:
            raise
        raise bad(source_of(location), f"a CSV row that does not parse ({_first_lines(str(exc))})") from None
    return int(con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0])


def _first_lines(message: str) -> str:
    """DuckDB's CSV error in one line: 'CSV Error on Line: 3 ... Expected Number of Columns: 3 Found: 2'."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    keep = [line for line in lines[:4] if not line.startswith(("Possible fixes", "*"))]
    text = "; ".join(keep).replace("Invalid Input Error: ", "")
    return text if len(text) <= 200 else text[:197] + "..."


def private_folder() -> str:
    """A folder only this user can read (mkdtemp: 0700, unpredictable name) for the downloaded file."""
    return tempfile.mkdtemp(prefix="costctl-athena-")
