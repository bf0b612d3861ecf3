"""Pricing of findings from records and price lists, totals, and the idle: config section."""

from __future__ import annotations

import pandas as pd
import pytest

from costctl.clouds.aws.idle.pricing import Pricer, cheapest_on_demand
from costctl.config import build
from costctl.errors import ConfigError
from costctl.idle import savings
from costctl.idle.findings import Finding, totals


def frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"ResourceId": [r[0] for r in rows],
                         "ChargePeriodStart": pd.to_datetime([r[1] for r in rows], utc=True),
                         "EffectiveCost": [r[2] for r in rows], "BilledCost": [r[2] * 2 for r in rows],
                         "BillingCurrency": ["EUR"] * len(rows)})


def finding(rid: str, action: str = "delete", **hints: object) -> Finding:
    return Finding("prod", "1", "us-east-1", rid, "ec2:instance", "vm_idle", "", "", action=action,
                   price_hints=dict(hints))


def test_records_price_a_bare_id_by_its_arn_as_mean_billed_day_times_30_4() -> None:
    costs = savings.record_costs(frame([
        ("arn:aws:ec2:us-east-1:1:instance/i-0abc", "2026-01-01", 2.0),
        ("arn:aws:ec2:us-east-1:1:instance/i-0abc", "2026-01-01", 1.0),  # same day, another SKU
        ("arn:aws:ec2:us-east-1:1:instance/i-0abc", "2026-01-02", 1.0),
    ]))
    [f] = savings.price([finding("i-0abc")], costs, None)
    assert f.monthly_cost == pytest.approx(2.0 * 30.4)
    assert (f.currency, f.cost_source, f.estimated_monthly_savings) == ("EUR", "records", f.monthly_cost)


def test_billed_metric_reads_billed_cost() -> None:
    costs = savings.record_costs(frame([("vol-1", "2026-01-01", 1.0)]), "billed")
    assert costs["vol-1"][0] == pytest.approx(2.0 * 30.4)


def test_a_stopped_instance_costs_what_its_volumes_cost() -> None:
    costs = savings.record_costs(frame([("vol-1", "2026-01-01", 1.0), ("vol-2", "2026-01-01", 0.5),
                                        ("i-1", "2026-01-01", 9.0)]))
    f = finding("i-1")
    f.cost_ids = ["vol-1", "vol-2"]
    [f] = savings.price([f], costs, None)
    assert f.monthly_cost == pytest.approx(1.5 * 30.4)


def test_downsize_saves_the_vcpu_share_when_prices_are_unknown_and_gp3_saves_20_percent() -> None:
    down = finding("i-1", "downsize", kind="ec2_instance", instance_type="m5.2xlarge", target_type="m5.xlarge",
                   ratio=0.5)
    down.monthly_cost = 100.0
    costs = {"i-1": (100.0, "USD")}
    [down] = savings.price([down], costs, None)
    assert down.estimated_monthly_savings == pytest.approx(50.0)
    gp2 = finding("vol-1", "modify", kind="ebs_volumes", target="gp3",
                  volumes=[{"type": "gp2", "gb": 100, "iops": 300, "throughput": 0}])
    [gp2] = savings.price([gp2], {}, None)
    assert (gp2.monthly_cost, gp2.cost_source) == (pytest.approx(10.0), "list")
    assert gp2.estimated_monthly_savings == pytest.approx(2.0)
    assert gp2.severity == "low"


def test_an_unpriceable_instance_stays_unpriced() -> None:
    [f] = savings.price([finding("i-9", kind="ec2_instance", instance_type="x9.huge")], {}, Pricer(None, None, 1))
    assert (f.monthly_cost, f.estimated_monthly_savings, f.cost_source, f.severity) == (None, None, "", "low")


def test_pricing_answers_are_kept_in_the_store_until_the_ttl() -> None:
    calls: list[dict] = []
    product = '{"terms": {"OnDemand": {"a": {"priceDimensions": {"b": {"pricePerUnit": {"USD": "0.5"}}}}}}}'

    def call(service: str, operation: str, **params: object) -> dict:
        calls.append(params)
        return {"PriceList": [product]}

    store: dict = {}
    assert Pricer(call, store, 3600).ec2_hourly("m5.large", "eu-west-1") == 0.5
    assert Pricer(call, store, 3600).ec2_hourly("m5.large", "eu-west-1") == 0.5
    assert len(calls) == 1
    assert {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"} in calls[0]["Filters"]


def test_cheapest_on_demand_ignores_zero_prices_and_reserved_terms() -> None:
    item = {"terms": {"OnDemand": {"t": {"priceDimensions": {"a": {"pricePerUnit": {"USD": "0"}},
                                                              "b": {"pricePerUnit": {"USD": "0.2"}}}}},
                      "Reserved": {"r": {"priceDimensions": {"c": {"pricePerUnit": {"USD": "0.01"}}}}}}}
    assert cheapest_on_demand([item]) == 0.2
    assert cheapest_on_demand([]) is None


def test_totals_per_check_sum_counts_and_money_largest_saving_first() -> None:
    a, b, c = finding("1"), finding("2"), finding("3")
    c.check = "disk_unattached"
    for f, money in ((a, 5.0), (b, 7.0), (c, 20.0)):
        f.monthly_cost = f.estimated_monthly_savings = money
    result = totals([a, b, c], "check")
    assert [(t.key, t.count, t.estimated_monthly_savings) for t in result] == [
        ("disk_unattached", 1, 20.0), ("vm_idle", 2, 12.0)]


def test_idle_section_fills_defaults_and_rejects_unknown_checks() -> None:
    config = build({"idle": {"cpu_idle_percent": 3, "regions": "eu-west-1"}})
    assert config.data["idle"]["cpu_idle_percent"] == 3.0
    assert config.data["idle"]["regions"] == ["eu-west-1"]
    assert config.data["idle"]["snapshot_age_days"] == 90
    with pytest.raises(ConfigError, match=r"idle.checks: unknown check 'vm_bogus'"):
        build({"idle": {"checks": ["vm_idle", "vm_bogus"]}})
    with pytest.raises(ConfigError, match=r"idle.stopped_days: expected a number above 0"):
        build({"idle": {"stopped_days": 0}})


def test_without_a_pricer_provisioned_volumes_cost_their_listed_iops_and_throughput_tiers() -> None:
    def listed(**volume: object) -> float:
        [f] = savings.price([finding("vol-1", kind="ebs_volumes", volumes=[volume])], {}, None)
        assert f.cost_source == "list"
        return round(f.monthly_cost, 2)

    assert listed(type="io1", gb=100, iops=5000, throughput=0) == 337.50
    assert listed(type="io2", gb=10, iops=64001, throughput=0) == round(1.25 + 32000 * 0.065 + 32000 * 0.0455
                                                                        + 0.03185, 2)
    assert listed(type="gp3", gb=100, iops=16000, throughput=1000) == 108.00
    assert listed(type="gp3", gb=100, iops=2000, throughput=100) == 8.00  # below the baseline: nothing extra
