"""CUR objects in S3 and export blobs are streamed to private temp files, never held whole.

Against a real moto_server and Azurite: a multi-MB legacy CUR object is downloaded in bounded
reads (every read of its body is spied on, and Python's allocation peak during the fetch is
measured), lands in a 0700 temp folder that is gone when the command has ended, and a broken
object is named by its s3:// URI or blob path, never by the temp copy. Expected totals are summed
here from the generated rows, in integer cents.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import stat
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from azurite import azurite  # noqa: F401 - the module-scoped Azurite fixture

from costctl.clouds.aws.provider import AwsProvider
from costctl.errors import ProviderError
from costctl.providers.deliveries import CHUNK
from costctl.query import Dataset
from moto_server import fresh_bucket

pytestmark = pytest.mark.component

BUCKET = "stream-cur"
HEADER = ("identity/LineItemId,bill/BillingPeriodStartDate,bill/PayerAccountId,lineItem/LineItemType,"
          "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UsageAccountId,lineItem/ProductCode,"
          "lineItem/UnblendedCost,lineItem/CurrencyCode,product/ProductName,product/region")
JUNE = date(2024, 6, 1)
ROWS = 60_000  # about 9 MB of CSV


def cents(i: int) -> int:
    return 1 + (i * 7919) % 99_991


def cur_csv(rows: int, period: date = JUNE, days: int = 30, offset: int = 0) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        day = period + timedelta(days=i % days)
        lines.append(f"r{offset}-{i},{period}T00:00:00Z,111111111111,Usage,{day}T00:00:00Z,{day}T01:00:00Z,"
                     f"222222222222,AmazonEC2,{cents(i + offset) / 100:.2f},USD,Amazon Elastic Compute Cloud,"
                     "us-east-1")
    return ("\n".join(lines) + "\n").encode()


def deliver(s3: Any, start: date, end: date, assembly: str, files: dict[str, bytes]) -> None:
    base = f"cur/daily/{start:%Y%m%d}-{end:%Y%m%d}"
    keys = []
    for name, body in files.items():
        keys.append(f"{base}/{assembly}/{name}")
        s3.put_object(Bucket=BUCKET, Key=keys[-1], Body=body)
    s3.put_object(Bucket=BUCKET, Key=f"{base}/{assembly}/daily-Manifest.json", Body=json.dumps({
        "assemblyId": assembly, "reportKeys": keys,
        "billingPeriod": {"start": f"{start:%Y%m%d}T000000.000Z", "end": f"{end:%Y%m%d}T000000.000Z"}}).encode())


@pytest.fixture
def s3(moto: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return fresh_bucket(moto, monkeypatch, BUCKET)


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of this test's own, so its temp folders can be listed."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def provider(s3: Any) -> AwsProvider:
    return AwsProvider("cur", {"type": "aws", "endpoint_url": s3.endpoint, "cur_s3_uri": f"s3://{BUCKET}/cur/"},
                       store={})


def billed(source: str) -> float:
    table = Dataset(source).arrow(f"SELECT fsum(BilledCost) AS c FROM {source}")
    return round(float(table.column("c")[0].as_py()), 2)


def test_a_multi_mb_cur_object_is_read_in_bounded_chunks(s3: Any, tmpdir_env: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.response import StreamingBody

    data = cur_csv(ROWS)
    assert len(data) > 8 * CHUNK
    deliver(s3, JUNE, date(2024, 7, 1), "a1", {"daily-1.csv": data})
    reads: list[tuple[int | None, int]] = []
    original = StreamingBody.read

    def spy(self: Any, amt: int | None = None) -> bytes:
        chunk = original(self, amt)
        reads.append((amt, len(chunk)))
        return chunk

    cur = provider(s3)
    cur.fetch_sql(JUNE, date(2024, 7, 1))  # untraced: loads the SDK's S3 model, DuckDB and the mapper
    monkeypatch.setattr(StreamingBody, "read", spy)
    tracemalloc.start()
    try:
        source = cur.fetch_sql(JUNE, date(2024, 7, 1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    big = [r for r in reads if r[0] is not None]
    assert sum(n for _, n in big) == len(data)  # the data object, read only in sized reads
    assert max(n for _, n in reads) <= CHUNK
    assert all(n < 4096 for amt, n in reads if amt is None)  # whole reads: the manifest only
    assert peak < len(data) / 3, f"{peak} bytes traced while fetching a {len(data)}-byte object"
    folders = [p for p in tmpdir_env.iterdir() if p.name.startswith("costctl-download-")]
    assert len(folders) == 2 and all(stat.S_IMODE(f.stat().st_mode) == 0o700 for f in folders)
    assert billed(source) == sum(cents(i) for i in range(ROWS)) / 100


def test_temp_folders_are_gone_after_the_command(s3: Any, tmp_path: Path) -> None:
    deliver(s3, JUNE, date(2024, 7, 1), "a1", {"daily-1.csv.gz": gzip.compress(cur_csv(2000), mtime=0)})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(f"providers:\n  cur:\n    type: aws\n    endpoint_url: {s3.endpoint}\n"
                      f"    cur_s3_uri: s3://{BUCKET}/cur/\ncache:\n  path: {tmp_path / 'cache'}\n")
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(repo)}
    seen: list[str] = []
    for extra in ([], ["--no-cache"]):
        answer = subprocess.run(
            [sys.executable, "-c", "import os, sys; from costctl.cli import main\n"
             "try:\n    main(sys.argv[1:])\nfinally:\n    print(sorted(os.listdir(os.environ['TMPDIR'])),"
             " file=sys.stderr)",
             "--config", str(config), *extra, "costs", "--provider", "cur", "--start", "2024-06-01", "--end",
             "2024-06-30", "--granularity", "total", "--metric", "billed", "--format", "json"],
            capture_output=True, text=True, env=env, timeout=120, check=False)
        assert answer.returncode == 0, answer.stderr
        assert round(sum(float(r["cost"]) for r in json.loads(answer.stdout)), 2) == \
            sum(cents(i) for i in range(2000)) / 100
        seen.append(answer.stderr)
        assert os.listdir(tmp) == [], os.listdir(tmp)  # the command has ended: nothing left behind
    assert all("costctl-download-" in listing for listing in seen)  # while it ran, the copies were there


def test_a_newer_delivery_overlapping_the_month_replaces_only_the_days_it_holds(s3: Any) -> None:
    deliver(s3, JUNE, date(2024, 7, 1), "a-month", {"daily-1.csv": cur_csv(300)})
    time.sleep(1.1)  # S3 times have one-second resolution; the newer manifest must be later
    mid = date(2024, 6, 16)
    deliver(s3, mid, date(2024, 7, 1), "b-custom", {"daily-1.csv": cur_csv(150, mid, days=15, offset=10_000)})
    expected = sum(cents(i) for i in range(300) if JUNE + timedelta(days=i % 30) < mid) \
        + sum(cents(i + 10_000) for i in range(150))
    assert billed(provider(s3).fetch_sql(JUNE, date(2024, 7, 1))) == expected / 100
    # Asked from the 20th only, the custom delivery alone speaks.
    late = sum(cents(i + 10_000) for i in range(150) if mid + timedelta(days=i % 15) >= date(2024, 6, 20))
    assert billed(provider(s3).fetch_sql(date(2024, 6, 20), date(2024, 7, 1))) == late / 100


def no_temp_path(message: str) -> None:
    assert "costctl-download-" not in message and "costctl-scan-" not in message, message
    assert not re.search(r"/tmp\b|pytest-of-", message), message


@pytest.mark.parametrize(("name", "body", "says"), [
    ("daily-1.snappy.parquet", b"PAR1 this is not parquet PAR1", "unreadable Parquet"),
    ("daily-1.csv.gz", gzip.compress(cur_csv(3000), mtime=0)[:-200], "truncated or corrupt gzip"),
    ("daily-1.csv.zip", b"PK\x03\x04 cut short", "truncated or corrupt zip"),
])
def test_a_broken_object_is_named_by_its_uri_once_and_never_by_its_temp_copy(
        s3: Any, name: str, body: bytes, says: str) -> None:
    deliver(s3, JUNE, date(2024, 7, 1), "a1", {name: body})
    with pytest.raises(ProviderError) as info:
        provider(s3).fetch(JUNE, date(2024, 7, 1))
    message = str(info.value)
    uri = f"s3://{BUCKET}/cur/daily/20240601-20240701/a1/{name}"
    assert message.startswith(f"{uri}: {says}"), message
    assert message.count(name) == 1, message
    no_temp_path(message)


def test_a_broken_blob_found_while_storing_is_named_without_its_temp_copy(
        azurite: str, run: Any, tmp_path: Path) -> None:  # noqa: F811 - pytest fixture injection
    from azure.storage.blob import BlobServiceClient

    header = ("BillingAccountId,BillingPeriodStartDate,BillingPeriodEndDate,SubscriptionId,SubscriptionName,Date,"
              "MeterCategory,Cost,BillingCurrency,ResourceLocation,ChargeType,Quantity,UnitOfMeasure,Tags")
    rows = [f"8611537,03/01/2024,03/31/2024,sub-1,prod,03/{1 + i % 28:02d}/2024,Storage,1.25,USD,westeurope,Usage,"
            "1,1 Hour," for i in range(3000)]
    body = gzip.compress(("\n".join([header, *rows]) + "\n").encode(), mtime=0)[:-300]
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.create_container(f"costs-{uuid.uuid4().hex[:12]}")
    blob = f"exports/daily/20240301-20240331/export_{uuid.uuid4()}.csv.gz"
    container.upload_blob(blob, io.BytesIO(body))
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"providers": {"azx": {"type": "azure", "exports": {
        "connection_string": azurite, "container": container.container_name, "directory": "exports/daily"}}},
        "cache": {"path": str(tmp_path / "cache")}}))
    try:
        for extra in ([], ["--no-cache"]):
            result = run("--config", str(config), *extra, "costs", "--provider", "azx", "--start", "2024-03-01",
                         "--end", "2024-03-31", "--format", "json")
            assert result.exit_code == 1, result.stdout + result.stderr
            line = result.stderr.strip()
            assert "\n" not in line and line.startswith("costctl: error: azx: "), line
            assert "truncated or corrupt gzip" in line, line
            assert line.count(blob) == 1, line
            no_temp_path(line)
    finally:
        container.delete_container()
        service.close()
