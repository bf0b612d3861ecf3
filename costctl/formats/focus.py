"""FOCUS 0.5-1.3 exports -> the normalized record (mostly a rename-free copy).

The record already uses FOCUS names, so this mapper only bridges version differences: 1.3
renamed ProviderName to ServiceProviderName, 0.5 called ChargeCategory ``ChargeType``, the
provider ``Provider`` and the amortized cost ``AmortizedCost``.
"""

from __future__ import annotations

import pandas as pd

from costctl.formats import common
from costctl.formats.categories import service_category

# Record column <- FOCUS column(s) copied as text, first present wins.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "BillingCurrency": ("BillingCurrency", "BilledCurrency"),
    "ProviderName": ("ProviderName", "ServiceProviderName", "Provider"),
    "BillingAccountId": ("BillingAccountId",),
    "BillingAccountName": ("BillingAccountName",),
    "SubAccountId": ("SubAccountId",),
    "SubAccountName": ("SubAccountName",),
    "ServiceName": ("ServiceName",),
    "ServiceCategory": ("ServiceCategory",),
    "RegionId": ("RegionId", "Region"),
    "ResourceId": ("ResourceId", "ResourceID"),
    "ResourceName": ("ResourceName",),
    "ResourceType": ("ResourceType",),
    "SkuId": ("SkuId",),
    "ChargeCategory": ("ChargeCategory", "ChargeType"),
    "ChargeDescription": ("ChargeDescription",),
    "ConsumedUnit": ("ConsumedUnit",),
}
COST_COLUMNS = ("BilledCost", "EffectiveCost", "AmortizedCost", "ListCost", "ConsumedQuantity")
TIME_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart")


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads (everything else is skipped while parsing)."""
    names = {n for group in TEXT_COLUMNS.values() for n in group} | set(COST_COLUMNS) | set(TIME_COLUMNS) | {"Tags"}
    return [c for c in columns if c in names]


def map_focus(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map a FOCUS frame; EffectiveCost falls back to AmortizedCost (0.5), then to BilledCost."""
    billed_col = common.require(raw, source, "cost", "BilledCost")
    start_col = common.require(raw, source, "charge period", "ChargePeriodStart")
    end_col = common.require(raw, source, "charge period", "ChargePeriodEnd")
    out = pd.DataFrame(index=raw.index)
    out["ChargePeriodStart"] = common.timestamps(raw, start_col, source)
    out["ChargePeriodEnd"] = common.timestamps(raw, end_col, source)
    if "BillingPeriodStart" in raw.columns:
        out["BillingPeriodStart"] = common.timestamps(raw, "BillingPeriodStart", source)
    out["BilledCost"] = common.money(raw, billed_col, source)
    effective = common.resolve(raw.columns, "EffectiveCost", "AmortizedCost")
    out["EffectiveCost"] = common.money(raw, effective, source) if effective else out["BilledCost"]
    out["ListCost"] = common.number(raw, "ListCost")
    out["ConsumedQuantity"] = common.number(raw, "ConsumedQuantity")
    for target, candidates in TEXT_COLUMNS.items():
        found = next((c for c in candidates if c in raw.columns), None)
        out[target] = common.text(raw, found)
    out["ChargeCategory"] = out["ChargeCategory"].fillna("Usage")
    missing_category = out["ServiceCategory"].isna()
    if missing_category.any():
        out.loc[missing_category, "ServiceCategory"] = out.loc[missing_category, "ServiceName"].map(service_category)
    out["Tags"] = common.tags(raw, "Tags")
    return out
