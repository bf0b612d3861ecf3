"""Azure Advisor's cost recommendations beside costctl's own Azure checks (issue 23, item 4).

The real management SDK pipeline (credential from the stand-in's managed-identity endpoint) asks
``fake_azure_arm`` for ``Microsoft.Advisor/recommendations`` filtered to the Cost category, two
recommendations a page, next to the listings costctl's checks read.
"""

from __future__ import annotations

from typing import Any

import pytest
from fake_azure_arm import FakeArm, advice, public_ip
from test_idle_azure import NOW, SUB, arm, prices, settings  # noqa: F401 - fixtures

from costctl.clouds.azure.idle import scan as idle_azure
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

RG = f"/subscriptions/{SUB}/resourceGroups/rg1/providers"


def scan(fake: FakeArm, recommenders: bool = True) -> tuple[list, Reporter]:
    reporter = Reporter()
    limits: dict[str, Any] = {"azure_prices_endpoint": fake.prices.prices_url}  # type: ignore[attr-defined]
    found = idle_azure.scan("az", settings(fake), Thresholds.defaults(**limits), {"ip_unassociated"}, NOW, {},
                            reporter, None, recommenders)
    return found, reporter


@pytest.fixture
def landscape(arm: FakeArm) -> FakeArm:  # noqa: F811
    """One unassociated public IP costctl flags; Advisor flags it too (in other case), plus a VM to
    resize, one saving given only per year, and a reservation to buy (not an idle resource)."""
    arm.public_ips = [public_ip(SUB, "rg1", "free", "20.1.2.3")]
    ip_id = arm.public_ips[0]["id"]
    arm.advisor = [
        advice(SUB, ip_id.upper(), "Delete unassociated public IP", 3.0,
               field_name="Microsoft.Network/publicIPAddresses"),
        advice(SUB, f"{RG}/Microsoft.Compute/virtualMachines/big", "Right-size underutilized VM", 61.2),
        advice(SUB, f"{RG}/Microsoft.Compute/disks/old", "Delete unattached disk", None, annual=120.0,
               field_name="Microsoft.Compute/disks"),
        advice(SUB, f"/subscriptions/{SUB}", "Buy virtual machine reserved instances", 400.0,
               field_name="Microsoft.Subscriptions/subscriptions"),
    ]
    return arm


def test_advisor_and_costctl_findings_merge_and_advisor_only_resources_are_added(landscape: FakeArm) -> None:
    found, reporter = scan(landscape)
    assert reporter.warnings == []
    rows = {f.resource_id.rsplit("/", 1)[-1].lower(): f for f in found}
    assert set(rows) == {"free", "big", "old"}  # the reservation purchase is not an idle resource
    ip = rows["free"]
    assert (ip.check, ip.sources, ip.cloud_savings) == ("ip_unassociated", ["costctl", "advisor"], 3.0)
    assert ip.estimated_monthly_savings == pytest.approx(0.005 * 730)  # costctl's own figure kept
    big = rows["big"]
    assert (big.check, big.sources, big.estimated_monthly_savings, big.detail, big.region) == (
        "recommender", ["advisor"], 61.2, "Advisor: Right-size underutilized VM", "westeurope")
    assert rows["old"].estimated_monthly_savings == pytest.approx(10.0)  # annual / 12
    assert len(landscape.requests("advisor")) == 2  # four recommendations, two a page


def test_a_denied_advisor_is_one_warning_naming_the_permission_and_costctls_findings_stay(
        landscape: FakeArm) -> None:
    landscape.deny = {"advisor"}
    found, reporter = scan(landscape)
    assert [(f.check, f.sources) for f in found] == [("ip_unassociated", ["costctl"])]
    assert reporter.warnings == [f"az: advisor recommendations skipped in subscription {SUB}: "
                                 "grant Microsoft.Advisor/recommendations/read"]


@pytest.mark.parametrize(("answer", "problem"), [
    ({"value": "nope"}, "Azure Advisor answered without a value list of recommendations"),
    ({"value": [{"id": "x", "properties": {"category": "Cost"}}]}, "Azure Advisor recommendation x names no resource"),
])
def test_a_malformed_advisor_answer_is_one_warning_and_nothing_of_it_is_reported(
        landscape: FakeArm, answer: dict[str, Any], problem: str) -> None:
    landscape.advisor_answer = answer
    found, reporter = scan(landscape)
    assert [(f.check, f.sources) for f in found] == [("ip_unassociated", ["costctl"])]
    assert reporter.warnings == [f"az: advisor recommendations failed in subscription {SUB}: {problem}"]


def test_recommenders_off_never_asks_advisor(landscape: FakeArm) -> None:
    found, _ = scan(landscape, recommenders=False)
    assert [f.check for f in found] == ["ip_unassociated"]
    assert landscape.requests("advisor") == []
