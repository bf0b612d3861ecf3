"""What the AWS idle scan charges for provisioned volumes and snapshots, and how fast it falls back
to list prices when the Pricing API fails (issue 23, items 1 and 5).

Volumes and snapshots live in the session's moto server, read by the real boto3 client; prices come
from a local Pricing API (``fake_aws_pricing``) that answers, fails with 500 or hangs. The figures
are the us-east-1 list prices: io1 0.125/GB + 0.065/IOPS; io2 the same up to 32,000 IOPS, 0.0455 to
64,000, 0.03185 above; gp3 0.08/GB + 0.005/IOPS above 3,000 + 0.04/MB/s above 125.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import test_cli_idle as idle_tests
from fake_aws_pricing import AwsPricing
from fault_proxy import Fault, FaultProxy
from test_cli_idle import write_config
from test_idle_aws import by_check
from test_idle_aws import scan as idle_scan

aws = idle_tests.aws  # moto (conftest), the idle tests' clock 100 days on
pytestmark = pytest.mark.usefixtures("warm_demo")

# (create_volume arguments, monthly cost to the cent, what the detail says)
VOLUMES = [
    ({"Size": 100, "VolumeType": "io1", "Iops": 5000}, 337.50, "100 GB io1, 5000 IOPS"),
    ({"Size": 100, "VolumeType": "io2", "Iops": 40000}, 2456.50, "100 GB io2, 40000 IOPS"),  # 2 tiers
    ({"Size": 200, "VolumeType": "io2", "Iops": 70000}, 3752.10, "200 GB io2, 70000 IOPS"),  # 3 tiers
    ({"Size": 100, "VolumeType": "gp3", "Iops": 16000, "Throughput": 1000}, 108.00,
     "100 GB gp3, 16000 IOPS, 1000 MB/s"),
    ({"Size": 100, "VolumeType": "gp3", "Iops": 4000, "Throughput": 125}, 13.00, "100 GB gp3, 4000 IOPS"),
    ({"Size": 100, "VolumeType": "gp3", "Iops": 3000, "Throughput": 125}, 8.00, "100 GB gp3"),  # the baseline
    ({"Size": 100, "VolumeType": "gp2"}, 10.00, "100 GB gp2"),
]


@pytest.fixture
def pricing() -> Iterator[AwsPricing]:
    fake = AwsPricing().start()
    yield fake
    fake.stop()


def ec2(endpoint: str) -> Any:
    return boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)


def create_volumes(endpoint: str) -> dict[str, tuple[float, str]]:
    """The unattached VOLUMES; volume id -> (expected monthly cost, expected detail prefix)."""
    return {ec2(endpoint).create_volume(AvailabilityZone="us-east-1a", **args)["VolumeId"]: (cost, detail)
            for args, cost, detail in VOLUMES}


def test_unattached_provisioned_volumes_cost_their_iops_and_throughput_at_pricing_api_rates(
        aws: str, pricing: AwsPricing) -> None:
    expected = create_volumes(aws)
    found, reporter = idle_scan(aws, {"disk_unattached"}, pricing_endpoint_url=pricing.url)
    assert reporter.warnings == []
    got = by_check(found, "disk_unattached")
    assert {vid: round(f.monthly_cost, 2) for vid, f in got.items()} == {vid: c for vid, (c, _d) in expected.items()}
    for vid, (_cost, detail) in expected.items():
        assert got[vid].detail.startswith(f"{detail}, unattached"), got[vid].detail
        assert got[vid].cost_source == "pricing"
        assert got[vid].estimated_monthly_savings == got[vid].monthly_cost
    asked = {(f["Value"]) for body in pricing.requests for f in body["Filters"] if f["Field"] == "group"}
    assert asked == {"EBS IOPS", "EBS Throughput"}
    # one request per product (capacity of 4 types, IOPS of 3, gp3 throughput), however many volumes;
    # the baseline gp3 and the gp2 volume needed capacity only
    assert len(pricing.requests) == 4 + 3 + 1


def test_the_pricing_api_rates_win_over_the_list_and_io2_tiers_take_them_highest_first(aws: str) -> None:
    ids = create_volumes(aws)
    frankfurt = [({"productFamily": "Storage", "volumeApiName": "io2"}, 0.138),
                 *[({"productFamily": "System Operation", "group": "EBS IOPS", "volumeApiName": "io2"}, usd)
                   for usd in (0.0352, 0.0502, 0.0718)]]
    fake = AwsPricing(products=frankfurt).start()
    try:
        found, _ = idle_scan(aws, {"disk_unattached"}, pricing_endpoint_url=fake.url)
    finally:
        fake.stop()
    got = {ids[f.resource_id][1]: f for f in found}
    three_tiers = got["200 GB io2, 70000 IOPS"]
    assert round(three_tiers.monthly_cost, 2) == round(200 * 0.138 + 32000 * 0.0718 + 32000 * 0.0502
                                                       + 6000 * 0.0352, 2) == 4142.80
    assert three_tiers.cost_source == "pricing"
    # io1 has no product here: its capacity and IOPS come from the list, and the finding says so
    assert (round(got["100 GB io1, 5000 IOPS"].monthly_cost, 2), got["100 GB io1, 5000 IOPS"].cost_source) == (
        337.50, "list")


def test_a_failing_pricing_api_is_asked_once_then_list_prices_with_one_warning(aws: str) -> None:
    expected = create_volumes(aws)
    fake = AwsPricing("error").start()
    try:
        began = time.monotonic()
        found, reporter = idle_scan(aws, {"disk_unattached"}, pricing_endpoint_url=fake.url)
        took = time.monotonic() - began
    finally:
        fake.stop()
    assert {f.resource_id: round(f.monthly_cost, 2) for f in found} == {v: c for v, (c, _d) in expected.items()}
    assert {f.cost_source for f in found} == {"list"}
    assert len(reporter.warnings) == 1
    assert reporter.warnings[0].startswith(
        "prod: AWS Pricing API unavailable, prices come from the bundled list prices for the rest of the run "
        "(the Pricing API failing (InternalErrorException: ")
    assert len({str(body) for body in fake.requests}) == 1  # retries of the first lookup only
    assert took < 15, took


def test_a_hanging_pricing_api_falls_back_within_seconds(aws: str) -> None:
    create_volumes(aws)
    fake = AwsPricing("hang").start()
    try:
        began = time.monotonic()
        found, reporter = idle_scan(aws, {"disk_unattached"}, pricing_endpoint_url=fake.url)
        took = time.monotonic() - began
    finally:
        fake.stop()
    assert {f.cost_source for f in found} == {"list"} and len(found) == len(VOLUMES)
    assert len(reporter.warnings) == 1 and "AWS Pricing API unavailable" in reporter.warnings[0]
    assert len(fake.requests) <= 2
    assert took < 15, took


def test_a_stopped_instance_costs_its_provisioned_volumes(aws: str, pricing: AwsPricing) -> None:
    client = ec2(aws)
    iid = client.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.small")[
        "Instances"][0]["InstanceId"]
    vid = client.create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="io1", Iops=5000)["VolumeId"]
    client.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    client.stop_instances(InstanceIds=[iid])
    found, _ = idle_scan(aws, {"vm_stopped"}, pricing_endpoint_url=pricing.url)
    [stopped] = found
    assert round(stopped.monthly_cost, 2) == 337.50 + 0.80  # the io1 volume and the 8 GB gp2 root volume


def full_size(sizes: dict[str, int]) -> Any:
    """A DescribeSnapshots answer with ``fullSnapshotSizeInBytes`` added to the named snapshots."""
    def rewrite(body: bytes) -> bytes:
        text = body.decode()
        for snap, size in sizes.items():
            text = re.sub(f"(<snapshotId>{snap}</snapshotId>)", rf"\1<fullSnapshotSizeInBytes>{size}"
                          "</fullSnapshotSizeInBytes>", text)
        return text.encode()
    return rewrite


def test_orphaned_snapshots_cost_their_full_size_or_say_the_volume_size_is_an_upper_bound(aws: str) -> None:
    client = ec2(aws)
    gone = client.create_volume(AvailabilityZone="us-east-1a", Size=40, VolumeType="gp3")["VolumeId"]
    sized = client.create_snapshot(VolumeId=gone)["SnapshotId"]
    unsized = client.create_snapshot(VolumeId=gone)["SnapshotId"]
    client.delete_volume(VolumeId=gone)
    proxy = FaultProxy(aws).start()
    proxy.add(Fault("Action=DescribeSnapshots", body=full_size({sized: 126 * 2 ** 30 // 10}), times=None,
                    headers={"Content-Type": "text/xml"}))
    try:
        found, _ = idle_scan(proxy.url, {"snapshot_orphaned"})
    finally:
        proxy.stop()
    got = by_check(found, "snapshot_orphaned")
    assert round(got[sized].monthly_cost, 2) == round(12.6 * 0.05, 2) == 0.63
    assert got[sized].detail.startswith("12.6 GB snapshot data, ")
    assert got[unsized].monthly_cost == pytest.approx(40 * 0.05)
    assert got[unsized].detail.startswith("40 GB volume size (upper bound: no snapshot size from the API), ")


def io1_landscape(endpoint: str) -> str:
    return ec2(endpoint).create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="io1",
                                       Iops=5000)["VolumeId"]


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_idle_command_falls_back_to_list_prices_within_seconds_with_one_warning(
        run: Any, aws: str, tmp_path: Path, mode: str) -> None:
    vid = io1_landscape(aws)
    fake = AwsPricing(mode).start()
    try:
        began = time.monotonic()
        result = run("--config", str(write_config(tmp_path, aws, fake.url)), "idle", "--checks", "disk_unattached",
                     "--format", "json")
        took = time.monotonic() - began
    finally:
        fake.stop()
    assert result.exit_code == 0, result.stderr
    assert [(r["resource_id"], r["monthly_cost"]) for r in result.json()] == [(vid, pytest.approx(337.5))]
    warnings = [line for line in result.stderr.splitlines() if "Pricing API" in line]
    assert len(warnings) == 1 and warnings[0].startswith("costctl: warning: prod: AWS Pricing API unavailable, "), \
        result.stderr
    print(f"idle with a Pricing API that {mode}s: {took:.1f} s")
    assert took < 15, took


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_idle_check_answers_within_its_timeout_with_list_prices(run: Any, aws: str, tmp_path: Path,
                                                                mode: str) -> None:
    io1_landscape(aws)
    fake = AwsPricing(mode).start()
    try:
        began = time.monotonic()
        result = run("--config", str(write_config(tmp_path, aws, fake.url)), "check", "--period", "idle",
                     "--checks", "disk_unattached", "-w", "100", "-c", "1000", "-t", "10")
        took = time.monotonic() - began
    finally:
        fake.stop()
    first, *rest = result.stdout.splitlines()
    assert result.exit_code == 1, result.stdout
    assert first.startswith("COSTCTL WARNING - idle: 1 finding(s), savings 337.50 USD a month"), first
    warnings = [line for line in rest if "Pricing API" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: prod: AWS Pricing API unavailable, "), rest
    print(f"check -t 10 with a Pricing API that {mode}s: {took:.1f} s")
    assert took < 10, took
