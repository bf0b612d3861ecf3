"""Daily cost series per group: the input every anomaly method reads.

Sits between the normalized frame and the detection methods. A group is one combination of the
``--by`` keys plus the billing currency (amounts in different currencies are never added). Every
group gets a value for every day of the range, zero where it had no rows, so that methods can
index days by position and a missing day really means "cost nothing".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from costctl.analysis.costs import group_series
from costctl.model import METRICS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NONE = ""  # group value of rows that lack the key (rendered as null)


@dataclass
class SeriesMatrix:
    """Daily costs: ``values[day, group]`` for ``days`` x ``groups``.

    ``groups`` are tuples of the key values followed by the currency.
    """

    days: list[date]
    groups: list[tuple[str, ...]]
    values: np.ndarray

    def column(self, group: tuple[str, ...]) -> np.ndarray:
        return self.values[:, self.groups.index(group)]


def long_frame(frame: pd.DataFrame, keys: list[str], extra: list[str], metric: str) -> pd.DataFrame:
    """One row per record with ``day``, ``currency``, the group keys, the ``extra`` keys and ``cost``.

    Missing key values become ``NONE`` so that groupby never drops them.
    """
    import pandas as pd

    data = pd.DataFrame({
        "day": frame["ChargePeriodStart"].dt.tz_convert("UTC").dt.date,
        "currency": frame["BillingCurrency"].astype("string").fillna(NONE).astype(object),
        "cost": frame[METRICS[metric]].astype("float64"),
    })
    for key in dict.fromkeys(keys + extra):
        data[key] = group_series(frame, key).fillna(NONE).astype(object)
    return data


def build_matrix(data: pd.DataFrame, keys: list[str], start: date, end: date) -> SeriesMatrix:
    """Pivot a long frame into one zero-filled column per group over ``[start, end)``."""
    import numpy as np

    days = [start + timedelta(days=i) for i in range((end - start).days)]
    cols = keys + ["currency"]
    inside = data[(data["day"] >= start) & (data["day"] < end)]
    if inside.empty:
        return SeriesMatrix(days, [], np.zeros((len(days), 0)))
    table = inside.pivot_table(index="day", columns=cols, values="cost", aggfunc="sum", fill_value=0.0)
    table = table.reindex(days, fill_value=0.0)
    groups = [tuple(g) if isinstance(g, tuple) else (g,) for g in table.columns]
    return SeriesMatrix(days, groups, table.to_numpy(dtype="float64"))
