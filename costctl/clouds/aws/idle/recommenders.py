"""AWS Compute Optimizer's recommendations as idle findings (merged by ``idle.recommendations``).

Compute Optimizer is regional, so each scanned region asks it once per resource kind, through the
region's ``Api`` (the provider's session, role chain and retry; ``idle.compute_optimizer_endpoint_url``
or the provider's ``endpoint_url`` overrides where it is). Only recommendations that save money
become findings: instances Compute Optimizer calls ``Overprovisioned`` or idle, volumes it calls
``NotOptimized`` with a positive saving (its other ``NotOptimized`` volumes need *more* capacity).
The saving is the rank-1 option's ``savingsOpportunity.estimatedMonthlySavings``. Nothing is cached:
a recommendation is a day's opinion, and a wrong answer must not outlive the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from costctl.clouds.aws.idle.api import Api
from costctl.errors import ProviderError
from costctl.idle.findings import Finding
from costctl.idle.recommendations import RECOMMENDER_CHECK, cloud_finding
from costctl.idle.scope import Scope

SOURCE = "compute-optimizer"
# operation, list key, ARN key, resource type
KINDS = (("GetEC2InstanceRecommendations", "instanceRecommendations", "instanceArn", "ec2:instance"),
         ("GetEBSVolumeRecommendations", "volumeRecommendations", "volumeArn", "ebs:volume"))


class Malformed(ProviderError):
    """Compute Optimizer answered something that is not a recommendation list."""


def findings(api: Api, scope: Scope) -> list[Finding]:
    """Money-saving recommendations for the region's instances and volumes (``Denied`` propagates
    for the caller to warn about; a malformed answer raises ``Malformed``)."""
    out: list[Finding] = []
    for operation, key, arn_key, rtype in KINDS:
        for rec in _pages(api, operation, key):
            found = _finding(rec, arn_key, rtype, scope)
            if found is not None:
                out.append(found)
    return out


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


def _finding(rec: dict[str, Any], arn_key: str, rtype: str, scope: Scope) -> Finding | None:
    arn = rec.get(arn_key)
    if not isinstance(arn, str) or "/" not in arn:
        raise Malformed(f"Compute Optimizer recommendation without a valid {arn_key}: {arn!r}")
    options = sorted(rec.get("recommendationOptions") or rec.get("volumeRecommendationOptions") or [],
                     key=lambda o: o.get("rank", 99) if isinstance(o, dict) else 99)
    best = options[0] if options else {}
    money = ((best.get("savingsOpportunity") or {}).get("estimatedMonthlySavings") or {})
    try:
        saving = float(money.get("value") or 0.0)
    except (TypeError, ValueError):
        raise Malformed(f"Compute Optimizer saving of {arn} is not a number: {money.get('value')!r}") from None
    verdict = str(rec.get("finding", ""))
    idle = str(rec.get("idle", "")) == "True"
    if rtype == "ec2:instance":
        if not (verdict == "Overprovisioned" or idle):
            return None
        target = best.get("instanceType")
        action = "stop" if idle else "downsize"
        advice = "stop or terminate" if idle else f"downsize to {target}" if target else "downsize"
        detail = f"{'idle' if idle else verdict} ({rec.get('currentInstanceType', '')})"
    else:
        if verdict != "NotOptimized" or saving <= 0:
            return None
        current = (rec.get("currentConfiguration") or {}).get("volumeType", "")
        target = (best.get("configuration") or {}).get("volumeType", "")
        action, advice = "modify", f"modify to {target}" if target else "modify"
        detail = f"{verdict} ({current})"
    return cloud_finding(Finding(
        scope.provider, str(rec.get("accountId") or scope.account), scope.region, arn.rsplit("/", 1)[1], rtype,
        RECOMMENDER_CHECK, f"Compute Optimizer: {detail}", advice, action=action,
        estimated_monthly_savings=saving, currency=str(money.get("currency") or "USD"), cost_source=SOURCE,
        sources=[SOURCE]))
