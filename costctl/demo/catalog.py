"""What the demo company runs: accounts, services and resources of each cloud, with daily usage and prices.

``costctl.demo.generate`` turns every ``LineItem`` into one row a day. Prices are close to the
public on-demand list prices, so the totals look like a real bill (roughly USD 30-35k a month
across the three clouds). Items name the ``FEATURES`` entry that affects them; nothing else
knows where the anomalies are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Account:
    """A FOCUS billing account plus one sub account (AWS account, Azure subscription, GCP project)."""

    billing_id: str
    billing_name: str
    billing_type: str
    sub_id: str
    sub_name: str
    sub_type: str
    env: str


@dataclass(frozen=True)
class LineItem:
    """One resource x SKU that bills every day: ``quantity`` units of ``unit`` at ``price`` USD each."""

    account: Account
    service: str
    category: str
    subcategory: str
    region: tuple[str, str]  # (RegionId, RegionName)
    resource_id: str
    resource_name: str
    resource_type: str
    usage_type: str  # seeds SkuId; AWS calls it the usage type, the others a meter or SKU
    description: str
    unit: str
    quantity: float  # per day, before trend, weekends and noise
    price: float
    weekend: float = 1.0  # multiplier on Saturdays and Sundays
    growth: float = 0.2  # fractional growth from the first to the last day
    noise: float = 0.06  # +- fraction of random day-to-day variation
    tags: dict[str, str] = field(default_factory=dict)  # empty: the row is untagged
    discount: float = 0.0  # share of the cost a commitment removes from EffectiveCost
    commitment: str = ""  # CommitmentDiscountId when discounted
    feature: str = ""  # FEATURES key that scales this item, if any
    clone_on_spike: bool = False  # a spike adds copies of the resource instead of more usage on it
    capped: bool = False  # running hours of one resource: never more than ``quantity`` (a full day)

    @property
    def sku_id(self) -> str:
        return hashlib.sha1(f"{self.service}|{self.usage_type}".encode()).hexdigest()[:14].upper()


HOURS = 24.0
MONTH_DAYS = 30.4  # storage is priced per month; a day bills 1/30.4 of it


def tags(team: str | None, env: str, **extra: str) -> dict[str, str]:
    """The team/env tags most resources carry; ``team=None`` leaves the resource untagged on purpose."""
    return {"team": team, "env": env, **extra} if team else {}
