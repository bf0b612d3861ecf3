"""A rollup's day and month come from integer keys (``query.DAY_NUMBER``, ``CALENDAR``), not from
date_trunc per row: they must be the UTC day and month of every ChargePeriodStart, before 1970,
at midnight, on month ends, in leap years and outside the calendar table alike."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from costctl.model import normalize
from costctl.query import Dataset


def records(starts: list[pd.Timestamp]) -> pd.DataFrame:
    return normalize(pd.DataFrame([{
        "ChargePeriodStart": t, "ChargePeriodEnd": t + pd.Timedelta(hours=1), "BilledCost": float(i + 1),
        "EffectiveCost": float(i + 1), "BillingCurrency": "USD", "ProviderName": "X", "ServiceName": f"s{i % 3}",
        "ChargeCategory": "Usage"} for i, t in enumerate(starts)]))


def starts() -> list[pd.Timestamp]:
    rng = random.Random(4)
    fixed = ["1860-05-17 08:00:00", "1869-12-31 23:59:59", "1870-01-01 00:00:00", "1965-03-31 23:30:00",
             "1969-12-31 23:59:59.999999", "1970-01-01 00:00:00", "2000-02-29 12:00:00", "2024-02-29 23:59:59",
             "2026-02-28 23:59:59", "2026-03-01 00:00:00", "2026-12-31 23:59:59", "2262-01-17 08:00:00"]
    out = [pd.Timestamp(t, tz="UTC") for t in fixed]
    lo, hi = pd.Timestamp("1850-01-01", tz="UTC").value // 1000, pd.Timestamp("2262-01-01", tz="UTC").value // 1000
    out += [pd.Timestamp(rng.randrange(lo, hi) * 1000, tz="UTC") for _ in range(300)]
    return out


@pytest.mark.parametrize("bucket", ["day", "month"])
def test_rollup_buckets_are_the_utc_day_and_month_of_each_start(bucket: str) -> None:
    frame = records(starts())
    table = Dataset.from_frame(frame).rollup_table(["ServiceName"], by_month=bucket == "month").to_pandas()
    stamps = frame["ChargePeriodStart"].dt.tz_convert("UTC")
    floor = stamps.dt.floor("D") if bucket == "day" else stamps.dt.tz_localize(None).dt.to_period("M").dt.start_time \
        .dt.tz_localize("UTC")
    expected = pd.DataFrame({"start": floor.dt.as_unit("us"), "service": frame["ServiceName"],
                             "cost": frame["BilledCost"]}).groupby(["start", "service"])["cost"].sum()
    got = pd.DataFrame({"start": pd.to_datetime(table["ChargePeriodStart"], utc=True).dt.as_unit("us"),
                        "service": table["ServiceName"], "cost": table["BilledCost"]}).groupby(
        ["start", "service"])["cost"].sum()
    assert got.to_dict() == expected.to_dict()
