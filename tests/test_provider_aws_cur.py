"""The aws provider reading CUR / Data Exports from S3 in a real moto_server process.

Uses the legacy CUR samples in shared/data/aws (beside the repository) as they are; a restated month is simulated
by delivering a truncated copy first and the whole file later, each with its own manifest.
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from costctl.clouds.aws.provider import AwsProvider
from costctl.errors import ProviderError
from moto_server import fresh_bucket

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "aws"
SMALL = SAMPLES / "cur_legacy_small.csv"  # June 2018
FINAL = SAMPLES / "cur_legacy_2023-06-final.csv"  # June 2023
BUCKET = "billing"

pytestmark = [pytest.mark.component,
              pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/data/aws samples not beside the repo")]


@pytest.fixture
def s3(moto: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return fresh_bucket(moto, monkeypatch, BUCKET)


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as fh:
        fh.write(data)
    return buf.getvalue()


def deliver(s3: Any, period: str, assembly: str, files: dict[str, bytes], top_level: bool) -> None:
    """Upload one legacy CUR delivery: data files and manifest under the assembly, optionally top-level too."""
    base = f"cur/daily/{period}"
    keys = []
    for name, data in files.items():
        key = f"{base}/{assembly}/{name}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        keys.append(key)
    start, end = period.split("-")
    manifest = json.dumps({
        "assemblyId": assembly, "reportKeys": keys,
        "billingPeriod": {"start": f"{start}T000000.000Z", "end": f"{end}T000000.000Z"},
    }).encode()
    s3.put_object(Bucket=BUCKET, Key=f"{base}/{assembly}/daily-Manifest.json", Body=manifest)
    if top_level:
        s3.put_object(Bucket=BUCKET, Key=f"{base}/daily-Manifest.json", Body=manifest)


def unblended(path: Path, nrows: int | None = None) -> float:
    """Independent total: the file's own cost column."""
    return float(pd.read_csv(path, nrows=nrows)["lineItem/UnblendedCost"].sum())


def provider(s3: Any, **settings: Any) -> AwsProvider:
    return AwsProvider("cur", {"type": "aws", "endpoint_url": s3.endpoint, "cur_s3_uri": f"s3://{BUCKET}/cur/",
                               **settings}, store={})


def test_newest_manifest_per_period_replaces_older_deliveries(s3: Any) -> None:
    lines = SMALL.read_bytes().splitlines(keepends=True)
    deliver(s3, "20180601-20180701", "a-old", {"daily-1.csv.gz": gz(b"".join(lines[:6]))}, top_level=False)
    deliver(s3, "20180601-20180701", "b-new", {"daily-1.csv.gz": gz(SMALL.read_bytes())}, top_level=True)
    deliver(s3, "20230601-20230701", "c", {"daily-1.csv": FINAL.read_bytes()}, top_level=True)
    p = provider(s3)
    frame = p.fetch(date(2018, 6, 1), date(2018, 7, 1))
    assert frame["BilledCost"].sum() == pytest.approx(unblended(SMALL), abs=1e-9)
    assert frame["BilledCost"].sum() != pytest.approx(unblended(SMALL, nrows=5), abs=1e-9)
    assert p.requests_by_service["ce"] == 0
    both = p.fetch(date(2018, 6, 1), date(2023, 7, 1))
    assert both["BilledCost"].sum() == pytest.approx(unblended(SMALL) + unblended(FINAL), abs=1e-9)


def test_only_the_asked_days_are_returned(s3: Any) -> None:
    deliver(s3, "20180601-20180701", "a", {"daily-1.csv.gz": gz(SMALL.read_bytes())}, top_level=True)
    frame = provider(s3).fetch(date(2018, 6, 10), date(2018, 6, 12))
    days = set(frame["ChargePeriodStart"].dt.date)
    assert days and days <= {date(2018, 6, 10), date(2018, 6, 11)}


def test_data_exports_manifest_with_s3_uris_is_understood(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="cur/focus/data/BILLING_PERIOD=2023-06/part-0.csv", Body=FINAL.read_bytes())
    s3.put_object(Bucket=BUCKET, Key="cur/focus/metadata/BILLING_PERIOD=2023-06/focus-Manifest.json", Body=json.dumps({
        "executionId": "x1", "billingPeriod": {"start": "2023-06-01T00:00:00.000Z", "end": "2023-07-01T00:00:00.000Z"},
        "dataFiles": [f"s3://{BUCKET}/cur/focus/data/BILLING_PERIOD=2023-06/part-0.csv"],
    }).encode())
    frame = provider(s3).fetch(date(2023, 6, 1), date(2023, 7, 1))
    assert frame["BilledCost"].sum() == pytest.approx(unblended(FINAL))


def test_prefix_without_manifests_is_a_clear_error(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="cur/loose.csv", Body=FINAL.read_bytes())
    with pytest.raises(ProviderError, match="no CUR/Data Exports"):
        provider(s3).fetch(date(2023, 6, 1), date(2023, 7, 1))


def test_missing_bucket_fails_at_once_with_one_line(s3: Any) -> None:
    p = AwsProvider("cur", {"type": "aws", "endpoint_url": s3.endpoint, "cur_s3_uri": "s3://nope/cur/"}, store={})
    with pytest.raises(ProviderError, match="NoSuchBucket") as info:
        p.fetch(date(2023, 6, 1), date(2023, 7, 1))
    assert "\n" not in str(info.value)
    assert p.requests_by_service["s3"] == 1


def test_test_auth_checks_the_bucket_instead_of_cost_explorer(s3: Any) -> None:
    deliver(s3, "20230601-20230701", "c", {"daily-1.csv": FINAL.read_bytes()}, top_level=True)
    result = provider(s3).test_auth()
    assert result.ok
    checks = {what: detail for what, _, detail in result.checks}
    assert "CUR export (s3:ListBucket)" in checks
    assert not any(what.startswith("Cost Explorer") for what in checks)
