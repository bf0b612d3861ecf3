"""Broken Blob Storage answers are failed fetches for the azure exports reader, nothing cached.

A real Azurite sits behind tests/fault_proxy.py, which replaces chosen answers: a listing page
that is empty or HTML with status 200 (the SDK does not notice), a run manifest cut short or of
another shape. After each fault a healthy run must give the right total, and a cached copy from
before must survive a failing ``--refresh``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from azurite import azurite  # noqa: F401 - the module-scoped Azurite fixture
from fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.component

HEADER = ("BillingAccountId,BillingPeriodStartDate,BillingPeriodEndDate,SubscriptionId,SubscriptionName,Date,"
          "MeterCategory,Cost,BillingCurrency,ResourceLocation,ChargeType,Quantity,UnitOfMeasure,Tags")
COSTS = {date(2024, 3, d): 10.0 + d * 1.5 for d in range(1, 11)}
TOTAL = round(sum(COSTS.values()), 2)
PERIOD = "exports/daily/20240301-20240331"
XML = {"Content-Type": "application/xml"}


def export_csv() -> bytes:
    rows = [f"8611537,03/01/2024,03/31/2024,sub-1,prod,{d:%m/%d/%Y},Storage,{c},USD,westeurope,Usage,1,1 Hour,"
            for d, c in COSTS.items()]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def manifest(blobs: list[str], **extra: Any) -> bytes:
    return json.dumps({"manifestVersion": "2024-04-01", "blobCount": len(blobs),
                       "runInfo": {"submittedTime": "2024-04-02T06:00:00Z", "runId": "r1"},
                       "blobs": [{"blobName": b, "byteCount": 1} for b in blobs], **extra}).encode()


@pytest.fixture
def proxy(azurite: str) -> Iterator[FaultProxy]:  # noqa: F811 - pytest fixture injection
    from azure.storage.blob import BlobServiceClient

    port = azurite.split("BlobEndpoint=http://127.0.0.1:")[1].split("/")[0]
    server = FaultProxy(f"http://127.0.0.1:{port}").start()
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.create_container(f"costs-{uuid.uuid4().hex[:12]}")
    blob = f"{PERIOD}/r1/part_0_0001.csv"
    container.upload_blob(blob, export_csv())
    container.upload_blob(f"{PERIOD}/r1/manifest.json", manifest([blob]))
    server.container = container.container_name
    server.connection = azurite.replace(f"127.0.0.1:{port}", server.url.removeprefix("http://"))
    yield server
    server.stop()
    container.delete_container()
    service.close()


@pytest.fixture
def config(proxy: FaultProxy, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "providers": {"azx": {"type": "azure", "exports": {"connection_string": proxy.connection,
                                                           "container": proxy.container,
                                                           "directory": "exports/daily"}}},
        "cache": {"path": str(tmp_path / "cache")}}))
    return path


def costs(run: Any, config: Path, *extra: str) -> Any:
    return run("--config", str(config), *extra, "costs", "--provider", "azx", "--start", "2024-03-01", "--end",
               "2024-03-15", "--granularity", "total", "--metric", "billed", "--format", "json")


def total(result: Any) -> float:
    assert result.exit_code == 0, result.stderr
    return round(sum(float(r["cost"]) for r in result.json()), 2)


@pytest.mark.parametrize(("fault", "says"), [
    (Fault("comp=list", b"", headers=XML), "a container costs-"),
    (Fault("comp=list", b"<html>gateway</html>", headers=XML), "answer the SDK could not read"),
    (Fault("r1/manifest.json", b'{"manifestVersion": "2024-04-01"}', headers={"Content-Type": "application/json"}),
     "manifest.json answered with no blobs"),
    (Fault("r1/manifest.json", lambda body: body.replace(b'"blobCount": 1', b'"blobCount": 2'),
           headers={"Content-Type": "application/json"}),
     "answered with 1 blob(s) listed where it stated 2"),
])
def test_a_broken_listing_or_manifest_is_a_failed_fetch_and_nothing_is_cached(
        run: Any, proxy: FaultProxy, config: Path, fault: Fault, says: str) -> None:
    proxy.add(fault)
    result = costs(run, config)
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: azx: "), result.stderr
    assert says in lines[0], lines[0]
    assert fault.served == 1
    assert total(costs(run, config)) == TOTAL


def test_a_broken_listing_keeps_the_cached_copy(run: Any, proxy: FaultProxy, config: Path) -> None:
    first = costs(run, config)
    assert total(first) == TOTAL
    proxy.add(Fault("comp=list", b"", headers=XML))
    again = costs(run, config, "--refresh")
    assert again.exit_code == 0 and again.stdout == first.stdout, again.stderr
    assert "warning: azx: " in again.stderr and "using cached data" in again.stderr


def test_a_bad_blob_is_named_once(run: Any, proxy: FaultProxy, config: Path) -> None:
    blob = f"{PERIOD}/r1/part_0_0001.csv"
    proxy.add(Fault("part_0_0001.csv", lambda body: body.replace(b",03/02/2024,Storage", b",,Storage"),
                    headers={"Content-Type": "text/csv"}))
    result = costs(run, config)
    assert result.exit_code == 1, result.stdout + result.stderr
    line = result.stderr.strip()
    assert "column Date row 2: empty date" in line, line
    assert line.count(blob) == 1, line
    assert line.count("azx") == 1, line  # the instance too: once
