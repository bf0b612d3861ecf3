"""Idle Azure VMs priced from the Retail Prices API: the query sent, the meter chosen, the disk cache, failures.

The scan runs the real management clients against ``fake_azure_arm`` and asks ``fake_azure_prices``
(the Retail Prices wire format, three meters a page) for VM prices.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fake_azure_arm import FakeArm, disk, public_ip, vm
from fake_azure_prices import FakeRetailPrices, meter, vm_meters
from fake_costmanagement import IDENTITY_HEADER

from costctl.clouds.azure.idle import pricing as azure_pricing
from costctl.clouds.azure.idle import scan as idle_azure
from costctl.idle import savings
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SUB = "00000000-0000-0000-0000-00000000aaaa"
D2 = "Standard_D2s_v5"
FILTER = (f"serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and armSkuName eq '{D2}' "
          "and priceType eq 'Consumption'")
# Illustrative prices (USD/h), distinct so a wrong meter shows: Linux, Windows, and another region.
LINUX, WINDOWS, ELSEWHERE = 0.104, 0.196, 0.096


@pytest.fixture
def prices() -> Iterator[FakeRetailPrices]:
    fake = FakeRetailPrices().start()
    fake.items = [*vm_meters(D2, "eastus", ELSEWHERE, 0.188, "Dsv5"),
                  *vm_meters("Standard_D4s_v5", "westeurope", 0.208, 0.392, "Dsv5"),
                  *vm_meters(D2, "westeurope", LINUX, WINDOWS, "Dsv5")]
    yield fake
    fake.stop()


@pytest.fixture
def arm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArm]:
    fake = FakeArm().start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", fake.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield fake
    fake.stop()


def idle_vm(arm: FakeArm, name: str, size: str = D2, **kwargs: Any) -> dict[str, Any]:
    """A running VM with 1 % CPU every day, added to the fake."""
    os_disk = disk(SUB, "rg1", f"{name}_os", 30, "Premium_LRS", "Attached", created=NOW - timedelta(days=99))
    item = vm(SUB, "rg1", name, size, "running", [os_disk], operated=NOW - timedelta(days=50), **kwargs)
    arm.virtual_machines.append(item)
    arm.daily_cpu(item["id"], NOW, [1.0] * 7)
    return item


def scan(arm: FakeArm, endpoint: str, costs: dict | None = None, store: Any = None,
         checks: frozenset[str] = frozenset({"vm_idle"})) -> tuple[dict[str, Any], Reporter]:
    reporter = Reporter()
    found = idle_azure.scan("az", {"type": "azure", "scope": f"subscriptions/{SUB}", "credential": "managed_identity",
                                   "endpoint": arm.url}, Thresholds.defaults(azure_prices_endpoint=endpoint),
                            set(checks), NOW, costs or {}, reporter, store)
    return {f.resource_id.rsplit("/", 1)[-1]: f for f in found}, reporter


def test_an_idle_linux_vm_gets_the_pay_as_you_go_linux_price_of_its_size_and_region(
        arm: FakeArm, prices: FakeRetailPrices) -> None:
    idle_vm(arm, "web")
    found, reporter = scan(arm, prices.prices_url)
    assert reporter.warnings == []
    web = found["web"]
    assert web.monthly_cost == pytest.approx(LINUX * 730)
    assert web.estimated_monthly_savings == pytest.approx(LINUX * 730)  # deallocating saves the compute
    assert (web.cost_source, web.currency, web.severity) == ("pricing", "USD", "medium")
    assert prices.filters() == [FILTER]
    # 8 meters match the filter's size and region; Consumption keeps 6, three a page: two pages.
    assert [q.get("$skip") for q in prices.seen] == [None, ["3"]]


def test_windows_vms_get_the_windows_meter_unless_they_bring_their_own_license(
        arm: FakeArm, prices: FakeRetailPrices) -> None:
    idle_vm(arm, "win", os_type="Windows")
    idle_vm(arm, "byol", os_type="Windows", license_type="Windows_Server")
    idle_vm(arm, "lin")
    found, reporter = scan(arm, prices.prices_url)
    assert reporter.warnings == []
    assert found["win"].monthly_cost == pytest.approx(WINDOWS * 730)
    assert found["byol"].monthly_cost == pytest.approx(LINUX * 730)  # Azure Hybrid Benefit: base meter
    assert found["lin"].monthly_cost == pytest.approx(LINUX * 730)
    assert prices.filters() == [FILTER]  # one query per size and region serves every OS


def test_price_answers_are_kept_in_the_disk_cache_until_the_ttl(arm: FakeArm, prices: FakeRetailPrices,
                                                                tmp_path: Path) -> None:
    from costctl.cache import CostCache

    idle_vm(arm, "web")
    cache = CostCache(tmp_path / "cache")
    found, _ = scan(arm, prices.prices_url, store=cache.store_view("idle:az"))
    assert len(prices.filters()) == 1
    again = CostCache(tmp_path / "cache")  # a later run: a new process would open the same directory
    found_again, reporter = scan(arm, prices.prices_url, store=again.store_view("idle:az"))
    assert reporter.warnings == []
    assert len(prices.filters()) == 1  # answered from disk
    assert found_again["web"].monthly_cost == pytest.approx(found["web"].monthly_cost)
    store = again.store_view("idle:az")
    key = f"azure-retail:westeurope:{D2.lower()}"
    store[key] = (0.0, store[key][1])  # expired
    scan(arm, prices.prices_url, store=store)
    assert len(prices.filters()) == 2


def test_recorded_cost_wins_and_asks_no_price(arm: FakeArm, prices: FakeRetailPrices) -> None:
    web = idle_vm(arm, "web")
    days = pd.date_range(NOW.date() - timedelta(days=14), periods=14, freq="D", tz="UTC")
    frame = pd.DataFrame({"ResourceId": web["id"], "ChargePeriodStart": days, "EffectiveCost": 3.0,
                          "BilledCost": 3.0, "BillingCurrency": "EUR"})
    found, _ = scan(arm, prices.prices_url, costs=savings.record_costs(frame))
    assert (found["web"].monthly_cost, found["web"].cost_source) == (pytest.approx(3.0 * 30.4), "records")
    assert prices.seen == []


def test_a_failing_price_service_leaves_the_vms_unpriced_with_one_warning_and_the_scan_goes_on(
        arm: FakeArm, prices: FakeRetailPrices) -> None:
    idle_vm(arm, "a")
    idle_vm(arm, "b")
    arm.public_ips = [public_ip(SUB, "rg1", "free", "20.1.2.3")]
    prices.fail_with = 503
    found, reporter = scan(arm, prices.prices_url, checks=frozenset({"vm_idle", "ip_unassociated"}))
    assert (found["a"].monthly_cost, found["a"].estimated_monthly_savings, found["a"].severity) == (None, None, "low")
    assert found["b"].monthly_cost is None
    assert found["free"].monthly_cost == pytest.approx(0.005 * 730)
    assert reporter.warnings == ["az: 2 idle VM(s) left unpriced (a, b): the Retail Prices API answered HTTP 503 "
                                 "(The service is temporarily unavailable.)"]


def test_an_unreachable_price_service_is_asked_once_per_run(arm: FakeArm, prices: FakeRetailPrices) -> None:
    idle_vm(arm, "a")
    idle_vm(arm, "b", size="Standard_D4s_v5")
    closed = prices.prices_url
    prices.stop()
    found, reporter = scan(arm, closed)
    assert found["a"].monthly_cost is None and found["b"].monthly_cost is None
    assert len(reporter.warnings) == 1
    assert reporter.warnings[0].startswith("az: 2 idle VM(s) left unpriced (a, b): the Retail Prices API is "
                                           "unreachable (")


def test_a_size_without_a_pay_as_you_go_meter_is_named_in_the_warning(arm: FakeArm,
                                                                      prices: FakeRetailPrices) -> None:
    idle_vm(arm, "odd", size="Standard_X1")
    prices.items.append(meter("Standard_X1", "westeurope", 0.02, product="Virtual Machines X Series",
                              sku="X1 Spot"))
    found, reporter = scan(arm, prices.prices_url)
    assert found["odd"].monthly_cost is None
    assert reporter.warnings == ["az: 1 idle VM(s) left unpriced (odd): the Retail Prices API lists no "
                                 "pay-as-you-go Linux price for Standard_X1 in westeurope"]


def test_the_latest_meter_wins_and_spot_low_priority_and_other_units_are_ignored() -> None:
    items = [meter(D2, "westeurope", 0.1, product="Virtual Machines Dsv5 Series", sku="D2s v5",
                   start="2023-01-01T00:00:00Z"),
             meter(D2, "westeurope", 0.11, product="Virtual Machines Dsv5 Series", sku="D2s v5",
                   start="2025-01-01T00:00:00Z"),
             meter(D2, "westeurope", 0.01, product="Virtual Machines Dsv5 Series", sku="D2s v5 Spot",
                   start="2025-06-01T00:00:00Z"),
             meter(D2, "westeurope", 0.02, product="Virtual Machines Dsv5 Series", sku="D2s v5 Low Priority",
                   start="2025-06-01T00:00:00Z"),
             meter(D2, "westeurope", 70.0, product="Virtual Machines Dsv5 Series", sku="D2s v5", unit="1/Month")]
    assert azure_pricing.pick_hourly(items, "Linux") == pytest.approx(0.11)
    assert azure_pricing.pick_hourly(items, "Windows") is None
    assert azure_pricing.vm_filter("it's", "x") == ("serviceName eq 'Virtual Machines' and armRegionName eq 'x' "
                                                    "and armSkuName eq 'it''s' and priceType eq 'Consumption'")


def test_cli_idle_prices_an_idle_vm_from_the_configured_retail_prices_endpoint(
        run: Any, arm: FakeArm, prices: FakeRetailPrices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import costctl.cli
    from costctl.context import Env

    monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda: NOW))
    web = idle_vm(arm, "web")
    config = tmp_path / "config.yaml"
    config.write_text(f"cache:\n  path: {tmp_path / 'cache'}\nproviders:\n  az:\n    type: azure\n"
                      f"    scope: subscriptions/{SUB}\n    credential: managed_identity\n    endpoint: {arm.url}\n"
                      f"idle:\n  azure_prices_endpoint: {prices.prices_url}\n")
    result = run("--config", str(config), "idle", "--checks", "vm_idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    rows = result.json()
    assert [(r["resource_id"], r["monthly_cost"], r["estimated_monthly_savings"]) for r in rows] == [
        (web["id"], pytest.approx(LINUX * 730), pytest.approx(LINUX * 730))]
    assert prices.filters() == [FILTER]
    again = run("--config", str(config), "idle", "--checks", "vm_idle", "--format", "json")
    assert again.exit_code == 0 and again.json() == rows
    assert prices.filters() == [FILTER]  # the second run answered from the disk cache
