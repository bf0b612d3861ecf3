"""CUR (legacy) and Data Exports (CUR 2.0, FOCUS) objects in S3 -> normalized records.

AWS rewrites a billing period's files whenever it restates the month and writes a new manifest
each time; reading every object under the prefix would count old deliveries twice. So this
module reads manifests first, keeps the newest one per billing period, and parses only the data
files that manifest lists, with the same parsers as the ``files`` provider (``costctl.formats``).

Manifest shapes understood:
* legacy CUR ``<report>-Manifest.json``: ``billingPeriod.start`` like ``20230601T000000.000Z`` and
  ``reportKeys`` (object keys);
* Data Exports ``<export>-Manifest.json``: ``billingPeriod.start`` ISO and ``dataFiles`` (s3:// URIs).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from costctl.errors import ExportFormatError, ProviderError

if TYPE_CHECKING:
    import pandas as pd

    from costctl.providers.aws_session import AwsSession

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
    from costctl.providers import aws_answers

    objects: list[dict[str, Any]] = []
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page, token = aws_answers.object_page(aws.call("s3", "ListObjectsV2", **params))
        objects.extend(page)
        if token is None:
            return objects
        params["ContinuationToken"] = token


def read_object(aws: AwsSession, bucket: str, key: str) -> bytes:
    return aws.call("s3", "GetObject", Bucket=bucket, Key=key)["Body"].read()


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    digits = text.replace("-", "")[:8]
    try:
        return datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        return None


def parse_manifest(bucket: str, key: str, modified: datetime, data: bytes) -> Manifest | None:
    """A Manifest from its JSON, or None when the object is not a CUR/Data Exports manifest."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        log.warning("s3://%s/%s: not valid JSON, skipped", bucket, key)
        return None
    period = doc.get("billingPeriod") or {}
    start = _parse_day(period.get("start"))
    if start is None:
        return None
    files: list[tuple[str, str]] = []
    for name in doc.get("reportKeys") or []:
        files.append((bucket, str(name).lstrip("/")))
    for uri in doc.get("dataFiles") or []:
        files.append(split_uri(str(uri)))
    return Manifest(key, modified, start, _parse_day(period.get("end")), tuple(files))


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
    period_end = m.period_end or _next_month(m.period_start)
    return m.period_start < end and period_end > start


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def fetch(aws: AwsSession, uri: str, start: date, end: date) -> pd.DataFrame:
    """Records of ``[start, end)`` from the newest delivery of every overlapping billing period."""
    import pandas as pd

    from costctl import formats, model

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
    frames = []
    for period, m in sorted(latest_manifests(manifests).items()):
        if not overlaps(m, start, end):
            continue
        log.debug("CUR %s: %s (%d file(s))", period, m.key, len(m.files))
        for file_bucket, key in m.files:
            if not key.lower().endswith(DATA_SUFFIXES):
                continue
            try:
                frames.append(formats.parse_export(read_object(aws, file_bucket, key), key))
            except ExportFormatError as exc:
                raise ProviderError(f"s3://{file_bucket}/{key}: {exc}") from exc
    frames = [f for f in frames if len(f)]
    if not frames:
        return model.empty_frame()
    frame = pd.concat(frames, ignore_index=True)
    starts = frame["ChargePeriodStart"]
    mask = (starts >= pd.Timestamp(start, tz="UTC")) & (starts < pd.Timestamp(end, tz="UTC"))
    return frame.loc[mask].reset_index(drop=True)


def check(aws: AwsSession, uri: str) -> int:
    """Objects visible on the first page under the prefix (for ``test-auth``)."""
    bucket, prefix = split_uri(uri)
    return int(aws.call("s3", "ListObjectsV2", Bucket=bucket, Prefix=prefix, MaxKeys=100).get("KeyCount", 0))
