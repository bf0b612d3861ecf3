"""AWS Compute Optimizer's recommendations as idle findings (merged by ``idle.recommendations``).

Compute Optimizer is regional, so each scanned region asks it once per resource kind (EC2
instances, EBS volumes, Lambda functions, RDS databases), through the
region's ``Api`` (the provider's session, role chain and retry; ``idle.compute_optimizer_endpoint_url``
or the provider's ``endpoint_url`` overrides where it is). Only recommendations that save money
become findings: instances and databases Compute Optimizer calls ``Overprovisioned`` or idle,
volumes and functions it calls ``NotOptimized`` with a positive saving (its other ``NotOptimized``
ones need *more* capacity).
The saving is the rank-1 option's ``savingsOpportunity.estimatedMonthlySavings``. Nothing is cached:
a recommendation is a day's opinion, and a wrong answer must not outlive the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from costctl.clouds.aws.idle.api import Api
from costctl.errors import Denied, ProviderError
from costctl.idle.findings import Finding
from costctl.idle.recommendations import RECOMMENDER_CHECK, cloud_finding
from costctl.idle.scope import Scope

SOURCE = "compute-optimizer"


@dataclass(frozen=True)
class Kind:
    """One Compute Optimizer listing and how its answer reads."""

    operation: str
    items: str  # the list key of the answer
    arn: str  # the resource's ARN key
    options: str  # the ranked options key
    verdict: str  # the finding key
    resource_type: str
    full_arn: bool  # costctl's own findings use the ARN (RDS), not its last segment (i-..., vol-...)


KINDS = (
    Kind("GetEC2InstanceRecommendations", "instanceRecommendations", "instanceArn", "recommendationOptions",
         "finding", "ec2:instance", False),
    Kind("GetEBSVolumeRecommendations", "volumeRecommendations", "volumeArn", "volumeRecommendationOptions",
         "finding", "ebs:volume", False),
    Kind("GetLambdaFunctionRecommendations", "lambdaFunctionRecommendations", "functionArn",
         "memorySizeRecommendationOptions", "finding", "lambda:function", True),
    Kind("GetRDSDatabaseRecommendations", "rdsDBRecommendations", "resourceArn", "instanceRecommendationOptions",
         "instanceFinding", "rds:db", True),
)


class Malformed(ProviderError):
    """Compute Optimizer answered something that is not a recommendation list."""


def findings(api: Api, scope: Scope) -> tuple[list[Finding], list[Denied]]:
    """Money-saving recommendations for the region's instances, volumes, functions and databases,
    and the listings that were denied (the others are still asked: a policy may grant EC2 only);
    a malformed answer raises ``Malformed``."""
    out: list[Finding] = []
    denied: list[Denied] = []
    for kind in KINDS:
        try:
            for rec in _pages(api, kind.operation, kind.items):
                found = _finding(rec, kind, scope)
                if found is not None:
                    out.append(found)
        except Denied as exc:
            denied.append(exc)
    return out, denied


def _pages(api: Api, operation: str, key: str) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        answer = api.call("compute-optimizer", operation, **({"nextToken": token} if token else {}))
        items = answer.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Malformed(f"Compute Optimizer {operation} answered without a {key} list")
        yield from items
        token = answer.get("nextToken")
        if not token:
            return


def _finding(rec: dict[str, Any], kind: Kind, scope: Scope) -> Finding | None:
    arn = rec.get(kind.arn)
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise Malformed(f"Compute Optimizer recommendation without a valid {kind.arn}: {arn!r}")
    options = [o for o in rec.get(kind.options) or [] if isinstance(o, dict)]
    best = min(options, key=lambda o: o.get("rank", 99)) if options else {}
    money = (best.get("savingsOpportunity") or {}).get("estimatedMonthlySavings") or {}
    try:
        saving = float(money.get("value") or 0.0)
    except (TypeError, ValueError):
        raise Malformed(f"Compute Optimizer saving of {arn} is not a number: {money.get('value')!r}") from None
    verdict = str(rec.get(kind.verdict, ""))
    idle = str(rec.get("idle", "")) == "True"
    if kind.resource_type in ("ec2:instance", "rds:db"):
        if not (verdict == "Overprovisioned" or idle):
            return None  # Optimized, or Underprovisioned (needs more, saves nothing)
        target = best.get("instanceType") or best.get("dbInstanceClass")
        action = "stop" if idle else "downsize"
        advice = "stop or delete" if idle else f"downsize to {target}" if target else "downsize"
        current = rec.get("currentInstanceType") or rec.get("currentDBInstanceClass") or ""
        detail = f"{'idle' if idle else verdict} ({current})"
    else:
        if verdict != "NotOptimized" or saving <= 0:
            return None  # NotOptimized without a saving asks for more capacity
        if kind.resource_type == "ebs:volume":
            current = (rec.get("currentConfiguration") or {}).get("volumeType", "")
            target = (best.get("configuration") or {}).get("volumeType", "")
            advice = f"modify to {target}" if target else "modify"
        else:
            current = f"{rec.get('currentMemorySize', '?')} MB"
            advice = f"set memory to {best['memorySize']} MB" if best.get("memorySize") else "lower the memory"
        action, detail = "modify", f"{verdict} ({current})"
    resource = arn if kind.full_arn else arn.rsplit("/", 1)[-1]
    return cloud_finding(Finding(
        scope.provider, str(rec.get("accountId") or scope.account), scope.region, resource, kind.resource_type,
        RECOMMENDER_CHECK, f"Compute Optimizer: {detail}", advice, action=action,
        estimated_monthly_savings=saving, currency=str(money.get("currency") or "USD"), cost_source=SOURCE,
        sources=[SOURCE]))
