"""Azure Compute checks: unattached managed disks, long-deallocated VMs still holding disks, idle VMs.

Two VM listings are joined by id: ``virtualMachines`` (size, storage profile) and the same listing
with ``statusOnly=true`` (the instance view: power state and the time of the last completed
operation), because only the second carries the power state and only the first is documented to
carry the full model. When a VM was deallocated is read from its disks' ``lastOwnershipUpdateTime``
(Azure sets it when the owning VM is deallocated or started), else from the instance view's
provisioning-state time (the deallocation was the last operation).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from costctl.clouds.azure.idle import pricing as azure_pricing
from costctl.clouds.azure.idle.api import Arm, text
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope

CPU_METRIC = "Percentage CPU"


def disk_map(arm: Arm) -> dict[str, Any]:
    """Every managed disk of the subscription by lower-cased id (one paged listing for both checks)."""
    return {d.id.lower(): d for d in arm.pages("disks", arm.compute.disks.list)}


def unattached(disks: dict[str, Any], scope: Scope) -> Iterator[Finding]:
    """``disk_unattached``: disks in state Unattached for longer than the limit.

    ``lastOwnershipUpdateTime`` is the detach time; a disk never attached has only ``timeCreated``.
    A disk of a deallocated VM is ``Reserved``, not Unattached: ``vm_stopped`` reports it with its VM.
    """
    for disk in disks.values():
        if text(disk.disk_state).lower() != "unattached" or disk.managed_by:
            continue
        age = scope.age_days(disk.last_ownership_update_time or disk.time_created)
        if age is not None and age <= scope.limits.unattached_days:
            continue
        sku, gib = text(disk.sku.name if disk.sku else ""), int(disk.disk_size_gb or 0)
        since = f"unattached {age:.0f} d, " if age is not None else "unattached, "
        iops, mbps = performance(disk)
        price = azure_pricing.disk_month(sku, gib, iops, mbps)
        billed = f", {iops} IOPS, {mbps} MB/s" if sku.partition("_")[0] in azure_pricing.PROVISIONED else ""
        yield Finding(
            scope.provider, scope.account, disk.location or scope.region, disk.id, "azure:disk", "disk_unattached",
            f"{since}{gib} GiB {sku}{billed}", "snapshot if needed, then delete", action="delete",
            price_hints={"kind": "monthly", "amount": price} if price is not None else {},
        )


def performance(disk: Any) -> tuple[int, int]:
    """(IOPS, MB/s) a disk is provisioned with; 0 when the listing does not say (or the disk is unknown)."""
    if disk is None:
        return 0, 0
    return int(getattr(disk, "disk_iops_read_write", 0) or 0), int(getattr(disk, "disk_m_bps_read_write", 0) or 0)


def virtual_machines(arm: Arm) -> list[tuple[Any, Any]]:
    """(model, instance view) of every VM in the subscription."""
    models = list(arm.pages("virtual_machines", arm.compute.virtual_machines.list_all))
    views = {vm.id.lower(): vm.instance_view
             for vm in arm.pages("instance_view", arm.compute.virtual_machines.list_all, status_only="true")}
    return [(vm, views.get(vm.id.lower())) for vm in models]


def power_state(view: Any) -> tuple[str, datetime | None]:
    """(power state such as ``running`` or ``deallocated``, time of the last completed operation)."""
    state, when = "", None
    for status in getattr(view, "statuses", None) or []:
        code = text(status.code)
        if code.startswith("PowerState/"):
            state = code.split("/", 1)[1].lower()
        elif code.startswith("ProvisioningState/"):
            when = status.time
    return state, when


def _vm_disks(vm: Any) -> list[tuple[str, str, int]]:
    """(disk id, SKU, GiB) of the VM's managed OS and data disks, from its storage profile."""
    profile = vm.storage_profile
    out = []
    for disk in [profile.os_disk, *(profile.data_disks or [])] if profile else []:
        managed = disk.managed_disk if disk else None
        if managed is not None and managed.id:
            out.append((managed.id, text(managed.storage_account_type), int(disk.disk_size_gb or 0)))
    return out


def deallocated(vms: list[tuple[Any, Any]], disks: dict[str, Any], scope: Scope) -> Iterator[Finding]:
    """``vm_stopped``: VMs deallocated longer than the limit whose managed disks still bill."""
    for vm, view in vms:
        state, operated = power_state(view)
        held = _vm_disks(vm)
        if state != "deallocated" or not held:
            continue
        owned = [disks[i.lower()].last_ownership_update_time for i, _s, _g in held
                 if i.lower() in disks and disks[i.lower()].last_ownership_update_time]
        age = scope.age_days(max(owned) if owned else operated)
        if age is None or age <= scope.limits.stopped_days:
            continue
        sizes = [(_sku(disks.get(i.lower()), sku), _gib(disks.get(i.lower()), gib)) for i, sku, gib in held]
        prices = [azure_pricing.disk_month(sku, gib, *performance(disks.get(i.lower())))
                  for (i, _s, _g), (sku, gib) in zip(held, sizes, strict=True)]
        yield Finding(
            scope.provider, scope.account, vm.location or scope.region, vm.id, "azure:vm", "vm_stopped",
            f"deallocated {age:.0f} d, {len(held)} managed disk(s), {sum(g for _s, g in sizes)} GiB",
            "snapshot the disks if needed, then delete the VM and its disks", action="delete",
            price_hints={"kind": "monthly", "amount": sum(prices)} if None not in prices else {},
            cost_ids=[i for i, _s, _g in held],
        )


def _sku(disk: Any, fallback: str) -> str:
    return text(disk.sku.name if disk is not None and disk.sku else "") or fallback


def _gib(disk: Any, fallback: int) -> int:
    return int(disk.disk_size_gb or 0) if disk is not None and disk.disk_size_gb else fallback


def idle(arm: Arm, vms: list[tuple[Any, Any]], scope: Scope) -> Iterator[Finding]:
    """``vm_idle``: running VMs whose mean of daily average ``Percentage CPU`` is below the limit.

    A VM without any datapoint is not judged (no figure, no finding), as on AWS.
    """
    lim = scope.limits
    for vm, view in vms:
        if power_state(view)[0] != "running":
            continue
        avg = average_cpu(arm, vm.id, scope.now, lim.cpu_idle_days)
        if avg is None or avg >= lim.cpu_idle_percent:
            continue
        size = text(vm.hardware_profile.vm_size if vm.hardware_profile else "")
        yield Finding(
            scope.provider, scope.account, vm.location or scope.region, vm.id, "azure:vm", "vm_idle",
            f"avg CPU {avg:.1f} % over {lim.cpu_idle_days} d ({size})", f"deallocate or delete {vm.name}",
            action="stop", price_hints={"kind": "azure_vm", "size": size, "os": billed_os(vm)} if size else {},
        )


def billed_os(vm: Any) -> str:
    """``Windows`` or ``Linux``: which meter the VM's compute bills on.

    A Windows VM under Azure Hybrid Benefit (``licenseType`` ``Windows_Server``/``Windows_Client``)
    brings its own license and bills the base (Linux) meter.
    """
    profile = vm.storage_profile
    os_type = text(profile.os_disk.os_type if profile and profile.os_disk else "")
    if os_type.lower() == "windows" and not (vm.license_type or "").startswith("Windows_"):
        return "Windows"
    return "Linux"


def average_cpu(arm: Arm, resource_id: str, now: datetime, days: int) -> float | None:
    """Mean of the daily averages of ``Percentage CPU`` over the last ``days`` days (None: no data)."""
    start = now - timedelta(days=days)
    span = f"{start.strftime('%Y-%m-%dT%H:%M:%SZ')}/{now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    answer = arm.call("metrics", arm.monitor.metrics.list, resource_id.lstrip("/"), timespan=span,
                      interval="P1D", metricnames=CPU_METRIC, aggregation="Average")
    values = [point.average for metric in answer.value or [] for series in metric.timeseries or []
              for point in series.data or [] if point.average is not None]
    return sum(values) / len(values) if values else None
