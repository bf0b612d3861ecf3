"""Azure Advisor's cost recommendations as idle findings (merged by ``idle.recommendations``).

One ``GET /subscriptions/{id}/providers/Microsoft.Advisor/recommendations`` per subscription,
filtered to ``Category eq 'Cost'``, sent through the subscription's Compute client pipeline (the
provider's credential, endpoint and ``enforce_https`` rule, as every other ARM call of the scan) and
followed across ``nextLink`` pages. Recommendations about the subscription itself (buy a
reservation or savings plan) are commitments, not idle resources, and are left to
``costctl commitments``. The saving is ``extendedProperties.savingsAmount`` (monthly), else a
twelfth of ``annualSavingsAmount``. Nothing is cached.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from costctl.clouds.azure.idle.api import Arm
from costctl.errors import ProviderError
from costctl.idle.findings import Finding
from costctl.idle.recommendations import RECOMMENDER_CHECK, cloud_finding
from costctl.idle.scope import Scope

SOURCE = "advisor"
API_VERSION = "2023-01-01"


class Malformed(ProviderError):
    """Advisor answered something that is not a recommendation list."""


def findings(arm: Arm, scope: Scope) -> list[Finding]:
    """The subscription's Advisor cost recommendations about single resources (``Denied`` and
    ``Malformed`` propagate for the caller to warn about)."""
    out = []
    for item in _pages(arm):
        found = _finding(item, scope)
        if found is not None:
            out.append(found)
    return out


def _pages(arm: Arm) -> Iterator[dict[str, Any]]:
    from azure.core.rest import HttpRequest

    request: HttpRequest | None = HttpRequest(
        "GET", f"/subscriptions/{arm.subscription}/providers/Microsoft.Advisor/recommendations",
        params={"api-version": API_VERSION, "$filter": "Category eq 'Cost'"})
    while request is not None:
        response = arm.call("advisor", _send, arm, request)
        try:
            answer = response.json()
        except ValueError:
            raise Malformed("Azure Advisor answered something that is not JSON") from None
        items = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Malformed("Azure Advisor answered without a value list of recommendations")
        yield from items
        link = answer.get("nextLink")
        request = HttpRequest("GET", link) if link else None


def _send(arm: Arm, request: Any, enforce_https: bool = True) -> Any:
    """One request through the Compute client's pipeline; an HTTP error raises for ``translate``."""
    response = arm.compute.send_request(request, enforce_https=enforce_https)
    response.raise_for_status()
    return response


def _finding(item: dict[str, Any], scope: Scope) -> Finding | None:
    props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
    resource = str((props.get("resourceMetadata") or {}).get("resourceId") or props.get("impactedValue") or "")
    if not resource:
        raise Malformed(f"Azure Advisor recommendation {item.get('id', '?')} names no resource")
    if resource.rstrip("/").lower() == f"/subscriptions/{scope.account}".lower():
        return None  # a reservation or savings plan to buy: a commitment, not an idle resource
    extended = props.get("extendedProperties") or {}
    try:
        monthly = extended.get("savingsAmount")
        saving = float(monthly) if monthly not in (None, "") else float(extended.get("annualSavingsAmount") or 0) / 12
    except (TypeError, ValueError):
        raise Malformed(f"Azure Advisor saving of {resource} is not a number: "
                        f"{extended.get('savingsAmount')!r}") from None
    short = props.get("shortDescription") or {}
    problem, solution = str(short.get("problem") or "cost recommendation"), str(short.get("solution") or "")
    return cloud_finding(Finding(
        scope.provider, scope.account, str(extended.get("region") or scope.region), resource,
        str(props.get("impactedField") or "azure:resource"), RECOMMENDER_CHECK, f"Advisor: {problem}",
        solution or problem, action="modify", estimated_monthly_savings=saving,
        currency=str(extended.get("savingsCurrency") or "USD"), cost_source=SOURCE, sources=[SOURCE]))
