"""The bundled demo dataset: deterministic, FOCUS-shaped, and holding the anomalies FEATURES promises."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from functools import cache

import pandas as pd
import pytest

from costctl.demo import ANCHOR, CLOUDS, DAYS, FEATURES, data_path, demo_providers, offset_date
from costctl.demo.generate import generate

PROVIDER_NAMES = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud"}
FOCUS_12_MANDATORY = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName",
    "PublisherName", "ServiceCategory", "ServiceName",
)
ASKED_FOR = (
    "ConsumedQuantity", "ConsumedUnit", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "SkuId", "SubAccountId", "SubAccountName", "Tags",
)


@cache
def raw(cloud: str) -> pd.DataFrame:
    """The bundled file as text, plus parsed cost, tags and each row's day offset from the end."""
    frame = pd.read_csv(data_path(cloud), dtype=str, keep_default_na=False)
    frame["cost"] = frame["BilledCost"].astype(float)
    frame["effective"] = frame["EffectiveCost"].astype(float)
    frame["tags"] = frame["Tags"].map(json.loads)
    days = pd.to_datetime(frame["ChargePeriodStart"], utc=True).dt.date
    frame["offset"] = days.map(lambda d: (ANCHOR - d).days)
    return frame


def daily(feature: dict) -> pd.Series:
    """BilledCost per day offset (0..DAYS-1, missing days 0) of the rows a feature describes."""
    frame = raw(feature["cloud"])
    rows = frame[frame["ServiceName"] == feature["ServiceName"]]
    if feature.get("SubAccountId"):
        rows = rows[rows["SubAccountId"] == feature["SubAccountId"]]
    if "ResourceId" in feature:
        rows = rows[rows["ResourceId"] == feature["ResourceId"]]
    return rows.groupby("offset")["cost"].sum().reindex(range(DAYS), fill_value=0.0)


def of_kind(kind: str) -> list[str]:
    return [name for name, f in FEATURES.items() if f["kind"] == kind]


def test_regenerating_rewrites_the_bundled_files_byte_for_byte(tmp_path):
    written = generate(tmp_path)
    assert sorted(written) == sorted(CLOUDS)
    for cloud, path in written.items():
        assert path.read_bytes() == data_path(cloud).read_bytes(), f"{cloud}: rerun python -m costctl.demo.generate"
        assert path.read_bytes()[4:8] == b"\0\0\0\0", "gzip mtime must be 0"


def test_files_are_small_and_hold_a_realistic_number_of_rows():
    total = 0
    for cloud in CLOUDS:
        assert data_path(cloud).stat().st_size < 400_000
        with gzip.open(data_path(cloud), "rt") as fh:
            total += sum(1 for _ in fh) - 1
    assert 15_000 <= total <= 40_000


def test_demo_providers_are_files_providers_on_absolute_existing_paths_shifted_to_yesterday():
    providers = demo_providers()
    assert sorted(providers) == sorted(CLOUDS)
    for cloud, settings in providers.items():
        assert settings["type"] == "files" and settings["shift_to_yesterday"] is True
        (path,) = settings["paths"]
        assert path == str(data_path(cloud)) and data_path(cloud).is_absolute() and data_path(cloud).is_file()
    providers["aws"]["paths"].append("elsewhere")
    assert demo_providers()["aws"]["paths"] == [str(data_path("aws"))]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_each_cloud_has_daily_focus_rows_for_every_day_up_to_the_anchor(cloud):
    frame = raw(cloud)
    assert set(FOCUS_12_MANDATORY + ASKED_FOR) <= set(frame.columns)
    assert set(frame["ProviderName"]) == {PROVIDER_NAMES[cloud]}
    assert set(frame["BillingCurrency"]) == {"USD"}
    assert sorted(frame["offset"].unique()) == list(range(DAYS)) and DAYS >= 120
    assert frame["ChargePeriodStart"].max() == f"{ANCHOR.isoformat()}T00:00:00Z"
    starts = pd.to_datetime(frame["ChargePeriodStart"], utc=True)
    assert (pd.to_datetime(frame["ChargePeriodEnd"], utc=True) - starts == pd.Timedelta(days=1)).all()
    # Unused commitment rows bill 0 (the commitment is paid for) and carry the wasted share as EffectiveCost.
    billed = frame[frame["CommitmentDiscountStatus"] != "Unused"]
    assert (frame["cost"] >= 0).all() and (billed["effective"] <= billed["cost"] + 1e-9).all()


@pytest.mark.parametrize("cloud", CLOUDS)
def test_each_cloud_has_several_named_accounts_services_regions_and_resources(cloud):
    frame = raw(cloud)
    accounts = frame.groupby("SubAccountId")["SubAccountName"].unique()
    assert len(accounts) >= 2 and all(len(names) == 1 and names[0] for names in accounts)
    assert frame[frame["ChargeCategory"] == "Usage"]["ServiceName"].nunique() >= 4
    assert frame["RegionId"].nunique() >= 2
    assert frame["ResourceId"].replace("", pd.NA).dropna().nunique() >= 15


@pytest.mark.parametrize("cloud", CLOUDS)
def test_most_rows_carry_team_and_env_tags_but_some_are_untagged(cloud):
    tagged = raw(cloud)["tags"].map(lambda t: {"team", "env"} <= set(t))
    assert 0.6 <= tagged.mean() < 1.0


def test_costs_are_lower_on_weekends_and_grow_over_time():
    total = pd.concat([raw(c) for c in CLOUDS]).groupby("offset")["cost"].sum()
    weekend = [o for o in total.index if offset_date(o).weekday() >= 5]
    weekdays = [o for o in total.index if offset_date(o).weekday() < 5]
    assert total[weekend].median() < 0.9 * total[weekdays].median()
    # First and last four full weeks, away from the planted anomalies at the end.
    assert total.loc[50:77].sum() > 1.05 * total.loc[DAYS - 28:DAYS - 1].sum()


def test_monthly_spend_is_a_few_tens_of_thousands_of_usd():
    frame = pd.concat([raw(c) for c in CLOUDS])
    month = frame[frame["ChargePeriodStart"].str.startswith(ANCHOR.strftime("%Y-%m"))]
    assert 20_000 < month["cost"].sum() < 60_000


def test_aws_bills_a_tax_row_on_the_first_of_each_month_and_commitments_discount_some_compute():
    frame = raw("aws")
    tax = frame[frame["ChargeCategory"] == "Tax"]
    assert len(tax) >= 4 and tax["ChargePeriodStart"].str[8:10].eq("01").all() and (tax["cost"] > 0).all()
    for cloud in ("aws", "azure"):
        compute = raw(cloud)[raw(cloud)["ServiceCategory"] == "Compute"]
        assert (compute["effective"] < compute["cost"] * 0.9).any()
        assert (compute["effective"] == compute["cost"]).any()


@pytest.mark.parametrize("name", of_kind("spike"))
def test_spikes_stand_out_on_exactly_their_days(name):
    feature = FEATURES[name]
    series, offsets = daily(feature), feature["offsets"]
    baseline = series.loc[max(offsets) + 1:max(offsets) + 14].median()
    for offset in offsets:
        assert series[offset] >= 0.8 * feature["factor"] * baseline, offset
    for neighbour in (min(offsets) - 1, max(offsets) + 1):
        assert series[neighbour] < 1.5 * baseline, neighbour


@pytest.mark.parametrize("name", of_kind("level_shift"))
def test_level_shift_holds_from_its_first_day_to_the_end(name):
    feature = FEATURES[name]
    series, start = daily(feature), feature["start_offset"]
    before, after = series.loc[start + 1:start + 30], series.loc[0:start]
    assert after.min() > 0.9 * feature["factor"] * before.max()
    assert 0.9 * feature["factor"] < after.mean() / before.mean() < 1.1 * feature["factor"]


@pytest.mark.parametrize("name", of_kind("new_service"))
def test_new_service_bills_nothing_before_its_first_day_and_every_day_after(name):
    feature = FEATURES[name]
    series, start = daily(feature), feature["start_offset"]
    assert series.loc[start + 1:].sum() == 0.0
    assert (series.loc[0:start] > 10).all()
    assert not (raw(feature["cloud"])["ServiceName"] == feature["ServiceName"]).loc[
        raw(feature["cloud"])["offset"] > start].any()


@pytest.mark.parametrize("name", of_kind("idle"))
def test_idle_resources_cost_a_steady_small_amount_and_never_compute(name):
    feature = FEATURES[name]
    series = daily(feature)
    assert (series > 0).all() and series.max() - series.min() < 0.01 and series.max() < 5
    rows = raw(feature["cloud"])
    rows = rows[rows["ResourceId"] == feature["ResourceId"]]
    assert set(rows["ServiceCategory"]) == {"Storage"} and len(rows) == DAYS
    assert rows["tags"].map(len).eq(0).all()  # nobody owns it: part of why it is forgotten


def test_every_feature_names_a_cloud_and_offsets_inside_the_data():
    for name, feature in FEATURES.items():
        assert feature["cloud"] in CLOUDS and feature["ProviderName"] == PROVIDER_NAMES[feature["cloud"]], name
        for offset in (*feature.get("offsets", ()), feature.get("start_offset", 0)):
            assert 0 <= offset < DAYS, name
    assert offset_date(0) == ANCHOR and offset_date(3, ANCHOR) == ANCHOR - timedelta(days=3)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_files_provider_with_the_demo_settings_returns_normalized_frames_ending_yesterday(cloud):
    from costctl import model
    from costctl.clouds.files.provider import FilesProvider, today_utc

    provider = FilesProvider(cloud, demo_providers()[cloud])
    frame = provider.read_all()
    model.validate(frame)
    yesterday = today_utc() - timedelta(days=1)
    assert frame["ChargePeriodStart"].max().date() == yesterday
    assert frame["ChargePeriodStart"].dt.date.nunique() == DAYS
    assert len(frame) == len(raw(cloud))
    assert abs(frame["BilledCost"].sum() - raw(cloud)["cost"].sum()) < 0.01
    assert set(frame["ProviderName"]) == {PROVIDER_NAMES[cloud]}
    recent = provider.fetch(yesterday - timedelta(days=6), yesterday + timedelta(days=1))
    assert recent["ChargePeriodStart"].dt.date.nunique() == 7


def test_shifted_spike_lands_the_same_number_of_days_before_yesterday():
    from costctl.clouds.files.provider import FilesProvider, today_utc

    feature = FEATURES["bigquery_spike"]
    frame = FilesProvider("gcp", demo_providers()["gcp"]).read_all()
    rows = frame[(frame["ServiceName"] == feature["ServiceName"]) & (frame["SubAccountId"] == feature["SubAccountId"])]
    per_day = rows.groupby(rows["ChargePeriodStart"].dt.date)["BilledCost"].sum()
    assert per_day.idxmax() == offset_date(feature["offsets"][0], today_utc() - timedelta(days=1))
