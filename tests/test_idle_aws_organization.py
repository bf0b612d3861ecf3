"""Organisation-wide AWS idle scans (``organization: true``) against moto: Organizations ListAccounts,
STS AssumeRole into each member account, and the member's own EC2 resources (moto keeps accounts
apart by the assumed role's credentials). A member whose role cannot be assumed is served an
AccessDenied by a ``FaultProxy`` in front of moto, as the real STS answers a missing trust.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import test_cli_idle as idle_tests
from fault_proxy import Fault, FaultProxy
from test_idle_aws import NOW

from costctl.clouds.aws.idle import scan as idle_aws
from costctl.idle.report import Reporter
from costctl.idle.thresholds import Thresholds

aws = idle_tests.aws  # moto (conftest), a reset state, the idle tests' clock 100 days on
pytestmark = pytest.mark.usefixtures("warm_demo")
MANAGEMENT = "123456789012"  # moto's default account: the caller
DENIED = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
          b"<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message>"
          b"</Error><RequestId>1</RequestId></ErrorResponse>")


def member_client(endpoint: str, account: str, service: str, role: str = "OrganizationAccountAccessRole") -> Any:
    creds = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="setup")["Credentials"]
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def unattached(ec2: Any, gb: int) -> str:
    return ec2.create_volume(AvailabilityZone="us-east-1a", Size=gb, VolumeType="gp2")["VolumeId"]


@pytest.fixture
def organization(aws: str) -> Iterator[dict[str, Any]]:
    """An organisation of the management account and three members, each with one unattached volume."""
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=aws)
    org.create_organization(FeatureSet="ALL")
    members = {name: org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"][
        "AccountId"] for name in ("dev", "prod", "locked")}
    volumes = {MANAGEMENT: unattached(boto3.client("ec2", region_name="us-east-1", endpoint_url=aws), 10)}
    for account in members.values():
        volumes[account] = unattached(member_client(aws, account, "ec2"), 100)
    proxy = FaultProxy(aws).start()
    proxy.add(Fault(f"arn%3Aaws%3Aiam%3A%3A{members['locked']}%3Arole", body=DENIED, status=403, times=None,
                    headers={"Content-Type": "text/xml"}))
    yield {"endpoint": proxy.url, "members": members, "volumes": volumes, "proxy": proxy}
    proxy.stop()


def scan(endpoint: str, accounts: list[str] | None = None, **settings: Any) -> tuple[list, Reporter]:
    reporter = Reporter()
    found = idle_aws.scan("org", {"type": "aws", "endpoint_url": endpoint, "max_retry_time": 1.0,
                                  "organization": True, **settings},
                          Thresholds.defaults(), {"disk_unattached"}, NOW, {}, None, reporter, ["us-east-1"],
                          accounts=accounts)
    return found, reporter


def test_every_member_is_scanned_through_its_role_and_a_locked_one_is_a_warning(
        organization: dict[str, Any]) -> None:
    members, volumes = organization["members"], organization["volumes"]
    assumed = organization["proxy"].add(Fault("Action=AssumeRole", body=lambda real: real, times=None,
                                              headers={"Content-Type": "text/xml"}))
    found, reporter = scan(organization["endpoint"])
    by_account = {f.account: f.resource_id for f in found}
    assert by_account == {MANAGEMENT: volumes[MANAGEMENT], members["dev"]: volumes[members["dev"]],
                          members["prod"]: volumes[members["prod"]]}
    locked = members["locked"]
    problems = [w for w in reporter.warnings if "Pricing API" not in w]
    assert problems == [f"org: account {locked} (locked) not scanned: cannot assume "
                        f"arn:aws:iam::{locked}:role/OrganizationAccountAccessRole (AWS denied AssumeRole: grant "
                        "sts:AssumeRole to the caller (User is not authorized to perform: sts:AssumeRole))"]
    # one AssumeRole per reachable member (the locked one got the denial), none for the caller's account
    assert assumed.served == 2
    assert organization["proxy"].faults[0].served == 1


def test_account_filter_scans_only_the_named_members(organization: dict[str, Any]) -> None:
    members, volumes = organization["members"], organization["volumes"]
    found, reporter = scan(organization["endpoint"], accounts=[members["prod"], "999999999999"])
    assert [(f.account, f.resource_id) for f in found] == [(members["prod"], volumes[members["prod"]])]
    assert "org: account 999999999999 is not an active account of the organisation; not scanned" in \
        reporter.warnings
    assert not any("locked" in w for w in reporter.warnings)  # not asked: filtered before AssumeRole


def test_member_role_name_and_external_id_are_what_is_assumed(organization: dict[str, Any]) -> None:
    members = organization["members"]
    proxy: FaultProxy = organization["proxy"]
    dev = members["dev"]
    role = proxy.add(Fault(f"RoleArn=arn%3Aaws%3Aiam%3A%3A{dev}%3Arole%2FCostctlReadOnly", times=None,
                           body=lambda real: real, headers={"Content-Type": "text/xml"}))
    external = proxy.add(Fault("ExternalId=ext-123", times=None, body=lambda real: real,
                               headers={"Content-Type": "text/xml"}))
    found, _ = scan(organization["endpoint"], accounts=[dev], member_role_name="CostctlReadOnly",
                    member_external_id="ext-123")
    assert [f.account for f in found] == [dev]
    assert role.served == 1  # the request carried both; the first matching fault counts it
    proxy.faults.remove(role)
    scan(organization["endpoint"], accounts=[dev], member_role_name="CostctlReadOnly", member_external_id="ext-123")
    assert external.served == 1


def test_cli_idle_account_filter_and_organization_settings(run: Any, organization: dict[str, Any],
                                                           tmp_path: Path) -> None:
    members, volumes = organization["members"], organization["volumes"]
    config = idle_tests.write_config(tmp_path, organization["endpoint"])
    config.write_text(config.read_text().replace("    max_retry_time: 1s\n",
                                                 "    max_retry_time: 1s\n    organization: true\n"))
    result = run("--config", str(config), "idle", "--checks", "disk_unattached", "--account", members["dev"],
                 "--account", MANAGEMENT, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted((r["account"], r["resource_id"]) for r in result.json()) == sorted(
        [(members["dev"], volumes[members["dev"]]), (MANAGEMENT, volumes[MANAGEMENT])])
    everything = run("--config", str(config), "idle", "--checks", "disk_unattached", "--format", "json")
    assert everything.exit_code == 0
    assert len(everything.json()) == 3
    warned = [line for line in everything.stderr.splitlines() if "not scanned" in line]
    assert warned == [f"costctl: warning: prod: account {members['locked']} (locked) not scanned: cannot assume "
                      f"arn:aws:iam::{members['locked']}:role/OrganizationAccountAccessRole (AWS denied AssumeRole: "
                      "grant sts:AssumeRole to the caller (User is not authorized to perform: sts:AssumeRole))"]


def test_a_caller_that_may_not_list_accounts_fails_the_instance_with_one_line(organization: dict[str, Any]) -> None:
    from costctl.errors import ProviderError

    organization["proxy"].add(Fault("ListAccounts", status=400, times=None, body=(
        b'{"__type": "AccessDeniedException", "Message": "You don\'t have permissions to access this resource."}')))
    with pytest.raises(ProviderError) as caught:
        scan(organization["endpoint"])
    assert str(caught.value) == (
        "organization: cannot list the organisation's accounts (access denied: grant organizations:ListAccounts "
        "(You don't have permissions to access this resource.)); run from the management or a delegated "
        "administrator account, or drop organization: true")


def test_without_organization_an_account_filter_naming_another_account_scans_nothing(aws: str) -> None:
    unattached(boto3.client("ec2", region_name="us-east-1", endpoint_url=aws), 10)
    reporter = Reporter()
    found = idle_aws.scan("solo", {"type": "aws", "endpoint_url": aws, "max_retry_time": 1.0}, Thresholds.defaults(),
                          {"disk_unattached"}, NOW, {}, None, reporter, ["us-east-1"], accounts=["210987654321"])
    assert found == []
    found = idle_aws.scan("solo", {"type": "aws", "endpoint_url": aws, "max_retry_time": 1.0}, Thresholds.defaults(),
                          {"disk_unattached"}, NOW, {}, None, reporter, ["us-east-1"], accounts=[MANAGEMENT])
    assert [f.account for f in found] == [MANAGEMENT]


def test_idle_check_takes_account_too(run: Any, organization: dict[str, Any], tmp_path: Path) -> None:
    members = organization["members"]
    config = idle_tests.write_config(tmp_path, organization["endpoint"])
    config.write_text(config.read_text().replace("    max_retry_time: 1s\n",
                                                 "    max_retry_time: 1s\n    organization: true\n"))
    result = run("--config", str(config), "check", "--period", "idle", "--checks", "disk_unattached",
                 "--account", members["prod"], "-w", "5", "-t", "30")
    first = result.stdout.splitlines()[0]
    assert result.exit_code == 1, result.stdout
    assert first.startswith("COSTCTL WARNING - idle: 1 finding(s), savings 10.00 USD a month"), first
    assert not any("not scanned" in line for line in result.stdout.splitlines())  # locked member not asked
