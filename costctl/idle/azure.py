"""The Azure idle scan: every selected check in every subscription of one ``azure`` provider instance.

Subscriptions run in a bounded thread pool (``idle.max_workers``); inside one, the disks and VMs are
listed once and shared by the checks that need them. A check lacking a permission is skipped with
one warning naming the RBAC action; only a credential that cannot get a token at all fails the
whole provider instance (checked once, before the pool starts).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from costctl.errors import ProviderError
from costctl.idle import azure_compute, azure_network, savings
from costctl.idle.azure_api import Arm, endpoint_of, subscriptions_of
from costctl.idle.findings import Finding
from costctl.idle.report import Reporter, check_guard
from costctl.idle.scope import Scope
from costctl.idle.thresholds import Thresholds


def scan(name: str, settings: dict[str, Any], limits: Thresholds, wanted: set[str], now: datetime,
         costs: dict[str, tuple[float, str]], reporter: Reporter) -> list[Finding]:
    """Findings of one ``azure`` provider instance, priced from records or Azure list prices."""
    from costctl.providers.azure_auth import build_credential
    from costctl.providers.azure_query import credential_error

    subscriptions = subscriptions_of(settings, limits.azure_subscriptions, name)
    endpoint = endpoint_of(settings)
    credential = build_credential(settings, f"providers.{name}")
    try:
        try:
            credential.get_token(f"{endpoint}/.default")
        except Exception as exc:  # azure-identity raises several types; all mean "no token"
            raise credential_error(name, exc) from None
        reporter.start(name, len(subscriptions))

        def one(subscription: str) -> list[Finding]:
            arm = Arm(credential, subscription, endpoint)
            try:
                found = scan_subscription(arm, Scope(name, subscription, "", now, limits), wanted, reporter)
            finally:
                arm.close()
            reporter.advance(name, subscription)
            return found

        with ThreadPoolExecutor(max_workers=max(1, min(limits.max_workers, len(subscriptions)))) as pool:
            findings = [f for batch in pool.map(one, subscriptions) for f in batch]
        return savings.price(findings, costs, None)
    finally:
        if hasattr(credential, "close"):
            credential.close()


def scan_subscription(arm: Arm, scope: Scope, wanted: set[str], reporter: Reporter) -> list[Finding]:
    """Every wanted check in one subscription; a failing check becomes a warning."""
    found: list[Finding] = []

    guarded = check_guard(wanted, reporter, scope.provider, f"subscription {scope.account}")

    # Disks serve disk_unattached and, optionally, vm_stopped (exact sizes, deallocation times); without
    # them vm_stopped still works from the VM's storage profile and instance view.
    disks: dict[str, Any] = {}
    if "disk_unattached" in wanted:
        disks = guarded({"disk_unattached"}, lambda: azure_compute.disk_map(arm)) or {}
        found.extend(azure_compute.unattached(disks, scope))
    elif "vm_stopped" in wanted:
        try:
            disks = azure_compute.disk_map(arm)
        except ProviderError:
            disks = {}
    vms = guarded({"vm_stopped", "vm_idle"}, lambda: azure_compute.virtual_machines(arm)) or []
    if vms:
        guarded({"vm_stopped"}, lambda: found.extend(azure_compute.deallocated(vms, disks, scope)))
        guarded({"vm_idle"}, lambda: found.extend(azure_compute.idle(arm, vms, scope)))
    guarded({"ip_unassociated"}, lambda: found.extend(azure_network.public_ips(arm, scope)))
    return found
