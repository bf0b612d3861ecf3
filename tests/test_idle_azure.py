"""The Azure idle checks through the real management SDK clients against a local Resource Manager stand-in.

``fake_azure_arm`` answers in ARM's wire format with two items a page, so every listing here is
followed across ``nextLink`` pages; the credential is a real ``ManagedIdentityCredential`` getting
its token from the fake's identity endpoint. Idle VMs are priced by ``fake_azure_prices`` (the Retail
Prices API, three meters a page), never by the real service.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fake_azure_arm import FakeArm, disk, public_ip, vm
from fake_azure_prices import FakeRetailPrices, vm_meters
from fake_costmanagement import IDENTITY_HEADER

from costctl.clouds.azure.idle import scan as idle_azure
from costctl.errors import ProviderError
from costctl.idle import savings
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SUB = "00000000-0000-0000-0000-00000000aaaa"
OTHER = "00000000-0000-0000-0000-00000000bbbb"
ALL = {"vm_idle", "vm_stopped", "disk_unattached", "ip_unassociated"}


@pytest.fixture
def prices() -> Iterator[FakeRetailPrices]:
    fake = FakeRetailPrices().start()
    yield fake
    fake.stop()


@pytest.fixture
def arm(monkeypatch: pytest.MonkeyPatch, prices: FakeRetailPrices) -> Iterator[FakeArm]:
    fake = FakeArm().start()
    fake.prices = prices  # type: ignore[attr-defined]  # scan() prices VMs here, never at prices.azure.com
    monkeypatch.setenv("IDENTITY_ENDPOINT", fake.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield fake
    fake.stop()


def settings(fake: FakeArm, scope: str = f"subscriptions/{SUB}") -> dict[str, Any]:
    return {"type": "azure", "scope": scope, "credential": "managed_identity", "endpoint": fake.url}


def scan(fake: FakeArm, checks: set[str], costs: dict | None = None, store: Any = None,
         **limits: Any) -> tuple[list, Reporter]:
    reporter = Reporter()
    limits = {"azure_prices_endpoint": fake.prices.prices_url, **limits}  # type: ignore[attr-defined]
    found = idle_azure.scan("az", settings(fake), Thresholds.defaults(**limits), checks, NOW, costs or {}, reporter,
                            store)
    return found, reporter


def by_check(findings: list, check: str) -> dict[str, Any]:
    return {f.resource_id: f for f in findings if f.check == check}


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def test_only_disks_unattached_longer_than_the_limit_are_reported_across_pages(arm: FakeArm) -> None:
    old = disk(SUB, "rg1", "old-data", 300, "Premium_LRS", "Unattached", created=days_ago(200),
               owner_changed=days_ago(40))
    arm.disks = [
        old,
        disk(SUB, "rg1", "just-detached", 300, "Premium_LRS", "Unattached", created=days_ago(200),
             owner_changed=days_ago(2)),
        disk(SUB, "rg1", "never-attached", 64, "StandardSSD_ZRS", "Unattached", created=days_ago(9)),
        disk(SUB, "rg1", "in-use", 128, "Premium_LRS", "Attached", created=days_ago(99), managed_by="/x/vm"),
        disk(SUB, "rg1", "of-deallocated-vm", 128, "Premium_LRS", "Reserved", created=days_ago(99)),
        disk(OTHER, "rg9", "other-sub", 128, "Premium_LRS", "Unattached", created=days_ago(99)),
    ]
    found, reporter = scan(arm, {"disk_unattached"})
    assert reporter.warnings == []
    rows = by_check(found, "disk_unattached")
    never = arm.disks[2]["id"]
    assert set(rows) == {old["id"], never}
    assert rows[old["id"]].detail == "unattached 40 d, 300 GiB Premium_LRS"
    assert rows[old["id"]].monthly_cost == pytest.approx(73.22)  # a P20 tier: 300 GiB rounds up to 512
    assert rows[old["id"]].estimated_monthly_savings == pytest.approx(73.22)
    assert rows[old["id"]].cost_source == "list"
    assert (rows[old["id"]].account, rows[old["id"]].region) == (SUB, "westeurope")
    assert rows[never].monthly_cost == pytest.approx(4.80 * 1.5)  # E6, zone-redundant
    pages = arm.requests("disks")
    assert len(pages) == 3 and [p.query.get("$skiptoken") for p in pages] == [None, ["2"], ["4"]]


def test_premium_v2_and_ultra_disks_cost_their_provisioned_iops_and_throughput(arm: FakeArm) -> None:
    v2 = disk(SUB, "rg1", "v2-fast", 200, "PremiumV2_LRS", "Unattached", created=days_ago(99), iops=6000, mbps=250)
    v2_base = disk(SUB, "rg1", "v2-base", 100, "PremiumV2_LRS", "Unattached", created=days_ago(99), iops=3000,
                   mbps=125)
    ultra = disk(SUB, "rg1", "ultra", 100, "UltraSSD_LRS", "Unattached", created=days_ago(99), iops=10000, mbps=500)
    os_disk = disk(SUB, "rg1", "vm-u_os", 128, "Premium_LRS", "Reserved", created=days_ago(300),
                   owner_changed=days_ago(30))
    held = disk(SUB, "rg1", "vm-u_data", 2000, "UltraSSD_LRS", "Reserved", created=days_ago(300),
                owner_changed=days_ago(30), iops=2000, mbps=100)
    arm.disks = [v2, v2_base, ultra, os_disk, held]
    arm.virtual_machines = [vm(SUB, "rg1", "vm-u", "Standard_E4s_v5", "deallocated", [os_disk, held],
                               operated=days_ago(30))]
    found, reporter = scan(arm, {"disk_unattached", "vm_stopped"})
    assert reporter.warnings == []
    rows = by_check(found, "disk_unattached")
    # 200 GiB x 0.0812 + (6000 - 3000 free) IOPS x 0.00497 + (250 - 125 free) MB/s x 0.0397
    assert round(rows[v2["id"]].monthly_cost, 2) == 36.11
    assert rows[v2["id"]].detail == "unattached 99 d, 200 GiB PremiumV2_LRS, 6000 IOPS, 250 MB/s"
    assert round(rows[v2_base["id"]].monthly_cost, 2) == 8.12  # within the baseline: capacity only
    # billed as 128 GiB x 0.11972 + every IOPS x 0.04964 + every MB/s x 0.34967
    assert round(rows[ultra["id"]].monthly_cost, 2) == 686.56
    assert {rows[d["id"]].cost_source for d in (v2, v2_base, ultra)} == {"list"}
    [stopped] = by_check(found, "vm_stopped").values()
    # the P10 OS disk and a 2000 GiB Ultra Disk billed as 2 TiB with 2,000 IOPS and 100 MB/s
    assert round(stopped.monthly_cost, 2) == round(19.71 + round(2048 * 0.11972 + 2000 * 0.04964 + 100 * 0.34967, 2),
                                                   2) == 399.14


def test_deallocated_vm_with_disks_is_reported_after_the_limit_priced_by_its_disks(arm: FakeArm) -> None:
    os_old, data_old = (disk(SUB, "rg1", "vm-old_os", 128, "Premium_LRS", "Reserved", created=days_ago(300),
                             owner_changed=days_ago(30)),
                        disk(SUB, "rg1", "vm-old_data", 1024, "Standard_LRS", "Reserved", created=days_ago(300),
                             owner_changed=days_ago(30)))
    os_new = disk(SUB, "rg1", "vm-new_os", 128, "Premium_LRS", "Reserved", created=days_ago(300),
                  owner_changed=days_ago(3))
    old = vm(SUB, "rg1", "vm-old", "Standard_D4s_v5", "deallocated", [os_old, data_old], operated=days_ago(30))
    recent = vm(SUB, "rg1", "vm-new", "Standard_D4s_v5", "deallocated", [os_new], operated=days_ago(3))
    arm.disks = [os_old, data_old, os_new]
    arm.virtual_machines = [old, recent]
    found, reporter = scan(arm, {"vm_stopped"})
    assert reporter.warnings == []
    assert list(by_check(found, "vm_stopped")) == [old["id"]]
    finding = found[0]
    assert finding.detail == "deallocated 30 d, 2 managed disk(s), 1152 GiB"
    assert finding.monthly_cost == pytest.approx(19.71 + 40.96)  # P10 + S30
    assert finding.cost_ids == [os_old["id"], data_old["id"]]
    listings = arm.requests("virtual_machines")
    assert sorted(bool(s.query.get("statusOnly")) for s in listings) == [False, True]


def test_without_disk_access_deallocation_time_comes_from_the_instance_view(arm: FakeArm) -> None:
    os_disk = disk(SUB, "rg1", "vm-a_os", 64, "StandardSSD_LRS", "Reserved", created=days_ago(300),
                   owner_changed=days_ago(2))
    arm.disks = [os_disk]
    arm.virtual_machines = [vm(SUB, "rg1", "vm-a", "Standard_B2s", "deallocated", [os_disk], operated=days_ago(20))]
    arm.deny = {"disks"}
    found, reporter = scan(arm, {"vm_stopped"})
    assert reporter.warnings == []
    assert found[0].detail == "deallocated 20 d, 1 managed disk(s), 64 GiB"
    assert found[0].monthly_cost == pytest.approx(4.80)
    arm.deny = set()
    found, _ = scan(arm, {"vm_stopped"})
    assert found == []  # with the disks readable, their ownership time (2 d ago) wins


def test_only_running_vms_with_low_average_cpu_in_the_window_are_idle(arm: FakeArm) -> None:
    arm.prices.items = vm_meters("Standard_D2s_v5", "westeurope", 0.104, 0.196, "Dsv5")  # type: ignore[attr-defined]
    os_disks = [disk(SUB, "rg1", f"{n}_os", 30, "Premium_LRS", "Attached", created=days_ago(99))
                for n in ("idle", "busy", "mute", "off")]
    vms = [vm(SUB, "rg1", name, "Standard_D2s_v5", power, [d], operated=days_ago(50))
           for name, power, d in zip(("idle", "busy", "mute", "off"),
                                     ("running", "running", "running", "deallocated"), os_disks, strict=True)]
    arm.virtual_machines = vms
    # 90 % on days 8-10: outside the 7-day window, so it must not lift the idle VM's average.
    arm.daily_cpu(vms[0]["id"], NOW, [1.0, 2.0, 1.5, 1.0, 2.0, 1.0, 1.6, 90.0, 90.0, 90.0])
    arm.daily_cpu(vms[1]["id"], NOW, [40.0] * 7)
    arm.daily_cpu(vms[3]["id"], NOW, [0.1] * 7)
    found, reporter = scan(arm, {"vm_idle"})
    assert reporter.warnings == []
    idle = by_check(found, "vm_idle")
    assert list(idle) == [vms[0]["id"]]
    assert idle[vms[0]["id"]].detail == "avg CPU 1.4 % over 7 d (Standard_D2s_v5)"
    assert idle[vms[0]["id"]].monthly_cost == pytest.approx(0.104 * 730)  # no records: the retail Linux price
    asked = {s.path.split("/")[-4] for s in arm.requests("metrics")}
    assert asked == {"idle", "busy", "mute"}  # deallocated VMs are not measured


def test_only_static_public_ips_without_association_are_reported(arm: FakeArm) -> None:
    nic = "/subscriptions/x/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic1"
    arm.public_ips = [
        public_ip(SUB, "rg1", "free", "20.1.2.3"),
        public_ip(SUB, "rg1", "free-basic", "20.1.2.4", sku="Basic"),
        public_ip(SUB, "rg1", "used", "20.1.2.5", nic=nic),
        public_ip(SUB, "rg1", "dynamic", "", method="Dynamic", sku="Basic"),
    ]
    found, _ = scan(arm, {"ip_unassociated"})
    rows = by_check(found, "ip_unassociated")
    assert set(rows) == {arm.public_ips[0]["id"], arm.public_ips[1]["id"]}
    assert rows[arm.public_ips[0]["id"]].monthly_cost == pytest.approx(0.005 * 730)
    assert rows[arm.public_ips[1]["id"]].monthly_cost == pytest.approx(0.0036 * 730)
    assert rows[arm.public_ips[0]["id"]].detail == "20.1.2.3 (Standard, static) not associated"
    assert len(arm.requests("public_ips")) == 2


def test_a_missing_role_skips_that_check_with_one_warning_and_the_rest_runs(arm: FakeArm) -> None:
    os_disk = disk(SUB, "rg1", "a_os", 30, "Premium_LRS", "Attached", created=days_ago(99))
    arm.virtual_machines = [vm(SUB, "rg1", "a", "Standard_B1s", "running", [os_disk], operated=days_ago(50))]
    arm.daily_cpu(arm.virtual_machines[0]["id"], NOW, [0.5] * 7)
    arm.public_ips = [public_ip(SUB, "rg1", "free", "20.1.2.3")]
    arm.deny = {"metrics"}
    found, reporter = scan(arm, ALL)
    assert [f.check for f in found] == ["ip_unassociated"]
    assert reporter.warnings == [f"az: vm_idle skipped in subscription {SUB}: grant Microsoft.Insights/metrics/read"]


def test_recorded_cost_of_the_resource_wins_over_list_prices(arm: FakeArm) -> None:
    loose = disk(SUB, "RG1", "Old-Data", 300, "Premium_LRS", "Unattached", created=days_ago(99))
    arm.disks = [loose]
    days = pd.date_range(NOW.date() - timedelta(days=14), periods=14, freq="D", tz="UTC")
    frame = pd.DataFrame({"ResourceId": loose["id"].lower(), "ChargePeriodStart": days, "EffectiveCost": 2.5,
                          "BilledCost": 2.5, "BillingCurrency": "EUR"})
    found, _ = scan(arm, {"disk_unattached"}, costs=savings.record_costs(frame))
    assert (found[0].monthly_cost, found[0].currency, found[0].cost_source) == (pytest.approx(2.5 * 30.4), "EUR",
                                                                                "records")


def test_configured_subscriptions_are_all_scanned_and_a_billing_scope_needs_them(arm: FakeArm) -> None:
    arm.public_ips = [public_ip(SUB, "rg1", "a", "20.0.0.1"), public_ip(OTHER, "rg2", "b", "20.0.0.2")]
    reporter = Reporter()
    found = idle_azure.scan("az", settings(arm, "providers/Microsoft.Billing/billingAccounts/123"),
                            Thresholds.defaults(azure_subscriptions=[SUB, OTHER]), {"ip_unassociated"}, NOW, {},
                            reporter)
    assert sorted(f.account for f in found) == sorted([SUB, OTHER])
    with pytest.raises(ProviderError, match="idle.azure_subscriptions"):
        idle_azure.scan("az", settings(arm, "providers/Microsoft.Billing/billingAccounts/123"),
                        Thresholds.defaults(), {"ip_unassociated"}, NOW, {}, Reporter())


def test_every_visible_subscription_is_scanned_with_star_and_a_management_group_scope_lists_its_own(
        arm: FakeArm) -> None:
    third = "00000000-0000-0000-0000-00000000cccc"
    arm.public_ips = [public_ip(SUB, "rg1", "a", "20.0.0.1"), public_ip(OTHER, "rg2", "b", "20.0.0.2"),
                      public_ip(third, "rg3", "c", "20.0.0.3")]
    arm.subscriptions = [{"subscriptionId": SUB, "state": "Enabled"}, {"subscriptionId": OTHER, "state": "Warned"},
                         {"subscriptionId": third, "state": "Disabled"}]  # disabled: nothing to read
    billing = settings(arm, "providers/Microsoft.Billing/billingAccounts/123")
    found = idle_azure.scan("az", billing, Thresholds.defaults(azure_subscriptions=["*"]), {"ip_unassociated"}, NOW,
                            {}, Reporter())
    assert sorted(f.account for f in found) == sorted([SUB, OTHER])
    assert len(arm.requests_to("/subscriptions")) == 3  # paged by one: every page was followed

    arm.management_groups = {"platform": [OTHER, third]}
    group = settings(arm, "providers/Microsoft.Management/managementGroups/platform")
    found = idle_azure.scan("az", group, Thresholds.defaults(), {"ip_unassociated"}, NOW, {}, Reporter())
    assert sorted(f.account for f in found) == sorted([OTHER, third])


def test_a_credential_that_may_not_list_subscriptions_names_the_permission(arm: FakeArm) -> None:
    arm.deny = {"subscriptions"}
    with pytest.raises(ProviderError) as caught:
        idle_azure.scan("az", settings(arm), Thresholds.defaults(azure_subscriptions=["*"]), {"ip_unassociated"},
                        NOW, {}, Reporter())
    assert str(caught.value) == ("az: may not list its subscriptions: grant Microsoft.Resources/subscriptions/read, "
                                 "or list them under idle.azure_subscriptions")
    with pytest.raises(ProviderError, match="stands alone"):
        idle_azure.scan("az", settings(arm), Thresholds.defaults(azure_subscriptions=["*", SUB]),
                        {"ip_unassociated"}, NOW, {}, Reporter())


def test_a_credential_without_token_fails_the_provider_once(arm: FakeArm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    with pytest.raises(ProviderError, match="no Azure credential could get a token"):
        scan(arm, ALL)
    assert arm.requests("disks") == []


def test_cli_idle_scans_the_azure_provider_and_prints_the_json_contract(
        run: Any, arm: FakeArm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import costctl.cli
    from costctl.context import Env

    monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda: NOW))
    loose = disk(SUB, "rg1", "loose", 512, "Premium_LRS", "Unattached", created=days_ago(60))
    arm.disks = [loose]
    arm.public_ips = [public_ip(SUB, "rg1", "free", "20.1.2.3")]
    config = tmp_path / "config.yaml"
    config.write_text(f"cache:\n  path: {tmp_path / 'cache'}\nproviders:\n  az:\n    type: azure\n"
                      f"    scope: subscriptions/{SUB}\n    credential: managed_identity\n    endpoint: {arm.url}\n")
    result = run("--config", str(config), "idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    rows = result.json()
    assert [(r["resource_id"], r["check"], r["resource_type"]) for r in rows] == [
        (loose["id"], "disk_unattached", "azure:disk"),
        (arm.public_ips[0]["id"], "ip_unassociated", "azure:public-ip")]
    assert rows[0]["estimated_monthly_savings"] == pytest.approx(73.22)
    assert (rows[0]["provider"], rows[0]["account"], rows[0]["region"]) == ("az", SUB, "westeurope")
    assert json.dumps(rows)  # plain JSON values only
