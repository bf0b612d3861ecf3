"""FOCUS 0.5-1.3 exports -> the normalized record, as SQL (mostly a rename-free copy).

The record already uses FOCUS names, so this mapper only bridges version differences: 1.3
renamed ProviderName to ServiceProviderName, 0.5 called ChargeCategory ``ChargeType``, the
provider ``Provider`` and the amortized cost ``AmortizedCost``. EffectiveCost falls back to
AmortizedCost, then to BilledCost; a missing ChargeCategory is Usage; a missing ServiceCategory
is derived from ServiceName (``categories``).
"""

from __future__ import annotations

from costctl.formats.sqlexpr import Raw, lookup, service_category

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
    "ChargeClass": ("ChargeClass",),
    "ChargeFrequency": ("ChargeFrequency",),
    "PricingCategory": ("PricingCategory",),
    "PricingUnit": ("PricingUnit",),
    "InvoiceIssuerName": ("InvoiceIssuerName", "InvoiceIssuer"),
    "PublisherName": ("PublisherName", "Publisher"),
    "InvoiceId": ("InvoiceId",),
    "RegionName": ("RegionName",),
    "AvailabilityZone": ("AvailabilityZone",),
    "CommitmentDiscountId": ("CommitmentDiscountId",),
    "CommitmentDiscountName": ("CommitmentDiscountName",),
    "CommitmentDiscountCategory": ("CommitmentDiscountCategory",),
    "CommitmentDiscountType": ("CommitmentDiscountType",),
    "CommitmentDiscountStatus": ("CommitmentDiscountStatus",),
    "CommitmentDiscountUnit": ("CommitmentDiscountUnit",),
}
CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
COST_COLUMNS = ("BilledCost", "EffectiveCost", "AmortizedCost", "ListCost", "ConsumedQuantity")
# Numbers copied as they are (NULL when absent or empty).
NUMBER_COLUMNS = ("PricingQuantity", "ContractedCost", "CommitmentDiscountQuantity")
TIME_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads (everything else is skipped while parsing)."""
    names = {n for group in TEXT_COLUMNS.values() for n in group} | set(COST_COLUMNS) | set(TIME_COLUMNS) | {"Tags"}
    names |= set(NUMBER_COLUMNS)
    return [c for c in columns if c in names]


def columns(raw: Raw) -> dict[str, str]:
    """Record column -> SQL over the FOCUS columns."""
    billed_col = raw.require("cost", "BilledCost")
    start_col = raw.require("charge period", "ChargePeriodStart")
    end_col = raw.require("charge period", "ChargePeriodEnd")
    out = {
        "ChargePeriodStart": raw.timestamp(start_col),
        "ChargePeriodEnd": raw.timestamp(end_col),
        "BilledCost": raw.money(billed_col),
        "ListCost": raw.number("ListCost"),
        "ConsumedQuantity": raw.number("ConsumedQuantity"),
        "Tags": raw.tags("Tags"),
    }
    if raw.has("BillingPeriodStart"):
        out["BillingPeriodStart"] = raw.timestamp("BillingPeriodStart",
                                                  if_empty=raw.usage_month(out["ChargePeriodStart"]))
    if raw.has("BillingPeriodEnd"):
        out["BillingPeriodEnd"] = raw.timestamp("BillingPeriodEnd", if_empty="CAST(NULL AS TIMESTAMPTZ)")
    for name in NUMBER_COLUMNS:
        out[name] = raw.number(raw.resolve(name))
    effective = raw.resolve("EffectiveCost", "AmortizedCost")
    out["EffectiveCost"] = raw.money(effective) if effective else out["BilledCost"]
    for target, candidates in TEXT_COLUMNS.items():
        out[target] = raw.text(next((c for c in candidates if raw.has(c)), None))
    out["ChargeCategory"] = f"coalesce({out['ChargeCategory']}, 'Usage')"
    # The allowed values in the specification's spelling (the official 1.0 sample writes "Usage-based").
    out["ChargeFrequency"] = lookup(f"lower({out['ChargeFrequency']})", {v.lower(): v for v in CHARGE_FREQUENCIES})
    out["ServiceCategory"] = f"coalesce({out['ServiceCategory']}, {service_category(out['ServiceName'])})"
    return out
