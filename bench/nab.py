"""Numenta Anomaly Benchmark series as daily cost series, with their labeled windows.

Reads the files vendored in ``bench/data/nab`` (see its SOURCE.md: MIT, commit ea702d7). Each
series is summed per UTC day, as a billing export reports cost; a first or last day the series
covers only in part is dropped (no export bills half a day); the series is scaled so its median
day costs 1,000, so that ``--min-impact`` and ``--min-pct`` act on it as on a bill. A labeled
window becomes the set of days it touches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data" / "nab"
GROUPS = ("realTraffic", "realAdExchange", "artificialWithAnomaly")
MEDIAN_DAY = 1000.0


@dataclass
class Series:
    """One NAB series as daily cost."""

    group: str
    name: str
    daily: pd.Series  # date -> cost
    windows: list[set[date]]  # days each labeled window touches


def _days(start: str, end: str) -> set[date]:
    lo, hi = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    return {lo + timedelta(days=i) for i in range((hi - lo).days + 1)}


def daily(path: Path) -> pd.Series:
    """Daily sums of one NAB csv (``timestamp,value``), whole days only, median day = ``MEDIAN_DAY``."""
    raw = pd.read_csv(path, parse_dates=["timestamp"])
    sums = raw.set_index("timestamp")["value"].resample("D").sum()
    first, last = raw["timestamp"].iloc[0], raw["timestamp"].iloc[-1]
    if first - first.normalize() > pd.Timedelta(hours=1):
        sums = sums.iloc[1:]
    if last - last.normalize() < pd.Timedelta(hours=23):
        sums = sums.iloc[:-1]
    sums = sums - min(float(sums.min()), 0.0)  # a cost is not negative (art_daily_flatmiddle dips below 0)
    return sums / float(sums.median()) * MEDIAN_DAY


def load(groups: tuple[str, ...] = GROUPS) -> list[Series]:
    labels = json.loads((DATA / "combined_windows.json").read_text())
    found = []
    for group in groups:
        for path in sorted((DATA / group).glob("*.csv.gz")):
            name = path.name.removesuffix(".gz")
            series = daily(path)
            series.index = [ts.date() for ts in series.index]
            found.append(Series(group, name, series, [_days(a, b) for a, b in labels[f"{group}/{name}"]]))
    return found
