"""Budgets: periods (month, quarter, year, leap years), specs, scopes, burn rates, exhaustion, thresholds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from costctl.budgets.periods import period_bounds
from costctl.budgets.scope import Scope, parse_selector
from costctl.budgets.spec import BudgetSpec, parse_budgets
from costctl.budgets.status import evaluate, load_window
from costctl.errors import ConfigError


def spec(**kw: object) -> BudgetSpec:
    values: dict = {"name": "b", "amount": 3000.0, "currency": "USD", "period": "monthly", "scope": Scope()}
    values.update(kw)
    return BudgetSpec(**values)


def flat(start: date, end: date, per_day: float) -> dict[date, float]:
    return {start + timedelta(days=i): per_day for i in range((end - start).days)}


# -- periods ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "day", "expected"), [
    ("monthly", date(2026, 1, 31), (date(2026, 1, 1), date(2026, 2, 1))),
    ("monthly", date(2026, 12, 5), (date(2026, 12, 1), date(2027, 1, 1))),
    ("monthly", date(2028, 2, 29), (date(2028, 2, 1), date(2028, 3, 1))),
    ("quarterly", date(2026, 3, 31), (date(2026, 1, 1), date(2026, 4, 1))),
    ("quarterly", date(2026, 4, 1), (date(2026, 4, 1), date(2026, 7, 1))),
    ("quarterly", date(2026, 12, 31), (date(2026, 10, 1), date(2027, 1, 1))),
    ("yearly", date(2026, 12, 31), (date(2026, 1, 1), date(2027, 1, 1))),
    ("yearly", date(2027, 1, 1), (date(2027, 1, 1), date(2028, 1, 1))),
])
def test_period_bounds_cover_month_quarter_and_year_boundaries(period: str, day: date, expected: tuple) -> None:
    assert period_bounds(period, day) == expected


def test_leap_years_have_366_days_and_a_91_day_first_quarter() -> None:
    first, end = period_bounds("yearly", date(2028, 6, 1))
    assert (end - first).days == 366
    first, end = period_bounds("quarterly", date(2028, 2, 29))
    assert (end - first).days == 91
    first, end = period_bounds("quarterly", date(2027, 2, 28))
    assert (end - first).days == 90


def test_elapsed_percent_of_a_leap_year_counts_february_29() -> None:
    status = evaluate(spec(period="yearly", amount=36600.0), {}, date(2028, 3, 1), date(2028, 2, 29))
    assert status.elapsed_pct == pytest.approx(60 / 366 * 100)


# -- spend, burn rates, forecast, exhaustion --------------------------------------------------------

def test_spend_burn_rates_and_remaining_on_a_flat_series() -> None:
    today = date(2026, 4, 11)  # ten complete days of April
    daily = flat(date(2026, 3, 1), today, 100.0)
    status = evaluate(spec(), daily, today, today - timedelta(days=1))
    assert status.spend == pytest.approx(1000.0)
    assert status.remaining == pytest.approx(2000.0)
    assert status.consumed_pct == pytest.approx(1000 / 3000 * 100)
    assert status.elapsed_pct == pytest.approx(10 / 30 * 100)
    assert status.burn_rate == pytest.approx(100.0)
    assert status.burn_rate_7d == pytest.approx(100.0)
    assert status.forecast == pytest.approx(3000.0)
    assert status.exhaustion == date(2026, 4, 30)  # the 30th day brings the cumulative spend to 3000


def test_the_seven_day_burn_rate_follows_a_recent_jump_the_period_average_lags() -> None:
    today = date(2026, 4, 21)
    daily = flat(date(2026, 3, 1), date(2026, 4, 14), 50.0) | flat(date(2026, 4, 14), today, 150.0)
    status = evaluate(spec(), daily, today, today - timedelta(days=1))
    assert status.burn_rate_7d == pytest.approx(150.0)
    assert status.burn_rate == pytest.approx((13 * 50 + 7 * 150) / 20)


def test_exhaustion_is_the_actual_day_when_the_budget_is_already_spent() -> None:
    today = date(2026, 4, 20)
    daily = flat(date(2026, 3, 1), today, 200.0)
    status = evaluate(spec(amount=2000.0), daily, today, today - timedelta(days=1))
    assert status.exhaustion == date(2026, 4, 10)
    assert status.threshold == 120.0
    assert not status.on_track


def test_no_exhaustion_when_the_forecast_stays_under_the_amount() -> None:
    today = date(2026, 4, 11)
    status = evaluate(spec(amount=10000.0), flat(date(2026, 3, 1), today, 100.0), today, today - timedelta(days=1))
    assert status.exhaustion is None
    assert status.on_track
    assert status.threshold is None


def test_data_lag_days_are_projected_not_counted_as_zero() -> None:
    today = date(2026, 4, 11)
    daily = flat(date(2026, 3, 1), date(2026, 4, 9), 100.0)  # data through April 8 only
    status = evaluate(spec(), daily, today, date(2026, 4, 8))
    assert status.spend == pytest.approx(800.0)
    assert status.forecast == pytest.approx(3000.0)
    assert status.through == date(2026, 4, 8)


def test_on_the_first_day_of_a_period_the_forecast_is_the_projection_of_the_history() -> None:
    today = date(2026, 5, 1)
    status = evaluate(spec(), flat(date(2026, 3, 1), today, 100.0), today, date(2026, 4, 30))
    assert status.spend == 0.0
    assert status.burn_rate is None
    assert status.forecast == pytest.approx(3100.0)
    assert status.elapsed_pct == 0.0


def test_a_scope_without_any_cost_forecasts_nothing() -> None:
    status = evaluate(spec(), {}, date(2026, 4, 11), date(2026, 4, 10))
    assert (status.spend, status.forecast, status.exhaustion, status.burn_rate) == (0.0, 0.0, None, 0.0)


# -- budgets created mid-period -----------------------------------------------------------------------

def test_a_budget_created_mid_period_counts_from_its_start_with_a_prorated_amount() -> None:
    today = date(2026, 4, 21)
    daily = flat(date(2026, 3, 1), today, 100.0)
    status = evaluate(spec(amount=3000.0, start=date(2026, 4, 16)), daily, today, today - timedelta(days=1))
    assert status.start == date(2026, 4, 16)
    assert status.amount == pytest.approx(1500.0)  # 15 of 30 days
    assert status.spend == pytest.approx(500.0)
    assert status.elapsed_pct == pytest.approx(5 / 15 * 100)
    assert status.forecast == pytest.approx(1500.0)
    assert status.on_track


def test_in_the_next_period_a_mid_period_budget_is_a_full_budget() -> None:
    today = date(2026, 5, 11)
    status = evaluate(spec(amount=3000.0, start=date(2026, 4, 16)), flat(date(2026, 3, 1), today, 100.0), today,
                      today - timedelta(days=1))
    assert status.start == date(2026, 5, 1)
    assert status.amount == 3000.0


def test_a_quarterly_budget_created_mid_quarter_prorates_by_days() -> None:
    today = date(2026, 12, 1)
    status = evaluate(spec(period="quarterly", amount=9200.0, start=date(2026, 11, 1)), {}, today, None)
    assert status.amount == pytest.approx(9200.0 * 61 / 92)


# -- thresholds and states --------------------------------------------------------------------------

@pytest.mark.parametrize(("spent", "threshold", "state"), [
    (1400.0, None, "ok"), (1500.0, 50.0, "ok"), (2400.0, 80.0, "warning"), (2999.0, 80.0, "warning"),
    (3000.0, 100.0, "critical"), (3700.0, 120.0, "critical"),
])
def test_the_highest_threshold_crossed_and_the_check_state(spent: float, threshold: float | None, state: str) -> None:
    today = date(2026, 4, 11)
    daily = {date(2026, 4, 1): spent}
    status = evaluate(spec(), daily, today, today - timedelta(days=1))
    assert status.threshold == threshold
    assert status.state() == state


def test_forecast_thresholds_only_when_asked_and_a_blown_forecast_only_warns() -> None:
    today = date(2026, 4, 11)
    daily = flat(date(2026, 3, 1), today, 110.0)  # forecast 3300 of 3000, spend 1100
    plain = evaluate(spec(), daily, today, today - timedelta(days=1))
    assert plain.forecast_threshold is None and plain.state() == "ok"
    early = evaluate(spec(forecast_alerts=True), daily, today, today - timedelta(days=1))
    assert early.forecast_threshold == 100.0
    assert early.state() == "warning"


def test_custom_warning_and_critical_percentages() -> None:
    today = date(2026, 4, 11)
    status = evaluate(spec(warning=50.0, critical=60.0), {date(2026, 4, 2): 1900.0}, today, date(2026, 4, 10))
    assert status.state() == "critical"


# -- config ---------------------------------------------------------------------------------------------

def test_budget_specs_get_defaults_and_keep_file_order() -> None:
    specs = parse_budgets({"b2": {"amount": 10}, "a1": {"amount": 5.5, "period": "yearly", "currency": "usd"}},
                          default_currency="eur", default_metric="billed")
    assert list(specs) == ["b2", "a1"]
    assert specs["b2"].currency == "EUR" and specs["a1"].currency == "USD"
    assert specs["b2"].thresholds == (50.0, 80.0, 100.0, 120.0)
    assert specs["b2"].metric == "billed" and specs["b2"].period == "monthly"


def test_a_yaml_date_and_a_string_date_are_both_a_start() -> None:
    specs = parse_budgets({"x": {"amount": 1, "start": date(2026, 3, 15)}, "y": {"amount": 1, "start": "2026-03-15"}})
    assert specs["x"].start == specs["y"].start == date(2026, 3, 15)


@pytest.mark.parametrize(("raw", "message"), [
    ({"x": {}}, "budgets.x.amount: required key is missing"),
    ({"x": {"amount": -5}}, "budgets.x.amount: expected an amount above 0"),
    ({"x": {"amount": 5, "period": "weekly"}}, "budgets.x.period: expected one of monthly, quarterly, yearly"),
    ({"x": {"amount": 5, "scope": {"colour": "red"}}}, "budgets.x.scope: unknown key 'colour'"),
    ({"x": {"amount": 5, "thresholds": [50, "lots"]}}, "budgets.x.thresholds: expected percentages"),
    ({"x": {"amount": 5, "start": "15/03/2026"}}, "budgets.x.start: expected a date as YYYY-MM-DD"),
    ({"x": {"amount": 5, "warning": 90, "critical": 80}}, "budgets.x.warning: 90 is above critical (80)"),
    ({"x": {"amount": 5, "colour": 1}}, "budgets.x.colour: unknown key"),
    ({"bad name": {"amount": 5}}, "budgets.bad name: budget names may use"),
    (["x"], "budgets: expected a mapping"),
])
def test_bad_budget_config_names_the_key_path(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_budgets(raw)


# -- scopes ---------------------------------------------------------------------------------------------

ROW = {"ProviderName": "AWS", "x_Source": "aws-prod", "SubAccountId": "1234", "SubAccountName": "acme-prod",
       "ServiceName": "Amazon EC2", "RegionId": "us-east-1", "Tags": {"team": "Data", "env": "prod"}}


@pytest.mark.parametrize(("mapping", "matches"), [
    ({}, True),
    ({"provider": "aws"}, True),  # the cloud name, case-insensitively
    ({"provider": "aws-prod"}, True),  # the configured instance
    ({"provider": "gcp"}, False),
    ({"account": "acme-prod"}, True), ({"account": "1234"}, True),
    ({"service": ["Amazon S3", "amazon ec2"]}, True),
    ({"tag:team": "data", "region": "us-east-1"}, True),
    ({"tag:team": "data", "region": "eu-west-1"}, False),
    ({"tag:owner": ""}, True),  # empty value: the tag is missing
    ({"tag:team": ""}, False),
])
def test_scopes_combine_keys_with_and_and_values_with_or(mapping: dict, matches: bool) -> None:
    assert Scope.from_mapping(mapping).matches(ROW) is matches


def test_selectors_parse_and_reject_unknown_keys() -> None:
    assert parse_selector("tag:team=platform") == ("tag:team", "platform")
    assert parse_selector("service = AWS Support ") == ("service", "AWS Support")
    for bad in ("service", "=x", "colour=red", "tag:=x"):
        with pytest.raises(ValueError):
            parse_selector(bad)


def test_the_load_window_covers_the_longest_period_and_the_forecast_history() -> None:
    today = date(2026, 11, 24)
    assert load_window([spec()], today) == (date(2026, 10, 26), today)
    assert load_window([spec(), spec(period="yearly")], today) == (date(2026, 1, 1), today)
