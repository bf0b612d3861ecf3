"""Root cause: which items one level below an anomalous group moved most.

For a service spike the items are its regions, resources and usage types (SKUs); for an
account spike its services; for a provider its accounts. Each item's expected cost is the
group's expected cost times the item's share of the group over the trailing weeks, so item
impacts add up to the group's impact and ``share`` says how much of it each one explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from costctl.analysis.anomaly_series import NONE

if TYPE_CHECKING:
    import pandas as pd

LOOKBACK_DAYS = 28

# Deepest group key -> the keys of the level below it (keys already grouped by are skipped).
DRILL: dict[str, list[str]] = {
    "provider": ["account"],
    "source": ["account"],
    "billing_account": ["account"],
    "account": ["service"],
    "account_name": ["service"],
    "charge_category": ["service"],
    "category": ["service"],
    "service": ["region", "sku", "resource"],
    "region": ["resource", "sku"],
    "sku": ["resource"],
    "resource": ["sku"],
}
DEPTH: tuple[str, ...] = ("provider", "source", "billing_account", "charge_category", "account", "account_name",
                          "category", "service", "region", "sku", "resource")


@dataclass
class Contributor:
    """One item below the group and how much of the anomaly it explains."""

    keys: dict[str, str | None]
    cost: float
    expected: float
    impact: float
    share: float

    def record(self) -> dict[str, object]:
        return {**self.keys, "cost": round(self.cost, 6), "expected": round(self.expected, 6),
                "impact": round(self.impact, 6), "share": round(self.share, 4)}


def drill_keys(keys: list[str]) -> list[str]:
    """The keys one level below the deepest of ``keys`` (``tag:X`` drills into services)."""
    ranked = [k for k in keys if k in DEPTH]
    if ranked:
        deepest = max(ranked, key=DEPTH.index)
    else:
        deepest = "account"
    return [k for k in DRILL[deepest] if k not in keys] or [k for k in ("resource", "sku") if k not in keys]


def contributors(rows: pd.DataFrame, drill: list[str], day: date, expected: float, impact: float,
                 top: int) -> list[Contributor]:
    """For each key below the group, its ``top`` items that moved most in the anomaly's direction.

    One key at a time (regions, then resources, then SKUs...) rather than their combinations:
    "all of it is us-east-1" and "81 % is one dataset" are both answers, and combinations would
    split a cause that spans many resources into slivers.
    """
    if top <= 0 or not drill or rows.empty or impact == 0:
        return []
    lo = day - timedelta(days=LOOKBACK_DAYS)
    past_rows = rows[(rows["day"] >= lo) & (rows["day"] < day)]
    day_rows = rows[rows["day"] == day]
    total = float(past_rows["cost"].sum())
    found: list[Contributor] = []
    for key in drill:
        past = past_rows.groupby(key)["cost"].sum()
        today = day_rows.groupby(key)["cost"].sum()
        items = []
        for item in past.index.union(today.index):
            weight = float(past.get(item, 0.0)) / total if total > 0 else 0.0
            cost = float(today.get(item, 0.0))
            exp = float(expected) * weight
            delta = cost - exp
            if delta * impact > 0:
                items.append(Contributor({key: None if item == NONE else str(item)}, cost, exp, delta,
                                         float(delta / impact)))
        items.sort(key=lambda c: -abs(c.impact))
        found.extend(items[:top])
    return found


def main_cause(causes: list[Contributor]) -> Contributor | None:
    """The one item to look at first: the deepest key whose top item explains at least half.

    Contributors come key by key, shallow to deep (region, sku, resource); a resource that
    explains 81 % says more than "all of it is in us-east-1". Without such an item, the item
    with the largest share.
    """
    if not causes:
        return None
    tops: dict[str, Contributor] = {}
    for c in causes:
        key = next(iter(c.keys))
        if key not in tops or c.share > tops[key].share:
            tops[key] = c
    for c in reversed(list(tops.values())):
        if c.share >= 0.5:
            return c
    return max(causes, key=lambda c: c.share)
