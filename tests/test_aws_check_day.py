"""A day of 5-minute ``check`` runs against Cost Explorer (moto_server) with the default config.

Cost Explorer bills every request; the default ``ttl`` of an aws instance is chosen for a check
every five minutes: 288 warm checks make at most 24 GetCostAndUsage requests (docs/aws.md).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from costctl.context import Env
from moto_server import aws_env, inject_ce_results, reset

pytestmark = pytest.mark.component


def test_288_checks_a_day_make_at_most_24_cost_explorer_requests(run, moto, tmp_path: Path, monkeypatch) -> None:
    import costctl.cli
    from costctl.clouds.aws.provider import AwsProvider

    aws_env(monkeypatch)
    reset(moto)
    config = tmp_path / "config.yaml"
    config.write_text(f"cache:\n  path: {tmp_path / 'cache'}\n"
                      f"providers:\n  payer:\n    type: aws\n    endpoint_url: {moto}\n")
    calls: list[str] = []
    original = AwsProvider._count_request

    def counting(self: AwsProvider, service: str) -> None:
        calls.append(service)
        original(self, service)

    monkeypatch.setattr(AwsProvider, "_count_request", counting)
    day = datetime.now(UTC).date() - timedelta(days=1)
    asked = day - timedelta(days=1)  # check --period day: the latest complete day
    answer = {"ResultsByTime": [{
        "TimePeriod": {"Start": asked.isoformat(), "End": day.isoformat()}, "Total": {}, "Estimated": True,
        "Groups": [{"Keys": ["Amazon EC2", "111122223333"], "Metrics": {
            "UnblendedCost": {"Amount": "12.5", "Unit": "USD"}, "AmortizedCost": {"Amount": "12.5", "Unit": "USD"}}}],
    }], "DimensionValueAttributes": []}
    inject_ce_results(moto, [answer] * 4)  # discovery and detail; a repeated request gets the same answer
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    for i in range(288):
        moment = midnight + timedelta(minutes=5 * i)
        monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda m=moment: m))
        result = run("--config", str(config), "check", "--period", "day", "-w", "1000000", "-c", "2000000")
        assert result.exit_code == 0, result.stdout
    cost_explorer = calls.count("ce")
    assert 0 < cost_explorer <= 24, (cost_explorer, len(calls))  # 12 with ttl 4h; 48 with the old 1h
