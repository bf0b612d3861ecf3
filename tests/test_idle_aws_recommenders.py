"""AWS Compute Optimizer beside costctl's own checks (issue 23, item 4).

The instances live in the session's moto server (costctl's checks read them with boto3); Compute
Optimizer, which moto lacks, is a local server speaking its JSON protocol (``fake_compute_optimizer``)
reached by the real boto3 client through ``idle.compute_optimizer_endpoint_url``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_compute_optimizer import ComputeOptimizer, database, function, instance, volume
from test_idle_aws import NOW, aws, put_daily, run_instance  # noqa: F401 - aws is a fixture

from costctl.clouds.aws.idle import scan as idle_aws
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds


@pytest.fixture
def optimizer() -> Iterator[ComputeOptimizer]:
    fake = ComputeOptimizer().start()
    yield fake
    fake.stop()


def scan(endpoint: str, optimizer: ComputeOptimizer, recommenders: bool = True) -> tuple[list, Reporter]:
    reporter = Reporter()
    found = idle_aws.scan("prod", {"type": "aws", "endpoint_url": endpoint, "max_retry_time": 1.0},
                          Thresholds.defaults(compute_optimizer_endpoint_url=optimizer.url), {"vm_idle"}, NOW, {},
                          None, reporter, ["us-east-1"], recommenders=recommenders)
    return found, reporter


def own_warnings(reporter: Reporter) -> list[str]:
    return [w for w in reporter.warnings if "AWS Pricing API unavailable" not in w]


def idle_instance(endpoint: str) -> str:
    iid = run_instance(endpoint, "t3.large")
    put_daily(endpoint, "AWS/EC2", "CPUUtilization", {"InstanceId": iid}, [1.0] * 7)
    return iid


def test_a_resource_both_flag_is_one_finding_with_both_sources_and_costctls_check(
        aws: str, optimizer: ComputeOptimizer) -> None:  # noqa: F811
    iid = idle_instance(aws)
    optimizer.instances = [instance(iid, "Overprovisioned", 30.0),
                           instance("i-0000000000000fine", "Optimized", 0.0)]
    found, reporter = scan(aws, optimizer)
    assert own_warnings(reporter) == []
    assert len(found) == 1
    (only,) = found
    assert (only.resource_id, only.check, only.sources, only.cloud_savings) == (
        iid, "vm_idle", ["costctl", "compute-optimizer"], 30.0)
    assert only.source_row() == {"source": "costctl+compute-optimizer", "cloud_estimated_monthly_savings": 30.0}
    assert only.estimated_monthly_savings != 30.0  # costctl's own figure is kept (list price, unpriced here)


def test_a_resource_only_compute_optimizer_flags_is_its_own_recommender_finding(
        aws: str, optimizer: ComputeOptimizer) -> None:  # noqa: F811
    optimizer.instances = [instance("i-0123456789abcdef0", "Overprovisioned", 42.5, target="m5.large",
                                    current="m5.2xlarge"),
                           instance("i-0fedcba987654321f", "Underprovisioned", 0.0)]
    optimizer.volumes = [volume("vol-0abc", 12.0)]
    found, reporter = scan(aws, optimizer)
    assert own_warnings(reporter) == []
    rows = {f.resource_id: f for f in found}
    assert set(rows) == {"i-0123456789abcdef0", "vol-0abc"}  # Underprovisioned saves nothing: not a finding
    vm = rows["i-0123456789abcdef0"]
    assert (vm.check, vm.sources, vm.estimated_monthly_savings, vm.recommendation, vm.severity) == (
        "recommender", ["compute-optimizer"], 42.5, "downsize to m5.large", "medium")
    assert vm.detail == "Compute Optimizer: Overprovisioned (m5.2xlarge)"
    assert (rows["vol-0abc"].resource_type, rows["vol-0abc"].recommendation) == ("ebs:volume", "modify to gp3")
    # one item per page: paging through nextToken reached the second instance
    assert optimizer.requests.count("GetEC2InstanceRecommendations") == 2


def test_lambda_functions_and_rds_databases_are_asked_too(aws: str, optimizer: ComputeOptimizer) -> None:  # noqa: F811
    db = "arn:aws:rds:us-east-1:123456789012:db:orders"
    optimizer.functions = [function("resize-images", 8.25)]
    optimizer.databases = [database(db, "Overprovisioned", 150.0),
                           database("arn:aws:rds:us-east-1:123456789012:db:busy", "Underprovisioned", 0.0)]
    found, reporter = scan(aws, optimizer)
    assert own_warnings(reporter) == []
    rows = {f.resource_id: f for f in found}
    assert set(rows) == {db, "arn:aws:lambda:us-east-1:123456789012:function:resize-images:$LATEST"}
    assert (rows[db].resource_type, rows[db].recommendation, rows[db].estimated_monthly_savings,
            rows[db].severity) == ("rds:db", "downsize to db.m5.large", 150.0, "high")
    fn = rows["arn:aws:lambda:us-east-1:123456789012:function:resize-images:$LATEST"]
    assert (fn.recommendation, fn.detail) == ("set memory to 512 MB", "Compute Optimizer: NotOptimized (1024 MB)")


def test_a_denied_compute_optimizer_is_one_warning_naming_the_permission_and_the_scan_goes_on(
        aws: str, optimizer: ComputeOptimizer) -> None:  # noqa: F811
    iid = idle_instance(aws)
    optimizer.instances = [instance(iid, "Overprovisioned", 30.0)]
    optimizer.volumes = [volume("vol-0abc", 12.0)]
    optimizer.deny = {"GetEC2InstanceRecommendations"}
    found, reporter = scan(aws, optimizer)
    assert [(f.resource_id, f.sources) for f in found] == [
        (iid, ["costctl"]), ("vol-0abc", ["compute-optimizer"])]  # the volumes were still asked
    assert own_warnings(reporter) == [
        "prod: compute-optimizer recommendations skipped: grant compute-optimizer:GetEC2InstanceRecommendations"]
    optimizer.mode = "denied"  # everything denied: one warning per permission, costctl's finding stays
    found, reporter = scan(aws, optimizer)
    assert [(f.resource_id, f.sources) for f in found] == [(iid, ["costctl"])]
    assert len(own_warnings(reporter)) == 4


def test_a_malformed_answer_is_one_warning_and_nothing_of_it_is_reported(
        aws: str, optimizer: ComputeOptimizer) -> None:  # noqa: F811
    iid = idle_instance(aws)
    optimizer.mode = "malformed"
    found, reporter = scan(aws, optimizer)
    assert [(f.resource_id, f.sources) for f in found] == [(iid, ["costctl"])]
    assert own_warnings(reporter) == [
        "prod: compute-optimizer recommendations failed in us-east-1: Compute Optimizer recommendation "
        "without a valid instanceArn: None"]
    optimizer.mode = "ok"  # nothing was kept: the next run asks again and gets the answer
    optimizer.instances = [instance(iid, "Overprovisioned", 5.0)]
    again, _ = scan(aws, optimizer)
    assert again[0].sources == ["costctl", "compute-optimizer"]


def test_recommenders_off_asks_compute_optimizer_nothing(aws: str, optimizer: ComputeOptimizer) -> None:  # noqa: F811
    idle_instance(aws)
    optimizer.instances = [instance("i-0123456789abcdef0", "Overprovisioned", 42.5)]
    found, _ = scan(aws, optimizer, recommenders=False)
    assert [f.check for f in found] == ["vm_idle"]
    assert optimizer.requests == []


def test_merge_keeps_one_row_per_resource_when_two_recommenders_flag_it() -> None:
    from costctl.idle.findings import Finding
    from costctl.idle.recommendations import cloud_finding, merge

    def rec(source: str, saving: float) -> Finding:
        return cloud_finding(Finding("p", "a", "r", "VM-1", "vm", "recommender", "d", "stop",
                                     estimated_monthly_savings=saving, sources=[source]))

    merged = merge([], [rec("one", 5.0), rec("two", 50.0)])
    assert [(f.sources, f.estimated_monthly_savings, f.severity) for f in merged] == [
        (["one", "two"], 50.0, "medium")]
    own = Finding("p", "a", "r", "vm-1", "vm", "vm_idle", "d", "stop", estimated_monthly_savings=7.0)
    assert [(f.check, f.sources, f.estimated_monthly_savings, f.cloud_savings)
            for f in merge([own], [rec("one", 20.0)])] == [("vm_idle", ["costctl", "one"], 7.0, 20.0)]
