"""detect(): series per group, new spend, money filters, severity, root cause, ids and acks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from costctl.analysis.anomalies import Settings, anomaly_id, detect, lagging, unreported
from costctl.analysis.anomaly_rootcause import drill_keys, main_cause
from costctl.analysis.anomaly_series import reported_through
from costctl.analysis.anomaly_severity import parse_cutoffs, severity, share
from costctl.analysis.anomaly_store import AnomalyStore
from costctl.errors import UsageError
from costctl.model import normalize

END = date(2026, 3, 1)  # exclusive: the window is the 14 days before it
START = END - timedelta(days=14)
HISTORY = START - timedelta(days=90)


def frame(series: dict[tuple[str, str, str], list[float]]) -> pd.DataFrame:
    """Normalized records: (service, resource, region) -> daily costs ending the day before END."""
    rows = []
    for (service, resource, region), costs in series.items():
        first = END - timedelta(days=len(costs))
        for i, cost in enumerate(costs):
            if cost == 0:
                continue
            day = first + timedelta(days=i)
            rows.append({"ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
                         "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
                         "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD",
                         "ProviderName": "AWS", "SubAccountId": "111", "ServiceName": service,
                         "RegionId": region, "ResourceId": resource, "ChargeCategory": "Usage"})
    return normalize(pd.DataFrame(rows))


def flat(level: float, n: int = 104) -> list[float]:
    return [level * (1 + 0.01 * ((i * 7) % 5 - 2)) for i in range(n)]  # +-2 % wobble, deterministic


def run(data: pd.DataFrame, **kw) -> list:
    return detect(data, Settings(keys=kw.pop("keys", ["service"]), **kw), HISTORY, START, END)


def test_a_spike_lists_the_resource_that_caused_it_with_its_share() -> None:
    web, db = flat(100), flat(50)
    web[-4] = 400.0
    found = run(frame({("EC2", "i-web", "us-east-1"): web, ("EC2", "i-db", "us-east-1"): db}))
    assert [(a.date, a.kind, a.group) for a in found] == [(END - timedelta(days=4), "spike", {"service": "EC2"})]
    a = found[0]
    assert a.cost == pytest.approx(400 + db[-4])
    assert a.impact == pytest.approx(a.cost - a.expected)
    causes = {next(iter(c.keys.items())): c for c in a.contributors}
    assert causes[("resource", "i-web")].share == pytest.approx(1.0, abs=0.05)
    assert ("resource", "i-db") not in causes  # it did not move
    assert main_cause(a.contributors).keys == {"resource": "i-web"}


def test_a_new_service_is_new_spend_on_its_first_material_day_whatever_the_method() -> None:
    sagemaker = [0.0] * 96 + [3.0, 90.0, 91.0, 90.0, 92.0, 90.0, 91.0, 90.0]
    data = frame({("EC2", "i-web", "us-east-1"): flat(100), ("SageMaker", "nb-1", "us-east-1"): sagemaker})
    for method in ("robust", "zscore", "pct", "iqr"):
        found = run(data, method=method)
        assert [(a.kind, a.date, a.group["service"]) for a in found] == [
            ("new", END - timedelta(days=7), "SageMaker")], method
        assert found[0].expected == 0 and found[0].score is None and found[0].pct is None


def test_a_group_present_from_the_first_day_of_the_data_is_not_new() -> None:
    short = [0.0] * 60 + flat(40, 44)  # the export itself starts here: no quiet week before
    assert run(frame({("S3", "b", "us-east-1"): short})) == []


def test_a_new_group_too_small_to_matter_is_ignored() -> None:
    tiny = [0.0] * 100 + [2.0, 2.0, 2.0, 2.0]
    assert run(frame({("EC2", "i-web", "us-east-1"): flat(100), ("KMS", "k", "us-east-1"): tiny})) == []


def test_min_impact_and_min_pct_drop_small_money() -> None:
    small = flat(5)
    small[-2] = 25.0  # 5x, but only 20 of money
    assert len(run(frame({("X", "r", "eu"): small}))) == 1
    assert run(frame({("X", "r", "eu"): small}), min_impact=50) == []
    big = flat(10_000)
    big[-2] = 11_000.0  # 1000 of money but +10 %
    assert run(frame({("X", "r", "eu"): big}), min_pct=20) == []


def test_results_are_sorted_by_date_then_impact() -> None:
    a, b = flat(100), flat(1000)
    a[-3], b[-3], b[-6] = 500.0, 3000.0, 2500.0
    found = run(frame({("A", "r", "x"): a, ("B", "r", "x"): b}))
    assert [(x.date, x.group["service"]) for x in found] == [
        (END - timedelta(days=6), "B"), (END - timedelta(days=3), "B"), (END - timedelta(days=3), "A")]


def test_grouping_by_region_drills_into_resources() -> None:
    east, west = flat(100), flat(100)
    west[-1] = 600.0
    data = frame({("EC2", "i-1", "us-east-1"): east, ("EC2", "i-2", "us-west-2"): west})
    found = run(data, keys=["region"])
    assert [(a.group, a.contributors[0].keys) for a in found] == [({"region": "us-west-2"}, {"resource": "i-2"})]


def test_ids_are_stable_and_differ_by_day_and_group() -> None:
    day = date(2026, 1, 5)
    assert anomaly_id(day, {"service": "EC2"}, "USD") == anomaly_id(day, {"service": "EC2"}, "USD")
    assert anomaly_id(day, {"service": "EC2"}, "USD") != anomaly_id(day + timedelta(days=1), {"service": "EC2"}, "USD")
    assert anomaly_id(day, {"service": "EC2"}, "USD") != anomaly_id(day, {"service": "S3"}, "USD")


def test_an_unknown_method_or_sensitivity_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        Settings(keys=["service"], method="magic").resolved_threshold()
    with pytest.raises(UsageError):
        Settings(keys=["service"], sensitivity="paranoid").resolved_threshold()


@pytest.mark.parametrize(("impact", "cost", "expected", "level"), [
    (600, 700, 100, "critical"),
    (600, 10_600, 10_000, "low"),  # lots of money but a 6 % wobble of a huge service
    (150, 250, 100, "high"),
    (30, 130, 100, "medium"),
    (12, 22, 10, "low"),
    (-300, 100, 400, "high"),  # drops count by their size too
])
def test_severity_needs_both_money_and_share(impact: float, cost: float, expected: float, level: str) -> None:
    assert severity(impact, cost, expected) == level


def test_share_of_new_spend_is_whole_and_cutoffs_are_validated() -> None:
    assert share(90, 90, 0) == 1.0
    assert parse_cutoffs({"critical": {"impact": 2000}})["critical"] == {"impact": 2000.0, "share": 0.5}
    for bad in ({"urgent": {"impact": 1}}, {"high": {"share": 2}}, {"high": {"impact": -1}}, {"high": 5}):
        with pytest.raises(ValueError):
            parse_cutoffs(bad)


def test_drill_levels() -> None:
    assert drill_keys(["provider", "account", "service"]) == ["region", "sku", "resource"]
    assert drill_keys(["provider"]) == ["account"]
    assert drill_keys(["tag:team"]) == ["service"]


def test_an_ack_silences_its_anomaly_and_with_until_its_group_for_a_while(tmp_path: Path) -> None:
    web = flat(100)
    web[-10], web[-5], web[-2] = 400.0, 400.0, 400.0
    data = frame({("EC2", "i-web", "us-east-1"): web})
    found = run(data)
    assert len(found) == 3
    store = AnomalyStore(tmp_path)
    store.remember(found, END)
    store.acknowledge(found[0].id, END, note="load test")
    store.mark(found)
    assert [a.acknowledged for a in found] == [True, False, False]
    store.acknowledge(found[0].id, END, until=found[1].date, note="migration")
    store.mark(found)
    assert [a.acknowledged for a in found] == [True, True, False]
    assert [a.note for a in store.acks()] == ["migration"]
    assert store.unacknowledge(found[0].id) and not store.unacknowledge(found[0].id)
    with pytest.raises(UsageError, match="no reported anomaly"):
        store.acknowledge("feedfacecafe", END)


# Days a source has not reported yet are unknown, not zero -------------------------------------


def sourced(series: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    """Records of (source, service) -> daily costs ending the day before END; 0 = no row that day."""
    rows = []
    for (source, service), costs in series.items():
        first = END - timedelta(days=len(costs))
        for i, cost in enumerate(costs):
            if cost:
                day = first + timedelta(days=i)
                rows.append({"ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
                             "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
                             "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD",
                             "ProviderName": source.upper(), "SubAccountId": "111", "ServiceName": service,
                             "RegionId": "r", "ResourceId": f"{service}-1", "ChargeCategory": "Usage",
                             "x_Source": source})
    return normalize(pd.DataFrame(rows))


def test_a_day_the_provider_has_not_reported_is_not_a_drop_but_a_group_that_stopped_before_is() -> None:
    """The export lacks its last day entirely; the web service really stopped four days earlier."""
    web = flat(100)[:-5] + [0.0] * 5  # no rows from END-5 on: stopped
    db = flat(50)[:-1] + [0.0]  # no rows on END-1: nobody has reported that day yet
    data = frame({("EC2", "i-web", "us-east-1"): web, ("RDS", "db-1", "us-east-1"): db})
    found = run(data)
    assert [(a.date, a.group["service"], a.cost) for a in found] == [(END - timedelta(days=5), "EC2", 0.0)]
    assert found[0].kind in ("drop", "level_shift") and found[0].impact < -90
    assert all(a.date < END - timedelta(days=1) for a in run(data, method="zscore") + run(data, method="pct"))


def test_each_source_is_cut_at_its_own_newest_day() -> None:
    """azure lags a day behind aws: its groups are not judged on END-1, aws's stopped service is."""
    data = sourced({("aws", "EC2"): flat(100), ("aws", "S3"): flat(60)[:-1] + [0.0],
                    ("azure", "VM"): flat(80)[:-1] + [0.0], ("azure", "SQL"): flat(40)[:-1] + [0.0]})
    assert reported_through(data) == {"aws": END - timedelta(days=1), "azure": END - timedelta(days=2)}
    found = run(data)
    assert [(a.date, a.kind, a.group["service"]) for a in found] == [(END - timedelta(days=1), "drop", "S3")]


def test_the_newest_day_comes_from_the_data_before_filters() -> None:
    """Filtered down to a service that stopped on the last day, its drop is still a drop."""
    data = sourced({("aws", "EC2"): flat(100), ("aws", "S3"): flat(60)[:-1] + [0.0]})
    only_s3 = data[data["ServiceName"] == "S3"].reset_index(drop=True)
    assert run(only_s3) == []  # on its own the S3 rows say nothing about END-1
    found = detect(only_s3, Settings(keys=["service"]), HISTORY, START, END, reported_through(data))
    assert [(a.date, a.kind, a.group["service"]) for a in found] == [(END - timedelta(days=1), "drop", "S3")]


def test_a_window_no_source_has_reported_is_named_and_judges_nothing() -> None:
    data = sourced({("aws", "EC2"): flat(100)[:-20] + [0.0] * 20})  # nothing since START - 6
    reported = reported_through(data)
    assert run(data) == []
    assert unreported(reported, START, END) == (f"no data for {START}..{END - timedelta(days=1)} "
                                                f"(newest data {END - timedelta(days=21)})")
    assert unreported({}, START, END).endswith("(no data at all yet)")
    assert unreported(reported, START - timedelta(days=7), END) is None
    assert lagging(reported, START, END) == [f"aws: no data after {END - timedelta(days=21)} yet; "
                                             f"{START}..{END - timedelta(days=1)} not judged"]
    assert lagging({"aws": END - timedelta(days=1)}, START, END) == []


def test_each_robust_anomaly_carries_its_series_expected_false_alarm_rate() -> None:
    import numpy as np

    from costctl.analysis.anomaly_robust import alarm_rates

    rng = np.random.default_rng(5)
    noisy = [100.0 * (1 + (0.25 if i % 9 == 0 else 0.0) + rng.uniform(-0.02, 0.02)) for i in range(104)]
    noisy[-3] = 400.0
    data = frame({("EC2", "i-web", "us-east-1"): noisy})
    found = run(data, min_impact=1.0)
    spike = next(a for a in found if a.date == END - timedelta(days=3))
    values = np.array([noisy])
    weekdays = np.array([(END - timedelta(days=104 - i)).weekday() for i in range(104)])
    history_days = (START - HISTORY).days
    window = Settings(keys=["service"]).resolved_window()
    start = history_days - (104 - (END - HISTORY).days)
    expected = alarm_rates(values, weekdays, start, Settings(keys=["service"]).resolved_threshold(), window)[0]
    assert spike.false_alarm_rate == round(float(expected), 4) and spike.false_alarm_rate > 0
    assert spike.record()["false_alarm_rate"] == spike.false_alarm_rate
    assert all(a.false_alarm_rate is None for a in run(data, min_impact=1.0, method="zscore"))
