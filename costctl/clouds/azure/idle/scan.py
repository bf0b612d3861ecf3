"""The Azure idle scan: every selected check in every subscription of one ``azure`` provider instance.

Subscriptions run in a bounded thread pool (``idle.max_workers``); inside one, the disks and VMs are
listed once and shared by the checks that need them. A check lacking a permission is skipped with
one warning naming the RBAC action; only a credential that cannot get a token at all fails the
whole provider instance (checked once, before the pool starts).

Idle VMs the cost records do not know are priced afterwards from the Retail Prices API, one lookup
per size, region and OS; a lookup that fails leaves those VMs unpriced with one warning per reason.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from costctl.clouds.azure.idle import compute as azure_compute
from costctl.clouds.azure.idle import network as azure_network
from costctl.clouds.azure.idle import recommenders as azure_recommenders
from costctl.clouds.azure.idle.api import Arm, endpoint_of, listed_subscriptions, subscriptions_of
from costctl.clouds.azure.idle.pricing import HOURS_PER_MONTH, PriceUnavailable, RetailPrices
from costctl.errors import Denied, ProviderError
from costctl.idle import savings
from costctl.idle.findings import Finding
from costctl.idle.recommendations import merge
from costctl.idle.report import Reporter, check_guard
from costctl.idle.scope import Scope
from costctl.idle.thresholds import Thresholds


def scan(name: str, settings: dict[str, Any], limits: Thresholds, wanted: set[str], now: datetime,
         costs: dict[str, tuple[float, str]], reporter: Reporter,
         store: MutableMapping[str, Any] | None = None, recommenders: bool = False) -> list[Finding]:
    """Findings of one ``azure`` provider instance, priced from records, Azure list or retail prices.

    ``store`` keeps Retail Prices answers across runs (``env.cache.store_view``); without it they
    last for this run only. ``recommenders``: each subscription's Azure Advisor cost
    recommendations are merged in.
    """
    from costctl.clouds.azure.auth import build_credential
    from costctl.clouds.azure.query import credential_error

    subscriptions = subscriptions_of(settings, limits.azure_subscriptions, name)
    endpoint = endpoint_of(settings)
    credential = build_credential(settings, f"providers.{name}")
    try:
        try:
            credential.get_token(f"{endpoint}/.default")
        except Exception as exc:  # azure-identity raises several types; all mean "no token"
            raise credential_error(name, exc) from None
        if isinstance(subscriptions, str):  # [*] or a management group scope: ask ARM which there are
            subscriptions = listed_subscriptions(credential, endpoint, subscriptions, name)
        reporter.start(name, len(subscriptions))

        def one(subscription: str) -> tuple[list[Finding], list[Finding]]:
            arm = Arm(credential, subscription, endpoint)
            scope = Scope(name, subscription, "", now, limits)
            try:
                found = scan_subscription(arm, scope, wanted, reporter)
                cloud = advisor(arm, scope, reporter) if recommenders else []
            finally:
                arm.close()
            reporter.advance(name, subscription)
            return found, cloud

        with ThreadPoolExecutor(max_workers=max(1, min(limits.max_workers, len(subscriptions)))) as pool:
            batches = list(pool.map(one, subscriptions))
        findings = [f for own, _ in batches for f in own]
        retail = RetailPrices(limits.azure_prices_endpoint, store, limits.pricing_ttl)
        priced = price_vms(savings.price(findings, costs, None), costs, retail, reporter, name)
        return merge(priced, [f for _, cloud in batches for f in cloud])
    finally:
        if hasattr(credential, "close"):
            credential.close()


def advisor(arm: Arm, scope: Scope, reporter: Reporter) -> list[Finding]:
    """The subscription's Advisor cost recommendations; none, and one warning, when denied or broken."""
    where = f"subscription {scope.account}"
    try:
        return azure_recommenders.findings(arm, scope)
    except Denied as exc:
        reporter.warn(f"{scope.provider}: {azure_recommenders.SOURCE} recommendations skipped in {where}: "
                      f"grant {exc.permission}")
    except ProviderError as exc:
        reporter.warn(f"{scope.provider}: {azure_recommenders.SOURCE} recommendations failed in {where}: "
                      f"{' '.join(str(exc).split())}")
    return []


def price_vms(findings: list[Finding], costs: dict[str, tuple[float, str]], retail: RetailPrices,
              reporter: Reporter, name: str) -> list[Finding]:
    """Price the VMs still unpriced after the records from the Retail Prices API (730 h a month)."""
    unpriced: dict[str, list[str]] = {}  # reason -> VM names
    for f in findings:
        hints = f.price_hints
        if f.monthly_cost is not None or hints.get("kind") != "azure_vm":
            continue
        try:
            hourly = retail.vm_hourly(hints["size"], f.region, hints["os"])
        except PriceUnavailable as exc:
            unpriced.setdefault(str(exc), []).append(f.resource_id.rsplit("/", 1)[-1])
            continue
        f.price_hints = {"kind": "monthly", "amount": hourly * HOURS_PER_MONTH, "source": "pricing"}
        savings.price([f], costs, None)
    for reason, vms in unpriced.items():
        shown = ", ".join(vms[:3]) + (f" and {len(vms) - 3} more" if len(vms) > 3 else "")
        reporter.warn(f"{name}: {len(vms)} idle VM(s) left unpriced ({shown}): {reason}")
    return findings


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
