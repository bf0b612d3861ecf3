"""The FOCUS 1.2 column rules the export is judged by, written from the specification text.

Source: FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec, tag v1.2, ``specification/columns/*.md`` and
``specification/attributes/*.md``. Each rule is one MUST of the specification as a SQL condition
that every row of the export must satisfy, over the CSV export read as text (``read_csv`` with
``all_varchar``: an empty field is NULL), so types are checked as the file spells them.

The PyPI ``focus-validator`` for this Python judges against FOCUS 1.0 and rejects even the official
1.0 sample, so it is not used.
"""

from __future__ import annotations

MANDATORY = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)
DECIMALS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingQuantity", "ConsumedQuantity",
            "CommitmentDiscountQuantity")
DATETIMES = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")
SERVICE_CATEGORIES = (
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools",
    "Multicloud", "Identity", "Integration", "Internet of Things", "Management and Governance", "Media",
    "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other",
)

# NumericFormat: integer, decimal or E notation; no sign on a positive value or exponent, no
# thousands separators, no symbols.
NUMBER = r"-?[0-9]+(\.[0-9]+)?(E-?[0-9]+)?"
# DateTimeFormat: extended ISO 8601 in UTC, 'YYYY-MM-DDTHH:mm:ssZ'.
DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"({column} IS NULL OR {column} IN ({listed}))"


def _num(column: str) -> str:
    return f"TRY_CAST({column} AS DOUBLE)"


def _same_as_billed(column: str) -> str:
    """A Credit's cost in ``column`` equals its BilledCost (a charge unrelated to others, no unit price)."""
    return (f"NOT (ChargeCategory IS NOT DISTINCT FROM 'Credit' "
            f"AND abs(coalesce({_num(column)}, 1e300) - {_num('BilledCost')}) > 1e-9)")


NOT_CORRECTION = "ChargeClass IS NULL"
USAGE_OR_PURCHASE = "coalesce(ChargeCategory IN ('Usage', 'Purchase'), false)"

# (rule id, the MUST it checks, SQL true for a conforming row)
RULES: tuple[tuple[str, str, str], ...] = (
    *((f"{c}-format", f"{c} MUST conform to NumericFormat", f"({c} IS NULL OR regexp_full_match({c}, '{NUMBER}'))")
      for c in DECIMALS),
    *((f"{c}-format", f"{c} MUST conform to DateTimeFormat", f"({c} IS NULL OR regexp_full_match({c}, '{DATETIME}'))")
      for c in DATETIMES),
    *((f"{c}-not-null", f"{c} MUST NOT be null", f"{c} IS NOT NULL")
      for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingAccountId", "BillingCurrency",
                "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
                "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
                "ChargeFrequency")),
    ("BillingCurrency-format", "BillingCurrency MUST be an ISO 4217 three-letter code",
     "regexp_full_match(BillingCurrency, '[A-Z]{3}')"),
    ("BillingPeriod-bounds", "BillingPeriodStart inclusive, BillingPeriodEnd exclusive: start before end",
     "BillingPeriodStart < BillingPeriodEnd"),
    ("ChargePeriod-bounds", "ChargePeriodStart inclusive, ChargePeriodEnd exclusive: start before end",
     "ChargePeriodStart < ChargePeriodEnd"),
    ("ChargeCategory-values", "ChargeCategory MUST be one of the allowed values",
     _one_of("ChargeCategory", ("Usage", "Purchase", "Tax", "Credit", "Adjustment"))),
    ("ChargeClass-values", "ChargeClass MUST be 'Correction' when not null", _one_of("ChargeClass", ("Correction",))),
    ("ChargeFrequency-values", "ChargeFrequency MUST be one of the allowed values",
     _one_of("ChargeFrequency", ("One-Time", "Recurring", "Usage-Based"))),
    ("ChargeFrequency-purchase", "ChargeFrequency MUST NOT be 'Usage-Based' when ChargeCategory is 'Purchase'",
     "NOT (ChargeCategory IS NOT DISTINCT FROM 'Purchase' AND ChargeFrequency IS NOT DISTINCT FROM 'Usage-Based')"),
    ("ServiceCategory-values", "ServiceCategory MUST be one of the allowed values",
     _one_of("ServiceCategory", SERVICE_CATEGORIES)),
    ("PricingCategory-values", "PricingCategory MUST be one of the allowed values",
     _one_of("PricingCategory", ("Standard", "Dynamic", "Committed", "Other"))),
    ("PricingCategory-tax", "PricingCategory MUST be null when ChargeCategory is 'Tax'",
     "NOT (ChargeCategory IS NOT DISTINCT FROM 'Tax' AND PricingCategory IS NOT NULL)"),
    ("PricingCategory-usage", "PricingCategory MUST NOT be null for Usage/Purchase that is not a correction",
     f"NOT ({USAGE_OR_PURCHASE} AND {NOT_CORRECTION} AND PricingCategory IS NULL)"),
    ("PricingCategory-committed", "PricingCategory 'Committed' only for charges subject to a commitment discount "
     "(CommitmentDiscountId not null)",
     "NOT (PricingCategory IS NOT DISTINCT FROM 'Committed' AND CommitmentDiscountId IS NULL)"),
    ("PricingQuantity-tax", "PricingQuantity MUST be null when ChargeCategory is 'Tax'",
     "NOT (ChargeCategory IS NOT DISTINCT FROM 'Tax' AND PricingQuantity IS NOT NULL)"),
    ("PricingQuantity-usage", "PricingQuantity MUST NOT be null for Usage/Purchase that is not a correction",
     f"NOT ({USAGE_OR_PURCHASE} AND {NOT_CORRECTION} AND PricingQuantity IS NULL)"),
    ("PricingUnit-null", "PricingUnit MUST be null exactly when PricingQuantity is null",
     "((PricingUnit IS NULL) = (PricingQuantity IS NULL))"),
    ("ConsumedQuantity-null", "ConsumedQuantity MUST be null when ChargeCategory is not 'Usage' or the "
     "commitment status is 'Unused'",
     "NOT ((ChargeCategory IS DISTINCT FROM 'Usage' OR CommitmentDiscountStatus IS NOT DISTINCT FROM 'Unused') "
     "AND ConsumedQuantity IS NOT NULL)"),
    ("ConsumedUnit-null", "ConsumedUnit MUST be null exactly when ConsumedQuantity is null",
     "((ConsumedUnit IS NULL) = (ConsumedQuantity IS NULL))"),
    ("CommitmentDiscountCategory-null", "CommitmentDiscountCategory MUST be null exactly when CommitmentDiscountId is",
     "((CommitmentDiscountCategory IS NULL) = (CommitmentDiscountId IS NULL))"),
    ("CommitmentDiscountCategory-values", "CommitmentDiscountCategory MUST be one of the allowed values",
     _one_of("CommitmentDiscountCategory", ("Spend", "Usage"))),
    ("CommitmentDiscountType-null", "CommitmentDiscountType MUST be null exactly when CommitmentDiscountId is",
     "((CommitmentDiscountType IS NULL) = (CommitmentDiscountId IS NULL))"),
    ("CommitmentDiscountName-null", "CommitmentDiscountName MUST be null when CommitmentDiscountId is null",
     "NOT (CommitmentDiscountId IS NULL AND CommitmentDiscountName IS NOT NULL)"),
    ("CommitmentDiscountStatus-values", "CommitmentDiscountStatus MUST be one of the allowed values",
     _one_of("CommitmentDiscountStatus", ("Used", "Unused"))),
    ("CommitmentDiscountStatus-null", "CommitmentDiscountStatus MUST be null when CommitmentDiscountId is null",
     "NOT (CommitmentDiscountId IS NULL AND CommitmentDiscountStatus IS NOT NULL)"),
    ("CommitmentDiscountStatus-usage", "CommitmentDiscountStatus MUST NOT be null for Usage with a commitment",
     "NOT (CommitmentDiscountId IS NOT NULL AND ChargeCategory IS NOT DISTINCT FROM 'Usage' "
     "AND CommitmentDiscountStatus IS NULL)"),
    ("CommitmentDiscountQuantity-null", "CommitmentDiscountQuantity MUST be null unless Usage/Purchase with a "
     "commitment", f"NOT (NOT ({USAGE_OR_PURCHASE} AND CommitmentDiscountId IS NOT NULL) "
                   "AND CommitmentDiscountQuantity IS NOT NULL)"),
    ("CommitmentDiscountQuantity-usage", "CommitmentDiscountQuantity MUST NOT be null for Usage/Purchase with a "
     "commitment that is not a correction",
     f"NOT ({USAGE_OR_PURCHASE} AND CommitmentDiscountId IS NOT NULL AND {NOT_CORRECTION} "
     "AND CommitmentDiscountQuantity IS NULL)"),
    ("CommitmentDiscountUnit-null", "CommitmentDiscountUnit MUST be null exactly when CommitmentDiscountQuantity is",
     "((CommitmentDiscountUnit IS NULL) = (CommitmentDiscountQuantity IS NULL))"),
    ("RegionName-null", "RegionName MUST be null exactly when RegionId is null",
     "((RegionName IS NULL) = (RegionId IS NULL))"),
    ("ResourceName-null", "ResourceName MUST be null when ResourceId is null",
     "NOT (ResourceId IS NULL AND ResourceName IS NOT NULL)"),
    ("ResourceType-null", "ResourceType MUST be null exactly when ResourceId is null",
     "((ResourceType IS NULL) = (ResourceId IS NULL))"),
    ("SkuId-tax", "SkuId MUST be null when ChargeCategory is 'Tax'",
     "NOT (ChargeCategory IS NOT DISTINCT FROM 'Tax' AND SkuId IS NOT NULL)"),
    ("SkuId-usage", "SkuId MUST NOT be null for Usage/Purchase that is not a correction",
     f"NOT ({USAGE_OR_PURCHASE} AND {NOT_CORRECTION} AND SkuId IS NULL)"),
    ("SubAccountName-null", "SubAccountName MUST be null exactly when SubAccountId is null",
     "((SubAccountName IS NULL) = (SubAccountId IS NULL))"),
    ("Tags-format", "Tags MUST be a JSON object whose values are not objects or arrays (KeyValueFormat)",
     "(Tags IS NULL OR (json_valid(Tags) AND json_type(Tags) = 'OBJECT' AND NOT list_has_any("
     "json_type(Tags, '$.*'), ['OBJECT', 'ARRAY'])))"),
    ("ListCost-credit", "ListCost MUST match BilledCost for a charge unrelated to others (Credit) without a "
     "ListUnitPrice", _same_as_billed("ListCost")),
    ("ContractedCost-credit", "ContractedCost MUST match BilledCost for a Credit without a ContractedUnitPrice",
     _same_as_billed("ContractedCost")),
    ("EffectiveCost-credit", "EffectiveCost MUST match BilledCost for a charge unrelated to others (Credit)",
     _same_as_billed("EffectiveCost")),
    ("EffectiveCost-purchase", "EffectiveCost MUST be 0 for the Purchase of a commitment discount",
     f"NOT (ChargeCategory IS NOT DISTINCT FROM 'Purchase' AND CommitmentDiscountId IS NOT NULL "
     f"AND {_num('EffectiveCost')} <> 0)"),
)
