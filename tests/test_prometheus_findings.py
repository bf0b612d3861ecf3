"""Findings in ``export-prometheus``: every value equals what ``anomalies``, ``idle``, ``budgets`` and
``costs`` print as JSON on the demo data, acknowledgements, idle ignores, ``idle.exclude_tags`` and failing
providers included."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from test_cli_idle import aws, write_config  # noqa: F401 - the moto-backed `aws` fixture

pytestmark = pytest.mark.usefixtures("warm_demo")  # a cached demo: these tests are about values, not fetches

SAMPLE = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """``{sorted label pairs: value}`` of one metric family in an exposition."""
    found = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m["name"] == name:
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m["labels"])))
            found[labels] = float(m["value"])
    return found


def by(series: dict, *keys: str) -> dict[tuple[str, ...], float]:
    return {tuple(dict(labels)[k] for k in keys): v for labels, v in series.items()}


@pytest.fixture
def demo_export(run) -> str:
    result = run("--demo", "export-prometheus")
    assert result.exit_code == 0, result.stderr
    return result.stdout


PROVIDERS = ("aws", "azure", "gcp")


def test_open_anomalies_equal_what_anomalies_lists_per_provider(run, demo_export) -> None:
    counts, impact = defaultdict(int), defaultdict(float)
    for name in PROVIDERS:
        for row in run("--demo", "anomalies", "-p", name, "--format", "json").json():
            counts[(name, row["severity"])] += 1
            impact[(name, row["severity"], row["currency"])] += abs(row["impact"])
    assert sum(counts.values()) > 0  # the demo has anomalies, so the comparison means something
    exported = by(samples(demo_export, "costctl_anomalies_open"), "provider", "severity")
    assert exported == {(p, s): float(counts[(p, s)]) for p in PROVIDERS
                        for s in ("low", "medium", "high", "critical")}
    assert by(samples(demo_export, "costctl_anomalies_open_impact"), "provider", "severity", "currency") == {
        k: pytest.approx(v, abs=1e-5) for k, v in impact.items()}


def test_an_acknowledged_anomaly_leaves_the_open_count(run) -> None:
    rows = run("--demo", "anomalies", "-p", "gcp", "--format", "json").json()
    assert rows, "the demo gcp data has an anomaly"
    assert run("--demo", "anomalies", "ack", rows[0]["id"]).exit_code == 0
    text = run("--demo", "export-prometheus").stdout
    exported = by(samples(text, "costctl_anomalies_open"), "provider", "severity")
    assert exported[("gcp", rows[0]["severity"])] == len(rows) - 1 == len(
        run("--demo", "anomalies", "-p", "gcp", "--format", "json").json())


def test_idle_findings_and_savings_equal_what_idle_lists(run, demo_export) -> None:
    rows = run("--demo", "idle", "--format", "json").json()
    assert rows
    counts, savings = defaultdict(int), defaultdict(float)
    for row in rows:
        counts[(row["provider"], row["check"])] += 1
        savings[(row["provider"], row["check"], row["currency"])] += row["estimated_monthly_savings"]
    exported = by(samples(demo_export, "costctl_idle_findings"), "provider", "check")
    assert {k: v for k, v in exported.items() if v} == {k: float(v) for k, v in counts.items()}
    assert {p for p, _ in exported} == set(PROVIDERS)  # zeros too: a provider without findings still has series
    assert by(samples(demo_export, "costctl_idle_estimated_monthly_savings"), "provider", "check", "currency") == {
        k: pytest.approx(v, abs=1e-5) for k, v in savings.items()}


def test_budget_ratios_equal_the_percentages_budgets_prints(run, demo_export) -> None:
    report = {r["budget"]: r for r in run("--demo", "budgets", "--format", "json").json()}
    consumed = by(samples(demo_export, "costctl_budget_consumed_ratio"), "budget")
    forecast = by(samples(demo_export, "costctl_budget_forecast_ratio"), "budget")
    assert consumed == {(n,): pytest.approx(r["consumed_pct"] / 100, abs=1e-5) for n, r in report.items()}
    assert forecast == {(n,): pytest.approx(r["forecast_pct"] / 100, abs=1e-5) for n, r in report.items()}
    spend = by(samples(demo_export, "costctl_budget_spend"), "budget")
    assert spend == {(n,): pytest.approx(r["spend"], abs=1e-5) for n, r in report.items()}


def test_previous_month_equals_the_monthly_costs_of_last_month(run, demo_export) -> None:
    yesterday = date.today() - timedelta(days=1)  # export-prometheus's latest complete day
    prev = (yesterday.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    exported = by(samples(demo_export, "costctl_cost_previous_month"), "provider", "currency")
    expected = {}
    for name in PROVIDERS:
        rows = run("--demo", "costs", "-p", name, "--month", prev, "--granularity", "monthly", "--format",
                   "json").json()
        for row in rows:
            expected[(name, row["currency"])] = expected.get((name, row["currency"]), 0.0) + row["cost"]
    assert exported == {k: pytest.approx(v, abs=1e-5) for k, v in expected.items()} and exported


def test_findings_of_every_demo_provider_are_up(demo_export) -> None:
    up = by(samples(demo_export, "costctl_findings_up"), "provider", "finding")
    assert up == {(p, f): 1.0 for p in PROVIDERS for f in ("anomalies", "idle")}


def test_a_provider_whose_findings_fail_is_findings_up_0_not_silent_zeros(run, fake_config) -> None:
    result = run("--config", str(fake_config(good={}, bad={"fail": True})), "export-prometheus",
                 "--as-of", "2026-03-10")
    assert result.exit_code == 0
    up = by(samples(result.stdout, "costctl_findings_up"), "provider", "finding")
    assert up == {("bad", "anomalies"): 0.0, ("good", "anomalies"): 1.0}  # no idle: fake is no cloud
    assert {p for p, _ in by(samples(result.stdout, "costctl_anomalies_open"), "provider", "severity")} == {"good"}
    assert "warning: findings of bad: the fake cloud is down" in result.stderr
    assert "costctl_idle_" not in result.stdout


@pytest.mark.parametrize(("flags", "absent"), [
    (("--no-anomalies",), "costctl_anomalies_"),
    (("--no-idle",), "costctl_idle_"),
])
def test_findings_can_be_turned_off(run, flags, absent) -> None:
    result = run("--demo", "export-prometheus", *flags)
    assert result.exit_code == 0 and absent not in result.stdout
    assert "costctl_cost_month_to_date" in result.stdout


def test_without_any_findings_there_is_no_findings_family(run) -> None:
    text = run("--demo", "export-prometheus", "--no-anomalies", "--no-idle").stdout
    assert "costctl_findings_up" not in text


def test_ignored_idle_findings_leave_the_counts_and_savings(run) -> None:
    """``idle ignore`` silences a finding in the metrics as in ``idle`` and ``check --period idle``."""
    rows = run("--demo", "idle", "--format", "json").json()
    assert len(rows) == 2
    first, second = rows
    assert run("--demo", "idle", "ignore", first["id"], "--until", "2099-12-31").exit_code == 0
    text = run("--demo", "export-prometheus", "--no-anomalies").stdout
    exported = {k: v for k, v in by(samples(text, "costctl_idle_findings"), "provider", "check").items() if v}
    assert exported == {(second["provider"], second["check"]): 1.0}
    assert by(samples(text, "costctl_idle_estimated_monthly_savings"), "provider", "check", "currency") == {
        (second["provider"], second["check"], second["currency"]):
            pytest.approx(second["estimated_monthly_savings"], abs=1e-5)}
    assert run("--demo", "idle", "ignore", second["id"]).exit_code == 0
    text = run("--demo", "export-prometheus", "--no-anomalies").stdout
    assert set(by(samples(text, "costctl_idle_findings"), "provider", "check").values()) == {0.0}
    assert samples(text, "costctl_idle_estimated_monthly_savings") == {}


def test_a_resource_tagged_by_idle_exclude_tags_is_not_exported(run, aws, tmp_path) -> None:  # noqa: F811
    """End to end against moto: the volume's own tags decide, as for ``costctl idle``."""
    import boto3

    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=aws)
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3", TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "keep", "Value": "true"}]}])
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3")
    counts = {}
    for name, extra in (("plain", ""), ("excluding", '  exclude_tags:\n    keep: "true"\n')):
        (tmp_path / name).mkdir()
        config = write_config(tmp_path / name, aws, extra=extra)
        result = run("--config", str(config), "export-prometheus", "--no-anomalies")
        assert "costctl_findings_up{finding=\"idle\",provider=\"prod\"} 1.0" in result.stdout, result.stderr
        counts[name] = by(samples(result.stdout, "costctl_idle_findings"), "provider", "check")[
            ("prod", "disk_unattached")]
    assert counts == {"plain": 2.0, "excluding": 1.0}
