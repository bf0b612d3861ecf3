"""AWS calls for the idle scan: one client set per region, paging, and "which permission is missing".

Reuses the ``aws`` provider's session (profile, role chain, endpoint_url) and its tenacity retry
layer; adds what the scan needs on top: clients bound to each scanned region, and access-denied
errors turned into ``Denied`` naming the IAM action, so one check in one region can be skipped
with a one-line warning while the rest of the scan goes on (issue 8, item 7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from costctl.clouds.aws import retry as aws_retry
from costctl.clouds.aws.session import AwsSession
from costctl.errors import Denied, ProviderError

# API operation -> IAM action, for the warnings and docs/idle.md.
PERMISSIONS = {
    "DescribeRegions": "ec2:DescribeRegions",
    "DescribeInstances": "ec2:DescribeInstances",
    "DescribeVolumes": "ec2:DescribeVolumes",
    "DescribeSnapshots": "ec2:DescribeSnapshots",
    "DescribeImages": "ec2:DescribeImages",
    "DescribeAddresses": "ec2:DescribeAddresses",
    "DescribeNatGateways": "ec2:DescribeNatGateways",
    "DescribeDBInstances": "rds:DescribeDBInstances",
    "DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers",
    "GetMetricStatistics": "cloudwatch:GetMetricStatistics",
    "GetProducts": "pricing:GetProducts",
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "ListAccounts": "organizations:ListAccounts",
    "AssumeRole": "sts:AssumeRole",
    "GetEC2InstanceRecommendations": "compute-optimizer:GetEC2InstanceRecommendations",
    "GetEBSVolumeRecommendations": "compute-optimizer:GetEBSVolumeRecommendations",
    "GetLambdaFunctionRecommendations": "compute-optimizer:GetLambdaFunctionRecommendations",
    "GetRDSDatabaseRecommendations": "compute-optimizer:GetRDSDatabaseRecommendations",
}
# aws_retry derives the boto3 method by splitting on capitals; names with acronyms need its spelling.
_METHOD_SPELLING = {"DescribeDBInstances": "DescribeDbInstances",
                    "GetEC2InstanceRecommendations": "GetEc2InstanceRecommendations",
                    "GetEBSVolumeRecommendations": "GetEbsVolumeRecommendations",
                    "GetRDSDatabaseRecommendations": "GetRdsDatabaseRecommendations"}
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
           "AuthorizationError")


class RegionSession(AwsSession):
    """An ``AwsSession`` whose clients talk to ``region``, sharing the parent's credentials.

    The parent assumes the role once; every region reuses that boto3 session (boto3 clients are
    thread-safe, sessions are not, so the parent's session is built before the pool starts).
    """

    def __init__(self, parent: AwsSession, region: str, endpoint_url: str | None = None) -> None:
        settings = {**parent.settings, "region": region}
        if endpoint_url:
            settings["endpoint_url"] = endpoint_url
        super().__init__(settings, parent.counter)
        self.parent = parent
        self.region = region

    def session(self) -> Any:
        return self.parent.session()


class Api:
    """``call`` and ``pages`` for one region, raising ``Denied`` for missing permissions."""

    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        try:
            return self.session.call(service, _METHOD_SPELLING.get(operation, operation), **params)
        except ProviderError as exc:
            raise _denied(exc, operation) or exc from exc.__cause__

    def pages(self, service: str, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` across pages (NextToken or Marker, whichever the API uses)."""
        token_field = "Marker" if service in ("rds", "elbv2") else "NextToken"
        answer_field = "NextMarker" if service == "elbv2" else token_field
        token = None
        while True:
            answer = self.call(service, operation, **params, **({token_field: token} if token else {}))
            yield from answer.get(key, [])
            token = answer.get(answer_field)
            if not token:
                return


def _denied(exc: ProviderError, operation: str) -> Denied | None:
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    if not isinstance(cause, ClientError):
        return None
    code = cause.response.get("Error", {}).get("Code", "")
    status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _DENIED or (status == 403 and code in ("", "403")):
        return Denied(PERMISSIONS.get(operation, operation), aws_retry._message(
            cause.response.get("Error", {}).get("Message", "")) or code)
    return None
