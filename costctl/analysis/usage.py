"""The usage report behind ``costctl usage``: consumed quantities per unit, with what a unit cost.

Reads the daily rollup (``Dataset.rollup_table``, summed in DuckDB) of the rows that carry a
``ConsumedUnit``; a charge without a unit (tax, credit, a purchase) has no quantity to report.
The unit is always a group key: instance-hours and GB-months are never added together, whatever
``--group-by`` says. ``unit_cost`` is cost / quantity per row (None when the quantity is 0 or
unknown), so a price change shows as a step in a daily report even when the spend moves with
the quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from costctl.analysis.costs import GRANULARITIES, PERIOD_COLUMN, group_series, output_name
from costctl.errors import UsageError
from costctl.model import GROUP_KEYS, METRICS

if TYPE_CHECKING:
    import pandas as pd

    from costctl.filters import Filters
    from costctl.query import Dataset

UNIT_KEY = "unit"
USAGE_KEYS: dict[str, str] = {**GROUP_KEYS, "resource_type": "ResourceType", UNIT_KEY: "ConsumedUnit"}
HAS_UNIT = "ConsumedUnit IS NOT NULL AND trim(ConsumedUnit) <> ''"  # pushed into the DuckDB query


def on_basis(data: Dataset, basis: str) -> Dataset:
    """The records with the quantity the report counts in ConsumedQuantity/ConsumedUnit.

    ``consumed``: as they are. ``pricing``: FOCUS's PricingQuantity/PricingUnit in their place, the
    quantity a price applies to (CUR's usage amount in its pricing unit, GCP's
    ``usage.amount_in_pricing_units``): everything after this reads one pair of columns.
    """
    from costctl.query import Dataset

    if basis == "consumed" or data.source is None:
        return data
    if basis != "pricing":
        raise UsageError(f"--quantity: expected consumed or pricing, got {basis!r}")
    return Dataset(f"(SELECT * REPLACE (PricingQuantity AS ConsumedQuantity, PricingUnit AS ConsumedUnit) "
                   f"FROM ({data.sql()}))")


def parse_group_by(value: str | None) -> list[str]:
    """``"service,unit"`` -> ``["service", "unit"]``, validated; ``unit`` is added when missing."""
    keys = [k.strip() for k in (value or "").split(",") if k.strip()]
    for key in keys:
        if key.startswith("tag:"):
            if len(key) == 4:
                raise UsageError("--group-by: tag: needs a key, e.g. tag:team")
        elif key not in USAGE_KEYS:
            raise UsageError(f"--group-by: unknown key {key!r} (known: {', '.join(USAGE_KEYS)}, tag:KEY)")
    if len(set(keys)) != len(keys):
        raise UsageError("--group-by: a key is repeated")
    return keys if UNIT_KEY in keys else [*keys, UNIT_KEY]


def record_columns(keys: list[str]) -> tuple[list[str], list[str]]:
    """(record columns, tag keys) the rollup must keep for ``keys``."""
    from costctl.query import columns_for

    columns, tags = columns_for([k for k in keys if k in GROUP_KEYS or k.startswith("tag:")])
    columns += [USAGE_KEYS[k] for k in keys if k in ("resource_type", UNIT_KEY)]
    return list(dict.fromkeys(columns)), tags


def _series(frame: pd.DataFrame, key: str) -> pd.Series:
    if key in ("resource_type", UNIT_KEY):
        return frame[USAGE_KEYS[key]].astype("string")
    return group_series(frame, key)


@dataclass
class UsageReport:
    """Rows of a usage report and the names of its columns."""

    rows: list[dict[str, Any]]
    keys: list[str]  # output names of the group keys (``unit`` among them)
    period: str | None


def unit_cost(cost: float, quantity: float | None) -> float | None:
    """Cost of one unit; None when nothing (or an unknown amount) was consumed."""
    if quantity is None or quantity != quantity or quantity == 0:
        return None
    return cost / quantity


def build(frame: pd.DataFrame, *, group_by: list[str], granularity: str = "daily",
          metric: str = "effective") -> UsageReport:
    """Sum the rollup's quantities and cost per period and group (the unit among the groups)."""
    import pandas as pd

    if granularity not in GRANULARITIES:
        raise UsageError(f"--granularity: expected one of {', '.join(GRANULARITIES)}")
    if UNIT_KEY not in group_by:
        raise ValueError("a usage report is always grouped by unit")
    period = PERIOD_COLUMN[granularity]
    names = [output_name(k) for k in group_by]
    data = pd.DataFrame({"quantity": frame["ConsumedQuantity"].astype("float64"),
                         "cost": frame[METRICS[metric]].astype("float64"),
                         "currency": frame["BillingCurrency"].astype("string").fillna("")})
    starts = frame["ChargePeriodStart"].dt.tz_convert("UTC")
    if period == "date":
        data[period] = starts.dt.strftime("%Y-%m-%d")
    elif period == "month":
        data[period] = starts.dt.strftime("%Y-%m")
    for key, name in zip(group_by, names, strict=True):
        data[name] = _series(frame, key)
    keys = ([period] if period else []) + names + ["currency"]
    grouped = (data.groupby(keys, dropna=False, sort=False)
               .agg(quantity=("quantity", lambda s: s.sum(min_count=1)), cost=("cost", "sum")).reset_index())
    grouped["_abs"] = -grouped["cost"].abs()
    grouped = grouped.sort_values(([period] if period else []) + ["_abs", *names], kind="stable")
    rows = []
    for rec in grouped.to_dict(orient="records"):
        row = {k: (None if _isna(v) else v) for k, v in rec.items() if not k.startswith("_")}
        row["cost"] = float(row["cost"])
        row["quantity"] = None if row["quantity"] is None else float(row["quantity"])
        row["unit_cost"] = unit_cost(row["cost"], row["quantity"])
        row["currency"] = row["currency"] or None
        rows.append(row)
    return UsageReport(rows=rows, keys=names, period=period)


def _isna(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


@dataclass
class DayQuantity:
    """What ``check --period usage`` reads of one source for one day."""

    quantity: float  # summed ConsumedQuantity of the rows in the unit (0 when none)
    rows: int  # rows in the unit (after filters): 0 means the unit was not consumed
    present: bool  # the source has any row on the day (before filters): False means no data yet
    units: list[str]  # units the filtered rows of the day carry, to name when the asked one is absent


def day_quantity(data: Dataset, filters: Filters | None, unit: str, start: date, end: date) -> DayQuantity:
    """The quantity consumed in ``unit`` over ``[start, end)``, summed in DuckDB.

    The unit matches case-insensitively and ignoring surrounding spaces: ``hrs`` is ``Hrs``,
    but ``Hours`` is not ``Hrs``; two spellings are two units, never added up.
    """
    day = data.between(start, end)
    present = day.arrow(day.sql("count(*) AS n")).column("n")[0].as_py() > 0
    selected = day.filtered(filters).narrowed(HAS_UNIT)
    table = selected.arrow(selected.sql(
        "trim(ConsumedUnit) AS unit, fsum(ConsumedQuantity) AS quantity, count(*) AS n") + " GROUP BY 1 ORDER BY 1")
    units = table.column("unit").to_pylist()
    wanted = unit.strip().lower()
    quantity, rows = 0.0, 0
    for name, amount, count in zip(units, table.column("quantity").to_pylist(), table.column("n").to_pylist(),
                                   strict=True):
        if name.lower() == wanted:
            quantity += amount or 0.0
            rows += count
    return DayQuantity(quantity, rows, present, units)
