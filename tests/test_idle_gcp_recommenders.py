"""The GCP Recommender's idle and machine-type recommendations beside costctl's GCP checks (issue 23, item 4).

The Compute Engine listings and the Recommender REST API are served by ``fake_gcp_compute``; the
scan asks the Recommender with google-auth's ``AuthorizedSession`` (anonymous credentials) for the
zones and regions of costctl's own findings plus ``idle.gcp_recommender_locations``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fake_gcp_compute import FakeGcp, gce_disk
from test_idle_gcp import NOW, PROJECT, SETTINGS, ZONE, days_ago, gcp  # noqa: F401 - gcp is a fixture

from costctl.clouds.gcp.idle import scan as idle_gcp
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

DISK_IDLE = "google.compute.disk.IdleResourceRecommender"
VM_IDLE = "google.compute.instance.IdleResourceRecommender"
MACHINE = "google.compute.instance.MachineTypeRecommender"
ADDRESS = "google.compute.address.IdleResourceRecommender"


def rec(resource: str, units: str, nanos: int = 0, *, state: str = "ACTIVE", days: int = 30,
        description: str = "Save cost by deleting idle resource") -> dict[str, Any]:
    """One recommendation as the Recommender API sends it (cost over ``days`` days; negative saves)."""
    return {"name": f"projects/{PROJECT}/locations/x/recommenders/r/recommendations/{abs(hash(resource)):x}",
            "description": description, "stateInfo": {"state": state},
            "primaryImpact": {"category": "COST", "costProjection": {
                "cost": {"currencyCode": "USD", "units": units, "nanos": nanos}, "duration": f"{days * 86400}s"}},
            "content": {"overview": {"resourceName": f"//compute.googleapis.com/{resource}"}}}


def scan(fake: FakeGcp, recommenders: bool = True, **limits: Any) -> tuple[list, Reporter]:
    reporter = Reporter()
    limits = {"gcp_compute_endpoint": fake.compute_url, "gcp_monitoring_endpoint": fake.monitoring_url,
              "gcp_recommender_endpoint": fake.compute_url, **limits}
    found = idle_gcp.scan("gc", SETTINGS, Thresholds.defaults(**limits), {"disk_unattached"}, NOW, {}, reporter,
                          recommenders)
    return found, reporter


@pytest.fixture
def landscape(gcp: FakeGcp) -> FakeGcp:  # noqa: F811
    """An unattached disk costctl flags (the Recommender too), an idle VM only the Recommender
    flags, a machine-type change that costs more, and a dismissed recommendation."""
    gcp.disks = [gce_disk(PROJECT, ZONE, "old", 500, "pd-ssd", created=days_ago(100), detached=days_ago(30))]
    disk = f"projects/{PROJECT}/zones/{ZONE}/disks/old"
    gcp.recommendations = {
        (PROJECT, ZONE, DISK_IDLE): [[rec(disk, "-85", -500_000_000)]],
        (PROJECT, ZONE, VM_IDLE): [[rec(f"projects/{PROJECT}/zones/{ZONE}/instances/sleepy", "-40")],
                                   [rec(f"projects/{PROJECT}/zones/{ZONE}/instances/gone", "-99", state="DISMISSED")]],
        (PROJECT, ZONE, MACHINE): [[rec(f"projects/{PROJECT}/zones/{ZONE}/instances/hot", "25",
                                        description="Upsize for performance")]],
    }
    return gcp


def test_recommender_and_costctl_findings_merge_and_recommender_only_resources_are_added(landscape: FakeGcp) -> None:
    found, reporter = scan(landscape)
    assert reporter.warnings == []
    rows = {f.resource_id: f for f in found}
    disk = f"projects/{PROJECT}/zones/{ZONE}/disks/old"
    sleepy = f"projects/{PROJECT}/zones/{ZONE}/instances/sleepy"
    assert set(rows) == {disk, sleepy}  # the upsize costs money and the dismissed one is gone
    assert (rows[disk].check, rows[disk].sources) == ("disk_unattached", ["costctl", "gcp-recommender"])
    assert rows[disk].cloud_savings == pytest.approx(85.5 / 720 * 730)  # 30 days of cost scaled to 730 h
    assert rows[disk].estimated_monthly_savings != rows[disk].cloud_savings  # costctl's own price kept
    vm = rows[sleepy]
    assert (vm.check, vm.sources, vm.resource_type, vm.region, vm.action) == (
        "recommender", ["gcp-recommender"], "gce:instance", "us-central1", "stop")
    assert vm.estimated_monthly_savings == pytest.approx(40 / 720 * 730)
    asked = {path.split("/")[5] + " " + path.split("/")[7] for path, _ in landscape.recommender_requests()}
    assert asked == {f"{ZONE} {DISK_IDLE}", f"{ZONE} {VM_IDLE}", f"{ZONE} {MACHINE}", f"us-central1 {ADDRESS}"}


def test_a_denied_recommender_is_one_warning_naming_the_permission_and_the_others_still_answer(
        landscape: FakeGcp) -> None:
    landscape.recommender_deny = {VM_IDLE}
    found, reporter = scan(landscape)
    assert sorted(f.resource_id.rsplit("/", 1)[1] for f in found) == ["old"]
    assert found[0].sources == ["costctl", "gcp-recommender"]  # the disk recommender still answered
    assert reporter.warnings == [f"gc: gcp-recommender recommendations skipped in project {PROJECT}: "
                                 "grant recommender.computeInstanceIdleResourceRecommendations.list"]


def test_a_malformed_recommendation_is_one_warning_and_none_of_the_projects_recommendations_are_kept(
        landscape: FakeGcp) -> None:
    broken = rec(f"projects/{PROJECT}/zones/{ZONE}/instances/sleepy", "-40")
    del broken["primaryImpact"]["costProjection"]["duration"]
    landscape.recommendations[(PROJECT, ZONE, VM_IDLE)] = [[broken]]
    found, reporter = scan(landscape)
    assert [(f.check, f.sources) for f in found] == [("disk_unattached", ["costctl"])]
    assert len(reporter.warnings) == 1
    assert reporter.warnings[0].startswith(
        f"gc: gcp-recommender recommendations failed in project {PROJECT}: GCP Recommender instance "
        "IdleResourceRecommender answered with no costProjection.duration")


def test_configured_locations_are_asked_and_recommenders_off_asks_nothing(gcp: FakeGcp) -> None:  # noqa: F811
    gcp.recommendations = {(PROJECT, "europe-west1", ADDRESS): [[rec(
        f"projects/{PROJECT}/regions/europe-west1/addresses/spare", "-7", days=30)]]}
    found, _ = scan(gcp, gcp_recommender_locations=["europe-west1"])
    assert [(f.resource_id, f.resource_type, f.action) for f in found] == [
        (f"projects/{PROJECT}/regions/europe-west1/addresses/spare", "gce:address", "delete")]
    gcp.seen.clear()
    assert scan(gcp, recommenders=False, gcp_recommender_locations=["europe-west1"])[0] == []
    assert gcp.recommender_requests() == []
