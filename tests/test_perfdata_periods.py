"""The values behind the perfdata: ledger sums, the day-of-week aware forecast, change, evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from costctl.monitoring.evaluate import Policy, evaluate
from costctl.monitoring.forecast import month_bounds, month_forecast, weekday_factors
from costctl.monitoring.ledger import Ledger, Row
from costctl.monitoring.measure import load_window, measure
from costctl.monitoring.state import State
from costctl.monitoring.thresholds import Thresholds


def ledger_of(costs: dict[date, float], currency: str = "USD", service: str = "S") -> Ledger:
    rows = [Row(d, c, currency, "acct", service) for d, c in costs.items()]
    newest = max(costs) + timedelta(days=1)
    return Ledger(rows, set(costs), int(datetime(newest.year, newest.month, newest.day, tzinfo=UTC).timestamp()),
                  {currency})


def weekly(start: date, end: date, weekday: float, weekend: float) -> dict[date, float]:
    out, d = {}, start
    while d <= end:
        out[d] = weekend if d.weekday() >= 5 else weekday
        d += timedelta(days=1)
    return out


def test_forecast_of_a_flat_month_is_days_times_the_daily_cost() -> None:
    daily = {date(2026, 2, 10) + timedelta(days=i): 10.0 for i in range(28)}  # through 2026-03-09
    assert month_forecast(daily, date(2026, 3, 9)) == pytest.approx(310.0)


def test_forecast_knows_the_remaining_days_are_weekend_heavy() -> None:
    # Weekdays cost 100, weekends 10. May 2026 ends Sat 30, Sun 31: the last 2 days add 20, not 2 x mean.
    last = date(2026, 5, 29)  # a Friday
    daily = weekly(date(2026, 4, 1), last, 100.0, 10.0)
    actual = sum(v for d, v in daily.items() if d.month == 5)
    assert month_forecast(daily, last) == pytest.approx(actual + 20.0)
    naive = actual / 29 * 31
    assert month_forecast(daily, last) < naive - 100


def test_weekday_factors_are_neutral_with_less_than_two_weeks_of_history() -> None:
    daily = weekly(date(2026, 5, 1), date(2026, 5, 10), 100.0, 10.0)
    assert set(weekday_factors(daily, date(2026, 5, 10)).values()) == {1.0}


def test_forecast_on_the_last_day_of_the_month_is_the_actual_total() -> None:
    daily = weekly(date(2026, 3, 1), date(2026, 4, 30), 7.0, 3.0)
    assert month_forecast(daily, date(2026, 4, 30)) == pytest.approx(sum(v for d, v in daily.items()
                                                                          if d.month == 4))


def test_month_bounds_and_load_windows() -> None:
    assert month_bounds(date(2026, 12, 31)) == (date(2026, 12, 1), date(2027, 1, 1))
    day = date(2026, 3, 9)
    assert load_window("day", day) == (day, date(2026, 3, 10))
    assert load_window("change", day) == (date(2026, 3, 2), date(2026, 3, 10))
    assert load_window("mtd", day) == (date(2026, 3, 1), date(2026, 3, 10))
    assert load_window("forecast", day) == (date(2026, 2, 10), date(2026, 3, 10))


def test_change_is_against_the_mean_of_the_seven_days_before() -> None:
    day = date(2026, 3, 9)
    costs = {day - timedelta(days=i): 10.0 + i for i in range(1, 8)}  # mean 14
    costs[day] = 35.0
    m = measure("change", ledger_of(costs), "p", day)
    assert m.value == pytest.approx(150.0)
    assert (m.text, m.uom) == ("+150.0%", "%")
    assert [str(p) for p in m.extra] == ["p_day=35.00", "p_baseline=14.00", "p_pct=150.00%"]


@pytest.mark.parametrize(("today", "direction", "expected"), [
    (35.0, "up", 150.0), (7.0, "up", 0.0),  # a drop is no increase: -w 50 never fires on it
    (7.0, "down", 50.0), (35.0, "down", 0.0),
    (7.0, "both", -50.0), (35.0, "both", 150.0),
])
def test_change_direction_picks_the_value_the_thresholds_see(today: float, direction: str, expected: float) -> None:
    day = date(2026, 3, 9)
    costs = {day - timedelta(days=i): 14.0 for i in range(1, 8)}
    costs[day] = today
    m = measure("change", ledger_of(costs), "p", day, direction=direction)
    assert m.value == pytest.approx(expected)
    signed = (today - 14.0) / 14.0 * 100
    assert m.text == f"{signed:+.1f}%"
    assert ("p_pct" in [p.label for p in m.extra]) == (direction != "both")


def test_change_without_a_baseline_is_undefined_not_zero() -> None:
    day = date(2026, 3, 9)
    m = measure("change", ledger_of({day: 5.0}), "p", day)
    assert m.value is None and m.problem == "no data in the 7 days before 2026-03-09"


def test_mixed_currencies_are_never_summed() -> None:
    day = date(2026, 3, 9)
    ledger = Ledger([Row(day, 1.0, "USD", "a", "S"), Row(day, 1.0, "EUR", "b", "S")], {day}, None, {"USD", "EUR"})
    assert measure("day", ledger, "p", day).problem == "mixed currencies (EUR, USD); narrow with --account"


def test_stale_data_still_reports_a_spike_as_the_worse_state() -> None:
    day = date(2026, 3, 9)
    policy = Policy(stale_state=State.UNKNOWN, max_age=3600.0, now=datetime(2026, 3, 12, tzinfo=UTC), top=0)
    result = evaluate("p", ledger_of({day: 500.0}), "day", day, Thresholds.parse("100", "200"), policy)
    assert result.state is State.CRITICAL
    assert result.text == "p 500.00 USD (stale: data 2d0h old > 1h0m; critical: outside 0:200)"


def test_refresh_failure_with_no_cached_rows_is_the_error_state() -> None:
    policy = Policy(error_state=State.CRITICAL)
    result = evaluate("aws", Ledger(), "mtd", date(2026, 3, 9), Thresholds.parse("1", None), policy,
                      error="aws: ExpiredToken: the security token included in the request is expired")
    assert (result.state, result.text) == (State.CRITICAL, "aws: ExpiredToken: the security token included in the "
                                                           "request is expired")
    assert [str(p) for p in result.perfdata] == ["aws_mtd=U;1"]


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (45.9, "45s"), (60, "1m"), (3600, "1h0m"),
                                               (5 * 3600 + 12 * 60, "5h12m"), (3 * 86400 + 4 * 3600, "3d4h")])
def test_ages_read_as_an_operator_reads_them(seconds: float, text: str) -> None:
    from costctl.monitoring.evaluate import format_age

    assert format_age(seconds) == text
