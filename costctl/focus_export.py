"""The normalized record as a FinOps FOCUS 1.2 dataset: which columns, and how each is filled.

The record already uses FOCUS names, so most columns are copied. The exceptions are the rules the
specification itself gives for values a source does not carry, applied here and only here (the
cache keeps what the source said, NULL included):

- BillingPeriodStart/End: a source without them bills by calendar month (all three clouds do), so
  the period is the month of the charge; an end is the start plus one month.
- ListCost and ContractedCost MUST NOT be null; for a charge without a unit price the
  specification says they match BilledCost, which is what a source without them gets.
- InvoiceIssuerName and PublisherName MUST NOT be null: a source that names neither is billed and
  published by the cloud itself (ProviderName).
- ChargeFrequency (recommended, never null when present): a source without it gets Usage-Based for
  usage and One-Time for everything else.
- Values the specification forbids for a row are dropped, not rewritten: a consumed quantity on a
  row that is not usage, a pricing quantity or category on tax, commitment details without a
  commitment id, a region name without a region id.

docs/focus.md lists every column and where each provider's value comes from.
"""

from __future__ import annotations

from costctl.duck import quote
from costctl.values import Value

VERSION = "1.2"

STRING = "String"
DECIMAL = "Decimal"
DATETIME = "Date/Time"
JSON = "JSON"
BOOLEAN = "Boolean"


class FocusColumn(Value):
    """One column of the export: FOCUS name, FOCUS data type, and SQL over the record."""

    __slots__ = ("name", "type", "sql", "feature")
    frozen = True

    def __init__(self, name: str, type: str, sql: str | None = None, feature: str = "Mandatory") -> None:  # noqa: A002
        self.name = name
        self.type = type
        self.sql = sql if sql is not None else quote(name)
        self.feature = feature  # Mandatory, Conditional, Recommended, or Custom (x_ columns)


_MONTH = "timezone('UTC', date_trunc('month', timezone('UTC', ChargePeriodStart)))"
_PERIOD_START = f"coalesce(BillingPeriodStart, {_MONTH})"
_NOT_USAGE = "ChargeCategory <> 'Usage' OR coalesce(CommitmentDiscountStatus, '') = 'Unused'"
_HAS_COMMITMENT = "CommitmentDiscountId IS NOT NULL"


def _unless(condition: str, column: str) -> str:
    return f"CASE WHEN {condition} THEN NULL ELSE {quote(column)} END"


def _with_commitment(column: str) -> str:
    return f"CASE WHEN {_HAS_COMMITMENT} THEN {quote(column)} END"


COLUMNS: tuple[FocusColumn, ...] = (
    FocusColumn("AvailabilityZone", STRING, feature="Recommended"),
    FocusColumn("BilledCost", DECIMAL),
    FocusColumn("BillingAccountId", STRING),
    FocusColumn("BillingAccountName", STRING),
    FocusColumn("BillingCurrency", STRING),
    FocusColumn("BillingPeriodEnd", DATETIME,
                f"coalesce(BillingPeriodEnd, {_PERIOD_START} + INTERVAL 1 MONTH)"),
    FocusColumn("BillingPeriodStart", DATETIME, _PERIOD_START),
    FocusColumn("ChargeCategory", STRING),
    FocusColumn("ChargeClass", STRING),
    FocusColumn("ChargeDescription", STRING),
    FocusColumn("ChargeFrequency", STRING,
                "coalesce(ChargeFrequency, CASE WHEN ChargeCategory = 'Usage' THEN 'Usage-Based' ELSE 'One-Time' END)",
                feature="Recommended"),
    FocusColumn("ChargePeriodEnd", DATETIME),
    FocusColumn("ChargePeriodStart", DATETIME),
    FocusColumn("CommitmentDiscountCategory", STRING, _with_commitment("CommitmentDiscountCategory"), "Conditional"),
    FocusColumn("CommitmentDiscountId", STRING, feature="Conditional"),
    FocusColumn("CommitmentDiscountName", STRING, _with_commitment("CommitmentDiscountName"), "Conditional"),
    FocusColumn("CommitmentDiscountQuantity", DECIMAL,
                f"CASE WHEN {_HAS_COMMITMENT} AND ChargeCategory IN ('Usage', 'Purchase') "
                "THEN CommitmentDiscountQuantity END", "Conditional"),
    FocusColumn("CommitmentDiscountStatus", STRING,
                f"CASE WHEN {_HAS_COMMITMENT} THEN CommitmentDiscountStatus END", "Conditional"),
    FocusColumn("CommitmentDiscountType", STRING, _with_commitment("CommitmentDiscountType"), "Conditional"),
    FocusColumn("CommitmentDiscountUnit", STRING,
                f"CASE WHEN {_HAS_COMMITMENT} AND ChargeCategory IN ('Usage', 'Purchase') "
                "AND CommitmentDiscountQuantity IS NOT NULL THEN CommitmentDiscountUnit END", "Conditional"),
    FocusColumn("ConsumedQuantity", DECIMAL, _unless(_NOT_USAGE, "ConsumedQuantity"), "Conditional"),
    FocusColumn("ConsumedUnit", STRING,
                f"CASE WHEN {_NOT_USAGE} OR ConsumedQuantity IS NULL THEN NULL ELSE ConsumedUnit END", "Conditional"),
    FocusColumn("ContractedCost", DECIMAL, "coalesce(ContractedCost, BilledCost)"),
    FocusColumn("EffectiveCost", DECIMAL),
    FocusColumn("InvoiceId", STRING, feature="Recommended"),
    FocusColumn("InvoiceIssuerName", STRING, "coalesce(InvoiceIssuerName, ProviderName)"),
    FocusColumn("ListCost", DECIMAL, "coalesce(ListCost, BilledCost)"),
    FocusColumn("PricingCategory", STRING, _unless("ChargeCategory = 'Tax'", "PricingCategory"), "Conditional"),
    FocusColumn("PricingQuantity", DECIMAL, _unless("ChargeCategory = 'Tax'", "PricingQuantity")),
    FocusColumn("PricingUnit", STRING,
                "CASE WHEN ChargeCategory = 'Tax' OR PricingQuantity IS NULL THEN NULL ELSE PricingUnit END"),
    FocusColumn("ProviderName", STRING),
    FocusColumn("PublisherName", STRING, "coalesce(PublisherName, ProviderName)"),
    FocusColumn("RegionId", STRING, feature="Conditional"),
    FocusColumn("RegionName", STRING, _unless("RegionId IS NULL", "RegionName"), "Conditional"),
    FocusColumn("ResourceId", STRING, feature="Conditional"),
    FocusColumn("ResourceName", STRING, _unless("ResourceId IS NULL", "ResourceName"), "Conditional"),
    FocusColumn("ResourceType", STRING, _unless("ResourceId IS NULL", "ResourceType"), "Conditional"),
    FocusColumn("ServiceCategory", STRING, "coalesce(ServiceCategory, 'Other')"),
    FocusColumn("ServiceName", STRING),
    FocusColumn("SkuId", STRING, feature="Conditional"),
    FocusColumn("SubAccountId", STRING, feature="Conditional"),
    FocusColumn("SubAccountName", STRING, _unless("SubAccountId IS NULL", "SubAccountName"), "Conditional"),
    FocusColumn("Tags", JSON, feature="Conditional"),
    FocusColumn("x_CostctlSource", STRING, "x_Source", feature="Custom"),
    FocusColumn("x_CostctlEstimated", BOOLEAN, "x_Estimated", feature="Custom"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)


def select_list(text_times: bool) -> str:
    """The SELECT list of the export over record rows.

    ``text_times``: Date/Time columns as FOCUS's ISO 8601 UTC text (``2024-01-01T00:00:00Z``) and
    numbers in FOCUS's numeric format, for CSV; otherwise typed columns (UTC timestamps, DOUBLE)
    for Parquet.
    """
    parts = []
    for col in COLUMNS:
        expr = col.sql
        if col.type == DATETIME and text_times:
            expr = f"strftime(timezone('UTC', {expr}), '%Y-%m-%dT%H:%M:%SZ')"
        elif col.type == DECIMAL and text_times:
            # FOCUS numeric format: E notation with an unsigned positive exponent (1E20, 1E-07),
            # where DuckDB writes 1e+20.
            expr = f"replace(replace(CAST(CAST({expr} AS DOUBLE) AS VARCHAR), 'e+', 'E'), 'e', 'E')"
        elif col.type == DECIMAL:
            expr = f"CAST({expr} AS DOUBLE)"
        parts.append(f"{expr} AS {quote(col.name)}")
    return ", ".join(parts)
