"""``costctl`` end to end with azure provider instances: the Query API fake and a real Azurite.

Totals printed by ``costs --format json`` must equal sums taken independently of costctl (the
fake's served rows; the export sample's own cost column through the csv module). Request counts
are read from what ``costctl -v`` reports: a second run within the TTL must ask nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from azurite import azurite  # noqa: F401 - the module-scoped Azurite fixture
from fake_costmanagement import APP_ID, IDENTITY_HEADER, Canned, FakeCostManagement, usage_row
from test_provider_azure_exports import SEPTEMBER, csv_total, sample

SUB = "6b3e4a2c-0000-4000-8000-000000000002"
TODAY = datetime.now(UTC).date()
DAYS = [TODAY - timedelta(days=i) for i in range(6, 0, -1)]  # the six days up to yesterday


def served_rows() -> list[dict[str, Any]]:
    rows = []
    for i, day in enumerate(DAYS):
        for service, cost in (("Storage", 1.5 + i), ("Virtual Machines", 10.25 * (i + 1))):
            rows.append(usage_row(day.isoformat(), cost, cost * 0.8, ServiceName=service, SubscriptionId=SUB,
                                  SubscriptionName="prod", ResourceLocation="westeurope", ChargeType="Usage"))
    rows.append(usage_row(DAYS[2].isoformat(), 120.0, 0.0, ServiceName="Reservations", SubscriptionId=SUB,
                          SubscriptionName="prod", ResourceLocation="", ChargeType="Purchase"))
    return rows


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCostManagement]:
    server = FakeCostManagement(served_rows()).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield server
    server.stop()


def write_config(tmp_path: Path, settings: dict[str, Any]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"providers": {"az": {"type": "azure", "ttl": "1h", "restatement_days": 3,
                                                         **settings}}}))
    return path


def query_config(tmp_path: Path, fake: FakeCostManagement) -> Path:
    return write_config(tmp_path, {"scope": f"subscriptions/{SUB}", "credential": "managed_identity",
                                   "endpoint": fake.url, "max_retry_time": "20s"})


def requests(stderr: str) -> int:
    match = re.search(r"az: \d+ rows, (\d+) upstream request", stderr)
    assert match, stderr
    return int(match.group(1))


def total(result: Any) -> float:
    return round(sum(float(r["cost"]) for r in result.json()), 6)


def costs(run: Any, config: Path, start: str, end: str, metric: str) -> Any:
    return run("-v", "--config", str(config), "costs", "--provider", "az", "--start", start, "--end", end,
               "--granularity", "total", "--group-by", "service", "--metric", metric, "--format", "json")


def test_query_totals_match_the_served_rows_and_a_second_run_asks_nothing(
        run: Any, tmp_path: Path, fake: FakeCostManagement) -> None:
    config = query_config(tmp_path, fake)
    rows = served_rows()
    first = costs(run, config, DAYS[0].isoformat(), DAYS[-1].isoformat(), "billed")
    assert first.exit_code == 0, first.stderr
    assert total(first) == pytest.approx(sum(r["ActualCost"] for r in rows))
    assert requests(first.stderr) == 2  # one ActualCost and one AmortizedCost query, one page each
    assert len(fake.queries()) == 2

    again = costs(run, config, DAYS[0].isoformat(), DAYS[-1].isoformat(), "effective")
    assert again.exit_code == 0, again.stderr
    assert requests(again.stderr) == 0 and len(fake.queries()) == 2
    assert total(again) == pytest.approx(sum(r["AmortizedCost"] for r in rows))


def test_a_missing_column_is_one_line_naming_it_and_exit_1(
        run: Any, tmp_path: Path, fake: FakeCostManagement) -> None:
    import json

    answer = {"properties": {"nextLink": None, "columns": [{"name": "Cost", "type": "Number"},
                                                           {"name": "Currency", "type": "String"}],
                             "rows": [[1.0, "EUR"]]}}
    fake.script.append(Canned(200, {}, json.dumps(answer).encode()))
    result = costs(run, query_config(tmp_path, fake), DAYS[0].isoformat(), DAYS[-1].isoformat(), "billed")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("costctl: error:")]
    assert len(errors) == 1 and "'UsageDate'" in errors[0], result.stderr


def test_test_auth_azure_says_which_credential_worked(run: Any, tmp_path: Path, fake: FakeCostManagement) -> None:
    result = run("--config", str(query_config(tmp_path, fake)), "test-auth", "azure")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "az (azure): OK" in result.stdout and APP_ID in result.stdout
    assert "ManagedIdentityCredential got a token" in result.stdout
    assert f"Cost Management Query at subscriptions/{SUB}: readable" in result.stdout


def test_exports_in_azurite_are_read_back_by_costs_and_cached(
        run: Any, tmp_path: Path, azurite: str) -> None:  # noqa: F811
    from azure.storage.blob import BlobServiceClient

    full = sample("ea_actual_small.csv")
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.create_container(f"cli-{uuid.uuid4().hex[:12]}")
    try:
        period = "billing/daily-actual/20230901-20230930"
        container.upload_blob(f"{period}/daily-actual_{uuid.uuid4()}.csv", full.read_bytes())
        config = write_config(tmp_path, {"exports": {"connection_string": azurite,
                                                     "container": container.container_name,
                                                     "directory": "billing/daily-actual"}})
        last = (SEPTEMBER[1] - timedelta(days=1)).isoformat()
        first = costs(run, config, SEPTEMBER[0].isoformat(), last, "billed")
        assert first.exit_code == 0, first.stderr
        assert total(first) == pytest.approx(csv_total(full), abs=1e-6)
        assert requests(first.stderr) == 2  # one listing page, one download

        again = costs(run, config, SEPTEMBER[0].isoformat(), last, "billed")
        assert again.exit_code == 0, again.stderr
        assert requests(again.stderr) == 0
        assert total(again) == total(first)
    finally:
        container.delete_container()
        service.close()
