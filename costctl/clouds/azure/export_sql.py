"""Azure Cost Management exports (EA and MCA, actual and amortized, v1 camelCase and v2) -> the record, in SQL.

Column names differ only in case and a few synonyms between versions, so every lookup goes
through ``Raw.resolve`` (case-insensitive) with the known spellings. An Azure export has one cost
column whose meaning depends on the dataset (actual or amortized); ``split_costs`` makes each row
correct in either dataset without knowing which one it came from.
"""

from __future__ import annotations

from costctl.clouds.azure.regions import REGION_NAMES
from costctl.formats.sqlexpr import Raw, lit, lookup, service_category

DATE = ("Date", "UsageDateTime", "UsageDate")
COST = ("CostInBillingCurrency", "Cost", "PreTaxCost")
CURRENCY = ("BillingCurrencyCode", "BillingCurrency", "Currency")
SUBSCRIPTION = ("SubscriptionId", "SubscriptionGuid")
RESOURCE = ("ResourceId", "InstanceId")
SERVICE = ("MeterCategory", "ServiceName")
REGION = ("ResourceLocation", "Location")

# Record column <- Azure column spellings (case-insensitive), first present wins; copied as text.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "BillingCurrency": CURRENCY,
    "BillingAccountId": ("BillingAccountId",),
    "BillingAccountName": ("BillingAccountName",),
    "SubAccountId": SUBSCRIPTION,
    "SubAccountName": ("SubscriptionName",),
    "ServiceName": SERVICE,
    "ResourceId": RESOURCE,
    "ResourceName": ("ResourceName",),
    "ResourceType": ("ResourceType",),
    "SkuId": ("MeterId",),
    "ChargeDescription": ("MeterName", "ProductName", "Product"),
    "ConsumedUnit": ("UnitOfMeasure",),
}
OTHER_COLUMNS = ("ChargeType", "PricingModel", "ConsumedService", "Tags", "Quantity", "BillingPeriodStartDate",
                 "BillingPeriodEndDate", "Frequency", "PublisherName", "InvoiceId", "AvailabilityZone",
                 "ReservationId", "ReservationName", "benefitId", "benefitName")

# Frequency (lowercase) -> FOCUS ChargeFrequency.
FREQUENCY: dict[str, str] = {"usagebased": "Usage-Based", "recurring": "Recurring", "onetime": "One-Time"}

# ChargeType (lowercase) -> FOCUS ChargeCategory; anything else is an Adjustment.
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
# PricingModel (lowercase) of rows that belong to a commitment (reservation or savings plan).
COMMITMENT_MODELS = frozenset({"reservation", "savingsplan", "savings plan"})
# ChargeType (lowercase) of the commitment's own payments, as opposed to the usage it covers: the purchase,
# and the refund when it is returned early (money back on the invoice; its amortization simply stops).
COMMITMENT_PAYMENTS = frozenset({"purchase", "refund"})


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads, in the file's own spelling."""
    names = {n.lower() for group in TEXT_COLUMNS.values() for n in group}
    names |= {n.lower() for n in DATE + COST + REGION + OTHER_COLUMNS}
    return [c for c in columns if str(c).lower() in names]


def columns(raw: Raw) -> dict[str, str]:
    """Record column -> SQL over the raw export; each row is one day (Date is the usage day)."""
    date_col = raw.require("date", *DATE)
    cost_col = raw.require("cost", *COST)
    day = f"date_trunc('day', timezone('UTC', {raw.timestamp(date_col)}))"  # naive UTC midnight
    out = {
        "ChargePeriodStart": f"timezone('UTC', {day})",
        "ChargePeriodEnd": f"timezone('UTC', {day} + INTERVAL 1 DAY)",
    }
    period = raw.resolve("BillingPeriodStartDate")
    if period:
        # Optional: an MCA export leaves it empty on some rows; those bill in the usage day's month.
        out["BillingPeriodStart"] = raw.timestamp(period, if_empty=raw.usage_month(out["ChargePeriodStart"]))
    charge_type = f"lower(coalesce({raw.text(raw.resolve('ChargeType'))}, 'Usage'))"
    pricing_model = f"lower(coalesce({raw.text(raw.resolve('PricingModel'))}, ''))"
    out["BilledCost"], out["EffectiveCost"] = split_costs(raw.money(cost_col), charge_type, pricing_model)
    out["ConsumedQuantity"] = raw.number(raw.resolve("Quantity"))
    for target, candidates in TEXT_COLUMNS.items():
        out[target] = raw.text(raw.resolve(*candidates))
    out["ProviderName"] = lit("Microsoft")
    out["RegionId"] = f"replace(lower({raw.text(raw.resolve(*REGION))}), ' ', '')"
    out["ServiceCategory"] = service_category(out["ServiceName"], raw.text(raw.resolve("ConsumedService")))
    out["ChargeCategory"] = charge_category(charge_type)
    out["Tags"] = raw.tags(raw.resolve("Tags"))
    out.update(focus_columns(raw, charge_type, pricing_model, out["ChargeCategory"], out["BillingCurrency"]))
    out["RegionName"] = lookup(out["RegionId"], REGION_NAMES)
    # The resource's type is part of its id (``.../providers/Microsoft.Compute/virtualMachines/vm1``),
    # where an export has no ResourceType column (v1 camelCase has one).
    out["ResourceType"] = (f"coalesce({out['ResourceType']}, nullif(regexp_extract({out['ResourceId']}, "
                           "'(?i)/providers/([^/]+/[^/]+)/', 1), ''))")
    return out


def focus_columns(raw: Raw, charge_type: str, pricing_model: str, category: str, currency: str) -> dict[str, str]:
    """The FOCUS invoice, pricing and commitment columns of an Azure export row (NULL where it has none).

    Azure's BillingPeriodEndDate is the period's last day; FOCUS's end is exclusive (the next
    day). A reservation or savings plan row names its benefit (``benefitId``, else ``ReservationId``);
    unused-commitment rows are its Unused status. A reservation's quantity is the row's usage
    quantity, a savings plan's is money (its cost).
    """
    def text(*names: str) -> str:
        return raw.text(raw.resolve(*names))

    out: dict[str, str] = {}
    period_end = raw.resolve("BillingPeriodEndDate")
    if period_end:
        out["BillingPeriodEnd"] = (f"({raw.timestamp(period_end, if_empty='CAST(NULL AS TIMESTAMPTZ)')} "
                                   "+ INTERVAL 1 DAY)")
    quantity = raw.number(raw.resolve("Quantity"))
    frequency = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in FREQUENCY.items())
    reservation = f"({pricing_model} = 'reservation')"
    savings_plan = f"({pricing_model} IN ('savingsplan', 'savings plan'))"
    commitment = f"({reservation} OR {savings_plan})"
    benefit = f"coalesce({text('benefitId')}, {text('ReservationId')})"
    committed_id = f"(CASE WHEN {commitment} THEN {benefit} END)"
    out.update({
        "ChargeFrequency": f"(CASE lower(coalesce({text('Frequency')}, '')) {frequency} END)",
        "PricingCategory": (f"(CASE WHEN {category} NOT IN ('Usage', 'Purchase') THEN NULL "
                            f"WHEN {commitment} AND {category} = 'Usage' THEN 'Committed' "
                            f"WHEN {pricing_model} = 'spot' THEN 'Dynamic' ELSE 'Standard' END)"),
        "PricingQuantity": f"(CASE WHEN {category} = 'Tax' THEN NULL ELSE {quantity} END)",
        "PricingUnit": (f"(CASE WHEN {category} = 'Tax' OR {quantity} IS NULL THEN NULL "
                        f"ELSE {text('UnitOfMeasure')} END)"),
        "PublisherName": text("PublisherName"),
        "InvoiceId": text("InvoiceId"),
        "AvailabilityZone": text("AvailabilityZone"),
        "CommitmentDiscountId": committed_id,
        "CommitmentDiscountName": (f"(CASE WHEN {commitment} THEN coalesce({text('benefitName')}, "
                                   f"{text('ReservationName')}) END)"),
        "CommitmentDiscountCategory": f"(CASE WHEN {reservation} THEN 'Usage' WHEN {savings_plan} THEN 'Spend' END)",
        "CommitmentDiscountType": (f"(CASE WHEN {reservation} THEN 'Reservation' "
                                   f"WHEN {savings_plan} THEN 'Savings Plan' END)"),
        "CommitmentDiscountStatus": (f"(CASE WHEN NOT {commitment} OR {category} <> 'Usage' THEN NULL "
                                     f"WHEN {charge_type} IN ('unusedreservation', 'unusedsavingsplan') THEN 'Unused' "
                                     "ELSE 'Used' END)"),
        "CommitmentDiscountQuantity": (f"(CASE WHEN {reservation} THEN {quantity} "
                                       f"WHEN {savings_plan} THEN {raw.number(raw.resolve(*COST))} END)"),
        "CommitmentDiscountUnit": (f"(CASE WHEN {reservation} THEN {text('UnitOfMeasure')} "
                                   f"WHEN {savings_plan} THEN {currency} END)"),
    })
    return out


def split_costs(cost: str, charge_type: str, pricing_model: str) -> tuple[str, str]:
    """SQL for (BilledCost, EffectiveCost) from the one cost column, valid for actual and amortized datasets.

    ``charge_type`` and ``pricing_model`` are lowercase SQL text.

    - usage covered by a reservation or savings plan (and its unused share): billed 0 (the
      commitment was paid at purchase), effective = the row's cost (its amortized share; 0 in an
      actual dataset);
    - the commitment's purchase, or its refund: billed = cost, effective 0 (what is kept is amortized
      into usage; a refunded share never is);
    - everything else: both = cost.

    Each row evaluates ``cost`` in one of the two expressions at least, so a bad cost always raises.
    """
    committed = f"({pricing_model} IN ({', '.join(lit(m) for m in sorted(COMMITMENT_MODELS))}))"
    payment = f"({charge_type} IN ({', '.join(lit(t) for t in sorted(COMMITMENT_PAYMENTS))}))"
    billed = f"(CASE WHEN {committed} AND NOT {payment} THEN CAST(0.0 AS DOUBLE) ELSE {cost} END)"
    effective = f"(CASE WHEN {committed} AND {payment} THEN CAST(0.0 AS DOUBLE) ELSE {cost} END)"
    return billed, effective


def charge_category(charge_type: str) -> str:
    """SQL for the FOCUS ChargeCategory of a lowercase ChargeType (unknown types are Adjustments)."""
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in CHARGE_CATEGORY.items())
    return f"(CASE {charge_type} {cases} ELSE 'Adjustment' END)"
