"""The normalized cost record: the one frame schema every provider maps into.

Column names follow the FinOps FOCUS specification (1.0-1.3) so that a FOCUS export needs no
renaming and every other format is mapped onto the same vocabulary. Everything downstream of a
provider (cache, analysis, renderers) reads only these columns.

This module deliberately does not import pandas at import time: the ``check`` command answers
from the cache in pure Python and must start fast. Functions that build or check frames import
pandas when they are called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costctl.errors import SchemaError
from costctl.values import Value

if TYPE_CHECKING:
    import pandas as pd

# Column kinds. Each maps to one pandas dtype and one plain-Python cache representation.
TIMESTAMP = "timestamp"  # datetime64[ns, UTC]; cached as int epoch seconds
MONEY = "money"  # float64, never null
MAX_COST = 1e15  # beyond any bill: 'inf' or 1e308 is a broken export, and sums of such overflow
NUMBER = "number"  # float64, nullable (NaN)
STRING = "string"  # pandas "string" dtype, nullable (<NA>)
TAGS = "tags"  # object column of dict[str, str], never null (empty dict)
FLAG = "flag"  # bool, never null

PANDAS_DTYPES = {
    TIMESTAMP: "datetime64[ns, UTC]",
    MONEY: "float64",
    NUMBER: "float64",
    STRING: "string",
    TAGS: "object",
    FLAG: "bool",
}


class Column(Value):
    """One column of the normalized record."""

    __slots__ = ("name", "kind", "required", "doc")
    frozen = True

    def __init__(self, name: str, kind: str, required: bool, doc: str) -> None:
        self.name = name
        self.kind = kind
        self.required = required  # a provider must fill it (non-null for MONEY/TIMESTAMP/TAGS/FLAG)
        self.doc = doc


COLUMNS: tuple[Column, ...] = (
    Column("ChargePeriodStart", TIMESTAMP, True, "Start of the charge period, inclusive, UTC."),
    Column("ChargePeriodEnd", TIMESTAMP, True, "End of the charge period, exclusive, UTC."),
    Column("BillingPeriodStart", TIMESTAMP, False, "Start of the billing period (invoice month), UTC."),
    Column("BilledCost", MONEY, True, "What the invoice bills: discounts in, amortization out."),
    Column("EffectiveCost", MONEY, True, "Amortized cost after discounts, with prepaid shares."),
    Column("ListCost", NUMBER, False, "Cost at public list prices, when the source knows it."),
    Column("BillingCurrency", STRING, True, "ISO 4217 currency of BilledCost/EffectiveCost."),
    Column("ProviderName", STRING, True, "Cloud that provides the service: AWS, Microsoft, Google Cloud..."),
    Column("BillingAccountId", STRING, False, "Payer / billing account / billing profile id."),
    Column("BillingAccountName", STRING, False, "Display name of the billing account."),
    Column("SubAccountId", STRING, False, "AWS account, Azure subscription, GCP project id."),
    Column("SubAccountName", STRING, False, "Display name of the sub account."),
    Column("ServiceName", STRING, False, "Service as the provider names it."),
    Column("ServiceCategory", STRING, False, "FOCUS service category (Compute, Storage...)."),
    Column("RegionId", STRING, False, "Provider region code (us-east-1, westeurope...)."),
    Column("ResourceId", STRING, False, "Provider resource identifier (ARN, Azure id, GCP name)."),
    Column("ResourceName", STRING, False, "Display name of the resource."),
    Column("ResourceType", STRING, False, "Kind of resource (Virtual Machine, Bucket...)."),
    Column("SkuId", STRING, False, "Provider SKU / usage type / meter id."),
    Column("ChargeCategory", STRING, True, "Usage, Purchase, Tax, Credit or Adjustment."),
    Column("ChargeDescription", STRING, False, "Human-readable description of the charge."),
    Column("ConsumedQuantity", NUMBER, False, "Quantity consumed, in ConsumedUnit."),
    Column("ConsumedUnit", STRING, False, "Unit of ConsumedQuantity."),
    Column("Tags", TAGS, True, "Resource tags / labels as a key -> value map."),
    # FOCUS columns kept for the FOCUS export and commitment analysis; NULL where the source has
    # no value (aggregating APIs such as Cost Explorer or the Azure Query API fill none of them).
    Column("BillingPeriodEnd", TIMESTAMP, False, "End of the billing period, exclusive, UTC."),
    Column("ChargeClass", STRING, False, "'Correction' for a correction to an invoiced billing period, else null."),
    Column("ChargeFrequency", STRING, False, "One-Time, Recurring or Usage-Based."),
    Column("PricingCategory", STRING, False, "Standard, Dynamic, Committed or Other."),
    Column("PricingQuantity", NUMBER, False, "Quantity priced, in PricingUnit."),
    Column("PricingUnit", STRING, False, "Unit of PricingQuantity."),
    Column("ContractedCost", NUMBER, False, "Cost at the account's contracted (negotiated) prices."),
    Column("InvoiceIssuerName", STRING, False, "Who issues the invoice (the cloud, or a reseller)."),
    Column("PublisherName", STRING, False, "Who produced the service (the cloud, or a marketplace seller)."),
    Column("InvoiceId", STRING, False, "Invoice the charge is on, once invoiced."),
    Column("RegionName", STRING, False, "Display name of the region."),
    Column("AvailabilityZone", STRING, False, "Availability zone, for zonal charges."),
    Column("CommitmentDiscountId", STRING, False, "Reservation / Savings Plan / CUD the charge belongs to."),
    Column("CommitmentDiscountName", STRING, False, "Display name of the commitment discount."),
    Column("CommitmentDiscountCategory", STRING, False, "Spend or Usage."),
    Column("CommitmentDiscountType", STRING, False, "Provider's kind of commitment (Reserved Instance...)."),
    Column("CommitmentDiscountStatus", STRING, False, "Used or Unused (usage rows of a commitment)."),
    Column("CommitmentDiscountQuantity", NUMBER, False, "Commitment quantity used, unused or bought."),
    Column("CommitmentDiscountUnit", STRING, False, "Unit of CommitmentDiscountQuantity."),
    Column("x_Estimated", FLAG, True, "True while the provider still marks the day's cost as estimated."),
    Column("x_Source", STRING, False, "costctl provider instance that produced the row (set by the cache)."),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
COLUMN_KINDS: dict[str, str] = {c.name: c.kind for c in COLUMNS}

# Group-by keys of reports -> the column they read. ``tag:KEY`` reads Tags[KEY].
GROUP_KEYS: dict[str, str] = {
    "provider": "ProviderName",
    "source": "x_Source",
    "billing_account": "BillingAccountId",
    "account": "SubAccountId",
    "account_name": "SubAccountName",
    "service": "ServiceName",
    "category": "ServiceCategory",
    "region": "RegionId",
    "resource": "ResourceId",
    "sku": "SkuId",
    "charge_category": "ChargeCategory",
}

METRICS: dict[str, str] = {"billed": "BilledCost", "effective": "EffectiveCost"}


def empty_frame() -> pd.DataFrame:
    """A frame with every column of the record and no rows, typed."""
    import pandas as pd

    return pd.DataFrame({c.name: pd.Series([], dtype=PANDAS_DTYPES[c.kind]) for c in COLUMNS})


def normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a mapper's frame to the record: add absent optional columns, fix dtypes, order columns.

    Mappers build their frames with whatever dtypes fall out of parsing; this is the single place
    that turns them into the fixed schema, so every provider gets identical dtypes. Raises
    SchemaError when a required column is absent or a value cannot be coerced.
    """
    import pandas as pd

    missing = [c.name for c in COLUMNS if c.required and c.name not in frame.columns and c.kind != FLAG
               and c.kind != TAGS]
    if missing:
        raise SchemaError(f"normalized record is missing required column(s): {', '.join(missing)}")
    n = len(frame)
    out: dict[str, Any] = {}
    for col in COLUMNS:
        values = frame[col.name] if col.name in frame.columns else None
        try:
            out[col.name] = _coerce(col, values, n, frame.index)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"column {col.name}: cannot convert to {col.kind}: {exc}") from exc
    result = pd.DataFrame(out, index=frame.index).reset_index(drop=True)
    return result


def _coerce(col: Column, values: pd.Series | None, n: int, index: Any) -> pd.Series:
    import pandas as pd

    if values is None:
        if col.kind == TAGS:
            return pd.Series([{} for _ in range(n)], index=index, dtype="object")
        if col.kind == FLAG:
            return pd.Series(False, index=index, dtype="bool")
        return pd.Series(pd.NA if col.kind == STRING else None, index=index, dtype=PANDAS_DTYPES[col.kind])
    if col.kind == TIMESTAMP:
        if not pd.api.types.is_datetime64_any_dtype(values):
            values = pd.to_datetime(values, utc=True, format="mixed")
        elif values.dt.tz is None:
            values = values.dt.tz_localize("UTC")
        return values.dt.tz_convert("UTC").dt.as_unit("ns")
    if col.kind in (MONEY, NUMBER):
        result = pd.to_numeric(values, errors="raise").astype("float64")
        if col.kind == MONEY and result.isna().any():
            raise ValueError(f"{int(result.isna().sum())} empty value(s); money columns are never null")
        return result
    if col.kind == STRING:
        s = values.astype("string")
        return s.mask(s.str.len() == 0)
    if col.kind == TAGS:
        return values.map(lambda v: dict(v) if isinstance(v, dict) else {}).astype("object")
    if col.kind == FLAG:
        return values.fillna(False).astype("bool")
    raise AssertionError(col.kind)


def validate(frame: Any) -> None:
    """Reject a frame that is not exactly the normalized record: raise SchemaError saying why.

    Checked at the boundary between a provider and the cache, so a buggy mapper fails loudly
    there instead of producing wrong totals downstream.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [name for name in COLUMN_NAMES if name not in frame.columns]
    if missing:
        raise SchemaError(f"frame is missing column(s): {', '.join(missing)}")
    for col in COLUMNS:
        expected = PANDAS_DTYPES[col.kind]
        actual = str(frame[col.name].dtype)
        if actual != expected:
            raise SchemaError(f"column {col.name} has dtype {actual}, expected {expected}")
        series = frame[col.name]
        if col.kind in (MONEY, TIMESTAMP) and col.required and series.isna().any():
            raise SchemaError(f"column {col.name} has {int(series.isna().sum())} null value(s)")
        too_big = series.abs() > MAX_COST if col.kind == MONEY else None  # inf, or an overflowing sum later
        if too_big is not None and too_big.any():
            raise SchemaError(f"column {col.name} has {int(too_big.sum())} value(s) that are not finite amounts "
                              f"(infinite or beyond {MAX_COST:g})")
        if col.kind == TAGS and not series.map(lambda v: isinstance(v, dict)).all():
            raise SchemaError(f"column {col.name} must hold a dict in every row")
    if len(frame):
        bad = frame["ChargePeriodEnd"] < frame["ChargePeriodStart"]
        if bad.any():
            raise SchemaError(f"{int(bad.sum())} row(s) end before they start (ChargePeriodEnd < ChargePeriodStart)")
