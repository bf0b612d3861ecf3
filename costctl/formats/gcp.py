"""GCP Cloud Billing export (BigQuery JSON/Parquet, or koku's flattened CSV) -> the record.

The reader flattens nested records to dotted names (``service.description``), which is also
how koku's CSV spells them, so one mapper serves both. ``cost`` is before credits: the billed
amount is ``cost + sum(credits.amount)`` (credits are negative), which is what the GCP console
shows as the net cost.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import pandas as pd

from costctl.errors import ExportFormatError
from costctl.formats import common
from costctl.formats.categories import service_category

TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "BillingCurrency": ("currency",),
    "BillingAccountId": ("billing_account_id",),
    "SubAccountId": ("project.id",),
    "SubAccountName": ("project.name",),
    "ServiceName": ("service.description",),
    "RegionId": ("location.region", "location.location"),
    "ResourceId": ("resource.global_name", "resource.name"),
    "ResourceName": ("resource.name",),
    "SkuId": ("sku.id",),
    "ChargeDescription": ("sku.description",),
    "ConsumedUnit": ("usage.unit",),
}
OTHER_COLUMNS = (
    "usage_start_time", "usage_end_time", "cost", "credits", "labels", "project.labels", "invoice.month",
    "cost_type", "usage.amount", "cost_at_list",
)

CHARGE_CATEGORY = {"regular": "Usage", "tax": "Tax", "adjustment": "Adjustment", "rounding_error": "Adjustment"}


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads."""
    names = {n for group in TEXT_COLUMNS.values() for n in group} | set(OTHER_COLUMNS)
    return [c for c in columns if c in names]


def map_gcp(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map a flattened GCP billing export frame; credits are folded into BilledCost/EffectiveCost."""
    cost_col = common.require(raw, source, "cost", "cost")
    common.require(raw, source, "usage time", "usage_start_time")
    common.require(raw, source, "usage time", "usage_end_time")
    out = pd.DataFrame(index=raw.index)
    out["ChargePeriodStart"] = common.timestamps(raw, "usage_start_time", source)
    out["ChargePeriodEnd"] = common.timestamps(raw, "usage_end_time", source)
    if "invoice.month" in raw.columns:
        month = common.text(raw, "invoice.month")
        out["BillingPeriodStart"] = pd.to_datetime(month, format="%Y%m", utc=True, errors="coerce")
    credits = credit_column(raw, source)
    out["BilledCost"] = common.money(raw, cost_col, source) + credits
    out["EffectiveCost"] = out["BilledCost"]
    out["ListCost"] = common.number(raw, "cost_at_list")
    out["ConsumedQuantity"] = common.number(raw, "usage.amount")
    for target, candidates in TEXT_COLUMNS.items():
        found = next((c for c in candidates if c in raw.columns), None)
        out[target] = common.text(raw, found)
    out["ProviderName"] = "Google Cloud"
    out["ServiceCategory"] = out["ServiceName"].map(service_category)
    cost_type = common.text(raw, "cost_type").fillna("regular")
    out["ChargeCategory"] = cost_type.map(lambda t: CHARGE_CATEGORY.get(t.lower(), "Adjustment")).astype("string")
    project_labels = common.tags(raw, "project.labels")
    labels = common.tags(raw, "labels")
    # Resource labels win over project labels of the same key: they are the more specific owner.
    out["Tags"] = pd.Series([{**p, **r} for p, r in zip(project_labels, labels, strict=True)], index=raw.index,
                            dtype="object")
    return out


def credit_column(raw: pd.DataFrame, source: str) -> pd.Series:
    """Per-row credit sums; an unreadable cell is an error, since dropping it would skew the totals."""
    if "credits" not in raw.columns:
        return pd.Series(0.0, index=raw.index, dtype="float64")
    totals = []
    for row, value in enumerate(raw["credits"], start=1):
        try:
            totals.append(credit_total(value))
        except (ValueError, TypeError) as exc:
            raise ExportFormatError(f"{source}: column credits row {row}: {exc}; fix or remove that row") from exc
    return pd.Series(totals, index=raw.index, dtype="float64")


def credit_total(value: Any) -> float:
    """Sum of ``amount`` over a credits cell: a list of records, JSON text, or koku's Python-literal text."""
    if isinstance(value, str):
        text = value.strip()
        if text in common.NULL_STRINGS or text == "[]":
            return 0.0
        try:
            value = json.loads(text)
        except ValueError:
            try:
                value = ast.literal_eval(text)  # never eval(): the file is untrusted input
            except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
                raise ValueError(f"unreadable credits {text[:40]!r}") from exc
    if hasattr(value, "tolist") and not isinstance(value, float):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        return 0.0
    return float(sum(float(item.get("amount") or 0.0) for item in value if isinstance(item, dict)))
