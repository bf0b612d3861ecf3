"""Documented GCP list prices for findings the cost records do not price (USD, us-central1, on demand).

Persistent disks bill per provisioned GB-month by type; a regional disk (two zones) bills twice the
zonal rate. A reserved external IPv4 address bills by the hour when nothing uses it. Public list
prices at the time of writing; the records win whenever they know the resource (docs/idle.md).
"""

from __future__ import annotations

HOURS_PER_MONTH = 730.0

# Per GB-month, capacity only (hyperdisk/extreme provisioned IOPS and throughput bill extra).
DISK_GB_MONTH: dict[str, float] = {
    "pd-standard": 0.04, "pd-balanced": 0.10, "pd-ssd": 0.17, "pd-extreme": 0.125,
    "hyperdisk-balanced": 0.06, "hyperdisk-extreme": 0.125, "hyperdisk-throughput": 0.005,
}
STATIC_IP_HOURLY = 0.01  # external IPv4 reserved and not in use


def disk_month(disk_type: str, gb: int, regional: bool = False) -> float | None:
    """Monthly list price of a persistent disk; None for a type not listed above."""
    rate = DISK_GB_MONTH.get(disk_type)
    if rate is None:
        return None
    return round(rate * gb * (2 if regional else 1), 2)


def static_ip_month() -> float:
    return STATIC_IP_HOURLY * HOURS_PER_MONTH
