"""AWS Cost and Usage Report (legacy ``lineItem/...`` and CUR 2.0 ``line_item_...``) -> the record.

CUR 2.0 is the legacy report with snake_case names and tags in one map column, so it is renamed
to the legacy names first and both go through one mapper. EffectiveCost follows AWS's own
amortized-cost formula (see docs/formats.md): commitment-covered usage carries its effective
cost, the fees it amortizes carry only their unused share, everything else is unblended cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from costctl.formats import common
from costctl.formats.categories import service_category

# CUR 2.0 (and Athena/Glue snake_case) name -> legacy name, for every column this mapper reads.
V2_NAMES: dict[str, str] = {
    "line_item_unblended_cost": "lineItem/UnblendedCost",
    "line_item_usage_start_date": "lineItem/UsageStartDate",
    "line_item_usage_end_date": "lineItem/UsageEndDate",
    "line_item_line_item_type": "lineItem/LineItemType",
    "line_item_currency_code": "lineItem/CurrencyCode",
    "line_item_usage_account_id": "lineItem/UsageAccountId",
    "line_item_usage_account_name": "lineItem/UsageAccountName",
    "line_item_product_code": "lineItem/ProductCode",
    "line_item_resource_id": "lineItem/ResourceId",
    "line_item_usage_type": "lineItem/UsageType",
    "line_item_line_item_description": "lineItem/LineItemDescription",
    "line_item_usage_amount": "lineItem/UsageAmount",
    "bill_payer_account_id": "bill/PayerAccountId",
    "bill_payer_account_name": "bill/PayerAccountName",
    "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
    "bill_invoice_id": "bill/InvoiceId",
    "product_product_name": "product/ProductName",
    "product_region_code": "product/regionCode",
    "product_region": "product/region",  # legacy CUR delivered for Athena
    "product_sku": "product/sku",
    "product_product_family": "product/productFamily",
    "pricing_public_on_demand_cost": "pricing/publicOnDemandCost",
    "pricing_unit": "pricing/unit",
    "reservation_effective_cost": "reservation/EffectiveCost",
    "reservation_reservation_a_r_n": "reservation/ReservationARN",
    "reservation_unused_amortized_upfront_fee_for_billing_period":
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation_unused_recurring_fee": "reservation/UnusedRecurringFee",
    "savings_plan_savings_plan_effective_cost": "savingsPlan/SavingsPlanEffectiveCost",
    "savings_plan_total_commitment_to_date": "savingsPlan/TotalCommitmentToDate",
    "savings_plan_used_commitment": "savingsPlan/UsedCommitment",
    "resource_tags": "resourceTags",
    "product": "product",
}
LEGACY_NAMES = frozenset(V2_NAMES.values())

# One column per tag: ``resourceTags/user:KEY`` (legacy) or ``resource_tags_user_KEY`` (CUR 2.0 CSV, Athena).
TAG_COLUMN_PREFIXES = ("resourceTags/", "resource_tags_")
# Prefixes that only say a tag is user-defined; dropped so reports group by the key users typed.
USER_PREFIXES = ("user:", "user_")

# LineItemType -> FOCUS ChargeCategory; unknown types become Adjustment.
CHARGE_CATEGORY: dict[str, str] = {
    "Usage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage",
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Credit",
    "BundledDiscount": "Credit",
    "Discount": "Credit",
    "EdpDiscount": "Credit",
    "PrivateRateDiscount": "Credit",
    "DistributorDiscount": "Credit",
    "RIFee": "Purchase",
    "Fee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
}


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads: the known ones plus every tag column."""
    keep = LEGACY_NAMES | set(V2_NAMES)
    return [c for c in columns if c in keep or c.startswith(TAG_COLUMN_PREFIXES)]


def map_cur(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map a legacy or 2.0 CUR frame."""
    raw = raw.rename(columns={k: v for k, v in V2_NAMES.items() if k in raw.columns})
    common.require(raw, source, "cost", "lineItem/UnblendedCost")
    common.require(raw, source, "usage date", "lineItem/UsageStartDate")
    common.require(raw, source, "usage date", "lineItem/UsageEndDate")
    out = pd.DataFrame(index=raw.index)
    out["ChargePeriodStart"] = common.timestamps(raw, "lineItem/UsageStartDate", source)
    out["ChargePeriodEnd"] = common.timestamps(raw, "lineItem/UsageEndDate", source)
    if "bill/BillingPeriodStartDate" in raw.columns:
        out["BillingPeriodStart"] = common.timestamps(raw, "bill/BillingPeriodStartDate", source)
    line_type = common.text(raw, "lineItem/LineItemType").fillna("Usage")
    out["BilledCost"] = common.money(raw, "lineItem/UnblendedCost", source)
    out["EffectiveCost"] = effective_cost(raw, line_type, out["BilledCost"], source)
    out["ListCost"] = common.number(raw, "pricing/publicOnDemandCost")
    out["BillingCurrency"] = common.text(raw, "lineItem/CurrencyCode").fillna("USD")
    out["ProviderName"] = "AWS"
    out["BillingAccountId"] = common.text(raw, "bill/PayerAccountId")
    out["BillingAccountName"] = common.text(raw, "bill/PayerAccountName")
    out["SubAccountId"] = common.text(raw, "lineItem/UsageAccountId")
    out["SubAccountName"] = common.text(raw, "lineItem/UsageAccountName")
    product = _product_map(raw)
    out["ServiceName"] = (
        common.text(raw, "product/ProductName").fillna(product("product_name")).fillna(
            common.text(raw, "lineItem/ProductCode"))
    )
    out["ServiceCategory"] = out["ServiceName"].map(service_category)
    out["RegionId"] = (
        common.text(raw, "product/region").fillna(common.text(raw, "product/regionCode")).fillna(product("region"))
    )
    out["ResourceId"] = common.text(raw, "lineItem/ResourceId")
    out["ResourceType"] = common.text(raw, "product/productFamily")
    out["SkuId"] = common.text(raw, "product/sku").fillna(common.text(raw, "lineItem/UsageType"))
    out["ChargeCategory"] = line_type.map(lambda t: CHARGE_CATEGORY.get(t, "Adjustment")).astype("string")
    out["ChargeDescription"] = common.text(raw, "lineItem/LineItemDescription")
    out["ConsumedQuantity"] = common.number(raw, "lineItem/UsageAmount")
    out["ConsumedUnit"] = common.text(raw, "pricing/unit")
    out["Tags"] = cur_tags(raw)
    if "bill/InvoiceId" in raw.columns:
        # AWS fills the invoice id only once the month is invoiced; until then figures may change.
        out["x_Estimated"] = common.text(raw, "bill/InvoiceId").isna().to_numpy()
    return out


def effective_cost(raw: pd.DataFrame, line_type: pd.Series, unblended: pd.Series, source: str) -> pd.Series:
    """Amortized cost per AWS's formula; without amortization columns it is the unblended cost."""
    has_ri = "reservation/EffectiveCost" in raw.columns
    has_sp = "savingsPlan/SavingsPlanEffectiveCost" in raw.columns
    if not (has_ri or has_sp):
        return unblended.copy()
    ri_effective = common.money(raw, "reservation/EffectiveCost", source)
    sp_effective = common.money(raw, "savingsPlan/SavingsPlanEffectiveCost", source)
    unused_ri = common.money(raw, "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", source) + common.money(
        raw, "reservation/UnusedRecurringFee", source)
    unused_sp = common.money(raw, "savingsPlan/TotalCommitmentToDate", source) - common.money(
        raw, "savingsPlan/UsedCommitment", source)
    upfront_ri_fee = (line_type == "Fee") & common.text(raw, "reservation/ReservationARN").notna()
    conditions = [
        (line_type == "DiscountedUsage").to_numpy(),
        (line_type == "SavingsPlanCoveredUsage").to_numpy(),
        (line_type == "RIFee").to_numpy(),
        (line_type == "SavingsPlanRecurringFee").to_numpy(),
        line_type.isin(["SavingsPlanNegation", "SavingsPlanUpfrontFee"]).to_numpy() | upfront_ri_fee.to_numpy(),
    ]
    choices = [ri_effective, sp_effective, unused_ri, unused_sp, np.zeros(len(raw))]
    return pd.Series(np.select(conditions, choices, default=unblended), index=raw.index, dtype="float64")


def cur_tags(raw: pd.DataFrame) -> pd.Series:
    """Tags from ``resourceTags/user:KEY`` columns (legacy, CUR 2.0 CSV) or the ``resource_tags`` map.

    The ``user:`` / ``user_`` prefix only says the tag is user-defined; reports group by the key
    users typed, so it is dropped. AWS-generated tags keep their ``aws:`` prefix.
    """
    tags = common.tags(raw, "resourceTags")
    columns = [c for c in raw.columns if c.startswith(TAG_COLUMN_PREFIXES)]
    if not columns:
        return tags.map(_strip_user_prefix)
    keys = [_strip_user_prefix_key(c.split("/", 1)[1] if "/" in c else c[len("resource_tags_"):]) for c in columns]
    values = pd.DataFrame({key: common.text(raw, col) for key, col in zip(keys, columns, strict=True)})
    records = values.to_dict("records")
    merged = [
        {**_strip_user_prefix(base), **{k: str(v) for k, v in row.items() if not pd.isna(v)}}
        for base, row in zip(tags, records, strict=True)
    ]
    return pd.Series(merged, index=raw.index, dtype="object")


def _strip_user_prefix_key(key: str) -> str:
    for prefix in USER_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _strip_user_prefix(tags: dict[str, str]) -> dict[str, str]:
    return {_strip_user_prefix_key(k): v for k, v in tags.items()}


def _product_map(raw: pd.DataFrame):
    """Accessor for keys of the CUR 2.0 ``product`` map column (product_name, region...)."""
    parsed = common.tags(raw, "product") if "product" in raw.columns else None

    def get(key: str) -> pd.Series:
        if parsed is None:
            return pd.Series(pd.NA, index=raw.index, dtype="string")
        return parsed.map(lambda d: d.get(key)).astype("string")

    return get
