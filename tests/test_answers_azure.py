"""Broken Cost Management Query API answers are failed fetches: one line naming the instance, nothing cached.

The real CostManagementClient talks to tests/fake_costmanagement.py; the fake's answer is altered
per test (a NaN or infinite cost cell, a ``nextLink`` page that comes back empty-shaped, fails or is
cut short). After each fault a healthy run must give the served total, and a cached copy from
before must survive a failing ``--refresh``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_costmanagement import IDENTITY_HEADER, Canned, FakeCostManagement, usage_row

SUB = "6b3e4a2c-0000-4000-8000-000000000003"
TODAY = datetime.now(UTC).date()
DAYS = [TODAY - timedelta(days=i) for i in range(9, 3, -1)]  # closed days for restatement_days: 1


def served_rows() -> list[dict[str, Any]]:
    return [usage_row(day.isoformat(), cost, cost * 0.5, ServiceName=service, SubscriptionId=SUB,
                      SubscriptionName="prod", ResourceLocation="westeurope", ChargeType="Usage")
            for i, day in enumerate(DAYS) for service, cost in (("Storage", 1.5 + i), ("Compute", 10.25 * (i + 1)))]


TOTAL = round(sum(r["ActualCost"] for r in served_rows()), 2)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCostManagement]:
    server = FakeCostManagement(served_rows(), page_size=3).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield server
    server.stop()


@pytest.fixture
def config(fake: FakeCostManagement, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "providers": {"az": {"type": "azure", "scope": f"subscriptions/{SUB}", "credential": "managed_identity",
                             "endpoint": fake.url, "max_retry_time": "1s", "restatement_days": 1}},
        "cache": {"path": str(tmp_path / "cache")}}))
    return path


def costs(run: Any, config: Path, *extra: str) -> Any:
    return run("--config", str(config), *extra, "costs", "--provider", "az", "--start", DAYS[0].isoformat(),
               "--end", DAYS[-1].isoformat(), "--granularity", "total", "--metric", "billed", "--format", "json")


def total(result: Any) -> float:
    assert result.exit_code == 0, result.stderr
    return round(sum(float(r["cost"]) for r in result.json()), 2)


def one_line_error(result: Any) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: az: "), result.stderr
    return lines[0]


def alter(fake: FakeCostManagement, change: Callable[[dict[str, Any], dict[str, Any]], Any], times: int = 1) -> None:
    """When ``change(query, answer)`` returns a Canned answer, it is served to the request after that one
    (the fake's script), ``times`` times: a page replaced by a broken one."""
    original = fake.answer
    left = [times]

    def answer(scope: str, query: dict, body: dict) -> dict:
        result = original(scope, query, body)
        if left[0] > 0:
            canned = change(query, result)
            if canned is not None:
                left[0] -= 1
                fake.script.append(canned)
        return result

    fake.answer = answer  # type: ignore[method-assign]


def cost_cell(value: float) -> Callable[[dict, dict], Canned]:
    def change(query: dict, answer: dict) -> Canned:
        import json

        props = answer["properties"]
        index = [c["name"] for c in props["columns"]].index("Cost")
        props["rows"][0][index] = value
        return Canned(200, {}, json.dumps(answer).encode())  # json writes NaN / Infinity as Python reads them
    return change


@pytest.mark.parametrize("value", [math.nan, math.inf, -1e300])
def test_a_non_finite_cost_is_a_failed_fetch_and_nothing_is_cached(run: Any, fake: FakeCostManagement,
                                                                   config: Path, value: float) -> None:
    alter(fake, cost_cell(value))
    line = one_line_error(costs(run, config))
    assert "the Query API answered with row 1 column Cost = " in line and "not a finite amount" in line, line
    assert total(costs(run, config)) == TOTAL


def next_page(canned: Canned) -> Callable[[dict, dict], Canned | None]:
    return lambda query, answer: canned if "$skiptoken" in query else None


@pytest.mark.parametrize(("canned", "says"), [
    (Canned(200, {}, b"{}"), "has no properties.columns/rows"),
    (Canned(200, {}, b'{"properties": {"nextLink": null, "columns": [{"name": "Co'), "malformed body"),
    (Canned(404, {}, b'{"error": {"code": "NotFound", "message": "skiptoken expired"}}'), "not found (404"),
])
def test_a_next_page_that_fails_is_a_failed_fetch_not_a_shorter_answer(
        run: Any, fake: FakeCostManagement, config: Path, canned: Canned, says: str) -> None:
    alter(fake, next_page(canned))
    line = one_line_error(costs(run, config))
    assert says in line, line
    assert total(costs(run, config)) == TOTAL


def test_a_failing_refresh_keeps_the_cached_copy(run: Any, fake: FakeCostManagement, config: Path) -> None:
    first = costs(run, config)
    assert total(first) == TOTAL
    alter(fake, cost_cell(math.nan))
    again = costs(run, config, "--refresh")
    assert again.exit_code == 0 and again.stdout == first.stdout, again.stderr
    assert "warning: az: Azure (ActualCost): the Query API answered with row 1 column Cost = nan" \
        in again.stderr
    assert "using cached data" in again.stderr
