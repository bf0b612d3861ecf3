"""``costctl`` end to end with a gcp instance: the real CLI, the real cache, the real BigQuery client.

What a user sees: totals that equal the served rows (credits included), no second query within
the cache TTL, and a one-line error with exit 1 for a denied, missing or malformed answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

import yaml  # noqa: E402
from fake_bigquery import FakeBigQuery, serving  # noqa: E402
from test_provider_gcp import START, TABLE, expected, sample_rows  # noqa: E402

from costctl.clouds.gcp import client as gcp_client  # noqa: E402

RANGE = ["--start", START.isoformat(), "--end", (START + timedelta(days=2)).isoformat()]  # --end is inclusive
END = START + timedelta(days=3)


@pytest.fixture
def fake() -> FakeBigQuery:
    return FakeBigQuery(table=TABLE, rows=sample_rows())


@pytest.fixture
def config(fake: FakeBigQuery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(gcp_client, "INITIAL_WAIT", 0.01)
    with serving(fake) as endpoint:
        def write(**extra: Any) -> str:
            settings = {"type": "gcp", "table": TABLE, "anonymous": True, "api_endpoint": endpoint,
                        "max_retry_time": 2, **extra}
            path = tmp_path / "config.yaml"
            path.write_text(yaml.safe_dump({"providers": {"gcp-billing": settings},
                                            "cache": {"path": str(tmp_path / "cache")}}))
            return str(path)
        yield write


def costs(run: Callable[..., Any], config_path: str, *extra: str) -> Any:
    return run("--config", config_path, *extra, "costs", "--provider", "gcp-billing", *RANGE, "--metric", "billed",
               "--format", "json")


def test_costs_json_totals_equal_the_served_rows_and_a_second_run_sends_no_query(
        run: Callable[..., Any], config: Callable[..., str], fake: FakeBigQuery) -> None:
    path = config()
    first = run("--config", path, "costs", "--provider", "gcp-billing", *RANGE, "--metric", "billed",
                "--granularity", "total", "--format", "json")
    assert first.exit_code == 0, first.stderr
    want = expected(fake.rows, START, END)
    [row] = first.json()
    assert row["cost"] == pytest.approx(want["cost"] + want["credits"], abs=0.005)
    assert row["currency"] == "USD"
    sent = len(fake.queries)
    assert sent == 1
    daily = costs(run, path)
    assert daily.exit_code == 0, daily.stderr
    per_day = {r["date"]: r["cost"] for r in daily.json()}
    for day in range(3):
        key = (START + timedelta(days=day)).isoformat()
        assert per_day[key] == pytest.approx(want[key], abs=0.005)
    assert len(fake.queries) == sent  # served from the cache: no query job at all


def test_verbose_reports_the_bytes_a_dry_run_measured(run: Callable[..., Any], config: Callable[..., str],
                                                      fake: FakeBigQuery) -> None:
    result = costs(run, config(), "-v")
    assert result.exit_code == 0, result.stderr
    assert "would scan" in result.stderr and "bytes scanned" in result.stderr
    assert [q.dry_run for q in fake.queries] == [True, False]


def test_a_paged_answer_succeeds(run: Callable[..., Any], config: Callable[..., str], fake: FakeBigQuery) -> None:
    fake.max_page_rows = 1
    result = run("--config", config(page_size=1), "costs", "--provider", "gcp-billing", *RANGE,
                 "--metric", "billed", "--granularity", "total", "--format", "json")
    assert result.exit_code == 0, result.stderr
    want = expected(fake.rows, START, END)
    assert result.json()[0]["cost"] == pytest.approx(want["cost"] + want["credits"], abs=0.005)
    assert sum(1 for m, p in fake.requests if m == "GET" and "/queries/" in p) > 3


@pytest.mark.parametrize(("setup", "words"), [
    (lambda fake: fake.fail(403, "accessDenied", "Access Denied: Table billing-proj:billing_export.t"),
     "BigQuery denied access"),
    (lambda fake: setattr(fake, "table", "billing-proj.other.table"), f"BigQuery table {TABLE} not found"),
    (lambda fake: setattr(fake, "corrupt", {"column": "usage_day", "value": "yesterday"}), "malformed"),
])
def test_failures_are_one_line_errors_with_exit_1(run: Callable[..., Any], config: Callable[..., str],
                                                  fake: FakeBigQuery, setup: Callable[[FakeBigQuery], Any],
                                                  words: str) -> None:
    setup(fake)
    result = costs(run, config())
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error:") and words in lines[0]
    assert "Traceback" not in result.stderr


def test_test_auth_reports_what_is_readable(run: Callable[..., Any], config: Callable[..., str],
                                            fake: FakeBigQuery) -> None:
    path = config()
    ok = run("--config", path, "test-auth", "gcp")
    assert ok.exit_code == 0, ok.stderr + ok.stdout
    assert TABLE in ok.stdout + ok.stderr
    fake.fail(403, "accessDenied", "Access Denied")
    denied = run("--config", path, "test-auth", "gcp")
    assert denied.exit_code == 1
    assert "roles/bigquery.dataViewer" in denied.stdout + denied.stderr
    assert all(q.dry_run for q in fake.queries)


def test_future_days_are_never_asked(run: Callable[..., Any], config: Callable[..., str],
                                     fake: FakeBigQuery) -> None:
    today = date.today()
    result = run("--config", config(), "costs", "--provider", "gcp-billing", "--start", today.isoformat(),
                 "--end", (today + timedelta(days=3)).isoformat(), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert all(q.params["end"].date() <= today + timedelta(days=1) for q in fake.queries)
