"""Split charges that span more than one day into daily pieces, so every record is daily or finer.

Reports group by day; a monthly AWS tax line or a monthly Azure reservation fee would otherwise
land entirely on the first of the month. Each piece gets the share of the row's costs and
quantity that its duration is of the whole period, so totals are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Columns scaled by each piece's share of the period.
PRORATED = ("BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity")


def split_daily(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows longer than one day become one row per (partial) UTC day; other rows are untouched."""
    import numpy as np
    import pandas as pd

    if frame.empty:
        return frame
    start = frame["ChargePeriodStart"]
    end = frame["ChargePeriodEnd"]
    long = (end - start) > pd.Timedelta(days=1)
    if not long.any():
        return frame
    rows = frame.loc[long]
    first_day = rows["ChargePeriodStart"].dt.floor("D")
    n_days = ((rows["ChargePeriodEnd"] - first_day) / pd.Timedelta(days=1)).map(np.ceil).astype("int64")
    pieces = rows.loc[rows.index.repeat(n_days)].copy()
    offset = pieces.groupby(level=0).cumcount().to_numpy()
    naive_days = first_day.loc[pieces.index].dt.tz_convert(None).to_numpy() + offset * np.timedelta64(1, "D")
    day = pd.Series(pd.DatetimeIndex(naive_days).tz_localize("UTC"), index=pieces.index)
    piece_start = np.maximum(pieces["ChargePeriodStart"], day)
    piece_end = np.minimum(pieces["ChargePeriodEnd"], day + pd.Timedelta(days=1))
    share = (piece_end - piece_start) / (pieces["ChargePeriodEnd"] - pieces["ChargePeriodStart"])
    pieces["ChargePeriodStart"] = piece_start
    pieces["ChargePeriodEnd"] = piece_end
    for column in PRORATED:
        if column in pieces.columns:
            pieces[column] = pd.to_numeric(pieces[column]) * share
    return pd.concat([frame.loc[~long], pieces]).sort_index(kind="stable").reset_index(drop=True)
