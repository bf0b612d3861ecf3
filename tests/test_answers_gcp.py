"""Broken BigQuery answers are failed fetches: one line naming the instance and the fault, nothing cached.

The real google-cloud-bigquery client talks to tests/fake_bigquery.py through tests/fault_proxy.py,
which can replace a ``pageToken`` page by an empty last page (the client would end early and quietly)
or garble a cost cell to NaN/Infinity. After each fault a healthy run must give the right total, and
a cached copy from before must survive a failing ``--refresh``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

import yaml  # noqa: E402
from fake_bigquery import FakeBigQuery, serving  # noqa: E402
from fault_proxy import Fault, FaultProxy  # noqa: E402
from test_provider_gcp import START, TABLE, expected, sample_rows  # noqa: E402

from costctl.clouds.gcp import client as gcp_client  # noqa: E402

RANGE = ["--start", START.isoformat(), "--end", (START + timedelta(days=2)).isoformat()]
END = START + timedelta(days=3)
JSON = {"Content-Type": "application/json; charset=UTF-8"}


@pytest.fixture
def fake() -> FakeBigQuery:
    bq = FakeBigQuery(table=TABLE, rows=sample_rows())
    bq.max_page_rows = 2
    return bq


@pytest.fixture
def proxy(fake: FakeBigQuery, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    monkeypatch.setattr(gcp_client, "INITIAL_WAIT", 0.01)
    with serving(fake) as endpoint:
        server = FaultProxy(endpoint).start()
        yield server
        server.stop()


@pytest.fixture
def config(proxy: FaultProxy, tmp_path: Path) -> str:
    settings = {"type": "gcp", "table": TABLE, "anonymous": True, "api_endpoint": proxy.url, "max_retry_time": 1,
                "page_size": 2, "restatement_days": 1}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"providers": {"gcp-billing": settings},
                                    "cache": {"path": str(tmp_path / "cache")}}))
    return str(path)


def costs(run: Callable[..., Any], path: str, *extra: str) -> Any:
    return run("--config", path, *extra, "costs", "--provider", "gcp-billing", *RANGE, "--metric", "billed",
               "--granularity", "total", "--format", "json")


def right_total(result: Any, fake: FakeBigQuery) -> bool:
    assert result.exit_code == 0, result.stderr
    want = expected(fake.rows, START, END)
    return abs(result.json()[0]["cost"] - (want["cost"] + want["credits"])) < 0.005


def one_line_error(result: Any) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: gcp-billing: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def last_page(body: bytes) -> bytes:
    """The page as BigQuery would send the final one: no rows, no pageToken (a page went missing)."""
    page = json.loads(body)
    page["rows"] = []
    page.pop("pageToken", None)
    return json.dumps(page).encode()


def test_a_missing_page_is_a_failed_fetch_not_a_shorter_answer(run: Any, config: str, proxy: FaultProxy,
                                                               fake: FakeBigQuery) -> None:
    fault = proxy.add(Fault("pageToken=", last_page, headers=JSON))
    line = one_line_error(costs(run, config))
    assert fault.served == 1
    assert "BigQuery query of " in line and " row(s) where it stated " in line and "a page is missing" in line
    assert right_total(costs(run, config), fake)  # nothing wrong was cached


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-1e300"])
def test_a_non_finite_cost_is_a_failed_fetch(run: Any, config: str, fake: FakeBigQuery, value: str) -> None:
    fake.corrupt = {"column": "cost", "value": value}
    line = one_line_error(costs(run, config))
    assert "BigQuery answered with row 1 cost = " in line and "not a finite amount" in line, line
    fake.corrupt = None
    assert right_total(costs(run, config), fake)


def test_a_truncated_page_is_one_line_and_keeps_the_cached_copy(run: Any, config: str, proxy: FaultProxy,
                                                                fake: FakeBigQuery) -> None:
    first = costs(run, config)
    assert right_total(first, fake)
    proxy.add(Fault("pageToken=", lambda body: body[: len(body) // 2], headers=JSON))
    again = costs(run, config, "--refresh")
    assert again.exit_code == 0 and again.stdout == first.stdout, again.stderr
    assert "warning: gcp-billing: " in again.stderr and "using cached data" in again.stderr
    proxy.add(Fault("pageToken=", last_page, headers=JSON))
    again = costs(run, config, "--refresh")
    assert again.stdout == first.stdout and "a page is missing" in again.stderr
