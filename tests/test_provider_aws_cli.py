"""``costctl`` end to end with an aws provider instance pointed at a real moto_server process.

Covers what the cache promises for Cost Explorer (a billed API): the first run asks once, a
second run within the TTL asks nothing, and a run a day later asks only for the restatement
window. Request counts are read from what ``costctl -v`` reports; days are moved with a fake clock.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from costctl.context import Env
from moto_server import aws_env, inject_ce_results, reset, running

pytestmark = pytest.mark.component

TODAY = datetime.now(UTC).date()  # "the next day" is the real today, so Cost Explorer's lookback is real too
DAY0 = TODAY - timedelta(days=1)
START = DAY0 - timedelta(days=6)  # the report covers START .. DAY0 - 1 inclusive
LAST = DAY0 - timedelta(days=1)


@pytest.fixture
def endpoint(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    aws_env(monkeypatch)
    reset(moto)
    return moto


@pytest.fixture
def config(endpoint: str, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "providers:\n"
        "  payer:\n"
        "    type: aws\n"
        f"    endpoint_url: {endpoint}\n"
        "    group_plan: service_account\n"
        "    restatement_days: 3\n"
        "    ttl: 1h\n"
        "    max_retry_time: 5s\n"
    )
    return path


def at(day: date, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make costctl's run environment believe it is noon UTC on ``day``."""
    import costctl.cli

    moment = datetime.combine(day, time(12), tzinfo=UTC)
    monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda: moment))


def day_answer(days: list[date], cost: dict[date, float], estimated_from: date) -> dict[str, Any]:
    periods = []
    for day in days:
        amount = f"{cost[day]:.4f}"
        periods.append({
            "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
            "Total": {}, "Estimated": day >= estimated_from,
            "Groups": [{"Keys": ["Amazon EC2", "111122223333"], "Metrics": {
                "UnblendedCost": {"Amount": amount, "Unit": "USD"},
                "AmortizedCost": {"Amount": amount, "Unit": "USD"}}}],
        })
    return {"ResultsByTime": periods, "DimensionValueAttributes": []}


def requests(stderr: str) -> int:
    match = re.search(r"payer: \d+ rows, (\d+) upstream request", stderr)
    assert match, stderr
    return int(match.group(1))


def total(result: Any) -> float:
    rows = result.json()
    return round(sum(float(r["Cost"] if "Cost" in r else r["cost"]) for r in rows), 6)


def costs(run: Any, config: Path) -> Any:
    return run("-v", "--config", str(config), "costs", "--provider", "payer", "--start", START.isoformat(),
               "--end", LAST.isoformat(), "--granularity", "total", "--group-by", "service", "--format", "json")


def test_cache_asks_once_then_nothing_then_only_the_restatement_window(
        run: Any, config: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    days = [START + timedelta(days=i) for i in range((LAST - START).days + 1)]
    first = {d: 10.0 + i * 1.25 for i, d in enumerate(days)}
    window = [d for d in days if (TODAY - d).days <= 3]  # still restatable on the next day
    restated = {d: first[d] + 100.0 for d in window}
    inject_ce_results(endpoint, [day_answer(days, first, DAY0 - timedelta(days=3)),
                                 day_answer(window, restated, TODAY - timedelta(days=3))])

    at(DAY0, monkeypatch)
    one = costs(run, config)
    assert one.exit_code == 0, one.stderr
    assert total(one) == pytest.approx(sum(first.values()))
    assert requests(one.stderr) == 2  # GetCostAndUsage + ListAccounts (names, then remembered)

    two = costs(run, config)
    assert two.exit_code == 0, two.stderr
    assert requests(two.stderr) == 0
    assert total(two) == total(one)

    at(TODAY, monkeypatch)
    three = costs(run, config)
    assert three.exit_code == 0, three.stderr
    assert requests(three.stderr) == 1  # one GetCostAndUsage; account names still remembered
    assert f"fetched {window[0]}..{LAST}" in three.stderr
    assert total(three) == pytest.approx(sum(first.values()) + 100.0 * len(window))


def test_missing_permission_is_one_line_naming_it_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A moto server enforcing IAM; the caller may only read its identity, not Cost Explorer."""
    import json

    import boto3

    aws_env(monkeypatch)
    with running({"INITIAL_NO_AUTH_ACTION_COUNT": "3"}) as strict:
        iam = boto3.client("iam", endpoint_url=strict, region_name="us-east-1")
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="identity-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        path = tmp_path / "strict.yaml"
        path.write_text(f"providers:\n  payer:\n    type: aws\n    endpoint_url: {strict}\n"
                        "    group_plan: service_account\n")
        env = {k: v for k, v in __import__("os").environ.items() if k != "AWS_SESSION_TOKEN"}
        env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        command = [sys.executable, "-m", "costctl", "--config", str(path)]
        proc = subprocess.run(command + ["costs", "--provider", "payer", "--start", START.isoformat(), "--end",
                                         LAST.isoformat(), "--format", "json"],
                              capture_output=True, text=True, timeout=120, env=env)
        auth = subprocess.run(command + ["test-auth", "aws"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("costctl: error:") and "grant ce:GetCostAndUsage" in lines[0], proc.stderr
    assert auth.returncode == 1
    assert "reader" in auth.stdout and "ce:GetCostAndUsage" in auth.stdout, auth.stdout


def test_test_auth_reports_identity_and_cost_explorer(run: Any, config: Path) -> None:
    result = run("--config", str(config), "test-auth", "aws")
    assert result.exit_code == 0, result.stderr
    assert "123456789012" in result.stdout
