"""The azure provider's exports mode against a real Azurite, with the shared Azure export samples.

Blobs are uploaded in the folder layouts Cost Management writes: one file per run straight in the
billing-period folder (older exports), and run folders with ``manifest.json`` and partitioned
``part_*`` files (newer exports). Older runs are uploaded too and must be ignored. Expected totals
come from the csv module, not from costctl's parsers.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from azurite import azurite  # noqa: F401 - the module-scoped Azurite fixture

from conftest import shared_data
from costctl.clouds.azure.provider import AzureProvider
from costctl.errors import ProviderError

pytestmark = pytest.mark.component

SEPTEMBER = (date(2023, 9, 1), date(2023, 10, 1))


def sample(name: str) -> Path:
    return shared_data() / "azure" / name


def csv_total(path: Path, lo: date = SEPTEMBER[0], hi: date = SEPTEMBER[1]) -> float:
    """Sum of the export's own cost column over rows whose usage date is in ``[lo, hi)``."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    total = 0.0
    for row in rows:
        day = datetime.strptime(row["Date"], "%m/%d/%Y").date()
        if lo <= day < hi:
            total += float(row.get("Cost") or row.get("CostInBillingCurrency") or 0)
    return total


def head(path: Path, rows: int) -> bytes:
    """The header and the first ``rows`` rows of a CSV sample: an older, partial run."""
    lines = path.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: rows + 1])


@pytest.fixture
def container(azurite: str) -> Iterator[Any]:  # noqa: F811 - pytest fixture injection
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite)
    client = service.create_container(f"costs-{uuid.uuid4().hex[:12]}")
    yield client
    client.delete_container()
    service.close()


def provider(azurite: str, container: Any, directory: str, **extra: Any) -> AzureProvider:  # noqa: F811
    exports = {"connection_string": azurite, "container": container.container_name, "directory": directory}
    return AzureProvider("azexports", {"exports": exports, **extra})


def test_the_newest_file_of_a_period_is_read_and_older_runs_are_ignored(azurite: str, container: Any) -> None:  # noqa: F811
    full = sample("ea_actual_small.csv")
    period = "costs/daily-actual/20230901-20230930"
    container.upload_blob(f"{period}/daily-actual_{uuid.uuid4()}.csv", head(full, 3))
    container.upload_blob(f"{period}/notes.txt", b"not an export")
    time.sleep(1.1)  # Blob timestamps have one-second resolution; real runs are hours apart
    container.upload_blob(f"{period}/daily-actual_{uuid.uuid4()}.csv", full.read_bytes())

    azure = provider(azurite, container, "costs/daily-actual")
    frame = azure.fetch(*SEPTEMBER)
    assert frame["BilledCost"].sum() == pytest.approx(csv_total(full), abs=1e-9)
    assert len(frame) == 11
    assert azure.stats.requests == 2  # one listing page, one download: the old run is never fetched
    assert set(frame["ProviderName"]) == {"Microsoft"} and set(frame["BillingAccountId"]) == {"8611537"}


def _parts(path: Path) -> tuple[bytes, bytes]:
    """The sample split in two partitions: the first as .csv.gz, the second as Parquet."""
    import pandas as pd

    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    half = len(raw) // 2
    first = gzip.compress(raw.iloc[:half].to_csv(index=False).encode())
    buffer = io.BytesIO()
    raw.iloc[half:].to_parquet(buffer, index=False)
    return first, buffer.getvalue()


def _manifest(blobs: list[str], submitted: str, run_id: str) -> bytes:
    return json.dumps({
        "manifestVersion": "2024-04-01", "blobCount": len(blobs),
        "exportConfig": {"exportName": "amortized", "type": "AmortizedCost", "timeFrame": "MonthToDate"},
        "deliveryConfig": {"partitionData": True, "fileFormat": "Csv", "compressionMode": "gzip"},
        "runInfo": {"executionType": "Scheduled", "submittedTime": submitted, "runId": run_id,
                    "startDate": "2023-09-01T00:00:00", "endDate": "2023-09-30T00:00:00"},
        "blobs": [{"blobName": b, "byteCount": 1, "dataRowCount": 1} for b in blobs],
    }).encode()


def test_partitioned_runs_are_chosen_by_their_manifest_and_all_parts_are_read(azurite: str, container: Any) -> None:  # noqa: F811
    full = sample("ea_amortized_small.csv")
    period = "exports/amortized/20230901-20230930"
    new_id, old_id = str(uuid.uuid4()), str(uuid.uuid4())
    first, second = _parts(full)
    new_blobs = [f"{period}/{new_id}/part_0_0001.csv.gz", f"{period}/{new_id}/part_1_0001.parquet"]
    container.upload_blob(new_blobs[0], first)
    container.upload_blob(new_blobs[1], second)
    container.upload_blob(f"{period}/{new_id}/manifest.json", _manifest(new_blobs, "2023-10-02T06:00:00.1234567Z",
                                                                        new_id))
    # The older run is uploaded last, so only its manifest tells that it is older.
    old_blob = f"{period}/{old_id}/part_0_0001.csv.gz"
    container.upload_blob(old_blob, gzip.compress(head(full, 2)))
    container.upload_blob(f"{period}/{old_id}/manifest.json", _manifest([old_blob], "2023-09-15T06:00:00Z", old_id))

    azure = provider(azurite, container, "exports/amortized")
    frame = azure.fetch(*SEPTEMBER)
    assert frame["EffectiveCost"].sum() == pytest.approx(csv_total(full), abs=1e-9)
    assert len(frame) == 28
    assert azure.stats.requests == 1 + 2 + 2  # listing, two manifests, the two parts of the newest run


def test_only_the_asked_days_are_returned(azurite: str, container: Any) -> None:  # noqa: F811
    full = sample("ea_actual_small.csv")
    container.upload_blob(f"e/20230901-20230930/e_{uuid.uuid4()}.csv", full.read_bytes())
    lo, hi = date(2023, 9, 5), date(2023, 9, 21)
    frame = provider(azurite, container, "e").fetch(lo, hi)
    days = {ts.date() for ts in frame["ChargePeriodStart"]}
    assert days and all(lo <= d < hi for d in days)
    assert frame["BilledCost"].sum() == pytest.approx(csv_total(full, lo, hi), abs=1e-9)
    assert provider(azurite, container, "e").fetch(date(2023, 10, 1), date(2023, 10, 5)).empty


def test_overlapping_period_folders_never_count_a_day_twice(azurite: str, container: Any) -> None:  # noqa: F811
    full = sample("ea_actual_small.csv")
    container.upload_blob(f"custom/20230901-20230930/custom_{uuid.uuid4()}.csv", full.read_bytes())
    time.sleep(1.1)
    container.upload_blob(f"custom/20230915-20230930/custom_{uuid.uuid4()}.csv", full.read_bytes())
    frame = provider(azurite, container, "custom").fetch(*SEPTEMBER)
    assert frame["BilledCost"].sum() == pytest.approx(csv_total(full), abs=1e-9)


def test_a_directory_holding_several_exports_is_an_error_naming_them(azurite: str, container: Any) -> None:  # noqa: F811
    data = sample("ea_actual_small.csv").read_bytes()
    container.upload_blob(f"root/actual/20230901-20230930/a_{uuid.uuid4()}.csv", data)
    container.upload_blob(f"root/amortized/20230901-20230930/b_{uuid.uuid4()}.csv", data)
    with pytest.raises(ProviderError, match="several exports .*root/actual, root/amortized.*set exports.directory"):
        provider(azurite, container, "root").fetch(*SEPTEMBER)


def test_a_missing_container_is_one_line(azurite: str) -> None:  # noqa: F811
    azure = AzureProvider("azexports", {"exports": {"connection_string": azurite, "container": "nope-missing",
                                                    "directory": "x"}})
    with pytest.raises(ProviderError, match="container nope-missing not found") as err:
        azure.fetch(*SEPTEMBER)
    assert "\n" not in str(err.value)
    result = azure.test_auth()
    assert not result.ok and "not found" in result.checks[-1][2]


def test_a_broken_manifest_is_one_line(azurite: str, container: Any) -> None:  # noqa: F811
    container.upload_blob("m/20230901-20230930/run1/manifest.json", b"{not json")
    container.upload_blob("m/20230901-20230930/run1/part_0_0001.csv", sample("ea_actual_small.csv").read_bytes())
    with pytest.raises(ProviderError, match="manifest .*manifest.json is not valid JSON"):
        provider(azurite, container, "m").fetch(*SEPTEMBER)


def test_test_auth_with_a_connection_string_lists_the_export_folder(azurite: str, container: Any) -> None:  # noqa: F811
    container.upload_blob(f"t/20230901-20230930/t_{uuid.uuid4()}.csv", sample("ea_no_rows.csv").read_bytes())
    result = provider(azurite, container, "t").test_auth()
    assert result.ok, result.checks
    assert result.checks[0] == ("credential", True, "storage connection string")
    assert result.checks[1] == (f"container {container.container_name}/t", True, "readable, 1 blob(s)")
