"""Documented Azure list prices for findings the cost records do not price (USD, East US, pay-as-you-go).

Managed disks bill by tier, not by GB: a disk costs the price of the smallest tier of its SKU that
holds its size (a 300 GiB Premium SSD is a P20, 512 GiB). Public IPs bill by the hour. These are
the public list prices at the time of writing, rounded to the cent; the records (``ResourceId``)
win whenever they know the resource, and docs/idle.md says where these come from.
"""

from __future__ import annotations

from bisect import bisect_left

HOURS_PER_MONTH = 730.0

# Tier sizes in GiB, shared by the three tiered SKU families.
TIER_GIB = (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767)
# Monthly price of each tier above (P1..P80, E1..E80, S4 from 32 GiB down, ..S80).
DISK_TIERS: dict[str, tuple[float, ...]] = {
    "Premium": (0.77, 1.54, 3.08, 5.28, 10.21, 19.71, 38.02, 73.22, 135.17, 259.05, 495.57, 946.08, 1802.24,
                3604.48),
    "StandardSSD": (0.30, 0.60, 1.20, 2.40, 4.80, 9.60, 19.20, 38.40, 76.80, 153.60, 307.20, 614.40, 1228.80,
                    2457.60),
    "Standard": (1.54, 1.54, 1.54, 1.54, 3.01, 5.89, 11.33, 21.76, 40.96, 77.83, 143.36, 262.14, 524.29,
                 1048.58),
}
ZRS_FACTOR = 1.5  # zone-redundant disks list at about 1.5 times their LRS tier
PREMIUM_V2_GIB_MONTH = 0.0812  # capacity only: provisioned IOPS/throughput above the free baseline bill extra
PUBLIC_IP_HOURLY = {"standard": 0.005, "basic": 0.0036}


def disk_month(sku: str, size_gib: int) -> float | None:
    """Monthly list price of a managed disk of ``sku`` (e.g. ``Premium_LRS``) and size; None when unknown."""
    family, _, redundancy = (sku or "").partition("_")
    if family == "PremiumV2":
        return round(PREMIUM_V2_GIB_MONTH * size_gib, 2)
    prices = DISK_TIERS.get(family)
    if prices is None or size_gib <= 0:
        return None  # UltraSSD and unknown SKUs bill by provisioned performance: leave to the records
    tier = min(bisect_left(TIER_GIB, size_gib), len(TIER_GIB) - 1)
    return round(prices[tier] * (ZRS_FACTOR if redundancy == "ZRS" else 1.0), 2)


def public_ip_month(sku: str) -> float:
    """Monthly price of a static public IPv4 address of SKU ``Basic`` or ``Standard``."""
    return PUBLIC_IP_HOURLY.get((sku or "standard").lower(), PUBLIC_IP_HOURLY["standard"]) * HOURS_PER_MONTH
