"""CUR / Data Exports in S3 (moto_server behind tests/fault_proxy.py): a range's total never depends on
what the cache held before, and a broken listing, manifest or data file is a failed fetch.

The deliveries are generated here as small legacy CUR CSVs, each with rows its manifest's billing
period does not hold (a fee spread past the month, a row of the month before), which is what made
"August, then June..August" differ from one June..August read.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from fault_proxy import Fault, FaultProxy

from moto_server import aws_env, reset

pytestmark = pytest.mark.component

BUCKET = "billing-cur"
HEADER = ("identity/LineItemId,bill/BillingPeriodStartDate,bill/PayerAccountId,lineItem/LineItemType,"
          "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UsageAccountId,lineItem/ProductCode,"
          "lineItem/UnblendedCost,lineItem/CurrencyCode,product/ProductName,product/region")
MONTHS = [date(2024, 6, 1), date(2024, 7, 1), date(2024, 8, 1)]


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def line(ident: str, period: date, day: date, cost: float, service: str = "AmazonEC2") -> str:
    return (f"{ident},{period}T00:00:00Z,111111111111,Usage,{day}T00:00:00Z,{day}T01:00:00Z,222222222222,"
            f"{service},{cost},USD,{service},us-east-1")


def month_rows(period: date) -> list[tuple[date, float]]:
    """(day, cost) of one delivery: every day of its month, plus strays outside it."""
    length = (next_month(period) - period).days
    days = [(period + timedelta(days=i), 100.0 + period.month + i / 4) for i in range(length)]
    strays = [(period - timedelta(days=10), 5000.0 + period.month), (next_month(period) + timedelta(days=3), 777.0)]
    return days + strays


def csv_of(period: date) -> bytes:
    rows = [line(f"{period:%m}-{i}", period, day, cost) for i, (day, cost) in enumerate(month_rows(period))]
    return gzip.compress(("\n".join([HEADER, *rows]) + "\n").encode(), mtime=0)


def deliver(s3: Any, period: str | date, body: bytes, manifest: bytes | None = None) -> None:
    start = period if isinstance(period, date) else date.fromisoformat(period)
    base = f"cur/daily/{start:%Y%m%d}-{next_month(start):%Y%m%d}"
    key = f"{base}/a1/daily-1.csv.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    if manifest is None:
        manifest = json.dumps({"assemblyId": "a1", "reportKeys": [key], "billingPeriod": {
            "start": f"{start:%Y%m%d}T000000.000Z", "end": f"{next_month(start):%Y%m%d}T000000.000Z"}}).encode()
    s3.put_object(Bucket=BUCKET, Key=f"{base}/daily-Manifest.json", Body=manifest)


def expected(lo: date, hi: date) -> float:
    """Independent total of ``[lo, hi)``: each day from the delivery of the month that holds it."""
    return round(sum(cost for p in MONTHS for day, cost in month_rows(p)
                     if lo <= day < hi and p <= day < next_month(p)), 2)


@pytest.fixture
def proxy(moto: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    aws_env(monkeypatch)
    reset(moto)
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    for month in MONTHS:
        deliver(s3, month, csv_of(month))
    server = FaultProxy(moto).start()
    server.s3 = s3
    yield server
    server.stop()


@pytest.fixture
def config(proxy: FaultProxy, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"providers:\n  cur:\n    type: aws\n    endpoint_url: {proxy.url}\n"
                    f"    cur_s3_uri: s3://{BUCKET}/cur/\n    max_retry_time: 1s\n"
                    f"cache:\n  path: {tmp_path / 'cache'}\n")
    return path


def costs(run: Any, config: Path, lo: date, last: date, *extra: str) -> Any:
    return run("--config", str(config), *extra, "costs", "--provider", "cur", "--start", lo.isoformat(),
               "--end", last.isoformat(), "--granularity", "total", "--format", "json", "--metric", "billed")


def total(result: Any) -> float:
    assert result.exit_code == 0, result.stderr
    return round(sum(float(r["cost"]) for r in result.json()), 2)


def test_a_range_total_does_not_depend_on_what_was_cached_before(run: Any, config: Path) -> None:
    june, august_last = MONTHS[0], date(2024, 8, 31)
    assert total(costs(run, config, MONTHS[2], august_last)) == expected(MONTHS[2], next_month(MONTHS[2]))
    cached = total(costs(run, config, june, august_last))  # fetches June..July only, August from the cache
    fresh = total(costs(run, config, june, august_last, "--no-cache"))
    assert cached == fresh == expected(june, next_month(MONTHS[2]))
    wide = costs(run, config, date(2024, 5, 20), date(2024, 9, 10), "--no-cache")
    assert total(wide) == expected(june, date(2024, 9, 1))


def test_strays_outside_a_billing_period_are_said_once_per_fetch(run: Any, config: Path) -> None:
    result = run("--config", str(config), "--no-cache", "costs", "--provider", "cur", "--start", "2024-07-01",
                 "--end", "2024-07-31", "--granularity", "total", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "daily-1.csv.gz: 2 row(s) (5784.00 billed) dated outside its billing period 2024-07-01 .. 2024-07-31 " \
           "are left out" in result.stderr


def one_line_error(result: Any) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: cur: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(("fault", "says"), [
    (Fault("list-type=2", b"", headers={"Content-Type": "application/xml"}),
     "S3 ListObjectsV2 answered with no KeyCount"),
    (Fault("list-type=2", lambda body: body.replace(b"<KeyCount>6</KeyCount>", b"<KeyCount>7</KeyCount>"),
           headers={"Content-Type": "application/xml"}),
     "S3 ListObjectsV2 answered with 6 object(s) where KeyCount says 7"),
    (Fault("list-type=2", lambda body: body.replace(b"<IsTruncated>false</IsTruncated>",
                                                    b"<IsTruncated>true</IsTruncated>"),
           headers={"Content-Type": "application/xml"}),
     "S3 ListObjectsV2 answered with no NextContinuationToken"),
    (Fault("20240701-20240801/daily-Manifest.json", b'{"assemblyId": "a1", "reportKeys": ["cur/da',
           headers={"Content-Type": "application/json"}),
     "daily-Manifest.json answered with a manifest that is not valid JSON"),
    (Fault("20240701-20240801/a1/daily-1.csv.gz", lambda body: body[:-40],
           headers={"Content-Type": "application/octet-stream"}),
     "daily-1.csv.gz: truncated or corrupt gzip"),
])
def test_a_broken_listing_manifest_or_file_is_a_failed_fetch_and_nothing_is_cached(
        run: Any, proxy: FaultProxy, config: Path, fault: Fault, says: str) -> None:
    lo, last = date(2024, 7, 1), date(2024, 7, 31)
    proxy.add(fault)
    line = one_line_error(costs(run, config, lo, last))
    assert fault.served == 1
    assert says in line, line
    assert total(costs(run, config, lo, last)) == expected(lo, date(2024, 8, 1))  # nothing wrong was cached


def test_a_broken_manifest_keeps_the_cached_copy(run: Any, proxy: FaultProxy, config: Path) -> None:
    lo, last = date(2024, 7, 1), date(2024, 7, 31)
    first = costs(run, config, lo, last)
    proxy.add(Fault("20240701-20240801/daily-Manifest.json", b"<Error>", headers={"Content-Type": "text/html"}))
    again = costs(run, config, lo, last, "--refresh")
    assert again.exit_code == 0 and again.stdout == first.stdout, again.stderr
    assert "warning: cur: S3 GetObject s3://billing-cur/cur/daily/20240701-20240801/daily-Manifest.json answered " \
           "with a manifest that is not valid JSON" in again.stderr
