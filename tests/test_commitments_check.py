"""``check --period commitments`` states and ``export-prometheus``'s commitment metrics, on the demo and by hand."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from costctl.analysis.commitments import Commitment
from costctl.monitoring.commitment_check import PERF_LIMIT, Expiry, judge_source
from costctl.monitoring.commitment_metrics import SERIES_LIMIT, series_of
from costctl.monitoring.state import State
from costctl.monitoring.thresholds import Thresholds

DAY = date(2026, 3, 10)


def commitment(n: int, used: float, unused: float, end: date | None = None, cid: str | None = None) -> Commitment:
    return Commitment("aws", "AWS", cid or f"arn:aws:savingsplans::1:savingsplan/{n:08x}-0000-4000-8000-000000000000",
                      None, "Savings Plan", "Spend", "1", "USD", used, unused, None, end, DAY, DAY)


@pytest.mark.usefixtures("warm_demo")
def test_demo_is_warning_for_the_under_used_reservation_and_the_expiring_savings_plan(run) -> None:
    result = run("--demo", "check", "--period", "commitments")
    assert result.exit_code == 1, result.stdout + result.stderr
    status = result.stdout.splitlines()[0]
    assert status.startswith("COSTCTL WARNING - commitments ")
    assert "aws: Savings Plan 3f8c2a91 ends in 21 days (warning: ends within 30d)" in status
    assert re.search(r"azure: Reservation 2c7e9a41 utilization 8\d\.\d% \(warning: outside 90:\)", status)
    assert "aws_3f8c2a91_days_left=21" in status and re.search(r"azure_2c7e9a41_util=8\d\.\d\d%;90:;80:;0.00;100.00",
                                                                status)


@pytest.mark.usefixtures("warm_demo")
@pytest.mark.parametrize(("args", "code", "phrase"), [
    (("-w", "80:", "-c", "70:", "--expiry-warning", "14d", "--expiry-critical", "3d"), 0, "COSTCTL OK - "),
    (("-w", "80:", "-c", "70:", "--expiry-warning", "0", "--expiry-critical", "0"), 0, "COSTCTL OK - "),
    (("--expiry-critical", "30d"), 2, "ends in 21 days (critical: ends within 30d)"),
    (("-c", "90:"), 2, "(critical: outside 90:)"),
    (("--expiry-warning", "soon"), 3, "COSTCTL UNKNOWN - --expiry-warning: expected a number of days"),
    (("--days", "0"), 3, "COSTCTL UNKNOWN - --days: expected 1 or more, got 0"),
    (("-w", "abc"), 3, "COSTCTL UNKNOWN - -w/--warning: invalid range"),
])
def test_check_states(run, args, code, phrase) -> None:
    result = run("--demo", "check", "--period", "commitments", *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert phrase in result.stdout.splitlines()[0]
    if code == 3:
        assert len(result.stdout.splitlines()) == 1


@pytest.mark.usefixtures("warm_demo")
def test_expiry_options_need_the_commitments_period(run) -> None:
    result = run("--demo", "check", "--period", "day", "--expiry-warning", "30d")
    assert result.exit_code == 3
    assert result.stdout == "COSTCTL UNKNOWN - --expiry-warning needs --period commitments\n"


def test_a_file_without_commitments_is_ok_and_says_so(run, tmp_path: Path) -> None:
    path = tmp_path / "focus.csv"
    path.write_text("BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ProviderName,BillingCurrency,"
                    "ServiceName\n1.5,1.5,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,AWS,USD,Amazon S3\n")
    result = run("check", "--period", "commitments", "--file", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith("COSTCTL OK - commitments 2026-02-23..2026-03-01: file: no commitments")


def test_perfdata_is_capped_worst_first_and_the_rest_folded() -> None:
    found = [commitment(n, used=90.0 + n, unused=10.0 - n * 0.5) for n in range(PERF_LIMIT + 3)]
    result = judge_source("aws", found, Thresholds.parse("90:", "80:"), Expiry(), DAY)
    utils = [p for p in result.perfdata if p.label.endswith("_util")]
    assert len(utils) == PERF_LIMIT + 1 and utils[-1].label == "aws_other_util"
    shown = [p.value for p in utils[:-1]]
    assert shown == sorted(shown)  # least utilized first
    rest = found[PERF_LIMIT:]
    used, unused = sum(c.used for c in rest), sum(c.unused for c in rest)
    assert utils[-1].value == pytest.approx(100 * used / (used + unused))
    assert result.state is State.OK


def test_perfdata_labels_stay_unique_when_short_ids_collide() -> None:
    found = [commitment(1, 95, 5), commitment(2, 90, 10, cid="x/00000001-0000-4000-8000-00000000000f")]
    result = judge_source("aws", found, Thresholds.parse("90:", "80:"), Expiry(), DAY)
    labels = [p.label for p in result.perfdata]
    assert len(set(labels)) == 2 and "aws_00000001-0000-4000-8000-00000000000f_util" in labels


def test_the_worst_commitment_decides_and_an_expired_one_is_critical() -> None:
    found = [commitment(1, 95, 5), commitment(2, 85, 15), commitment(3, 99, 1, end=date(2026, 3, 8))]
    result = judge_source("aws", found, Thresholds.parse("90:", "80:"), Expiry(30, 7), DAY)
    assert result.state is State.CRITICAL
    assert result.text.startswith("aws: Savings Plan 00000003 ended 2 days ago (critical: ends within 7d), "
                                  "Savings Plan 00000002 utilization 85.0% (warning: outside 90:)")


def test_utilization_unknown_is_not_judged() -> None:
    result = judge_source("azure", [commitment(1, 0.0, 0.0)], Thresholds.parse("90:", "80:"), Expiry(), DAY)
    assert result.state is State.OK and "unknown (no amortized amounts)" in result.details[0]
    assert str(result.perfdata[0]).startswith("azure_00000001_util=U")


def test_prometheus_series_are_bounded_and_folded() -> None:
    found = [commitment(n, used=50.0 + n, unused=5.0) for n in range(SERIES_LIMIT + 5)]
    series = series_of(found)
    assert len(series) == SERIES_LIMIT + 1 and series[-1].commitment == "(other)"
    assert series[-1].unused == pytest.approx(25.0)
    same = series_of([commitment(1, 1, 1), commitment(2, 1, 1, cid="x/00000001-0000-4000-8000-00000000000f")])
    assert len({s.commitment for s in same}) == 2  # a shared short label falls back to the whole id


@pytest.mark.usefixtures("warm_demo")
def test_prometheus_metrics_equal_the_command_over_the_same_week(run) -> None:
    table = run("--demo", "commitments", "--days", "7", "--format", "json")
    assert table.exit_code == 0, table.stderr
    expected = {r["commitment_id"].rsplit("/", 1)[-1][:8]: r for r in json.loads(table.stdout)}
    result = run("--demo", "export-prometheus", "--no-idle", "--no-anomalies")
    assert result.exit_code == 0, result.stderr
    utils = dict(re.findall(r'^costctl_commitment_utilization_ratio\{commitment="([^"]+)".*\} (\S+)$',
                            result.stdout, re.M))
    assert len(utils) == 4
    for label, value in utils.items():
        row = expected[label[:8]]
        assert float(value) == pytest.approx(row["utilization"] / 100, abs=1e-6)
    end = re.search(r'^costctl_commitment_end_timestamp_seconds\{commitment="3f8c2a91".*\} (\S+)$', result.stdout, re.M)
    assert end and datetime.fromtimestamp(float(end[1]), UTC).date().isoformat() == expected["3f8c2a91"]["end"]
    cov = run("--demo", "commitments", "--days", "7", "--show", "coverage", "--format", "json")
    for r in json.loads(cov.stdout):
        line = (f'costctl_commitment_coverage_ratio{{currency="{r["currency"]}",provider="{r["provider"]}",'
                f'service="{r["service"]}"}} ')
        value = next(x for x in result.stdout.splitlines() if x.startswith(line)).split()[-1]
        assert float(value) == pytest.approx(r["coverage"] / 100, abs=1e-6)
