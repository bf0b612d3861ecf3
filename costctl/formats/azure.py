"""Azure Cost Management exports (EA and MCA, actual and amortized, v1 camelCase and v2) -> the record.

Column names differ only in case and a few synonyms between versions, so every lookup goes
through ``common.resolve`` with the known spellings. An Azure export has one cost column whose
meaning depends on the dataset (actual or amortized); the rules in ``split_costs`` make each row
correct in either dataset without knowing which one it came from.
"""

from __future__ import annotations

import pandas as pd

from costctl.formats import common
from costctl.formats.categories import service_category

DATE = ("Date", "UsageDateTime", "UsageDate")
COST = ("CostInBillingCurrency", "Cost", "PreTaxCost")
CURRENCY = ("BillingCurrencyCode", "BillingCurrency", "Currency")
SUBSCRIPTION = ("SubscriptionId", "SubscriptionGuid")
RESOURCE = ("ResourceId", "InstanceId")

# Record column <- Azure column spellings (case-insensitive), first present wins.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "BillingCurrency": CURRENCY,
    "BillingAccountId": ("BillingAccountId",),
    "BillingAccountName": ("BillingAccountName",),
    "SubAccountId": SUBSCRIPTION,
    "SubAccountName": ("SubscriptionName",),
    "ServiceName": ("MeterCategory", "ServiceName"),
    "RegionId": ("ResourceLocation", "Location"),
    "ResourceId": RESOURCE,
    "ResourceName": ("ResourceName",),
    "ResourceType": ("ResourceType",),
    "SkuId": ("MeterId",),
    "ChargeDescription": ("MeterName", "ProductName", "Product"),
    "ConsumedUnit": ("UnitOfMeasure",),
}
OTHER_COLUMNS = ("ChargeType", "PricingModel", "ConsumedService", "Tags", "Quantity", "BillingPeriodStartDate")

# ChargeType -> FOCUS ChargeCategory.
CHARGE_CATEGORY: dict[str, str] = {
    "usage": "Usage",
    "unusedreservation": "Usage",
    "unusedsavingsplan": "Usage",
    "purchase": "Purchase",
    "tax": "Tax",
    "refund": "Credit",
    "credit": "Credit",
    "adjustment": "Adjustment",
    "roundingadjustment": "Adjustment",
}
COMMITMENT_MODELS = frozenset({"reservation", "savingsplan", "savings plan"})


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads, in the file's own spelling."""
    names = {n.lower() for group in TEXT_COLUMNS.values() for n in group}
    names |= {n.lower() for n in DATE + COST + OTHER_COLUMNS}
    return [c for c in columns if str(c).lower() in names]


def map_azure(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map an Azure export; each row is one day (Date is the usage day)."""
    date_col = common.require(raw, source, "date", *DATE)
    cost_col = common.require(raw, source, "cost", *COST)
    out = pd.DataFrame(index=raw.index)
    start = common.timestamps(raw, date_col, source).dt.floor("D")
    out["ChargePeriodStart"] = start
    out["ChargePeriodEnd"] = start + pd.Timedelta(days=1)
    period = common.resolve(raw.columns, "BillingPeriodStartDate")
    if period:
        out["BillingPeriodStart"] = common.timestamps(raw, period, source)
    cost = common.money(raw, cost_col, source)
    charge_type = common.text(raw, common.resolve(raw.columns, "ChargeType")).fillna("Usage")
    pricing_model = common.text(raw, common.resolve(raw.columns, "PricingModel")).fillna("")
    out["BilledCost"], out["EffectiveCost"] = split_costs(cost, charge_type, pricing_model)
    out["ConsumedQuantity"] = common.number(raw, common.resolve(raw.columns, "Quantity"))
    for target, candidates in TEXT_COLUMNS.items():
        out[target] = common.text(raw, common.resolve(raw.columns, *candidates))
    out["ProviderName"] = "Microsoft"
    out["RegionId"] = out["RegionId"].str.lower().str.replace(" ", "", regex=False)
    consumed = common.text(raw, common.resolve(raw.columns, "ConsumedService"))
    out["ServiceCategory"] = [
        service_category(name if isinstance(name, str) else None, cs if isinstance(cs, str) else None)
        for name, cs in zip(out["ServiceName"], consumed, strict=True)
    ]
    out["ChargeCategory"] = charge_type.map(lambda t: CHARGE_CATEGORY.get(t.lower(), "Adjustment")).astype("string")
    out["Tags"] = common.tags(raw, common.resolve(raw.columns, "Tags"))
    return out


def split_costs(cost: pd.Series, charge_type: pd.Series, pricing_model: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(BilledCost, EffectiveCost) from the one cost column, valid for actual and amortized datasets.

    - usage covered by a reservation or savings plan: billed 0 (the commitment was paid at
      purchase), effective = the row's cost (its amortized share; 0 in an actual dataset);
    - the commitment purchase itself: billed = cost, effective 0 (it is amortized into usage);
    - everything else: both = cost.
    """
    committed = pricing_model.str.lower().isin(COMMITMENT_MODELS)
    purchase = charge_type.str.lower().isin(("purchase", "refund"))  # a refund returns part of a purchase
    billed = cost.where(~(committed & ~purchase), 0.0)
    effective = cost.where(~(committed & purchase), 0.0)
    return billed, effective
