"""``costctl anomalies`` end to end: the demo's planted features, the JSON/CSV contract, --by, acks, exit codes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from costctl.demo import FEATURES

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

SCALARS = ["date", "kind", "severity", "provider", "account", "service", "cost", "expected", "impact", "pct", "score",
           "method", "false_alarm_rate", "currency", "id", "acknowledged"]


def yesterday():
    return datetime.now(UTC).date() - timedelta(days=1)


def day_of(offset: int) -> str:
    return (yesterday() - timedelta(days=offset)).isoformat()


def features(*names: str) -> set[tuple[str, str, str]]:
    """(date, kind, service) the detector must report for these FEATURES."""
    kinds = {"spike": "spike", "level_shift": "level_shift", "new_service": "new"}
    out = set()
    for name in names:
        f = FEATURES[name]
        for offset in f.get("offsets", (f.get("start_offset"),)):
            out.add((day_of(offset), kinds[f["kind"]], f["ServiceName"]))
    return out


def found(result) -> set[tuple[str, str, str]]:
    return {(a["date"], a["kind"], a["service"]) for a in result.json()}


def test_default_run_on_the_demo_finds_the_bigquery_spike_and_sagemaker_and_nothing_else(run) -> None:
    result = run("--demo", "anomalies", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert found(result) == features("bigquery_spike", "sagemaker_new_service")
    by_kind = {a["kind"]: a for a in result.json()}
    spike = by_kind["spike"]
    assert spike["account"] == FEATURES["bigquery_spike"]["SubAccountId"] and spike["severity"] == "critical"
    assert spike["cost"] / spike["expected"] == pytest.approx(FEATURES["bigquery_spike"]["factor"], rel=0.25)
    top = max((c for c in spike["contributors"] if "resource" in c), key=lambda c: c["share"])
    assert "datasets/analytics" in top["resource"] and top["share"] > 0.5
    new = by_kind["new"]
    assert new["account"] == FEATURES["sagemaker_new_service"]["SubAccountId"] and new["expected"] == 0
    assert any("sagemaker" in (c.get("resource") or "") for c in new["contributors"])


def test_a_45_day_window_adds_the_ec2_spike_and_the_azure_sql_level_shift_once(run) -> None:
    result = run("--demo", "anomalies", "--days", "45", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert found(result) == features("bigquery_spike", "sagemaker_new_service", "ec2_spike", "azure_sql_level_shift")
    ec2 = [a for a in rows if a["service"] == "Amazon Elastic Compute Cloud"]
    assert {a["account"] for a in ec2} == {FEATURES["ec2_spike"]["SubAccountId"]}
    assert all(a["cost"] / a["expected"] == pytest.approx(5, rel=0.2) for a in ec2)
    shifts = [a for a in rows if a["kind"] == "level_shift"]
    assert all(a["pct"] == pytest.approx(100, abs=10) for a in shifts)  # doubled, reported on day one only
    assert len(rows) <= 8  # does not cry wolf


@pytest.mark.parametrize("method", ["zscore", "pct"])
def test_classic_methods_on_the_demo_cry_wolf_where_robust_does_not(run, method: str) -> None:
    robust = run("--demo", "anomalies", "--days", "45", "--format", "json").json()
    classic = run("--demo", "anomalies", "--days", "45", "--method", method, "--format", "json").json()
    assert len(classic) > len(robust)


def test_csv_carries_the_scalar_columns_and_json_adds_contributors(run) -> None:
    result = run("--demo", "anomalies", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == SCALARS
    as_json = run("--demo", "anomalies", "--format", "json").json()
    assert [r["id"] for r in rows] == [a["id"] for a in as_json]
    assert set(as_json[0]) == set(SCALARS) | {"contributors"}
    assert [a["date"] for a in as_json] == sorted(a["date"] for a in as_json)
    for c in as_json[0]["contributors"]:
        assert {"impact", "share", "cost", "expected"} < set(c) and len(c) == 5


def test_by_service_groups_across_accounts_and_drills_into_regions(run) -> None:
    rows = run("--demo", "anomalies", "--by", "service", "--days", "45", "--format", "json").json()
    assert {"service"} < set(rows[0]) and "account" not in rows[0]
    sql = [a for a in rows if a["service"] == "Azure SQL Database"]
    assert [a["kind"] for a in sql] == ["level_shift"]
    assert any("region" in c for c in sql[0]["contributors"])


def test_by_rejects_an_unknown_key(run) -> None:
    result = run("--demo", "anomalies", "--by", "colour")
    assert result.exit_code == 2 and "unknown key 'colour'" in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_a_threshold_that_is_not_above_zero_is_a_usage_error(run, value: str) -> None:
    result = run("--demo", "anomalies", "--threshold", value)
    assert result.exit_code == 2 and "--threshold: expected a number above 0" in result.stderr


def test_a_history_beyond_ten_years_is_a_usage_error(run) -> None:
    result = run("--demo", "anomalies", "--history", "99999999999")
    assert result.exit_code == 2 and "--history: at most 3660 days of baseline" in result.stderr


def test_ack_silences_an_anomaly_until_unacked_and_all_shows_it(run) -> None:
    first = run("--demo", "anomalies", "--format", "json").json()
    spike = next(a for a in first if a["kind"] == "spike")
    acked = run("--demo", "anomalies", "ack", spike["id"], "--note", "known full scan")
    assert acked.exit_code == 0 and spike["id"] in acked.stderr
    after = run("--demo", "anomalies", "--format", "json").json()
    assert spike["id"] not in [a["id"] for a in after] and len(after) == len(first) - 1
    shown = run("--demo", "anomalies", "--all", "--format", "json").json()
    assert next(a for a in shown if a["id"] == spike["id"])["acknowledged"] is True
    listed = run("--demo", "anomalies", "acks", "--format", "json").json()
    assert [(a["id"], a["note"]) for a in listed] == [(spike["id"], "known full scan")]
    assert run("--demo", "anomalies", "unack", spike["id"]).exit_code == 0
    assert spike["id"] in [a["id"] for a in run("--demo", "anomalies", "--format", "json").json()]


def test_ack_of_an_unknown_id_is_a_usage_error(run) -> None:
    result = run("--demo", "anomalies", "ack", "000000000000")
    assert result.exit_code == 2 and "no reported anomaly" in result.stderr


def test_fail_on_exits_4_when_something_that_severe_is_found(run) -> None:
    assert run("--demo", "anomalies", "--fail-on", "critical", "--format", "json").exit_code == 4
    assert run("--demo", "anomalies", "--kind", "new", "--fail-on", "high", "--format", "json").exit_code == 0
    spike = next(a for a in run("--demo", "anomalies", "--format", "json").json() if a["kind"] == "spike")
    run("--demo", "anomalies", "ack", spike["id"])
    assert run("--demo", "anomalies", "--fail-on", "critical", "--format", "json").exit_code == 0


def test_file_exports_use_their_own_newest_day_as_the_end(run, tmp_path) -> None:
    lines = ["ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,"
             "ProviderName,SubAccountId,ServiceName,RegionId,ResourceId"]
    start = datetime(2024, 1, 1).date()
    for i in range(60):
        day = start + timedelta(days=i)
        cost = 500.0 if i == 57 else 100.0 + (i % 3)
        lines.append(f"{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,{cost},{cost},USD,Usage,AWS,111,"
                     f"Compute,us-east-1,i-1")
    path = tmp_path / "focus.csv"
    path.write_text("\n".join(lines) + "\n")
    rows = run("anomalies", "--file", str(path), "--format", "json").json()
    assert [(a["date"], a["kind"], a["service"]) for a in rows] == [("2024-02-27", "spike", "Compute")]


def test_help_documents_the_exit_status(run) -> None:
    result = run("anomalies", "--help")
    assert result.exit_code == 0 and "Exit status" in result.stdout and "--fail-on" in result.stdout


# Days a provider has not reported yet are not zero ----------------------------------------------


def test_a_day_the_demo_providers_have_not_reported_yet_is_not_a_drop(run) -> None:
    """--as-of tomorrow: one day of normal data lag. The window keeps its real anomalies only."""
    today = yesterday() + timedelta(days=1)
    result = run("--demo", "anomalies", "--as-of", (today + timedelta(days=1)).isoformat(), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert found(result) == features("bigquery_spike", "sagemaker_new_service")
    assert f"aws, azure, gcp: no data after {yesterday()} yet; {today}..{today} not judged" in result.stderr


def test_a_window_reaching_past_the_newest_data_reports_only_real_anomalies(run) -> None:
    start, end = day_of(4), (yesterday() + timedelta(days=6)).isoformat()
    result = run("--demo", "anomalies", "--start", start, "--end", end, "--fail-on", "high", "--format", "json")
    assert result.exit_code == 4  # the BigQuery spike is critical
    assert found(result) == features("bigquery_spike")
    assert all(a["pct"] is None or a["pct"] > -100 for a in result.json())


def test_a_window_no_provider_has_reported_says_so_on_stderr(run) -> None:
    as_of = yesterday() + timedelta(days=30)
    result = run("--demo", "anomalies", "--as-of", as_of.isoformat(), "--format", "json")
    assert result.exit_code == 0 and result.json() == []
    window = f"{as_of - timedelta(days=14)}..{as_of - timedelta(days=1)}"
    assert (f"warning: no data for {window} (newest data {yesterday()}); no day of the window was judged"
            in result.stderr)
    assert "warning: no data" not in run("--demo", "-q", "anomalies", "--as-of", as_of.isoformat()).stderr


def lagging_export(tmp_path) -> str:
    """Compute and Storage from 2024-01-01; Storage stops after 2024-02-22; the newest day is 2024-02-27."""
    lines = ["ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,"
             "ProviderName,SubAccountId,ServiceName,RegionId,ResourceId"]
    start = datetime(2024, 1, 1).date()
    for i in range(58):
        day = start + timedelta(days=i)
        for service, level, until in (("Compute", 100.0, 57), ("Storage", 60.0, 52)):
            if i <= until:
                cost = level + (i % 3)
                lines.append(f"{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,{cost},{cost},USD,Usage,AWS,111,"
                             f"{service},us-east-1,{service}-1")
    path = tmp_path / "lagging.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("extra", [[], ["--service", "Storage"]])
def test_a_service_that_stopped_is_a_drop_while_the_days_after_the_export_are_not(run, tmp_path, extra) -> None:
    args = ("anomalies", "--file", lagging_export(tmp_path), "--as-of", "2024-03-01", "--days", "7", *extra)
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [(a["date"], a["kind"], a["service"], a["cost"]) for a in result.json()] == [
        ("2024-02-23", "level_shift", "Storage", 0.0)]
    assert "files: no data after 2024-02-27 yet; 2024-02-28..2024-02-29 not judged" in result.stderr


def test_config_validate_enforces_the_history_anomalies_needs(run, tmp_path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("anomalies:\n  history: 1\n")
    result = run("--config", str(cfg), "config", "validate")
    assert result.exit_code == 2 and "anomalies.history: expected 7 to 3660, got 1" in result.stderr
    cfg.write_text("anomalies:\n  history: 7\n")
    assert run("--config", str(cfg), "config", "validate").exit_code == 0
