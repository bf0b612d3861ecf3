"""Idle GCE instances priced from the bundled machine-family table when the records do not know them.

Expected figures are worked out here from the documented per-vCPU and per-GB rates, not read back
from the table, and the scan runs the real clients against ``fake_gcp_compute``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fake_gcp_compute import FakeGcp, gce_disk, gce_instance

from costctl.clouds.gcp.idle import pricing as gcp_pricing
from costctl.clouds.gcp.idle import scan as idle_gcp
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
PROJECT = "acme-prod"
ZONE = "europe-west1-b"
SETTINGS = {"type": "gcp", "table": f"{PROJECT}.billing.gcp_billing_export_resource_v1_X", "anonymous": True}


@pytest.fixture
def gcp() -> Iterator[FakeGcp]:
    fake = FakeGcp().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize(("machine", "hourly"), [
    ("e2-standard-4", 4 * 0.021811 + 16 * 0.002923),
    ("e2-highcpu-8", 8 * 0.021811 + 8 * 0.002923),
    ("e2-micro", 0.25 * 0.021811 + 1 * 0.002923),  # shared core: a quarter of a vCPU billed
    ("n1-standard-1", 0.031611 + 3.75 * 0.004237),
    ("n1-highmem-4", 4 * 0.031611 + 26 * 0.004237),
    ("n2-highmem-2", 2 * 0.031611 + 16 * 0.004237),
    ("n2d-standard-2", 2 * 0.027502 + 8 * 0.003686),
    ("c2-standard-4", 4 * 0.03398 + 16 * 0.00455),
])
def test_predefined_types_of_the_listed_families_cost_vcpus_plus_memory_for_730_hours(machine: str,
                                                                                      hourly: float) -> None:
    assert gcp_pricing.machine_month(machine) == pytest.approx(hourly * 730, abs=0.005)


@pytest.mark.parametrize("machine", ["n2-custom-4-8192", "custom-2-4096", "f1-micro", "c2-highmem-4", "a2-highgpu-1g",
                                     "m1-megamem-96", ""])
def test_custom_shared_core_n1_and_unlisted_families_are_not_guessed(machine: str) -> None:
    assert gcp_pricing.machine_month(machine) is None


def test_idle_instances_are_priced_by_their_machine_type_and_an_unlisted_one_is_named_in_a_warning(
        gcp: FakeGcp) -> None:
    boot = gce_disk(PROJECT, ZONE, "b", 10, "pd-standard", created=NOW - timedelta(days=200), users=["x"])
    gcp.instances = [gce_instance(PROJECT, ZONE, name, iid, machine, "RUNNING", [boot])
                     for name, iid, machine in (("api", 501, "n2-standard-4"), ("etl", 502, "n2-custom-4-8192"),
                                                ("etl2", 503, "n2-custom-4-8192"))]
    for iid in (501, 502, 503):
        gcp.daily_cpu(iid, NOW, [0.01] * 7)
    reporter = Reporter()
    limits = Thresholds.defaults(gcp_compute_endpoint=gcp.compute_url, gcp_monitoring_endpoint=gcp.monitoring_url)
    found = {f.resource_id.rsplit("/", 1)[-1]: f
             for f in idle_gcp.scan("gc", SETTINGS, limits, {"vm_idle"}, NOW, {}, reporter)}
    api = found["api"]
    assert api.monthly_cost == pytest.approx((4 * 0.031611 + 16 * 0.004237) * 730, abs=0.005)
    assert (api.estimated_monthly_savings, api.cost_source, api.severity) == (pytest.approx(api.monthly_cost), "list",
                                                                              "high")
    assert api.region == "europe-west1"  # us-central1 rates, documented as such
    assert found["etl"].monthly_cost is None and found["etl"].severity == "low"
    assert reporter.warnings == ["gc: 2 idle instance(s) left unpriced (etl, etl2): no bundled list price for machine "
                                 "type n2-custom-4-8192 (predefined e2, n1, n2, n2d, c2 types only)"]
