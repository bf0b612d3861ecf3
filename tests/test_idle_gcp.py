"""The GCP idle checks through the real google-cloud-compute (REST) and google-cloud-monitoring (gRPC)
clients against local servers speaking each API's wire format (``fake_gcp_compute``).

Two resources a page (one series a page for Monitoring), so every listing here crosses pages.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fake_gcp_compute import FakeGcp, gce_address, gce_disk, gce_instance

from costctl.clouds.gcp.idle import scan as idle_gcp
from costctl.idle import savings
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
PROJECT = "acme-prod"
OTHER = "acme-dev"
ZONE = "us-central1-a"
ALL = {"vm_idle", "vm_stopped", "disk_unattached", "ip_unassociated"}
SETTINGS = {"type": "gcp", "table": f"{PROJECT}.billing.gcp_billing_export_resource_v1_X", "anonymous": True}


@pytest.fixture
def gcp() -> Iterator[FakeGcp]:
    fake = FakeGcp().start()
    yield fake
    fake.stop()


def scan(fake: FakeGcp, checks: set[str], costs: dict | None = None, **limits: Any) -> tuple[list, Reporter]:
    reporter = Reporter()
    limits = {"gcp_compute_endpoint": fake.compute_url, "gcp_monitoring_endpoint": fake.monitoring_url, **limits}
    found = idle_gcp.scan("gc", SETTINGS, Thresholds.defaults(**limits), checks, NOW, costs or {}, reporter)
    return found, reporter


def by_check(findings: list, check: str) -> dict[str, Any]:
    return {f.resource_id: f for f in findings if f.check == check}


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def path(item: dict[str, Any]) -> str:
    return item["selfLink"].split("/compute/v1/", 1)[1]


def test_only_disks_unattached_longer_than_the_limit_are_reported_across_pages(gcp: FakeGcp) -> None:
    owner = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/zones/{ZONE}/instances/web-1"
    gcp.disks = [
        gce_disk(PROJECT, ZONE, "old", 500, "pd-ssd", created=days_ago(100), detached=days_ago(30)),
        gce_disk(PROJECT, ZONE, "just-detached", 500, "pd-ssd", created=days_ago(100), detached=days_ago(3)),
        gce_disk(PROJECT, "europe-west1-b", "never-used", 200, "pd-balanced", created=days_ago(8)),
        gce_disk(PROJECT, ZONE, "web-1", 20, "pd-standard", created=days_ago(100), users=[owner]),
        gce_disk(PROJECT, ZONE, "odd-type", 10, "local-ssd-x", created=days_ago(100)),
        gce_disk(OTHER, ZONE, "elsewhere", 10, "pd-standard", created=days_ago(100)),
    ]
    found, reporter = scan(gcp, {"disk_unattached"})
    assert reporter.warnings == []
    rows = by_check(found, "disk_unattached")
    old, never, odd = (path(gcp.disks[i]) for i in (0, 2, 4))
    assert set(rows) == {old, never, odd}
    assert rows[old].detail == "unattached 30 d, 500 GB pd-ssd"
    assert rows[old].monthly_cost == pytest.approx(500 * 0.17)
    assert (rows[old].account, rows[old].region, rows[old].resource_type) == (PROJECT, "us-central1", "gce:disk")
    assert rows[never].monthly_cost == pytest.approx(200 * 0.10)
    assert rows[never].region == "europe-west1"
    assert rows[odd].monthly_cost is None  # a type without a documented price stays unpriced
    assert [q.get("pageToken") for q in gcp.requests("disks")] == [None, ["2"], ["4"]]


def test_extreme_and_hyperdisk_disks_cost_their_provisioned_iops_and_throughput(gcp: FakeGcp) -> None:
    made = {
        "extreme": gce_disk(PROJECT, ZONE, "extreme", 500, "pd-extreme", created=days_ago(100), iops=10000),
        "hd-extreme": gce_disk(PROJECT, ZONE, "hd-extreme", 100, "hyperdisk-extreme", created=days_ago(100),
                               iops=20000),
        "balanced": gce_disk(PROJECT, ZONE, "balanced", 200, "hyperdisk-balanced", created=days_ago(100),
                             iops=10000, throughput=400),
        "balanced-base": gce_disk(PROJECT, ZONE, "balanced-base", 200, "hyperdisk-balanced", created=days_ago(100),
                                  iops=3000, throughput=140),
        "throughput": gce_disk(PROJECT, ZONE, "throughput", 2048, "hyperdisk-throughput", created=days_ago(100),
                               throughput=200),
    }
    gcp.disks = list(made.values())
    found, reporter = scan(gcp, {"disk_unattached"})
    assert reporter.warnings == []
    rows = {p.rsplit("/", 1)[-1]: f for p, f in by_check(found, "disk_unattached").items()}
    assert {name: round(f.monthly_cost, 2) for name, f in rows.items()} == {
        "extreme": 62.50 + 650.00,  # 500 GB x 0.125 + every IOPS x 0.065
        "hd-extreme": 12.50 + 1300.00,
        "balanced": 12.00 + 35.00 + 10.40,  # 200 GB x 0.06 + 7,000 IOPS x 0.005 + 260 MiB/s x 0.04 above the free
        "balanced-base": 12.00,
        "throughput": 10.24 + 50.00,  # 2048 GB x 0.005 + every MiB/s x 0.25
    }
    assert rows["balanced"].detail == "unattached 100 d, 200 GB hyperdisk-balanced, 10000 IOPS, 400 MiB/s"
    assert rows["throughput"].detail == "unattached 100 d, 2048 GB hyperdisk-throughput, 200 MiB/s"


def test_stopped_instance_with_disks_is_reported_after_the_limit_priced_by_its_disks(gcp: FakeGcp) -> None:
    boot, data = (gce_disk(PROJECT, ZONE, "batch-1", 50, "pd-balanced", created=days_ago(200), users=["x"]),
                  gce_disk(PROJECT, ZONE, "batch-1-data", 1000, "pd-standard", created=days_ago(200), users=["x"]))
    recent_boot = gce_disk(PROJECT, ZONE, "batch-2", 50, "pd-balanced", created=days_ago(200), users=["x"])
    gcp.disks = [boot, data, recent_boot]
    gcp.instances = [
        gce_instance(PROJECT, ZONE, "batch-1", 101, "n2-standard-4", "TERMINATED", [boot, data], stopped=days_ago(21)),
        gce_instance(PROJECT, ZONE, "batch-2", 102, "n2-standard-4", "TERMINATED", [recent_boot], stopped=days_ago(2)),
        gce_instance(PROJECT, ZONE, "web-1", 103, "e2-small", "RUNNING", [recent_boot]),
    ]
    found, reporter = scan(gcp, {"vm_stopped"})
    assert reporter.warnings == []
    rows = by_check(found, "vm_stopped")
    assert list(rows) == [path(gcp.instances[0])]
    finding = rows[path(gcp.instances[0])]
    assert finding.detail == "stopped 21 d, 2 disk(s), 1050 GB (n2-standard-4)"
    assert finding.monthly_cost == pytest.approx(50 * 0.10 + 1000 * 0.04)
    assert finding.cost_ids == [path(boot), path(data)]
    assert len(gcp.requests("instances")) == 2


def test_only_running_instances_with_low_mean_cpu_in_the_window_are_idle(gcp: FakeGcp) -> None:
    boot = gce_disk(PROJECT, ZONE, "b", 10, "pd-standard", created=days_ago(200), users=["x"])
    gcp.instances = [gce_instance(PROJECT, ZONE, name, iid, "e2-standard-2", status, [boot])
                     for name, iid, status in (("idle", 201, "RUNNING"), ("busy", 202, "RUNNING"),
                                               ("mute", 203, "RUNNING"), ("off", 204, "TERMINATED"))]
    # 0.9 on days 8-10 lies outside the 7-day window and must not lift the idle instance's mean.
    gcp.daily_cpu(201, NOW, [0.01, 0.02, 0.015, 0.01, 0.02, 0.01, 0.016, 0.9, 0.9, 0.9])
    gcp.daily_cpu(202, NOW, [0.4] * 7)
    gcp.daily_cpu(204, NOW, [0.001] * 7)
    found, reporter = scan(gcp, {"vm_idle"})
    assert reporter.warnings == []
    rows = by_check(found, "vm_idle")
    assert list(rows) == [path(gcp.instances[0])]
    finding = rows[path(gcp.instances[0])]
    assert finding.detail == "avg CPU 1.4 % over 7 d (e2-standard-2)"
    # No records: the bundled us-central1 E2 rates, 2 vCPU x 0.021811 + 8 GB x 0.002923 an hour, 730 h.
    assert (finding.monthly_cost, finding.cost_source) == (pytest.approx(48.91), "list")
    assert finding.estimated_monthly_savings == pytest.approx(48.91)
    assert len(gcp.metric_requests) == 3  # one request per project, three series pages
    assert gcp.metric_requests[0].name == f"projects/{PROJECT}"


def test_only_reserved_external_addresses_are_reported(gcp: FakeGcp) -> None:
    gcp.addresses = [
        gce_address(PROJECT, "us-central1", "free", "34.1.2.3", "RESERVED"),
        gce_address(PROJECT, "us-central1", "used", "34.1.2.4", "IN_USE"),
        gce_address(PROJECT, "us-central1", "internal", "10.0.0.9", "RESERVED", address_type="INTERNAL"),
    ]
    found, _ = scan(gcp, {"ip_unassociated"})
    rows = by_check(found, "ip_unassociated")
    assert list(rows) == [path(gcp.addresses[0])]
    assert rows[path(gcp.addresses[0])].monthly_cost == pytest.approx(0.01 * 730)
    assert rows[path(gcp.addresses[0])].detail == "34.1.2.3 reserved, not in use"
    assert len(gcp.requests("addresses")) == 2


def test_a_missing_permission_skips_that_check_with_one_warning_and_the_rest_runs(gcp: FakeGcp) -> None:
    boot = gce_disk(PROJECT, ZONE, "b", 10, "pd-standard", created=days_ago(200), users=["x"])
    gcp.instances = [gce_instance(PROJECT, ZONE, "idle", 301, "e2-micro", "RUNNING", [boot])]
    gcp.daily_cpu(301, NOW, [0.001] * 7)
    gcp.addresses = [gce_address(PROJECT, "us-central1", "free", "34.1.2.3", "RESERVED")]
    gcp.deny = {"metrics", "disks"}
    found, reporter = scan(gcp, ALL)
    assert [f.check for f in found] == ["ip_unassociated"]
    assert reporter.warnings == [
        f"gc: disk_unattached skipped in project {PROJECT}: grant compute.disks.list",
        f"gc: vm_idle skipped in project {PROJECT}: grant monitoring.timeSeries.list",
    ]


def test_recorded_cost_wins_and_an_instance_is_matched_by_its_numeric_id_not_its_boot_disk(gcp: FakeGcp) -> None:
    boot = gce_disk(PROJECT, ZONE, "app-1", 10, "pd-standard", created=days_ago(200), users=["x"])
    gcp.instances = [gce_instance(PROJECT, ZONE, "app-1", 401, "e2-medium", "RUNNING", [boot])]
    gcp.daily_cpu(401, NOW, [0.01] * 7)
    days = pd.date_range(NOW.date() - timedelta(days=14), periods=14, freq="D", tz="UTC")
    frame = pd.concat([
        pd.DataFrame({"ResourceId": f"//compute.googleapis.com/projects/{PROJECT}/zones/{ZONE}/instances/401",
                      "ChargePeriodStart": days, "EffectiveCost": 0.8, "BilledCost": 0.8, "BillingCurrency": "USD"}),
        pd.DataFrame({"ResourceId": f"//compute.googleapis.com/projects/{PROJECT}/zones/{ZONE}/disks/app-1",
                      "ChargePeriodStart": days, "EffectiveCost": 0.1, "BilledCost": 0.1, "BillingCurrency": "USD"}),
    ])
    found, _ = scan(gcp, {"vm_idle"}, costs=savings.record_costs(frame))
    assert (found[0].monthly_cost, found[0].cost_source) == (pytest.approx(0.8 * 30.4), "records")


def test_configured_projects_are_all_scanned(gcp: FakeGcp) -> None:
    gcp.addresses = [gce_address(PROJECT, "us-central1", "a", "34.0.0.1", "RESERVED"),
                     gce_address(OTHER, "europe-west1", "b", "34.0.0.2", "RESERVED")]
    found, _ = scan(gcp, {"ip_unassociated"}, gcp_projects=[PROJECT, OTHER])
    assert sorted((f.account, f.region) for f in found) == [(OTHER, "europe-west1"), (PROJECT, "us-central1")]


def test_cli_idle_scans_the_gcp_provider_and_prints_the_json_contract(
        run: Any, gcp: FakeGcp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import costctl.cli
    from costctl.context import Env

    monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda: NOW))
    gcp.disks = [gce_disk(PROJECT, ZONE, "old", 100, "pd-ssd", created=days_ago(100))]
    gcp.addresses = [gce_address(PROJECT, "us-central1", "free", "34.1.2.3", "RESERVED")]
    config = tmp_path / "config.yaml"
    config.write_text(
        f"cache:\n  path: {tmp_path / 'cache'}\nproviders:\n  gc:\n    type: gcp\n"
        f"    table: {SETTINGS['table']}\n    anonymous: true\n    api_endpoint: {gcp.compute_url}\n"
        f"    max_retry_time: 1s\n"
        f"    recommender_endpoint: {gcp.compute_url}\n"
        f"idle:\n  gcp_compute_endpoint: {gcp.compute_url}\n  gcp_monitoring_endpoint: {gcp.monitoring_url}\n")
    result = run("--config", str(config), "idle", "--checks", "disk_unattached,ip_unassociated", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "recommender" not in result.stderr  # asked at the stand-in (which had nothing), not at Google
    assert {p.split("/")[5] for p, _ in gcp.recommender_requests()} == {ZONE, "us-central1"}
    rows = result.json()
    assert {r["source"] for r in rows} == {"costctl"}
    assert [(r["resource_id"], r["check"], r["resource_type"], r["monthly_cost"]) for r in rows] == [
        (path(gcp.disks[0]), "disk_unattached", "gce:disk", pytest.approx(17.0)),
        (path(gcp.addresses[0]), "ip_unassociated", "gce:address", pytest.approx(7.3))]
    assert (rows[0]["provider"], rows[0]["account"], rows[0]["region"]) == ("gc", PROJECT, "us-central1")


def test_service_account_credentials_are_rescoped_from_bigquery_to_compute_and_monitoring(tmp_path: Path) -> None:
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from costctl.clouds.gcp.idle import api as gcp_api

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({"type": "service_account", "project_id": PROJECT, "private_key_id": "1",
                               "private_key": pem, "client_email": f"idle@{PROJECT}.iam.gserviceaccount.com",
                               "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    creds = gcp_api.credentials({"credentials_file": str(key)})
    assert list(creds.scopes) == list(gcp_api.SCOPES)
    assert creds.service_account_email == f"idle@{PROJECT}.iam.gserviceaccount.com"
