"""``costctl check --period anomalies`` and ``--period idle`` through the real entry point.

Anomalies: the demo's planted BigQuery spike (critical) and SageMaker new spend (medium), and
hand-made FOCUS files whose one spike has a known size, so each exit status 0/1/2/3 is reached
on purpose, including an acknowledged anomaly that stops alerting. Idle: the demo inventory (two
unattached disks, 130.54 USD a month) and the moto landscape of tests/test_cli_idle.py (an idle
m5.large, an unattached gp3 volume and a free EIP: 70.08 + 16.00 + 3.65 USD a month).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import test_cli_idle as idle_tests
import yaml
from test_cli_anomalies import lagging_export
from test_cli_idle import CHECKS as IDLE_CHECKS
from test_cli_idle import landscape, write_config

from conftest import SHARED_DATA

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

pricing, aws = idle_tests.pricing, idle_tests.aws  # the fixtures of the idle tests, shared (moto: conftest)

HEADER = ("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,"
          "ProviderName,SubAccountId,ServiceName,RegionId,ResourceId")
PERF = re.compile(r"anomalies_(\w+)=([\d.]+)")


def lines(result) -> list[str]:
    return result.stdout.splitlines()


def perf(result) -> dict[str, float]:
    return {k: float(v) for k, v in PERF.findall(lines(result)[0].split(" | ", 1)[1])}


def focus_file(tmp_path: Path, last_cost: float, name: str = "focus.csv") -> Path:
    """60 days of Compute at 100-102 a day from 2024-01-01, the last day (2024-02-29) costing ``last_cost``."""
    rows = [HEADER]
    start = date(2024, 1, 1)
    for i in range(60):
        day = start + timedelta(days=i)
        cost = last_cost if i == 59 else 100.0 + (i % 3)
        rows.append(f"{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,{cost},{cost},USD,Usage,AWS,111,"
                    f"Compute,us-east-1,i-1")
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    return path


def test_demo_anomalies_are_critical_by_default_with_counts_per_severity(run) -> None:
    result = run("--demo", "check", "--period", "anomalies")
    assert result.exit_code == 2, result.stdout
    first, *rest = lines(result)
    assert re.match(r"COSTCTL CRITICAL - anomalies \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d: "
                    r"2 open \(1 critical, 1 medium\), worst spike BigQuery \+[\d,.]+ USD "
                    r"\(critical: severity critical >= critical\) \| ", first)
    values = perf(result)
    assert values.pop("max_impact") == pytest.approx(630, abs=50)  # the BigQuery spike's impact
    assert values == {"critical": 1, "high": 0, "medium": 1, "low": 0, "acknowledged": 0}
    assert [line.split()[1:3] for line in rest] == [["MEDIUM", "new"], ["CRITICAL", "spike"]]
    assert all(re.search(r"\[id [0-9a-f]{12}\]$", line) for line in rest)


@pytest.mark.parametrize(("args", "code", "why"), [
    (["-w", "high", "-c", "critical"], 2, "(critical: severity critical >= critical)"),
    (["-w", "medium"], 1, "(warning: severity critical >= medium)"),
    (["-w", "100", "-c", "1000"], 1, "(warning: impact outside 0:100)"),
    (["-w", "medium", "-c", "500"], 2, "(critical: impact outside 0:500)"),
    (["-c", "@0:10000"], 2, "(critical: impact inside 0:10000)"),
    (["-w", "10000", "-c", "20000"], 0, None),
])
def test_severities_and_impact_ranges_give_each_exit_code(run, args, code, why) -> None:
    result = run("--demo", "check", "--period", "anomalies", *args)
    assert result.exit_code == code, result.stdout
    first = lines(result)[0]
    assert (why in first) if why else ("(warning" not in first and "(critical" not in first)


def test_acknowledging_the_critical_spike_leaves_the_medium_new_spend(run) -> None:
    listed = run("--demo", "anomalies", "--format", "json").json()
    spike = next(a for a in listed if a["kind"] == "spike")
    assert run("--demo", "anomalies", "ack", spike["id"]).exit_code == 0
    result = run("--demo", "check", "--period", "anomalies", "-w", "high", "-c", "critical")
    assert result.exit_code == 0, result.stdout
    assert "1 open (1 medium), worst new Amazon SageMaker" in lines(result)[0]
    assert ", 1 acknowledged |" in lines(result)[0]
    assert perf(result)["critical"] == 0 and perf(result)["acknowledged"] == 1
    assert spike["id"] not in result.stdout
    assert run("--demo", "check", "--period", "anomalies", "-w", "medium").exit_code == 1


def test_an_id_from_the_check_output_can_be_acknowledged_directly(run) -> None:
    """The check records what it found, so the operator can ack from the alert text alone."""
    out = run("--demo", "check", "--period", "anomalies").stdout
    ids = re.findall(r"\[id ([0-9a-f]{12})\]", out)
    for anomaly_id in ids:
        assert run("--demo", "anomalies", "ack", anomaly_id).exit_code == 0
    result = run("--demo", "check", "--period", "anomalies", "-w", "low")
    assert result.exit_code == 0 and "no unacknowledged anomalies, 2 acknowledged" in lines(result)[0]


@pytest.mark.parametrize(("last_cost", "code", "severity"), [
    (101.0, 0, None),  # flat: nothing to report
    (500.0, 1, "high"),  # +~400 at 80 % of the day: high
    (1200.0, 2, "critical"),  # +~1100: critical
])
def test_hand_made_files_reach_ok_warning_and_critical(run, tmp_path, last_cost, code, severity) -> None:
    path = focus_file(tmp_path, last_cost)
    result = run("check", "--file", str(path), "--period", "anomalies", "-w", "high", "-c", "critical")
    assert result.exit_code == code, result.stdout
    first = lines(result)[0]
    assert first.startswith(f"COSTCTL {['OK', 'WARNING', 'CRITICAL'][code]} - anomalies 2024-02-16..2024-02-29: ")
    if severity is None:
        assert "no unacknowledged anomalies" in first and perf(result)["max_impact"] == 0
    else:
        assert f"1 open (1 {severity}), worst spike Compute +" in first
        assert perf(result)[severity] == 1
        assert perf(result)["max_impact"] == pytest.approx(last_cost - 101, abs=5)


def test_an_acknowledged_spike_in_a_file_no_longer_alerts(run, tmp_path) -> None:
    path = focus_file(tmp_path, 1200.0)
    first = run("check", "--file", str(path), "--period", "anomalies")
    assert first.exit_code == 2
    (anomaly_id,) = re.findall(r"\[id ([0-9a-f]{12})\]", first.stdout)
    assert run("anomalies", "ack", anomaly_id, "--note", "planned load test").exit_code == 0
    again = run("check", "--file", str(path), "--period", "anomalies")
    assert again.exit_code == 0, again.stdout
    assert "no unacknowledged anomalies, 1 acknowledged" in lines(again)[0]
    assert run("anomalies", "unack", anomaly_id).exit_code == 0
    assert run("check", "--file", str(path), "--period", "anomalies").exit_code == 2


def test_days_narrows_the_window(run, tmp_path) -> None:
    path = focus_file(tmp_path, 1200.0)
    result = run("check", "--file", str(path), "--period", "anomalies", "--as-of", "2024-02-29", "--days", "3")
    assert result.exit_code == 0 and "anomalies 2024-02-26..2024-02-28: no unacknowledged" in lines(result)[0]


def test_thresholds_come_from_the_config_and_a_severity_elsewhere_is_refused(run, tmp_path) -> None:
    path = focus_file(tmp_path, 500.0)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"thresholds": {"anomalies": {"warning": "medium", "critical": "high"}}}))
    assert run("--config", str(cfg), "check", "--file", str(path), "--period", "anomalies").exit_code == 2
    cfg.write_text(yaml.safe_dump({"thresholds": {"day": {"warning": "high"}}}))
    result = run("--config", str(cfg), "check", "--file", str(path), "--period", "anomalies")
    assert result.exit_code == 3
    assert "thresholds.day.warning: a severity applies to anomalies only" in result.stdout


def test_a_provider_that_cannot_be_read_gives_the_error_state(run, fake_config) -> None:
    cfg = fake_config(fake={"fail": True})
    result = run("--config", str(cfg), "check", "--period", "anomalies", "--as-of", "2026-03-10")
    assert result.exit_code == 3
    # Nothing was loaded, so nothing was judged: the failure is why (not "no anomalies").
    assert "anomalies 2026-02-24..2026-03-09: no data for 2026-02-24..2026-03-09 (no data at all yet); " \
           "fake: the fake cloud is down" in lines(result)[0]
    assert "anomalies_critical=U;;;0" in lines(result)[0]
    crit = run("--config", str(cfg), "check", "--period", "anomalies", "--as-of", "2026-03-10",
               "--error-state", "critical")
    assert crit.exit_code == 2


@pytest.mark.parametrize(("args", "reason"), [
    (["--period", "anomalies", "-w", "severe"], "-w/--warning: expected a severity"),
    (["--period", "anomalies", "-c", "10:5"], "-c/--critical: expected a severity"),
    (["--period", "anomalies", "--days", "0"], "--days: expected a positive number of days"),
    (["--period", "day", "--days", "3"], "--days needs --period anomalies"),
    (["--period", "day", "-w", "high"], "-w/--warning: invalid range 'high'"),
])
def test_usage_errors_of_the_new_options_are_unknown(run, args, reason) -> None:
    result = run("--demo", "check", *args)
    assert result.exit_code == 3
    assert lines(result)[0].startswith("COSTCTL UNKNOWN - ") and reason in lines(result)[0]


IDLE_PERF = re.compile(r"(\w+)=([\d.]+)")


def idle_perf(result) -> dict[str, float]:
    return {k: float(v) for k, v in IDLE_PERF.findall(lines(result)[0].split(" | ", 1)[1])}


@pytest.mark.parametrize(("args", "code", "why"), [
    (["-w", "200", "-c", "500"], 0, None),
    (["-w", "100", "-c", "500"], 1, "(warning: outside 0:100)"),
    (["-w", "50", "-c", "100"], 2, "(critical: outside 0:100)"),
    (["--idle-metric", "count", "-w", "1", "-c", "5"], 1, "(warning: outside 0:1)"),
    (["--idle-metric", "count", "-c", "@1:2"], 2, "(critical: inside 1:2)"),
    (["--checks", "vm_idle,ip_unassociated", "-c", "0"], 0, None),
])
def test_demo_idle_savings_or_count_against_the_ranges(run, args, code, why) -> None:
    result = run("--demo", "check", "--period", "idle", *args)
    assert result.exit_code == code, result.stdout
    first = lines(result)[0]
    assert first.startswith(f"COSTCTL {['OK', 'WARNING', 'CRITICAL'][code]} - idle: ")
    assert (why in first) if why else "(warning" not in first and "(critical" not in first


def test_demo_idle_perfdata_has_totals_and_every_selected_check(run) -> None:
    result = run("--demo", "check", "--period", "idle", "--checks", "disk_unattached,vm_idle", "-w", "100")
    first, *rest = lines(result)
    assert first == ("COSTCTL WARNING - idle: 2 finding(s), savings 130.54 USD a month (disk_unattached 2) "
                     "(warning: outside 0:100) | idle_savings=130.54;100;;0.00 idle_findings=2;;;0 "
                     "vm_idle_savings=0.00;;;0.00 vm_idle_count=0;;;0 disk_unattached_savings=130.54;;;0.00 "
                     "disk_unattached_count=2;;;0")
    assert len(rest) == 2 and all(" disk_unattached: unattached " in line for line in rest)
    count = run("--demo", "check", "--period", "idle", "--idle-metric", "count", "-w", "1")
    assert "idle_savings=130.54;;;0.00 idle_findings=2;1;;0" in lines(count)[0]


@pytest.mark.component
def test_idle_check_on_the_moto_landscape_reports_only_the_idle_resources(run, aws, pricing, tmp_path) -> None:
    landscape(aws)
    config = write_config(tmp_path, aws, pricing)
    result = run("--config", str(config), "check", "--period", "idle", "--checks", IDLE_CHECKS, "-w", "50", "-c", "100")
    assert result.exit_code == 1, result.stdout
    values = idle_perf(result)
    assert values["idle_savings"] == pytest.approx(0.096 * 730 + 16.0 + 3.65, abs=0.01)
    assert (values["idle_findings"], values["vm_idle_count"], values["disk_unattached_count"],
            values["ip_unassociated_count"]) == (3, 1, 1, 1)
    assert values["vm_idle_savings"] == pytest.approx(70.08)
    assert "(warning: outside 0:50)" in lines(result)[0]
    counted = run("--config", str(config), "check", "--period", "idle", "--checks", IDLE_CHECKS,
                  "--region", "us-east-1", "--idle-metric", "count", "-c", "2")
    assert counted.exit_code == 2 and "(critical: outside 0:2)" in lines(counted)[0]


def test_an_unscannable_provider_gives_the_error_state(run, tmp_path, monkeypatch) -> None:
    from moto_server import aws_env

    aws_env(monkeypatch)
    config = write_config(tmp_path, "http://127.0.0.1:9")  # nothing listens: every call fails
    result = run("--config", str(config), "check", "--period", "idle", "--checks", "disk_unattached", "-t", "20")
    assert result.exit_code == 3, result.stdout
    assert "; not scanned: prod: " in lines(result)[0]
    assert run("--config", str(config), "check", "--period", "idle", "--checks", "disk_unattached",
               "--error-state", "critical").exit_code == 2


@pytest.mark.parametrize(("args", "reason"), [
    (["--period", "idle", "--file", "x.csv"], "--period idle asks the clouds' APIs"),
    (["--period", "idle", "--checks", "vm_idle,bogus"], "--checks: unknown check 'bogus'"),
    (["--period", "idle", "-w", "high"], "-w/--warning: invalid range 'high'"),
    (["--period", "day", "--idle-metric", "count"], "--idle-metric needs --period idle"),
    (["--period", "mtd", "--checks", "vm_idle"], "--checks needs --period idle"),
])
def test_usage_errors_of_the_idle_options_are_unknown(run, args, reason) -> None:
    result = run("--demo", "check", *args)
    assert result.exit_code == 3
    assert lines(result)[0].startswith("COSTCTL UNKNOWN - ") and reason in lines(result)[0]


# Days a provider has not reported yet are not zero ----------------------------------------------


def test_one_day_of_data_lag_in_the_demo_gives_the_same_anomalies_not_made_up_drops(run) -> None:
    today = datetime.now(UTC).date()
    newest = today - timedelta(days=1)
    result = run("--demo", "check", "--period", "anomalies", "--as-of", (today + timedelta(days=1)).isoformat())
    assert result.exit_code == 2, result.stdout
    first, *rest = lines(result)
    assert "2 open (1 critical, 1 medium), worst spike BigQuery" in first
    assert perf(result)["high"] == 0 and perf(result)["low"] == 0
    assert [line.split()[1:3] for line in rest[:-1]] == [["MEDIUM", "new"], ["CRITICAL", "spike"]]
    assert rest[-1] == f"aws, azure, gcp: no data after {newest} yet; {today}..{today} not judged"


def test_a_window_no_provider_has_reported_is_unknown_no_data_like_the_other_periods(run) -> None:
    as_of = datetime.now(UTC).date() + timedelta(days=30)
    window = f"{as_of - timedelta(days=14)}..{as_of - timedelta(days=1)}"
    result = run("--demo", "check", "--period", "anomalies", "--as-of", as_of.isoformat())
    assert result.exit_code == 3, result.stdout
    assert lines(result) == [
        f"COSTCTL UNKNOWN - anomalies {window}: no data for {window} (newest data {as_of - timedelta(days=31)}) | "
        "anomalies_critical=U;;;0 anomalies_high=U;;;0 anomalies_medium=U;;;0 anomalies_low=U;;;0 "
        "anomalies_acknowledged=U;;;0 anomalies_max_impact=U;;;0.00"]
    stale = run("--demo", "check", "--period", "anomalies", "--as-of", as_of.isoformat(), "--stale-state", "critical")
    assert stale.exit_code == 2
    assert run("--demo", "check", "--period", "day", "--as-of", as_of.isoformat()).exit_code == 3


def test_an_export_without_rows_is_unknown_for_anomalies_as_for_every_period(run, tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(HEADER + "\n")
    for period in ("day", "anomalies"):
        result = run("check", "--file", str(path), "--period", period)
        assert result.exit_code == 3, result.stdout
        assert lines(result) == [f"COSTCTL UNKNOWN - {period}: no cost rows in the file(s)"]


def test_a_lagging_export_reports_the_service_that_stopped_and_not_the_days_after_it(run, tmp_path) -> None:
    result = run("check", "--file", lagging_export(tmp_path), "--period", "anomalies", "--as-of", "2024-03-01",
                 "--days", "7")
    assert result.exit_code == 0, result.stdout  # medium: below the default -w high
    first, *rest = lines(result)
    assert first.startswith("COSTCTL OK - anomalies 2024-02-23..2024-02-29: 1 open (1 medium), "
                            "worst level_shift Storage -6")
    assert rest[0].startswith("2024-02-23 MEDIUM new level AWS / 111 / Storage: 0.00 USD (expected 61.00")
    assert rest[1:] == ["files: no data after 2024-02-27 yet; 2024-02-28..2024-02-29 not judged"]


@pytest.mark.parametrize("args", [
    ("costs",), ("check",), ("check", "--period", "anomalies"), ("check", "--period", "usage",
                                                                               "--unit", "Hrs"),
    ("check", "--period", "commitments"), ("check", "--period", "mtd"), ("export-prometheus",),
])
def test_file_beside_provider_is_one_usage_error_everywhere(run, args) -> None:
    # One rule (loader.open_files) for every command and period that reads --file exports.
    sample = str(SHARED_DATA / "focus" / "focus_1.0_sample_1000.csv")
    result = run(*args, "--file", sample, "--provider", "prod")
    assert "--file and --provider cannot be combined" in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.exit_code == (3 if args[0] == "check" else 2)
