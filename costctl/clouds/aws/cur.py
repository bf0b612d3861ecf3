"""CUR (legacy) and Data Exports (CUR 2.0, FOCUS) objects in S3 -> normalized records.

AWS rewrites a billing period's files whenever it restates the month and writes a new manifest
each time; reading every object under the prefix would count old deliveries twice. So this
module reads manifests first, keeps the newest one per billing period, and reads only the data
files that manifest lists, streamed to temp files and scanned by the same ingest engine as the
``files`` provider (``costctl.providers.deliveries``).

Manifest shapes understood:
* legacy CUR ``<report>-Manifest.json``: ``billingPeriod.start`` like ``20230601T000000.000Z`` and
  ``reportKeys`` (object keys);
* Data Exports ``<export>-Manifest.json``: ``billingPeriod.start`` ISO and ``dataFiles`` (s3:// URIs).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from costctl.errors import ProviderError

if TYPE_CHECKING:
    from costctl.clouds.aws.session import AwsSession

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".csv.gz", ".csv.zip", ".parquet", ".snappy.parquet", ".gz.parquet")


@dataclass(frozen=True)
class Manifest:
    """One delivery of one billing period: which data files make it up."""

    key: str
    modified: datetime
    period_start: date
    period_end: date | None
    files: tuple[tuple[str, str], ...]  # (bucket, key)


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix without a leading slash)."""
    rest = uri[len("s3://"):] if uri.startswith("s3://") else uri
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ProviderError(f"cur_s3_uri {uri!r} names no bucket; write s3://bucket/prefix")
    return bucket, prefix


def list_objects(aws: AwsSession, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Every object under the prefix, following continuation tokens."""
    from costctl.clouds.aws import answers as aws_answers

    objects: list[dict[str, Any]] = []
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page, token = aws_answers.object_page(aws.call("s3", "ListObjectsV2", **params))
        objects.extend(page)
        if token is None:
            return objects
        params["ContinuationToken"] = token


def read_object(aws: AwsSession, bucket: str, key: str) -> bytes:
    """The whole object (manifests only: they are small); a body cut short (botocore checks
    Content-Length) is a failed fetch."""
    from botocore.exceptions import BotoCoreError

    from costctl.providers.answers import bad

    answer = aws.call("s3", "GetObject", Bucket=bucket, Key=key)
    try:
        return answer["Body"].read()
    except (BotoCoreError, OSError) as exc:
        raise bad(f"S3 GetObject s3://{bucket}/{key}", f"a body that broke off ({' '.join(str(exc).split())})") \
            from None


def download(aws: AwsSession, bucket: str, key: str, out: BinaryIO) -> None:
    """Copy a data object to ``out`` one chunk at a time: a CUR file can be many GB, so it is never
    held whole. A body cut short (botocore checks Content-Length at its end) is a failed fetch."""
    from botocore.exceptions import BotoCoreError

    from costctl.providers.answers import bad
    from costctl.providers.deliveries import CHUNK

    body = aws.call("s3", "GetObject", Bucket=bucket, Key=key)["Body"]
    try:
        while True:
            try:
                chunk = body.read(CHUNK)
            except (BotoCoreError, OSError) as exc:
                raise bad(f"S3 GetObject s3://{bucket}/{key}",
                          f"a body that broke off ({' '.join(str(exc).split())})") from None
            if not chunk:
                return
            out.write(chunk)
    finally:
        body.close()


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    digits = text.replace("-", "")[:8]
    try:
        return datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        return None


def parse_manifest(bucket: str, key: str, modified: datetime, data: bytes) -> Manifest | None:
    """A Manifest from its JSON, or None when the object is not a CUR/Data Exports manifest.

    A manifest that is not JSON (cut short, or an error page) is a failed fetch, not a skipped
    file: skipping it would silently serve the previous delivery, or no cost, for its month.
    """
    from costctl.providers.answers import bad

    source = f"S3 GetObject s3://{bucket}/{key}"
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(source, f"a manifest that is not valid JSON ({exc})") from None
    period = doc.get("billingPeriod") if isinstance(doc, dict) else None
    start = _parse_day(period.get("start")) if isinstance(period, dict) and isinstance(period.get("start"), str) \
        else None
    if start is None:
        return None
    files: list[tuple[str, str]] = []
    for field_name in ("reportKeys", "dataFiles"):
        listed = doc.get(field_name) or []
        if not isinstance(listed, list) or not all(isinstance(v, str) and v for v in listed):
            raise bad(source, f"a manifest whose {field_name} is not a list of names")
        for name in listed:
            files.append((bucket, name.lstrip("/")) if field_name == "reportKeys" else split_uri(name))
    end = period.get("end")
    return Manifest(key, modified, start, _parse_day(end) if isinstance(end, str) else None, tuple(files))


def latest_manifests(manifests: list[Manifest]) -> dict[date, Manifest]:
    """The newest manifest per billing period; on equal times the shallower key wins.

    Legacy CUR keeps a period-level manifest that AWS overwrites on every delivery next to the
    per-assembly ones, so the shallower one is the authoritative copy when timestamps tie.
    """
    best: dict[date, Manifest] = {}
    for m in manifests:
        current = best.get(m.period_start)
        rank = (m.modified, -m.key.count("/"), m.key)
        if current is None or rank > (current.modified, -current.key.count("/"), current.key):
            best[m.period_start] = m
    return best


def overlaps(m: Manifest, start: date, end: date) -> bool:
    return m.period_start < end and period_end(m) > start


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def fetch_sql(aws: AwsSession, uri: str, start: date, end: date) -> str:
    """Records of ``[start, end)`` as a DuckDB source: each day from the newest delivery whose billing
    period holds it.

    A delivery speaks for the days of its billing period only. Rows a data file holds outside that
    period (a fee spread over a year, a file listed by the wrong manifest) are left out, and said
    so once per fetch: were they kept, a day's total would depend on which manifests the asked
    range happened to overlap, so a cached August plus a later June..July would differ from one
    June..August read (the range a fetch covers is decided by what the cache already holds).

    Each data file is downloaded in chunks to a private temp file and scanned there
    (``deliveries``); the filters run in SQL over the scans.
    """
    from costctl.duck import connect
    from costctl.providers import deliveries

    bucket, prefix = split_uri(uri)
    objects = list_objects(aws, bucket, prefix)
    manifests = []
    for obj in objects:
        if obj["Key"].lower().endswith("manifest.json"):
            m = parse_manifest(bucket, obj["Key"], obj["LastModified"], read_object(aws, bucket, obj["Key"]))
            if m is not None:
                manifests.append(m)
    if not manifests and objects:
        raise ProviderError(
            f"{uri}: no CUR/Data Exports *-Manifest.json found among {len(objects)} object(s); "
            "point cur_s3_uri at the export's prefix, or use a files provider for loose files"
        )
    con = connect()
    staged = []
    for period, m in sorted(latest_manifests(manifests).items()):
        if not overlaps(m, start, end):
            continue
        log.debug("CUR %s: %s (%d file(s))", period, m.key, len(m.files))
        for file_bucket, key in m.files:
            if not key.lower().endswith(DATA_SUFFIXES):
                continue
            name = f"s3://{file_bucket}/{key}"
            delivery = deliveries.Delivery(name, _rank(m), m.period_start, period_end(m))
            staged.append((delivery, deliveries.stage(name, functools.partial(download, aws, file_bucket, key),
                                                      con)))
    return deliveries.source(staged, start, end, on_outside=_warn_outside)


def _warn_outside(delivery: Any, rows: int, billed: float) -> None:
    log.warning("%s: %d row(s) (%.2f billed) dated outside its billing period %s .. %s are left out; each day "
                "is read from the delivery of the billing period that holds it",
                delivery.name, rows, billed, delivery.start, delivery.end - timedelta(days=1))


def period_end(m: Manifest) -> date:
    """The exclusive end of a manifest's billing period (the next month when it does not say)."""
    return m.period_end if m.period_end and m.period_end > m.period_start else _next_month(m.period_start)


def _rank(m: Manifest) -> float:
    """Orders deliveries newest first, for days two billing periods both hold."""
    return m.modified.timestamp()


def check(aws: AwsSession, uri: str) -> int:
    """Objects visible on the first page under the prefix (for ``test-auth``)."""
    bucket, prefix = split_uri(uri)
    return int(aws.call("s3", "ListObjectsV2", Bucket=bucket, Prefix=prefix, MaxKeys=100).get("KeyCount", 0))
