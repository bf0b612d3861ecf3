"""Documented GCP list prices for findings the cost records do not price (USD, us-central1, on demand).

Persistent disks bill per provisioned GB-month by type; a regional disk (two zones) bills twice the
zonal rate. A reserved external IPv4 address bills by the hour when nothing uses it. Public list
prices at the time of writing; the records win whenever they know the resource (docs/idle.md).

Predefined machine types bill per vCPU-hour plus per GB-hour of memory, at one rate pair per
family. ``MACHINE_RATES`` bundles the us-central1 on-demand pairs of the common families from the
Compute Engine VM-instance pricing page (as of ``PRICES_AS_OF``); the Cloud Billing Catalog API would
give every region but needs an API key or billing scope the scan does not ask for. The table is
honest about what it is: us-central1 rates (other regions list up to ~30 % higher), before sustained
use discounts (N1 up to 30 %, N2/N2D/C2 up to 20 % for a full month), and custom, shared-core
N1 (f1/g1) and unlisted families stay unpriced rather than guessed.
"""

from __future__ import annotations

import re

HOURS_PER_MONTH = 730.0

# Per GB-month, capacity (provisioned IOPS and throughput: ``DISK_PERFORMANCE``).
DISK_GB_MONTH: dict[str, float] = {
    "pd-standard": 0.04, "pd-balanced": 0.10, "pd-ssd": 0.17, "pd-extreme": 0.125,
    "hyperdisk-balanced": 0.06, "hyperdisk-extreme": 0.125, "hyperdisk-throughput": 0.005,
}
# Disk types billing provisioned performance on top: (USD per IOPS-month, IOPS included free,
# USD per MiB/s-month, MiB/s included free). Hyperdisk Balanced includes 3,000 IOPS and 140 MiB/s;
# pd-extreme and Hyperdisk Extreme bill every provisioned IOPS, Hyperdisk Throughput every MiB/s.
DISK_PERFORMANCE: dict[str, tuple[float, int, float, int]] = {
    "pd-extreme": (0.065, 0, 0.0, 0),
    "hyperdisk-extreme": (0.065, 0, 0.0, 0),
    "hyperdisk-balanced": (0.005, 3000, 0.04, 140),
    "hyperdisk-throughput": (0.0, 0, 0.25, 0),
}
STATIC_IP_HOURLY = 0.01  # external IPv4 reserved and not in use

PRICES_AS_OF = "2025"  # the rates cloud.google.com/compute/vm-instance-pricing published then; re-check to update
# Family -> (USD per vCPU-hour, USD per GB-hour of memory), us-central1, on demand.
MACHINE_RATES: dict[str, tuple[float, float]] = {
    "e2": (0.021811, 0.002923),
    "n1": (0.031611, 0.004237),
    "n2": (0.031611, 0.004237),
    "n2d": (0.027502, 0.003686),
    "c2": (0.03398, 0.00455),
}
# GB of memory per vCPU of each predefined class (n1-standard has 3.75 GB, the newer families 4).
MEMORY_PER_VCPU: dict[tuple[str, str], float] = {
    ("n1", "standard"): 3.75, ("n1", "highmem"): 6.5, ("n1", "highcpu"): 0.9,
    **{(family, "standard"): 4.0 for family in ("e2", "n2", "n2d", "c2")},
    **{(family, "highmem"): 8.0 for family in ("e2", "n2", "n2d")},
    **{(family, "highcpu"): 1.0 for family in ("e2", "n2", "n2d")},
}
# E2 shared-core types bill a fraction of a vCPU: (vCPUs billed, GB).
SHARED_CORE: dict[str, tuple[float, float]] = {"e2-micro": (0.25, 1.0), "e2-small": (0.5, 2.0),
                                                "e2-medium": (1.0, 4.0)}
_PREDEFINED = re.compile(r"^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$")


def disk_month(disk_type: str, gb: int, regional: bool = False, iops: int = 0, throughput: int = 0) -> float | None:
    """Monthly list price of a persistent disk or Hyperdisk: capacity plus the provisioned IOPS and
    throughput (``provisionedIops`` / ``provisionedThroughput``) its type bills above what it
    includes; None for a type not listed above."""
    rate = DISK_GB_MONTH.get(disk_type)
    if rate is None:
        return None
    total = rate * gb
    if disk_type in DISK_PERFORMANCE:
        per_iops, free_iops, per_mibps, free_mibps = DISK_PERFORMANCE[disk_type]
        total += per_iops * max(0, iops - free_iops) + per_mibps * max(0, throughput - free_mibps)
    return round(total * (2 if regional else 1), 2)


def machine_shape(machine_type: str) -> tuple[str, float, float] | None:
    """(family, billed vCPUs, GB of memory) of a predefined machine type such as ``n2-standard-4``."""
    if machine_type in SHARED_CORE:
        return ("e2", *SHARED_CORE[machine_type])
    match = _PREDEFINED.match(machine_type or "")
    if not match:
        return None  # custom-*, *-custom-*, f1-micro, g1-small, GPU/accelerator families...
    family, kind, vcpus = match.group(1), match.group(2), int(match.group(3))
    per_vcpu = MEMORY_PER_VCPU.get((family, kind))
    return (family, float(vcpus), vcpus * per_vcpu) if per_vcpu is not None else None


def machine_month(machine_type: str) -> float | None:
    """Monthly (730 h) on-demand price of a predefined machine type at us-central1 rates; None if not listed."""
    shape = machine_shape(machine_type)
    if shape is None or shape[0] not in MACHINE_RATES:
        return None
    family, vcpus, gb = shape
    per_vcpu, per_gb = MACHINE_RATES[family]
    return round((vcpus * per_vcpu + gb * per_gb) * HOURS_PER_MONTH, 2)


def static_ip_month() -> float:
    return STATIC_IP_HOURLY * HOURS_PER_MONTH
