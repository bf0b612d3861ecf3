"""Compute Engine checks: unattached persistent disks, long-stopped instances with disks, idle instances,
reserved external IPs not in use.

Each listing is one ``aggregatedList`` per project (every zone and region at once). Idle CPU comes
from one Cloud Monitoring ``timeSeries.list`` per project: ``compute.googleapis.com/instance/cpu/
utilization`` (a 0..1 fraction) aligned to daily means, so an instance's figure is the mean of its
daily averages, as on AWS and Azure. Finding ids are resource paths (``projects/P/zones/Z/disks/D``);
an instance's recorded cost is looked up by the billing export's global name, which carries the
numeric instance id, not its name (a boot disk is usually named like its instance).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from costctl.clouds.gcp.idle import pricing as gcp_pricing
from costctl.clouds.gcp.idle.api import Gce, last_segment, path_of
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope

CPU_METRIC = "compute.googleapis.com/instance/cpu/utilization"


def when(stamp: str) -> datetime | None:
    """An RFC 3339 timestamp of the Compute API (``2024-01-02T03:04:05.678-08:00``), or None."""
    return datetime.fromisoformat(stamp) if stamp else None


def region_of(item: Any) -> str:
    """Region of a zonal or regional resource (``us-central1-a`` -> ``us-central1``)."""
    if getattr(item, "region", ""):
        return last_segment(item.region)
    return last_segment(getattr(item, "zone", "")).rsplit("-", 1)[0]


def disk_map(gce: Gce, project: str) -> dict[str, Any]:
    """Every persistent disk of the project by resource path."""
    return {path_of(d.self_link): d for d in gce.aggregated("disks", gce.disks, project)}


def _price(disk: Any) -> float | None:
    return gcp_pricing.disk_month(last_segment(disk.type_), int(disk.size_gb or 0), regional=bool(disk.region),
                                  iops=int(disk.provisioned_iops or 0),
                                  throughput=int(disk.provisioned_throughput or 0))


def _describe(disk: Any) -> str:
    """``500 GB hyperdisk-balanced, 20000 IOPS, 600 MiB/s``: the provisioned performance of the types that bill it."""
    kind = last_segment(disk.type_)
    text = f"{disk.size_gb} GB {kind}"
    if kind in gcp_pricing.DISK_PERFORMANCE:
        per_iops, _free, per_mibps, _free_mibps = gcp_pricing.DISK_PERFORMANCE[kind]
        if per_iops and disk.provisioned_iops:
            text += f", {disk.provisioned_iops} IOPS"
        if per_mibps and disk.provisioned_throughput:
            text += f", {disk.provisioned_throughput} MiB/s"
    return text


def unattached(disks: dict[str, Any], scope: Scope) -> Iterator[Finding]:
    """``disk_unattached``: disks without users, detached (or created) longer ago than the limit."""
    for path, disk in disks.items():
        if list(disk.users):
            continue
        age = scope.age_days(when(disk.last_detach_timestamp) or when(disk.creation_timestamp))
        if age is not None and age <= scope.limits.unattached_days:
            continue
        price = _price(disk)
        since = f"unattached {age:.0f} d, " if age is not None else "unattached, "
        yield Finding(
            scope.provider, scope.account, region_of(disk), path, "gce:disk", "disk_unattached",
            f"{since}{_describe(disk)}", "snapshot if needed, then delete",
            action="delete", price_hints={"kind": "monthly", "amount": price} if price is not None else {},
        )


def instances(gce: Gce, project: str) -> list[Any]:
    return list(gce.aggregated("instances", gce.instances, project))


def _global_name(inst: Any) -> str:
    zone = last_segment(inst.zone)
    project = path_of(inst.self_link).split("/")[1]
    return f"//compute.googleapis.com/projects/{project}/zones/{zone}/instances/{inst.id}"


def stopped(found: list[Any], disks: dict[str, Any], scope: Scope) -> Iterator[Finding]:
    """``vm_stopped``: instances stopped (TERMINATED) longer than the limit that still hold disks."""
    for inst in found:
        held = [path_of(d.source) for d in inst.disks if d.source]
        if inst.status != "TERMINATED" or not held:
            continue
        age = scope.age_days(when(inst.last_stop_timestamp))
        if age is None or age <= scope.limits.stopped_days:
            continue
        known = [disks[p] for p in held if p in disks]
        sizes = [int(d.size_gb or 0) for d in known] if len(known) == len(held) else \
            [int(d.disk_size_gb or 0) for d in inst.disks if d.source]
        prices = [_price(d) for d in known] if len(known) == len(held) else [None]
        yield Finding(
            scope.provider, scope.account, region_of(inst), path_of(inst.self_link), "gce:instance", "vm_stopped",
            f"stopped {age:.0f} d, {len(held)} disk(s), {sum(sizes)} GB ({last_segment(inst.machine_type)})",
            "snapshot the disks if needed, then delete the instance and its disks", action="delete",
            price_hints={"kind": "monthly", "amount": sum(prices)} if None not in prices else {},
            cost_ids=held,
        )


def idle(gce: Gce, found: list[Any], scope: Scope) -> Iterator[Finding]:
    """``vm_idle``: running instances whose mean daily CPU utilization is below the limit.

    An instance without any datapoint is not judged (no figure, no finding).
    """
    lim = scope.limits
    running = [inst for inst in found if inst.status == "RUNNING"]
    if not running:
        return
    cpu = daily_cpu(gce, scope.account, scope.now, lim.cpu_idle_days)
    for inst in running:
        days = cpu.get(str(inst.id))
        if not days:
            continue
        avg = 100.0 * sum(days) / len(days)
        if avg >= lim.cpu_idle_percent:
            continue
        machine = last_segment(inst.machine_type)
        price = gcp_pricing.machine_month(machine)
        yield Finding(
            scope.provider, scope.account, region_of(inst), path_of(inst.self_link), "gce:instance", "vm_idle",
            f"avg CPU {avg:.1f} % over {lim.cpu_idle_days} d ({machine})",
            f"stop or delete {inst.name}", action="stop", cost_ids=[_global_name(inst)],
            price_hints={"kind": "monthly", "amount": price} if price is not None else
            {"kind": "gce_machine", "machine": machine},
        )


def daily_cpu(gce: Gce, project: str, now: datetime, days: int) -> dict[str, list[float]]:
    """Instance id -> daily mean CPU utilization (0..1) over the last ``days`` days, one request per project."""
    from google.cloud import monitoring_v3

    start = now - timedelta(days=days)
    request = {
        "name": f"projects/{project}",
        "filter": f'metric.type = "{CPU_METRIC}" AND resource.type = "gce_instance"',
        "interval": {"start_time": start, "end_time": now},
        "aggregation": {"alignment_period": timedelta(days=1),
                        "per_series_aligner": monitoring_v3.Aggregation.Aligner.ALIGN_MEAN},
        "view": monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
    }
    out: dict[str, list[float]] = {}
    for series in gce.time_series(request):
        values = out.setdefault(str(series.resource.labels.get("instance_id", "")), [])
        values.extend(p.value.double_value for p in series.points)
    return out


def addresses(gce: Gce, project: str, scope: Scope) -> Iterator[Finding]:
    """``ip_unassociated``: reserved external addresses that nothing uses (internal ones are free)."""
    for addr in gce.aggregated("addresses", gce.addresses, project):
        if addr.status != "RESERVED" or (addr.address_type or "EXTERNAL") != "EXTERNAL":
            continue
        yield Finding(
            scope.provider, scope.account, last_segment(addr.region) or "global", path_of(addr.self_link),
            "gce:address", "ip_unassociated", f"{addr.address} reserved, not in use", "release", action="delete",
            price_hints={"kind": "monthly", "amount": gcp_pricing.static_ip_month()},
        )
