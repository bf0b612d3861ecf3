"""``costctl budgets`` end to end: demo budgets, config budgets, formats, and bad input."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.usefixtures("warm_demo_tmp")  # the demo starts cached, in tmp_path/cache too (conftest)

TODAY = date.today()


def test_demo_budgets_cover_every_period_and_agree_with_the_costs_report(run) -> None:
    result = run("--demo", "budgets", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["budget"]: r for r in result.json()}
    assert {r["period"] for r in rows.values()} == {"monthly", "quarterly", "yearly"}
    first = TODAY.replace(day=1)
    if first == TODAY:
        pytest.skip("on the first of the month there is no spend yet to compare")
    costs = run("--demo", "costs", "--start", first.isoformat(), "--end", (TODAY - timedelta(days=1)).isoformat(),
                "--granularity", "total", "--format", "json").json()
    assert rows["all-clouds"]["spend"] == pytest.approx(sum(r["cost"] for r in costs), abs=1e-4)
    for row in rows.values():
        assert row["remaining"] == pytest.approx(row["amount"] - row["spend"], abs=1e-4)
        assert row["forecast"] >= row["spend"] - 1e-6
        assert row["through"] == (TODAY - timedelta(days=1)).isoformat()
        assert row["on_track"] == (row["consumed_pct"] <= row["elapsed_pct"])


def test_csv_has_stable_headers_iso_dates_and_plain_numbers(run) -> None:
    result = run("--demo", "budgets", "--format", "csv", "--budget", "team-data")
    assert result.exit_code == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == ["budget", "period", "start", "end", "through", "currency", "amount", "spend",
                                 "remaining", "consumed_pct", "elapsed_pct", "burn_rate", "burn_rate_7d", "forecast",
                                 "forecast_pct", "exhaustion", "threshold", "forecast_threshold", "on_track", "state"]
    (row,) = list(reader)
    date.fromisoformat(row["start"])
    float(row["spend"])
    assert "," not in row["spend"]


def test_the_table_names_every_budget(run) -> None:
    result = run("--demo", "budgets")
    assert result.exit_code == 0, result.stderr
    for name in ("all-clouds", "aws-quarter", "team-data", "platform", "prod-h2"):
        assert name in result.stdout


def _config(tmp_path: Path, budgets: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"budgets": budgets, "cache": {"path": str(tmp_path / "cache")}}))
    return path


def test_config_budgets_replace_the_demo_ones(run, tmp_path: Path) -> None:
    path = _config(tmp_path, {"gcp-only": {"amount": 1000, "scope": {"provider": "Google Cloud"}}})
    result = run("--config", str(path), "--demo", "budgets", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["budget"] for r in result.json()] == ["gcp-only"]


def test_a_budget_starting_in_the_future_is_reported_as_not_started(run, tmp_path: Path) -> None:
    later = (TODAY + timedelta(days=40)).isoformat()
    path = _config(tmp_path, {"now": {"amount": 10}, "later": {"amount": 10, "start": later}})
    result = run("--config", str(path), "--demo", "budgets", "--format", "json")
    assert [r["budget"] for r in result.json()] == ["now"]
    assert f"budget later starts on {later}" in result.stderr


def test_a_check_whose_budgets_have_not_started_is_ok_and_says_so(run, tmp_path: Path) -> None:
    later = (TODAY + timedelta(days=40)).isoformat()
    path = _config(tmp_path, {"later": {"amount": 10, "start": later}})
    result = run("--config", str(path), "--demo", "check", "--period", "budget")
    assert (result.exit_code, result.stdout) == (
        0, f"COSTCTL OK - budget {TODAY - timedelta(days=1)}: no budget has started yet (later: starts on {later})\n")


def test_a_bad_budget_in_the_config_fails_at_load_with_its_key_path(run, tmp_path: Path) -> None:
    path = _config(tmp_path, {"x": {"amount": 10, "period": "weekly"}})
    result = run("--config", str(path), "budgets")
    assert result.exit_code == 2
    assert "budgets.x.period: expected one of monthly, quarterly, yearly" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("budgets",), "no budgets are configured"),
    (("--demo", "budgets", "--budget", "nope"), "--budget: unknown budget 'nope'"),
])
def test_usage_errors_are_one_line_with_exit_2(run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
