"""The cost report behind ``costctl costs``: group, bucket by period, rank, fold the tail.

Currency is always part of the grouping, so amounts in different currencies are never summed
together; a report with several currencies shows one total per currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from costctl.errors import UsageError
from costctl.model import GROUP_KEYS, METRICS

if TYPE_CHECKING:
    import pandas as pd

GRANULARITIES = ("daily", "monthly", "total")
PERIOD_COLUMN = {"daily": "date", "monthly": "month", "total": None}
OTHER = "(other)"


def parse_group_by(value: str | None) -> list[str]:
    """``"service,tag:team"`` -> ``["service", "tag:team"]``, validated."""
    if not value:
        return []
    keys = [k.strip() for k in value.split(",") if k.strip()]
    for key in keys:
        if key.startswith("tag:"):
            if len(key) == 4:
                raise UsageError("--group-by: tag: needs a key, e.g. tag:team")
        elif key not in GROUP_KEYS:
            raise UsageError(f"--group-by: unknown key {key!r} (known: {', '.join(GROUP_KEYS)}, tag:KEY)")
    if len(set(keys)) != len(keys):
        raise UsageError("--group-by: a key is repeated")
    return keys


def output_name(key: str) -> str:
    """Column name of a group key in JSON/CSV: ``tag:team`` -> ``tag_team``."""
    return key.replace(":", "_").replace("-", "_").replace(".", "_")


def group_series(frame: pd.DataFrame, key: str) -> pd.Series:
    """The values a group key takes per row (tag keys read the Tags map)."""
    if key.startswith("tag:"):
        tag = key[4:]
        return frame["Tags"].map(lambda t: t.get(tag) if isinstance(t, dict) else None).astype("string")
    return frame[GROUP_KEYS[key]].astype("string")


@dataclass
class CostReport:
    """Rows of a cost report plus what the renderer needs to present them."""

    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]]  # one per currency
    keys: list[str]  # output names of the group keys
    period: str | None  # output name of the period column


MONTH_BASES = ("usage", "invoice")
INVOICE_MARGIN_DAYS = 7  # usage this close to a month boundary may be invoiced in the neighbouring month


def invoice_months(frame: pd.DataFrame) -> pd.Series:
    """``YYYY-MM`` of the invoice each row belongs to (its usage month when the source has none).

    GCP exports carry ``invoice.month`` (late usage of the 31st lands on next month's invoice);
    FOCUS sources carry BillingPeriodStart; Cost Explorer and Cost Management bill by usage month.
    """
    billing = frame["BillingPeriodStart"].dt.tz_convert("UTC").dt.strftime("%Y-%m")
    usage = frame["ChargePeriodStart"].dt.tz_convert("UTC").dt.strftime("%Y-%m")
    return billing.fillna(usage).astype("string")


def build(frame: pd.DataFrame, *, group_by: list[str], granularity: str = "daily", metric: str = "effective",
          top: int | None = None, month_basis: str = "usage") -> CostReport:
    """Aggregate a normalized frame into report rows.

    ``month_basis`` ``invoice`` buckets monthly rows by invoice month instead of usage month.
    """
    import pandas as pd

    if granularity not in GRANULARITIES:
        raise UsageError(f"--granularity: expected one of {', '.join(GRANULARITIES)}")
    period = PERIOD_COLUMN[granularity]
    names = [output_name(k) for k in group_by]
    data = pd.DataFrame({"cost": frame[METRICS[metric]].astype("float64"),
                         "currency": frame["BillingCurrency"].astype("string").fillna("")})
    starts = frame["ChargePeriodStart"].dt.tz_convert("UTC")
    if period == "date":
        data[period] = starts.dt.strftime("%Y-%m-%d")
    elif period == "month":
        data[period] = invoice_months(frame) if month_basis == "invoice" else starts.dt.strftime("%Y-%m")
    for key, name in zip(group_by, names, strict=True):
        data[name] = group_series(frame, key)

    if top is not None and top > 0 and names:
        ranking = data.groupby(names + ["currency"], dropna=False)["cost"].sum()
        ranking = ranking.sort_values(ascending=False, key=lambda s: s.abs())
        keep = set(ranking.index[:top])
        index = pd.MultiIndex.from_frame(data[names + ["currency"]])
        folded = ~index.isin(list(keep))
        for name in names:
            data[name] = data[name].astype("object")
            data.loc[folded, name] = OTHER

    keys = ([period] if period else []) + names + ["currency"]
    grouped = data.groupby(keys, dropna=False, sort=False)["cost"].sum().reset_index()
    grouped["_abs"] = -grouped["cost"].abs()
    grouped["_other"] = grouped[names].eq(OTHER).any(axis=1) if names else False
    grouped = grouped.sort_values(([period] if period else []) + ["_other", "_abs"], kind="stable")
    rows = [
        {k: (None if _isna(v) else v) for k, v in rec.items() if not k.startswith("_")}
        for rec in grouped.to_dict(orient="records")
    ]
    for row in rows:
        row["cost"] = float(row["cost"])
        if row.get("currency") == "":
            row["currency"] = None
    totals = [
        {"currency": cur or None, "cost": float(amount)}
        for cur, amount in data.groupby("currency", dropna=False)["cost"].sum().items()
    ]
    return CostReport(rows=rows, totals=totals, keys=names, period=period)


def _isna(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, list | dict) and bool(pd.isna(value)))
