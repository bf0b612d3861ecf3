"""The series matrix built inside DuckDB (``anomaly_sql``) finds what the frame path finds.

``detect_data`` is what the CLI, the check and the Prometheus findings run: the frame path
(``detect``) is the reference it must agree with, on data that exercises the edges: several
keys at once, a tag key, missing values, text whose order depends on case and accents, two
currencies, two sources that stopped reporting on different days, rows outside the range and
several records on one group's day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from costctl.analysis import anomaly_sql
from costctl.analysis.anomalies import Settings, detect, detect_data
from costctl.analysis.anomaly_series import reported_through
from costctl.model import normalize
from costctl.query import Dataset

END = date(2026, 3, 1)
START = END - timedelta(days=14)
HISTORY = START - timedelta(days=60)
SERVICES = ["EC2", "ec2", "Éclair", "zeta", "Zeta", None]
TEAMS = ["web", "", "Data", None]


def records(seed: int) -> pd.DataFrame:
    """Random records with spikes, drops and new spend planted, from before HISTORY to past END."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    first = HISTORY - timedelta(days=10)
    for g in range(40):
        service, team = rng.choice(SERVICES), rng.choice(TEAMS)
        region = rng.choice(["us-east-1", "eu-west-1", None])
        currency = "EUR" if g % 7 == 0 else "USD"
        source = "gcp" if g % 3 == 0 else "aws"
        level = rng.uniform(20, 500)
        born = first + timedelta(days=rng.choice([0, 0, 0, 70]))  # a few start late: new spend
        for d in range((END - born).days + 3):  # two days past END: outside the range
            day = born + timedelta(days=d)
            if source == "gcp" and day >= END - timedelta(days=2):
                continue  # this source has not reported its last days yet
            cost = level * rng.uniform(0.95, 1.05) * (6 if rng.random() < 0.02 else 1)
            for part in range(rng.choice([1, 1, 2])):  # sometimes two records on one day
                rows.append({
                    "ChargePeriodStart": pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=part),
                    "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
                    "BilledCost": cost / (part + 1), "EffectiveCost": cost / (part + 1),
                    "BillingCurrency": currency, "ProviderName": source.upper(), "x_Source": source,
                    "SubAccountId": f"{g % 4:012d}", "ServiceName": service, "RegionId": region,
                    "ResourceId": f"r-{g}-{part}", "ChargeCategory": "Usage",
                    "Tags": {} if team is None else {"team": team},
                })
    return normalize(pd.DataFrame(rows))


def comparable(found: list[Any]) -> list[dict[str, Any]]:
    return [a.record() for a in found]


@pytest.mark.parametrize("keys", [["service"], ["service", "region"], ["tag:team", "account"], ["resource"]])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_duckdb_matrix_finds_what_the_frame_path_finds(keys: list[str], seed: int) -> None:
    frame = records(seed)
    data = Dataset.from_frame(frame)
    settings = Settings(keys=keys, min_impact=5.0)
    reported = reported_through(frame)
    assert anomaly_sql.reported_through(data) == reported == {"aws": END + timedelta(days=2),
                                                              "gcp": END - timedelta(days=3)}
    expected = comparable(detect(frame, settings, HISTORY, START, END, reported))
    got = comparable(detect_data(data, settings, HISTORY, START, END, reported))
    assert expected, "the planted changes must give the comparison something to compare"
    assert [(a["id"], a["kind"], a["severity"]) for a in got] == [(a["id"], a["kind"], a["severity"])
                                                                   for a in expected]
    same(got, expected, "anomalies")


def same(got: Any, expected: Any, where: str) -> None:
    """Equal, amounts to 1e-9 (both sums are compensated, over the records in another order)."""
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), where
        for key, value in expected.items():
            same(got[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            same(a, b, f"{where}[{i}]")
    else:
        assert got == expected, where


def test_the_matrix_has_the_frame_paths_groups_days_and_reach() -> None:
    from costctl.analysis.anomaly_codes import fleet_series

    frame = records(7)
    reported = reported_through(frame)
    for keys in (["service", "region"], ["tag:team"]):
        old = fleet_series(frame, keys, "effective", HISTORY, END, reported)
        matrix, known = anomaly_sql.fleet(Dataset.from_frame(frame), keys, "effective", HISTORY, END, reported)
        assert matrix.groups == old.matrix.groups  # same names, same (code point) order
        assert matrix.days == old.matrix.days
        assert known == old.known
        assert matrix.values == pytest.approx(old.matrix.values, rel=1e-12)


def test_no_rows_and_no_rows_in_range_give_an_empty_matrix() -> None:
    matrix, known = anomaly_sql.fleet(Dataset.empty(), ["service"], "effective", HISTORY, END, {})
    assert (matrix.groups, known, matrix.values.shape) == ([], [], (len(matrix.days), 0))
    frame = records(1)
    later = (END + timedelta(days=30), END + timedelta(days=40))
    matrix, known = anomaly_sql.fleet(Dataset.from_frame(frame), ["service"], "effective", *later, {})
    assert (matrix.groups, known) == ([], [])


def test_rows_of_flagged_groups_are_exactly_those_groups_rows() -> None:
    frame = records(2)
    data = Dataset.from_frame(frame)
    read = anomaly_sql.rows_reader(data, ["service", "tag:team"], ["ServiceName"], ["team"])
    rows = read([("Éclair", "", "USD"), ("zeta", "web", "EUR")])
    tags = frame["Tags"].map(lambda t: t.get("team") or "")
    wanted = frame[((frame["ServiceName"].fillna("") == "Éclair") & (tags == "") & (frame["BillingCurrency"] == "USD"))
                   | ((frame["ServiceName"].fillna("") == "zeta") & (tags == "web")
                      & (frame["BillingCurrency"] == "EUR"))]
    assert rows["EffectiveCost"].sum() == pytest.approx(wanted["EffectiveCost"].sum())
    assert len(read([])) == 0


def test_a_group_silent_for_the_lookback_before_its_anomaly_is_still_placed_under_its_account() -> None:
    """Explanations read rows from LOOKBACK_DAYS before the first flagged day; a group with none in
    that time (a long --window still expects it) is read whole, as the frame path always did."""
    rows = []
    stop = START - timedelta(days=30)  # nothing in the 28 days before the window starts
    history = START - timedelta(days=120)
    day = history
    while day < stop:
        for account, cost in (("111111111111", 90.0), ("222222222222", 10.0)):
            rows.append({"ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
                         "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
                         "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD",
                         "ProviderName": "AWS", "x_Source": "aws", "SubAccountId": account, "ServiceName": "EC2",
                         "ChargeCategory": "Usage"})
        day += timedelta(days=1)
    rows.append({**rows[-1], "ChargePeriodStart": pd.Timestamp(END - timedelta(days=1), tz="UTC"),
                 "ChargePeriodEnd": pd.Timestamp(END, tz="UTC"), "ServiceName": "S3", "BilledCost": 1.0,
                 "EffectiveCost": 1.0})  # the source reports through the window
    frame = normalize(pd.DataFrame(rows))
    settings = Settings(keys=["service"], window=80, min_impact=5.0)
    reported = reported_through(frame)
    found = detect_data(Dataset.from_frame(frame), settings, history, START, END, reported)
    drops = [a for a in found if a.group == {"service": "EC2"}]
    assert drops and drops[0].kind in ("drop", "level_shift") and drops[0].date == START
    assert drops[0].rollup == {"provider": "AWS", "account": "111111111111"}
    same(comparable(found), comparable(detect(frame, settings, history, START, END, reported)), "anomalies")


def test_groups_sharing_a_hash_are_told_apart_by_their_text(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = records(5)
    reported = reported_through(frame)
    data = Dataset.from_frame(frame)
    by_hash = anomaly_sql.fleet(data, ["service", "region"], "effective", HISTORY, END, reported)
    monkeypatch.setattr(anomaly_sql, "all_distinct", lambda hashes: False)  # as if two groups clashed
    by_text = anomaly_sql.fleet(data, ["service", "region"], "effective", HISTORY, END, reported)
    assert by_text[0].groups == by_hash[0].groups and by_text[1] == by_hash[1]
    assert by_text[0].values == pytest.approx(by_hash[0].values, rel=1e-12)
