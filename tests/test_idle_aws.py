"""The AWS idle checks end to end against a real moto server: only the idle resources are reported.

The scan runs "100 days later" (``NOW``) so that resources moto stamps with the real time look old
enough; CloudWatch datapoints are put at days before ``NOW``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from costctl.clouds.aws.idle import scan as idle_aws
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds
from moto_server import aws_env, reset

NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=100)
REGION = "us-east-1"


def client(endpoint: str, service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint)


def put_daily(endpoint: str, namespace: str, metric: str, dims: dict[str, str], values: list[float],
              region: str = REGION) -> None:
    """One datapoint a day for the days before NOW, newest first."""
    client(endpoint, "cloudwatch", region).put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
         "Timestamp": NOW - timedelta(days=i + 1, hours=1), "Value": value} for i, value in enumerate(values)])


def run_instance(endpoint: str, itype: str, region: str = REGION) -> str:
    ec2 = client(endpoint, "ec2", region)
    return ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType=itype)[
        "Instances"][0]["InstanceId"]


@pytest.fixture
def aws(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    aws_env(monkeypatch)
    reset(moto)
    return moto


def scan(endpoint: str, checks: set[str], regions: list[str] | None = None, **limits: Any) -> tuple[list, Reporter]:
    reporter = Reporter()
    found = idle_aws.scan("prod", {"type": "aws", "endpoint_url": endpoint, "max_retry_time": 1.0},
                          Thresholds.defaults(**limits), checks, NOW, {}, None, reporter, regions or [REGION])
    return found, reporter


def by_check(findings: list, check: str) -> dict[str, Any]:
    return {f.resource_id: f for f in findings if f.check == check}


def test_only_the_idle_instance_is_reported_idle_and_the_quiet_big_one_oversized(aws: str) -> None:
    idle, busy, big = run_instance(aws, "t3.large"), run_instance(aws, "m5.large"), run_instance(aws, "m5.2xlarge")
    put_daily(aws, "AWS/EC2", "CPUUtilization", {"InstanceId": idle}, [1.0, 1.5, 2.0, 1.0, 1.5, 1.0, 1.1])
    put_daily(aws, "AWS/EC2", "CPUUtilization", {"InstanceId": busy}, [55.0] * 14)
    put_daily(aws, "AWS/EC2", "CPUUtilization", {"InstanceId": big}, [20.0, 30.0, 25.0] + [22.0] * 11)
    found, reporter = scan(aws, {"vm_idle", "vm_oversized"})
    # moto has no Pricing API: one warning, then list prices (instances stay unpriced)
    assert [w for w in reporter.warnings if "AWS Pricing API unavailable" not in w] == []
    assert set(by_check(found, "vm_idle")) == {idle}
    assert "avg CPU 1.3 % over 7 d" in by_check(found, "vm_idle")[idle].detail
    oversized = by_check(found, "vm_oversized")
    assert set(oversized) == {big}
    assert oversized[big].recommendation == "downsize to m5.xlarge"
    assert "max CPU 30.0 % over 14 d" in oversized[big].detail


def test_instance_without_datapoints_is_not_judged(aws: str) -> None:
    run_instance(aws, "t3.micro")
    found, _ = scan(aws, {"vm_idle", "vm_oversized"})
    assert found == []


def test_stopped_instance_with_volumes_is_reported_after_the_limit_only(aws: str) -> None:
    iid = run_instance(aws, "t3.small")
    run_instance(aws, "t3.small")  # still running
    client(aws, "ec2").stop_instances(InstanceIds=[iid])
    found, _ = scan(aws, {"vm_stopped"})
    assert list(by_check(found, "vm_stopped")) == [iid]
    finding = found[0]
    assert finding.detail.startswith("stopped 100 d, 1 EBS volume(s), 8 GB")
    assert finding.monthly_cost == pytest.approx(8 * 0.10)  # its gp2 root volume, at list price
    assert finding.cost_source == "list"
    found, _ = scan(aws, {"vm_stopped"}, stopped_days=200)
    assert found == []


def test_unattached_volume_is_reported_and_attached_gp2_volumes_get_gp3_advice(aws: str) -> None:
    ec2 = client(aws, "ec2")
    iid = run_instance(aws, "t3.small")
    loose = ec2.create_volume(AvailabilityZone="us-east-1a", Size=500, VolumeType="gp2")["VolumeId"]
    attached = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="gp2")["VolumeId"]
    gp3 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="gp3")["VolumeId"]
    ec2.attach_volume(VolumeId=attached, InstanceId=iid, Device="/dev/sdf")
    ec2.attach_volume(VolumeId=gp3, InstanceId=iid, Device="/dev/sdg")
    found, _ = scan(aws, {"disk_unattached", "disk_gp2"})
    unattached = by_check(found, "disk_unattached")
    assert list(unattached) == [loose]
    assert unattached[loose].monthly_cost == pytest.approx(50.0)
    assert unattached[loose].estimated_monthly_savings == pytest.approx(50.0)
    gp2 = by_check(found, "disk_gp2")
    assert attached in gp2 and loose not in gp2 and gp3 not in gp2
    assert gp2[attached].estimated_monthly_savings == pytest.approx(10.0 * 0.2)


def test_old_snapshot_of_a_deleted_volume_is_reported_not_one_of_a_live_volume(aws: str) -> None:
    ec2 = client(aws, "ec2")
    gone = ec2.create_volume(AvailabilityZone="us-east-1a", Size=40, VolumeType="gp3")["VolumeId"]
    live = ec2.create_volume(AvailabilityZone="us-east-1a", Size=30, VolumeType="gp3")["VolumeId"]
    orphan = ec2.create_snapshot(VolumeId=gone)["SnapshotId"]
    kept = ec2.create_snapshot(VolumeId=live)["SnapshotId"]
    ec2.delete_volume(VolumeId=gone)
    found, _ = scan(aws, {"snapshot_orphaned"})
    orphans = by_check(found, "snapshot_orphaned")
    assert orphan in orphans and kept not in orphans
    assert orphans[orphan].monthly_cost == pytest.approx(40 * 0.05)
    found, _ = scan(aws, {"snapshot_orphaned"}, snapshot_age_days=365)
    assert orphan not in by_check(found, "snapshot_orphaned")


def test_only_the_unassociated_elastic_ip_is_reported(aws: str) -> None:
    ec2 = client(aws, "ec2")
    iid = run_instance(aws, "t3.small")
    free = ec2.allocate_address(Domain="vpc")["AllocationId"]
    used = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=used, InstanceId=iid)
    found, _ = scan(aws, {"ip_unassociated"})
    assert list(by_check(found, "ip_unassociated")) == [free]
    assert found[0].monthly_cost == pytest.approx(0.005 * 730)


def test_idle_database_is_reported_busy_one_is_not(aws: str) -> None:
    rds = client(aws, "rds")
    for name in ("idle-db", "busy-db"):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.medium", Engine="postgres",
                               MasterUsername="admin1", MasterUserPassword="password123", AllocatedStorage=20)
    put_daily(aws, "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "idle-db"}, [0.5] * 7)
    put_daily(aws, "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "idle-db"}, [0.0] * 7)
    put_daily(aws, "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "busy-db"}, [35.0] * 7)
    put_daily(aws, "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "busy-db"}, [12.0] * 7)
    found, _ = scan(aws, {"db_idle"})
    assert [f.resource_id.rsplit(":", 1)[-1] for f in found] == ["idle-db"]
    assert found[0].detail == "0 connections over 7 d, avg CPU 0.5 % over 7 d (db.t3.medium)"


def test_load_balancer_and_nat_gateway_without_traffic_are_reported(aws: str) -> None:
    ec2, elb = client(aws, "ec2"), client(aws, "elbv2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:2]]
    quiet = elb.create_load_balancer(Name="quiet", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    busy = elb.create_load_balancer(Name="busy", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    put_daily(aws, "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": busy.split(":loadbalancer/")[1]},
              [1000.0] * 7)
    nats = []
    for _ in range(2):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nats.append(ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"])
    put_daily(aws, "AWS/NATGateway", "BytesOutToDestination", {"NatGatewayId": nats[1]}, [5e6] * 7)
    found, _ = scan(aws, {"lb_idle", "nat_idle"})
    assert list(by_check(found, "lb_idle")) == [quiet]
    assert list(by_check(found, "nat_idle")) == [nats[0]]
    assert by_check(found, "nat_idle")[nats[0]].monthly_cost == pytest.approx(0.045 * 730)


def test_every_listed_region_is_scanned(aws: str) -> None:
    ec2 = client(aws, "ec2", "eu-west-1")
    vid = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=10, VolumeType="gp3")["VolumeId"]
    found, _ = scan(aws, {"disk_unattached"}, regions=[REGION, "eu-west-1"])
    assert [(f.region, f.resource_id) for f in found] == [("eu-west-1", vid)]
    assert found[0].account == "123456789012"
