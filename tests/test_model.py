"""The normalized record: coercion, validation, and the plain-Python block round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from costctl import model
from costctl.errors import SchemaError
from costctl.records import Block


def raw(**overrides):
    base = {
        "ChargePeriodStart": ["2024-09-01T00:00:00Z", "2024-09-02 00:00:00"],
        "ChargePeriodEnd": ["2024-09-02T00:00:00Z", "2024-09-03 00:00:00"],
        "BilledCost": ["1.25", 2],
        "EffectiveCost": [1.0, 2.0],
        "BillingCurrency": ["USD", "USD"],
        "ProviderName": ["AWS", "AWS"],
        "ChargeCategory": ["Usage", "Tax"],
        "Tags": [{"team": "web"}, None],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_normalize_produces_every_column_with_fixed_dtypes():
    frame = model.normalize(raw())
    assert list(frame.columns) == list(model.COLUMN_NAMES)
    for col in model.COLUMNS:
        assert str(frame[col.name].dtype) == model.PANDAS_DTYPES[col.kind], col.name
    assert str(frame["ChargePeriodStart"].dt.tz) == "UTC"
    assert frame["BilledCost"].tolist() == [1.25, 2.0]
    assert frame["Tags"].tolist() == [{"team": "web"}, {}]
    assert frame["ListCost"].isna().all()
    model.validate(frame)


def test_normalize_converts_other_timezones_to_utc():
    frame = model.normalize(raw(ChargePeriodStart=["2024-09-01T02:00:00+02:00", "2024-09-02T00:00:00Z"]))
    assert frame["ChargePeriodStart"].iloc[0] == pd.Timestamp("2024-09-01T00:00:00Z")


def test_normalize_rejects_a_missing_required_column():
    with pytest.raises(SchemaError, match="BilledCost"):
        model.normalize(raw().drop(columns=["BilledCost"]))


def test_normalize_rejects_non_numeric_cost():
    with pytest.raises(SchemaError, match="BilledCost"):
        model.normalize(raw(BilledCost=["1.0", "abc"]))


def test_normalize_rejects_empty_money():
    with pytest.raises(SchemaError, match="never null"):
        model.normalize(raw(EffectiveCost=[1.0, None]))


@pytest.mark.parametrize("bad", [float("inf"), -float("inf"), 1e308])
def test_validate_rejects_costs_that_are_not_finite_amounts(bad: float):
    frame = model.normalize(raw(EffectiveCost=[1.0, bad]))
    with pytest.raises(SchemaError, match="column EffectiveCost has 1 value.s. that are not finite amounts"):
        model.validate(frame)


def test_validate_rejects_a_frame_with_a_missing_column():
    frame = model.normalize(raw()).drop(columns=["Tags"])
    with pytest.raises(SchemaError, match="missing column.*Tags"):
        model.validate(frame)


def test_validate_rejects_a_wrong_dtype():
    frame = model.normalize(raw())
    frame["BilledCost"] = frame["BilledCost"].astype("object")
    with pytest.raises(SchemaError, match="BilledCost has dtype object, expected float64"):
        model.validate(frame)


def test_validate_rejects_naive_timestamps():
    frame = model.normalize(raw())
    frame["ChargePeriodStart"] = frame["ChargePeriodStart"].dt.tz_localize(None)
    with pytest.raises(SchemaError, match="ChargePeriodStart"):
        model.validate(frame)


def test_validate_rejects_periods_that_end_before_they_start():
    frame = model.normalize(raw(ChargePeriodEnd=["2024-08-01", "2024-09-03"]))
    with pytest.raises(SchemaError, match="end before they start"):
        model.validate(frame)


def test_validate_rejects_something_that_is_not_a_frame():
    with pytest.raises(SchemaError, match="DataFrame"):
        model.validate([1, 2])


def test_empty_frame_is_valid():
    model.validate(model.empty_frame())


def test_block_round_trip_keeps_values_and_dtypes():
    frame = model.normalize(raw(ListCost=[3.5, None], SubAccountId=["123", None]))
    block = Block.from_frame(frame)
    assert block.columns["ChargePeriodStart"] == [1725148800, 1725235200]
    assert block.columns["SubAccountId"] == ["123", None]
    assert block.columns["ListCost"] == [3.5, None]
    back = block.to_frame()
    model.validate(back)
    pd.testing.assert_frame_equal(back, frame)


def test_block_holds_only_builtin_values():
    block = Block.from_frame(model.normalize(raw()))
    allowed = (int, float, str, bool, dict, type(None))
    for name, values in block.columns.items():
        assert all(isinstance(v, allowed) for v in values), name
