"""AWS Cost and Usage Report tables: the column spellings and line-type rules the CUR mapper uses.

The mapping itself is SQL (``aws_cur_sql``); these tables are its one definition of what the
columns are called in legacy CUR (``lineItem/...``), CUR 2.0 / Data Exports and the snake_case
tables Athena sees (``line_item_...``), and of which ChargeCategory each line type is.
"""

from __future__ import annotations

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
    # FOCUS invoice, pricing and commitment columns (costctl.clouds.aws.cur_sql.focus_columns).
    "bill_billing_period_end_date": "bill/BillingPeriodEndDate",
    "bill_invoicing_entity": "bill/InvoicingEntity",
    "line_item_legal_entity": "lineItem/LegalEntity",
    "line_item_availability_zone": "lineItem/AvailabilityZone",
    "product_location": "product/location",
    "pricing_term": "pricing/term",
    "savings_plan_savings_plan_a_r_n": "savingsPlan/SavingsPlanARN",
    "savings_plan_offering_type": "savingsPlan/OfferingType",
    "reservation_end_time": "reservation/EndTime",
    "savings_plan_end_time": "savingsPlan/EndTime",
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

# Line types of a commitment's own payments: LineItemType -> FOCUS ChargeFrequency.
FEE_FREQUENCY: dict[str, str] = {
    "RIFee": "Recurring",
    "SavingsPlanRecurringFee": "Recurring",
    "Fee": "One-Time",
    "SavingsPlanUpfrontFee": "One-Time",
}
# Discounts AWS computes per usage line: they recur with the usage they reduce.
USAGE_DISCOUNTS = ("BundledDiscount", "Discount", "EdpDiscount", "PrivateRateDiscount", "DistributorDiscount")
# Line types that belong to a Reserved Instance / a Savings Plan (with ``Fee`` when it names a reservation).
RESERVATION_LINES = ("DiscountedUsage", "RIFee")
SAVINGS_PLAN_LINES = ("SavingsPlanCoveredUsage", "SavingsPlanNegation", "SavingsPlanRecurringFee",
                      "SavingsPlanUpfrontFee")
# Usage lines priced by a commitment (FOCUS PricingCategory "Committed", CommitmentDiscountStatus "Used").
COMMITTED_USAGE = ("DiscountedUsage", "SavingsPlanCoveredUsage", "SavingsPlanNegation")

# AWS's amortized-cost formula: line type -> (cost columns added, cost columns subtracted) giving its
# EffectiveCost. Commitment-covered usage costs its effective cost; the recurring fees only their unused share.
AMORTIZED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DiscountedUsage": (("reservation/EffectiveCost",), ()),
    "SavingsPlanCoveredUsage": (("savingsPlan/SavingsPlanEffectiveCost",), ()),
    "RIFee": (("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", "reservation/UnusedRecurringFee"), ()),
    "SavingsPlanRecurringFee": (("savingsPlan/TotalCommitmentToDate",), ("savingsPlan/UsedCommitment",)),
}
# Line types whose EffectiveCost is 0 (with a ``Fee`` that names a reservation: an RI's upfront fee): their cost
# reaches EffectiveCost through the usage they cover. Every other line type costs its unblended cost.
ZERO_EFFECTIVE = ("SavingsPlanNegation", "SavingsPlanUpfrontFee")
