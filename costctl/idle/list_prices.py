"""Public list prices bundled with costctl: the last resort when neither the cost records nor a
cloud's price API can price a finding (``savings``, ``cost_source: list``).

Plain data, cloud-neutral code: ``savings`` prices the flat-rate hint kinds from here without
importing any cloud's package, and the AWS pricer falls back to the same table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

HOURS_PER_MONTH = 730.0  # the month the clouds' hourly list prices are quoted against

# Public on-demand prices (us-east-1, USD), the documented fallback: per GB-month for storage,
# per hour for the rest.
LIST: dict[str, float] = {
    "ebs:gp2": 0.10, "ebs:gp3": 0.08, "ebs:io1": 0.125, "ebs:io2": 0.125, "ebs:st1": 0.045, "ebs:sc1": 0.015,
    "ebs:standard": 0.05, "ebs:snapshot": 0.05,
    "elastic_ip": 0.005, "nat_gateway": 0.045, "application_lb": 0.0225, "network_lb": 0.0225,
}

Tiers = tuple[tuple[float, float], ...]  # (upper bound of the tier, price per unit-month), ascending
# Provisioned performance billed on top of capacity (us-east-1, USD per IOPS-month / per MB/s-month).
# A tier priced 0 is the free baseline: gp3 includes 3,000 IOPS and 125 MB/s; io2 gets cheaper per
# IOPS above 32,000 and 64,000; io1 bills every provisioned IOPS at one rate.
TIERS: dict[str, Tiers] = {
    "ebs:io1:iops": ((math.inf, 0.065),),
    "ebs:io2:iops": ((32000, 0.065), (64000, 0.0455), (math.inf, 0.03185)),
    "ebs:gp3:iops": ((3000, 0.0), (math.inf, 0.005)),
    "ebs:gp3:throughput": ((125, 0.0), (math.inf, 0.04)),
}


def tiered(tiers: Tiers, amount: float) -> float:
    """Monthly price of ``amount`` provisioned units under ``tiers`` (each unit at its tier's rate)."""
    total, floor = 0.0, 0.0
    for upper, rate in tiers:
        if amount <= floor:
            break
        total += (min(amount, upper) - floor) * rate
        floor = upper
    return total


def volume_month(prefix: str, volume: Mapping[str, Any]) -> float | None:
    """List price a month of a block volume described as ``{"type", "gb", "iops", "throughput"}``:
    capacity plus the provisioned IOPS and throughput its type bills (``TIERS``); None when the
    capacity of its type is not listed."""
    per_gb = LIST.get(f"{prefix}:{volume['type']}")
    if per_gb is None:
        return None
    total = per_gb * float(volume.get("gb") or 0)
    for what in ("iops", "throughput"):
        tiers = TIERS.get(f"{prefix}:{volume['type']}:{what}")
        if tiers:
            total += tiered(tiers, float(volume.get(what) or 0))
    return total
