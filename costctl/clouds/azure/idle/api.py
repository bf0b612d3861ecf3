"""Azure Resource Manager calls for the idle scan: clients per subscription, paging, missing permissions.

Credentials are the ``azure`` provider's own (``azure_auth.build_credential``: default, service
principal or managed identity) and the Resource Manager URL is its ``endpoint`` setting, so a
sovereign cloud or a local test server works the same way. Resource Manager refuses nothing over
plain http, but azure-core's bearer-token policy does: ``enforce_https=False`` is passed on every
call only when the endpoint itself is ``http://`` (a local stand-in), as ``azure_query`` does.

A 403 becomes ``Denied`` naming the Azure RBAC action, so the check that needed it is skipped with
one warning (issue 8, item 7) while the other checks of the subscription still run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from costctl.errors import Denied, ProviderError

ARM_ENDPOINT = "https://management.azure.com"

# What each listing needs (Azure RBAC actions; the built-in Reader role has all of them).
PERMISSIONS = {
    "disks": "Microsoft.Compute/disks/read",
    "virtual_machines": "Microsoft.Compute/virtualMachines/read",
    "instance_view": "Microsoft.Compute/virtualMachines/instanceView/read",
    "metrics": "Microsoft.Insights/metrics/read",
    "public_ips": "Microsoft.Network/publicIPAddresses/read",
    "advisor": "Microsoft.Advisor/recommendations/read",
    "subscriptions": "Microsoft.Resources/subscriptions/read",
    "management_group_subscriptions": "Microsoft.Management/managementGroups/subscriptions/read",
}


def text(value: Any) -> str:
    """An SDK enum (or plain string) as its wire value: f-strings would print ``DiskState.UNATTACHED``."""
    return str(getattr(value, "value", value) or "")


def endpoint_of(settings: dict[str, Any]) -> str:
    return (settings.get("endpoint") or ARM_ENDPOINT).rstrip("/")


ALL = "*"  # idle.azure_subscriptions: [*] scans every subscription the credential can see
SUBSCRIPTIONS_API = "2022-12-01"
MANAGEMENT_GROUPS_API = "2021-04-01"


def subscriptions_of(settings: dict[str, Any], configured: list[str], name: str) -> list[str] | str:
    """``idle.azure_subscriptions``, else the subscription of the provider's Cost Management scope.

    Or, as an ARM path to list them from once a credential is at hand (``listed_subscriptions``):
    ``/subscriptions`` for ``[*]`` (every subscription the credential sees), and a management
    group's subscriptions when that group is the provider's scope.
    """
    if configured == [ALL]:
        return "/subscriptions"
    if ALL in configured:
        raise ProviderError(f"{name}: idle.azure_subscriptions: '*' (every visible subscription) stands alone; "
                            "list ids or give [*]")
    if configured:
        return list(configured)
    scope = str(settings.get("scope") or "").strip("/")
    parts = scope.split("/")
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return [parts[1]]
    if len(parts) == 4 and parts[:3] == ["providers", "Microsoft.Management", "managementGroups"]:
        return f"/providers/Microsoft.Management/managementGroups/{parts[3]}/subscriptions"
    raise ProviderError(f"{name}: its scope {scope or '(none)'!r} names no subscription; list the subscriptions "
                        "to scan under idle.azure_subscriptions, or give [*] for every one the credential sees")


def listed_subscriptions(credential: Any, endpoint: str, path: str, name: str) -> list[str]:
    """The enabled subscriptions under an ARM listing path (``subscriptions_of``), every page.

    ``/subscriptions`` answers ``subscriptionId`` and ``state`` (Enabled, Warned, PastDue, Disabled,
    Deleted); a management group's answers the id as ``name`` and ``properties.state`` (Active...).
    Disabled and deleted subscriptions hold nothing to scan and refuse reads.
    """
    from azure.core.rest import HttpRequest

    group = path != "/subscriptions"
    what = "management_group_subscriptions" if group else "subscriptions"
    arm = Arm(credential, "-", endpoint)
    found: list[str] = []
    try:
        request: Any = HttpRequest("GET", path, params={
            "api-version": MANAGEMENT_GROUPS_API if group else SUBSCRIPTIONS_API})
        for _ in range(1000):
            response = arm.call(what, _send_raising, arm, request)
            try:
                answer = response.json()
            except ValueError:
                raise ProviderError(f"{name}: the subscription listing {path} answered something that is not "
                                    "JSON; try again later") from None
            items = answer.get("value") if isinstance(answer, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ProviderError(f"{name}: the subscription listing {path} answered without a value list; "
                                    "try again later")
            for item in items:
                props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
                sub = item.get("name") if group else item.get("subscriptionId")
                state = str((props.get("state") if group else item.get("state")) or "")
                if not isinstance(sub, str) or not sub:
                    raise ProviderError(f"{name}: the subscription listing {path} answered an entry without an id")
                if state.lower() not in ("disabled", "deleted"):
                    found.append(sub)
            link = answer.get("nextLink")
            if not link:
                break
            request = HttpRequest("GET", link)
    except Denied as exc:
        raise ProviderError(f"{name}: may not list its subscriptions: grant {exc.permission}, or list them under "
                            "idle.azure_subscriptions") from None
    finally:
        arm.close()
    if not found:
        raise ProviderError(f"{name}: {path} lists no enabled subscription for this credential; give it Reader on "
                            "the subscriptions to scan, or list them under idle.azure_subscriptions")
    return list(dict.fromkeys(found))


def _send_raising(arm: Arm, request: Any, enforce_https: bool = True) -> Any:
    """One request through the Compute client's pipeline (it carries the credential); HTTP errors raise."""
    response = arm.compute.send_request(request, enforce_https=enforce_https)
    response.raise_for_status()
    return response


class Arm:
    """The three management clients of one subscription, sharing one credential."""

    def __init__(self, credential: Any, subscription: str, endpoint: str) -> None:
        from azure.mgmt.compute import ComputeManagementClient
        from azure.mgmt.monitor import MonitorManagementClient
        from azure.mgmt.network import NetworkManagementClient

        self.subscription = subscription
        self.enforce_https = not endpoint.startswith("http://")
        from costctl.clouds.azure.auth import transport_timeouts

        common = {"base_url": endpoint, "credential_scopes": [f"{endpoint}/.default"], "retry_total": 3,
                  **transport_timeouts()}
        self.compute = ComputeManagementClient(credential, subscription, **common)
        self.network = NetworkManagementClient(credential, subscription, **common)
        self.monitor = MonitorManagementClient(credential, subscription, **common)

    def pages(self, what: str, listing: Callable[..., Iterable[Any]], **params: Any) -> Iterator[Any]:
        """Every item of a paged listing (the SDK follows ``nextLink``), 403 turned into ``Denied``."""
        try:
            yield from listing(**params, enforce_https=self.enforce_https)
        except Exception as exc:  # noqa: BLE001 - azure-core raises one family; mapped below
            raise translate(exc, what) from exc

    def call(self, what: str, operation: Callable[..., Any], *args: Any, **params: Any) -> Any:
        try:
            return operation(*args, **params, enforce_https=self.enforce_https)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, what) from exc

    def close(self) -> None:
        for client in (self.compute, self.network, self.monitor):
            client.close()


def translate(exc: Exception, what: str) -> Exception:
    """``Denied`` for 403, ProviderError with the service's one-line message for other HTTP errors."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        from costctl.clouds.azure.query import credential_error

        return credential_error("Azure", exc)
    if isinstance(exc, HttpResponseError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or ""
        message = " ".join(str(getattr(error, "message", None) or exc.message or exc).split())[:200]
        if exc.status_code == 403 or code in ("AuthorizationFailed", "LinkedAuthorizationFailed"):
            return Denied(PERMISSIONS.get(what, what), message)
        return ProviderError(f"{what} listing failed (HTTP {exc.status_code} {code}: {message})".replace(" :", ":"))
    return exc
