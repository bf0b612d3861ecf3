"""A range's answer never depends on what the cache held before (issue 22, item 2).

For every provider's local stand-in (files on disk, Cost Explorer and CUR in S3 through a real
moto_server, the Cost Management Query fake, exports in a real Azurite, the BigQuery fake), a
seeded random sequence of overlapping ranges is asked through one cache, some with ``--refresh``,
and each answer is compared, day by day and service by service, with a ``--no-cache`` run of the
same range. The data holds what made answers drift before: export rows outside their delivery's
billing period, days without cost, ranges reaching past the data and up to today.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

TODAY = datetime.now(UTC).date()
FIRST = TODAY - timedelta(days=40)  # data from FIRST up to the day before yesterday
LAST = TODAY - timedelta(days=2)
STEPS = 7
SERVICES = ("AmazonEC2", "AmazonS3", "AWSLambda")


def days(lo: date = FIRST, hi: date = LAST) -> list[date]:
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


def cost(day: date, service: str) -> float | None:
    """The dataset: a deterministic cost per day and service, some days without a service."""
    seed = day.toordinal() * 7 + SERVICES.index(service)
    if seed % 5 == 0:
        return None
    return round(1 + (seed * 37 % 1000) / 7.0, 4)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def months() -> list[date]:
    return sorted({month_of(d) for d in days()})


# --- export files --------------------------------------------------------------------------------

CUR_HEADER = ("identity/LineItemId,bill/BillingPeriodStartDate,bill/PayerAccountId,lineItem/LineItemType,"
              "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UsageAccountId,lineItem/ProductCode,"
              "lineItem/UnblendedCost,lineItem/CurrencyCode,product/ProductName,product/region")


def cur_csv(period: date) -> bytes:
    """One legacy CUR delivery for ``period``'s month: its days, plus rows dated outside the month."""
    rows = []
    inside = [d for d in days() if month_of(d) == period]
    strays = [period - timedelta(days=5), next_month(period) + timedelta(days=2)]
    for i, day in enumerate(inside + strays):
        for service in SERVICES:
            amount = cost(day, service)
            if amount is None:
                continue
            amount = amount if day in inside else amount + 1000.0
            rows.append(f"{period:%m}-{i}-{service},{period}T00:00:00Z,111111111111,Usage,{day}T00:00:00Z,"
                        f"{day}T01:00:00Z,222222222222,{service},{amount},USD,{service},us-east-1")
    return gzip.compress(("\n".join([CUR_HEADER, *rows]) + "\n").encode(), mtime=0)


AZURE_HEADER = ("BillingAccountId,BillingPeriodStartDate,BillingPeriodEndDate,SubscriptionId,SubscriptionName,Date,"
                "MeterCategory,Cost,BillingCurrency,ResourceLocation,ChargeType,Quantity,UnitOfMeasure,Tags")


def azure_csv(period: date) -> bytes:
    """One Azure EA export run for ``period``'s month, with rows of other months in it too."""
    end = next_month(period) - timedelta(days=1)
    rows = []
    for day in [d for d in days() if month_of(d) == period] + [period - timedelta(days=3), end + timedelta(days=4)]:
        for service in SERVICES:
            amount = cost(day, service)
            if amount is not None:
                rows.append(f"8611537,{period:%m/%d/%Y},{end:%m/%d/%Y},sub-1,prod,{day:%m/%d/%Y},{service},"
                            f"{amount},USD,westeurope,Usage,1,1 Hour,")
    return ("\n".join([AZURE_HEADER, *rows]) + "\n").encode()


# --- one config per stand-in -------------------------------------------------------------------


def write_config(tmp_path: Path, settings: dict[str, Any]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"providers": {"src": settings}, "cache": {"path": str(tmp_path / "cache")}}))
    return path


def files_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    for period in months():
        (folder / f"cur-{period:%Y%m}.csv.gz").write_bytes(cur_csv(period))
    return write_config(tmp_path, {"type": "files", "paths": [str(folder / "*.csv.gz")]})


def ce_answer() -> dict[str, Any]:
    """Cost Explorer's answer for the whole data window; the provider keeps the asked days of it."""
    lo, hi = FIRST - timedelta(days=60), TODAY + timedelta(days=1)
    periods = []
    for day in days(lo, hi - timedelta(days=1)):
        groups = [{"Keys": [s, "222222222222"], "Metrics": {
            metric: {"Amount": str(cost(day, s)), "Unit": "USD"} for metric in ("UnblendedCost", "AmortizedCost")}}
            for s in SERVICES if FIRST <= day <= LAST and cost(day, s) is not None]
        periods.append({"TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
                        "Total": {}, "Groups": groups, "Estimated": False})
    return {"ResultsByTime": periods, "DimensionValueAttributes": []}


def aws_ce_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    from moto_server import aws_env, inject_ce_results, reset

    moto = request.getfixturevalue("moto")
    aws_env(request.getfixturevalue("monkeypatch"))
    reset(moto)
    # moto hands one queued answer to each distinct request: one per fetch, each covering every day.
    inject_ce_results(moto, [ce_answer()] * 100)
    return write_config(tmp_path, {"type": "aws", "endpoint_url": moto, "group_plan": "service_account",
                                   "max_retry_time": "1s"})


def aws_cur_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    import boto3

    from moto_server import aws_env, reset

    moto = request.getfixturevalue("moto")
    aws_env(request.getfixturevalue("monkeypatch"))
    reset(moto)
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    s3.create_bucket(Bucket="billing-cur")
    for period in months():
        base = f"cur/daily/{period:%Y%m%d}-{next_month(period):%Y%m%d}"
        s3.put_object(Bucket="billing-cur", Key=f"{base}/a1/daily-1.csv.gz", Body=cur_csv(period))
        s3.put_object(Bucket="billing-cur", Key=f"{base}/daily-Manifest.json", Body=json.dumps({
            "reportKeys": [f"{base}/a1/daily-1.csv.gz"],
            "billingPeriod": {"start": f"{period:%Y%m%d}T000000.000Z",
                              "end": f"{next_month(period):%Y%m%d}T000000.000Z"},
        }).encode())
    return write_config(tmp_path, {"type": "aws", "endpoint_url": moto, "cur_s3_uri": "s3://billing-cur/cur/",
                                   "max_retry_time": "1s"})


def azure_query_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    from fake_costmanagement import IDENTITY_HEADER, FakeCostManagement, usage_row

    rows = [usage_row(d.isoformat(), cost(d, s), ServiceName=s, SubscriptionId="sub-1", SubscriptionName="prod",
                      ResourceLocation="westeurope", ChargeType="Usage", Currency="USD")
            for d in days() for s in SERVICES if cost(d, s) is not None]
    server = FakeCostManagement(rows, page_size=40).start()
    request.addfinalizer(server.stop)
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    return write_config(tmp_path, {"type": "azure", "scope": "subscriptions/sub-1", "credential": "managed_identity",
                                   "endpoint": server.url, "max_retry_time": "1s"})


def azure_exports_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    from azure.storage.blob import BlobServiceClient

    conn = request.getfixturevalue("azurite_connection")
    service = BlobServiceClient.from_connection_string(conn)
    container = service.create_container(f"costs-{uuid.uuid4().hex[:12]}")
    request.addfinalizer(service.close)
    for period in months():
        end = next_month(period) - timedelta(days=1)
        container.upload_blob(f"exports/daily/{period:%Y%m%d}-{end:%Y%m%d}/daily_{uuid.uuid4()}.csv",
                              azure_csv(period))
    return write_config(tmp_path, {"type": "azure", "exports": {
        "connection_string": conn, "container": container.container_name, "directory": "exports/daily"}})


def gcp_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    from fake_bigquery import FakeBigQuery, serving
    from test_provider_gcp import TABLE, export_row

    rows = [export_row(d, 3, cost(d, s), service=s) for d in days() for s in SERVICES if cost(d, s) is not None]
    fake = FakeBigQuery(table=TABLE, rows=rows)
    context = serving(fake)
    endpoint = context.__enter__()
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    return write_config(tmp_path, {"type": "gcp", "table": TABLE, "anonymous": True, "api_endpoint": endpoint,
                                   "max_retry_time": 1})


SOURCES: dict[str, Callable[[pytest.FixtureRequest, Path], Path]] = {
    "files": files_source, "aws-ce": aws_ce_source, "aws-cur": aws_cur_source, "azure-query": azure_query_source,
    "azure-exports": azure_exports_source, "gcp": gcp_source,
}


@pytest.fixture(scope="module")
def azurite_connection() -> Any:
    from azurite import running

    with running() as conn:
        yield conn


# --- the property ------------------------------------------------------------------------------


def answer(run: Any, config: Path, lo: date, last: date, *flags: str) -> dict[tuple[str, str], float]:
    result = run("--config", str(config), *flags, "costs", "--provider", "src", "--start", lo.isoformat(),
                 "--end", last.isoformat(), "--granularity", "daily", "--group-by", "service", "--metric", "billed",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {(r["date"], r["service"]): round(float(r["cost"]), 6) for r in result.json()}


def random_range(rng: random.Random) -> tuple[date, date]:
    """A range overlapping the data: it may start before it, end after it, reach today, or be one day."""
    last = TODAY - timedelta(days=rng.randint(0, (TODAY - FIRST).days + 5))
    length = rng.choice([0, 2, 6, 15, 30, 60])
    return last - timedelta(days=length), last


@pytest.mark.parametrize("kind", list(SOURCES))
def test_every_answer_equals_a_no_cache_run_whatever_was_asked_before(
        run: Any, tmp_path: Path, request: pytest.FixtureRequest, kind: str) -> None:
    config = SOURCES[kind](request, tmp_path)
    rng = random.Random(f"issue-22-{kind}")
    # The sequence first (the newest month, then everything), then random ones.
    ranges = [(month_of(LAST), LAST, ()), (FIRST, LAST, ())]
    for _ in range(STEPS):
        ranges.append((*random_range(rng), ("--refresh",) if rng.random() < 0.3 else ()))
    served = 0
    for step, (lo, last, flags) in enumerate(ranges):
        cached = answer(run, config, lo, last, *flags)
        fresh = answer(run, config, lo, last, "--no-cache")
        assert cached == fresh, f"step {step}: {lo}..{last} {flags} differs from --no-cache"
        served += len(fresh)
    assert served > 0  # the ranges did reach the data
