"""``costctl idle`` end to end: a moto server for the AWS APIs, a local Pricing API, and the demo.

The Pricing API stand-in answers ``AWSPriceListService.GetProducts`` in its JSON 1.1 wire format
(products as JSON strings) from a small table, and counts requests so the disk cache is tested.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from costctl.context import Env
from moto_server import aws_env, reset, running

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

NOW = datetime.combine(datetime.now(UTC).date() + timedelta(days=100), time(12), tzinfo=UTC)
PRICES = {("instanceType", "m5.large"): 0.096, ("instanceType", "m5.xlarge"): 0.192,
          ("volumeApiName", "gp2"): 0.10, ("volumeApiName", "gp3"): 0.08}


class PricingHandler(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.headers["X-Amz-Target"] == "AWSPriceListService.GetProducts"
        type(self).requests.append(body)
        filters = {(f["Field"], f["Value"]) for f in body["Filters"]}
        products = [json.dumps({"product": {"attributes": dict([key])}, "terms": {"OnDemand": {"T": {
            "priceDimensions": {"D": {"unit": "Hrs", "pricePerUnit": {"USD": f"{usd:.10f}"}}}}}}})
            for key, usd in PRICES.items() if key in filters]
        data = json.dumps({"FormatVersion": "aws_v1", "PriceList": products}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pricing() -> Iterator[str]:
    PricingHandler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PricingHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def aws(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    import costctl.cli

    aws_env(monkeypatch)
    reset(moto)
    monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda: NOW))
    return moto


def write_config(tmp_path: Path, endpoint: str, pricing: str | None = None, extra: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"cache:\n  path: {tmp_path / 'cache'}\n"
        f"providers:\n  prod:\n    type: aws\n    endpoint_url: {endpoint}\n    group_plan: service_account\n"
        "    max_retry_time: 1s\n"
        "idle:\n  regions: [us-east-1]\n" + (f"  pricing_endpoint_url: {pricing}\n" if pricing else "") + extra)
    return path


def cpu(endpoint: str, iid: str, values: list[float]) -> None:
    boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=endpoint).put_metric_data(
        Namespace="AWS/EC2", MetricData=[
            {"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": iid}],
             "Timestamp": NOW - timedelta(days=i + 1), "Value": v} for i, v in enumerate(values)])


def landscape(endpoint: str) -> dict[str, str]:
    """An idle and a busy m5.large, an unattached and an attached 200 GB gp3 volume, two EIPs."""
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)
    ids = {}
    for name in ("idle", "busy"):
        ids[name] = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.large")[
            "Instances"][0]["InstanceId"]
    cpu(endpoint, ids["idle"], [0.8] * 7)
    cpu(endpoint, ids["busy"], [60.0] * 14)
    for name in ("loose", "used"):
        ids[name] = ec2.create_volume(AvailabilityZone="us-east-1a", Size=200, VolumeType="gp3")["VolumeId"]
    ec2.attach_volume(VolumeId=ids["used"], InstanceId=ids["busy"], Device="/dev/sdf")
    ids["free_ip"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ids["used_ip"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=ids["used_ip"], InstanceId=ids["busy"])
    return ids


CHECKS = "vm_idle,disk_unattached,ip_unassociated"


def test_json_lists_only_the_idle_resources_priced_through_the_pricing_api(
        run: Any, aws: str, pricing: str, tmp_path: Path) -> None:
    ids = landscape(aws)
    config = write_config(tmp_path, aws, pricing)
    result = run("--config", str(config), "idle", "--checks", CHECKS, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["resource_id"]: r for r in result.json()}
    assert set(rows) == {ids["idle"], ids["loose"], ids["free_ip"]}
    idle = rows[ids["idle"]]
    assert list(idle) == ["id", "provider", "account", "region", "resource_id", "resource_type", "check", "detail",
                          "monthly_cost", "estimated_monthly_savings", "currency", "severity", "recommendation",
                          "source", "cloud_estimated_monthly_savings"]  # the recommenders are on by default
    assert (idle["source"], idle["cloud_estimated_monthly_savings"]) == ("costctl", None)
    assert "compute-optimizer recommendations failed in us-east-1" in result.stderr  # moto has none
    assert (idle["provider"], idle["account"], idle["region"], idle["check"]) == (
        "prod", "123456789012", "us-east-1", "vm_idle")
    assert idle["detail"] == "avg CPU 0.8 % over 7 d (m5.large)"
    assert idle["monthly_cost"] == pytest.approx(0.096 * 730)
    assert idle["estimated_monthly_savings"] == pytest.approx(0.096 * 730)
    assert rows[ids["loose"]]["monthly_cost"] == pytest.approx(200 * 0.08)
    assert rows[ids["free_ip"]]["monthly_cost"] == pytest.approx(0.005 * 730)
    assert [r["resource_id"] for r in result.json()] == [ids["idle"], ids["loose"], ids["free_ip"]]  # by saving
    asked = len(PricingHandler.requests)
    assert asked == 2  # m5.large and gp3, once each
    again = run("--config", str(config), "idle", "--checks", CHECKS, "--format", "json")
    assert again.json() == result.json()
    assert len(PricingHandler.requests) == asked  # prices came from the disk cache


def test_min_savings_and_checks_filter_and_csv_has_the_contract_header(
        run: Any, aws: str, pricing: str, tmp_path: Path) -> None:
    ids = landscape(aws)
    config = write_config(tmp_path, aws, pricing)
    result = run("--config", str(config), "idle", "--checks", CHECKS, "--min-savings", "10", "--format", "csv",
                 "--no-recommenders")
    assert result.exit_code == 0, result.stderr
    assert "compute-optimizer" not in result.stderr  # --no-recommenders: not asked, contract as before
    lines = result.stdout.strip().splitlines()
    assert lines[0] == ("id,provider,account,region,resource_id,resource_type,check,detail,monthly_cost,"
                        "estimated_monthly_savings,currency,severity,recommendation")
    assert [line.split(",")[4] for line in lines[1:]] == [ids["idle"], ids["loose"]]
    only = run("--config", str(config), "idle", "--checks", "ip_unassociated", "--format", "json")
    assert [r["resource_id"] for r in only.json()] == [ids["free_ip"]]


def test_without_pricing_api_flat_rates_come_from_list_prices_and_instances_stay_unpriced(
        run: Any, aws: str, tmp_path: Path) -> None:
    ids = landscape(aws)
    result = run("--config", str(write_config(tmp_path, aws)), "idle", "--checks", CHECKS, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["resource_id"]: r for r in result.json()}
    assert rows[ids["idle"]]["monthly_cost"] is None
    assert rows[ids["loose"]]["monthly_cost"] == pytest.approx(16.0)


def test_table_shows_totals_per_provider_and_per_check(run: Any, aws: str, pricing: str, tmp_path: Path) -> None:
    landscape(aws)
    result = run("--config", str(write_config(tmp_path, aws, pricing)), "idle", "--checks", CHECKS)
    assert result.exit_code == 0, result.stderr
    total = 0.096 * 730 + 16.0 + 3.65
    assert "Total prod" in result.stdout and f"{total:,.2f}" in result.stdout
    assert "vm_idle 1 (70.08 USD)" in result.stdout


def test_unknown_check_is_a_usage_error(run: Any, aws: str, tmp_path: Path) -> None:
    result = run("--config", str(write_config(tmp_path, aws)), "idle", "--checks", "vm_idle,bogus")
    assert result.exit_code == 2
    assert result.stderr.startswith("costctl: error: --checks: unknown check 'bogus'")


def test_missing_permission_skips_that_check_with_one_warning_and_the_rest_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A moto server enforcing IAM: the caller may list volumes and addresses but not instances."""
    import os
    import subprocess
    import sys

    aws_env(monkeypatch)
    with running({"INITIAL_NO_AUTH_ACTION_COUNT": "4"}) as strict:
        iam = boto3.client("iam", endpoint_url=strict, region_name="us-east-1")
        iam.create_user(UserName="scanner")
        iam.put_user_policy(UserName="scanner", PolicyName="some", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
                "sts:GetCallerIdentity", "ec2:DescribeVolumes", "ec2:DescribeAddresses"]}]}))
        key = iam.create_access_key(UserName="scanner")["AccessKey"]
        env = {k: v for k, v in os.environ.items() if k != "AWS_SESSION_TOKEN"}
        env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=strict, aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
        address = ec2.allocate_address(Domain="vpc")["AllocationId"]
        config = write_config(tmp_path, strict, extra="  checks: [vm_idle, ip_unassociated]\n")
        proc = subprocess.run([sys.executable, "-m", "costctl", "--config", str(config), "idle", "--format", "json"],
                              capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert [r["resource_id"] for r in json.loads(proc.stdout)] == [address]
    warnings = [line for line in proc.stderr.splitlines() if "skipped" in line]
    assert warnings == ["costctl: warning: prod: vm_idle skipped in us-east-1: grant ec2:DescribeInstances"], \
        proc.stderr


def test_demo_reports_the_documented_idle_disks_with_their_recorded_cost(run: Any) -> None:
    import pandas as pd

    from costctl.demo import FEATURES, data_path

    result = run("--demo", "idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["resource_id"]: r for r in result.json()}
    idle = {f["ResourceId"]: f for f in FEATURES.values() if f["kind"] == "idle"}
    assert set(rows) == set(idle)
    for rid, feature in idle.items():
        frame = pd.read_csv(data_path(feature["cloud"]))
        daily = frame.loc[frame["ResourceId"] == rid, "EffectiveCost"]
        assert rows[rid]["monthly_cost"] == pytest.approx(daily.iloc[-14:].mean() * 30.4, rel=1e-6)
        assert rows[rid]["check"] == "disk_unattached"
        assert rows[rid]["account"] == feature["SubAccountId"]
    assert rows[next(r for r in idle if r.startswith("arn:"))]["region"] == "us-east-1"


def test_demo_honours_provider_and_refuses_an_unknown_one(run: Any) -> None:
    only_aws = run("--demo", "idle", "--provider", "aws", "--format", "json")
    assert only_aws.exit_code == 0, only_aws.stderr
    assert {r["provider"] for r in only_aws.json()} == {"aws"}
    unknown = run("--demo", "idle", "--provider", "nope")
    assert unknown.exit_code == 2 and unknown.stdout == ""
    assert "unknown provider 'nope' (configured: aws, azure, gcp)" in unknown.stderr


def test_providers_without_cloud_apis_are_left_out_quietly_or_refused_by_name(
        run: Any, aws: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, aws)
    text = config.read_text().replace("idle:\n", "  files:\n    type: files\n    paths: [x.csv]\nidle:\n")
    config.write_text(text)
    result = run("--config", str(config), "idle", "--checks", "ip_unassociated", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "files" not in result.stderr
    assert result.json() == []
    named = run("--config", str(config), "idle", "--provider", "files")
    assert named.exit_code == 2
    assert "provider 'files' is of type files, which idle cannot scan (cloud APIs only)" in named.stderr


def test_compute_optimizer_findings_merge_into_the_table_json_and_csv_with_their_source(
        run: Any, aws: str, pricing: str, tmp_path: Path) -> None:
    from fake_compute_optimizer import ComputeOptimizer, instance, volume

    ids = landscape(aws)
    optimizer = ComputeOptimizer([instance(ids["idle"], "Overprovisioned", 35.0, current="m5.large")],
                                 [volume("vol-0only", 12.5)]).start()
    try:
        config = write_config(tmp_path, aws, pricing, f"  compute_optimizer_endpoint_url: {optimizer.url}\n")
        result = run("--config", str(config), "idle", "--checks", CHECKS, "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert "compute-optimizer" not in result.stderr
        rows = {r["resource_id"]: r for r in result.json()}
        assert set(rows) == {ids["idle"], ids["loose"], ids["free_ip"], "vol-0only"}
        both = rows[ids["idle"]]
        assert (both["check"], both["source"], both["estimated_monthly_savings"],
                both["cloud_estimated_monthly_savings"]) == ("vm_idle", "costctl+compute-optimizer", 70.08, 35.0)
        only = rows["vol-0only"]
        assert (only["check"], only["source"], only["estimated_monthly_savings"]) == (
            "recommender", "compute-optimizer", 12.5)
        assert rows[ids["loose"]]["source"] == "costctl"
        csv_out = run("--config", str(config), "idle", "--checks", CHECKS, "--format", "csv")
        assert csv_out.stdout.splitlines()[0].endswith(",recommendation,source,cloud_estimated_monthly_savings")
        table = run("--config", str(config), "idle", "--checks", CHECKS, "--wide")
        assert "costctl+compute-optimizer" in table.stdout and "Source" in table.stdout
        assert "recommender 1 (12.50 USD)" in table.stdout
    finally:
        optimizer.stop()


def test_check_period_idle_counts_recommender_only_findings_in_their_own_perfdata(
        run: Any, aws: str, pricing: str, tmp_path: Path) -> None:
    from fake_compute_optimizer import ComputeOptimizer, volume

    landscape(aws)
    optimizer = ComputeOptimizer(volumes=[volume("vol-0only", 12.5)]).start()
    try:
        config = write_config(tmp_path, aws, pricing, f"  compute_optimizer_endpoint_url: {optimizer.url}\n")
        result = run("--config", str(config), "check", "--period", "idle", "--checks", CHECKS)
    finally:
        optimizer.stop()
    first = result.stdout.splitlines()[0]
    assert "idle: 4 finding(s)" in first, result.stdout
    assert "recommender_savings=12.5" in first and "recommender_count=1" in first, first
