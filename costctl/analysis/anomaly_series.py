"""Daily cost series per group: the input every anomaly method reads.

Sits between the normalized frame and the detection methods. A group is one combination of the
``--by`` keys plus the billing currency (amounts in different currencies are never added). Every
group gets a value for every day of the range, zero where it had no rows, so that methods can
index days by position and a missing day really means "cost nothing".

That holds only up to the newest day a source (provider instance, ``x_Source``) has reported:
exports and Cost Explorer lag a day or two, and a day not reported yet is unknown, not free.
``reported_through`` finds that day per source, from the data before filters (a filter that
selects nothing on a reported day means 0); each group's series is cut after the
newest day of the least advanced source it has rows from (``anomaly_codes``), so no method ever
judges such a day.
A group that has no rows after an earlier day while its source reports later days did stop: its
zeros are real and its drop is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
    """One row per record with ``day``, ``currency``, ``source``, the group keys, the ``extra`` keys and ``cost``.

    Missing key values become ``NONE`` so that groupby never drops them.
    """
    import pandas as pd

    data = pd.DataFrame({
        "day": frame["ChargePeriodStart"].dt.tz_convert("UTC").dt.date,
        "currency": frame["BillingCurrency"].astype("string").fillna(NONE).astype(object),
        "cost": frame[METRICS[metric]].astype("float64"),
        "source": _sources(frame),
    })
    for key in dict.fromkeys(keys + extra):
        data[key] = group_series(frame, key).fillna(NONE).astype(object)
    return data


def _sources(frame: pd.DataFrame) -> pd.Series:
    return frame["x_Source"].astype("string").fillna(NONE).astype(object)


def reported_through(frame: pd.DataFrame) -> dict[str, date]:
    """The newest day (UTC ``ChargePeriodStart``) of each source in ``frame``: the last day it has reported.

    Give it the frame before filters; a source with no rows is absent (it reported nothing).
    """
    import pandas as pd

    if len(frame) == 0:
        return {}
    newest = frame["ChargePeriodStart"].groupby(_sources(frame)).max()
    return {str(source): pd.Timestamp(ts).tz_convert("UTC").date() for source, ts in newest.items() if not pd.isna(ts)}
