"""Every command ends by its deadline (``--timeout``; ``check -t``), and a throttled refresh
still answers from the cache within it, naming the cause.

Real ``costctl`` processes against loopback servers through the real SDK clients: a Cost Explorer
that throttles or drips its answer one byte at a time (``fault_servers``), an Azure Cost
Management endpoint that drips, and the BigQuery fake with dripped result pages. Only exit codes
and messages are asserted; the generous subprocess timeout is the only clock (a command that
ignored its deadline would run into it: a drip of 120 bytes at 0.5 s lasts a minute).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_costmanagement import IDENTITY_HEADER
from fault_servers import CostExplorer, Drip, dripping_bigquery

from conftest import REPO

SUB = "6b3e4a2c-0000-4000-8000-000000000002"


def run(config: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, **(extra_env or {})}
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "COSTCTL_DEBUG"):
        env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "costctl", "--config", str(config), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def write_config(path: Path, name: str, settings: dict[str, Any], cache: Path | None = None) -> Path:
    path.write_text(yaml.safe_dump({"providers": {name: settings},
                                    "cache": {"path": str(cache or path.parent / "cache")}}))
    return path


@pytest.fixture
def ce() -> Iterator[CostExplorer]:
    server = CostExplorer().start()
    yield server
    server.stop()


def aws_settings(ce: CostExplorer) -> dict[str, Any]:
    # max_retry_time stays at its default (60 s): longer than check's 30 s -t, the case of the issue.
    return {"type": "aws", "endpoint_url": ce.url, "group_plan": "service_account", "restatement_days": 3}


def test_a_throttled_refresh_with_a_warm_cache_answers_from_the_cache_within_check_timeout(
        ce: CostExplorer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", "payer", aws_settings(ce))
    warm = run(config, "check", "-t", "30", "-c", "1000")
    assert warm.returncode == 0, warm.stdout + warm.stderr
    assert warm.stdout.startswith("COSTCTL OK - day ") and "payer 10.00 USD" in warm.stdout

    ce.mode = "throttle"
    throttled = run(config, "--refresh", "check", "-t", "10", "-c", "1000")
    first, *rest = throttled.stdout.splitlines()
    assert throttled.returncode == 0, throttled.stdout + throttled.stderr
    assert "payer 10.00 USD (from cache)" in first
    assert rest[0].startswith("payer: refresh failed, answered from the cache: throttled by Cost Explorer "
                              "(ThrottlingException) for "), rest
    assert "stopped to answer within the 10 s deadline (--timeout)" in rest[0]
    assert sum(1 for r in ce.requests if r.endswith("GetCostAndUsage")) >= 2  # the warm-up, then the refresh


def test_a_throttled_fetch_with_a_cold_cache_is_unknown_naming_the_throttling(ce: CostExplorer, tmp_path: Path) -> None:
    ce.mode = "throttle"
    config = write_config(tmp_path / "config.yaml", "payer", aws_settings(ce))
    result = run(config, "check", "-t", "6", "-c", "1000")
    assert result.returncode == 3, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("COSTCTL UNKNOWN - day ")
    assert "payer: throttled by Cost Explorer (ThrottlingException) for " in first


@pytest.mark.parametrize("where", ["global", "command"])
def test_a_dripping_cost_explorer_ends_costs_at_its_deadline(ce: CostExplorer, tmp_path: Path, where: str) -> None:
    ce.mode = "drip"
    config = write_config(tmp_path / "config.yaml", "prod-aws", {**aws_settings(ce), "max_retry_time": "30s"})
    timeout = ("--timeout", "10")
    args = [*timeout, "costs", "--days", "3"] if where == "global" else ["costs", "--days", "3", *timeout]
    result = run(config, *args)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr.strip().splitlines() == [
        "costctl: error: prod-aws: no complete answer within the 10 s deadline (--timeout)"]


def test_a_dripping_cost_explorer_makes_check_unknown(ce: CostExplorer, tmp_path: Path) -> None:
    ce.mode = "drip"
    config = write_config(tmp_path / "config.yaml", "prod-aws", aws_settings(ce))
    result = run(config, "check", "-t", "10", "-c", "1000")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("COSTCTL UNKNOWN - day ")
    assert "prod-aws: no complete answer within the 10 s deadline (--timeout)" in result.stdout.splitlines()[0]


def test_a_dripping_cost_explorer_is_exported_down_within_the_deadline(ce: CostExplorer, tmp_path: Path) -> None:
    ce.mode = "drip"
    config = write_config(tmp_path / "config.yaml", "prod-aws", aws_settings(ce))
    result = run(config, "export-prometheus", "--timeout", "10")
    assert result.returncode == 0, result.stderr  # a cron run that still publishes the others' metrics
    assert 'costctl_up{provider="prod-aws"} 0.0' in result.stdout
    assert "warning: prod-aws: no complete answer within the 10 s deadline (--timeout)" in result.stderr


def test_test_auth_against_a_dripping_endpoint_reports_the_provider_failed_within_the_deadline(
        ce: CostExplorer, tmp_path: Path) -> None:
    ce.mode = "drip"
    config = write_config(tmp_path / "config.yaml", "prod-aws", aws_settings(ce))
    result = run(config, "test-auth", "--timeout", "10")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[:2] == [
        "prod-aws (aws): FAILED",
        "  [FAIL] authentication: no complete answer within the 10 s deadline (--timeout)"]


def test_a_dripping_azure_query_api_ends_costs_at_its_deadline(tmp_path: Path) -> None:
    server = Drip().start()
    try:
        config = write_config(tmp_path / "config.yaml", "az", {
            "type": "azure", "scope": f"subscriptions/{SUB}", "credential": "managed_identity",
            "endpoint": server.url, "max_retry_time": "30s"})
        result = run(config, "costs", "--days", "3", "--timeout", "10",
                     extra_env={"IDENTITY_ENDPOINT": server.token_url, "IDENTITY_HEADER": IDENTITY_HEADER})
    finally:
        server.stop()
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr.strip().splitlines() == [
        "costctl: error: az: no complete answer within the 10 s deadline (--timeout)"]
    assert any("/providers/Microsoft.CostManagement/query" in r for r in server.requests), server.requests


def test_a_dripping_bigquery_ends_costs_at_its_deadline(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    from fake_bigquery import FakeBigQuery
    from test_provider_gcp import TABLE, sample_rows

    fake = FakeBigQuery(table=TABLE, rows=sample_rows())
    with dripping_bigquery(fake) as endpoint:
        config = write_config(tmp_path / "config.yaml", "gcp-billing", {
            "type": "gcp", "table": TABLE, "anonymous": True, "api_endpoint": endpoint, "max_retry_time": "30s"})
        result = run(config, "--timeout", "10", "costs", "--days", "3")
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr.strip().splitlines() == [
        "costctl: error: gcp-billing: no complete answer within the 10 s deadline (--timeout)"]
    # The query job was sent (on a fast machine its result pages are what drips; on a slow one
    # the deadline may already end the first request).
    assert ("POST", "/bigquery/v2/projects/billing-proj/jobs") in fake.requests, fake.requests


def test_a_wait_no_alarm_can_interrupt_still_ends_the_command_after_a_grace(tmp_path: Path, fake_plugin: Path) -> None:
    config = write_config(tmp_path / "config.yaml", "stuck", {"type": "fake", "log": str(tmp_path / "log"),
                                                              "delay": 300.0, "uninterruptible": True})
    result = run(config, "costs", "--days", "3", "--timeout", "5",
                 extra_env={"PYTHONPATH": f"{fake_plugin}{os.pathsep}{REPO}"})
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert (tmp_path / "log").exists()  # the fetch began, with SIGALRM blocked: only the watchdog can end it
    # The watchdog's line (the alarm's would name the provider instance)
    assert result.stderr.strip().splitlines()[-1] == "costctl: error: no complete answer within the 5 s deadline " \
                                                     "(--timeout)"
