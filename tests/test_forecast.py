"""The period forecast: weekday factors, robust trend, damping, sparse series, and the naive baseline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from costctl.analysis import forecast as fc

MONDAY = date(2026, 3, 2)


def weekly(days: int, weekday: float = 100.0, weekend: float = 20.0, start: date = MONDAY) -> dict[date, float]:
    out = {}
    for i in range(days):
        d = start + timedelta(days=i)
        out[d] = weekend if d.weekday() >= 5 else weekday
    return out


def test_a_flat_series_projects_its_level_for_every_remaining_day() -> None:
    daily = {MONDAY + timedelta(days=i): 50.0 for i in range(28)}
    last = MONDAY + timedelta(days=27)
    projection = fc.project(daily, last, last + timedelta(days=11))
    assert projection is not None
    assert projection.slope == pytest.approx(0.0)
    assert list(projection.daily.values()) == pytest.approx([50.0] * 10)


def test_weekends_are_projected_at_the_weekend_level_not_the_average() -> None:
    daily = weekly(28)
    last = MONDAY + timedelta(days=27)  # a Sunday
    projection = fc.project(daily, last, last + timedelta(days=8))
    assert projection is not None
    values = [projection.daily[last + timedelta(days=i)] for i in range(1, 8)]
    assert values == pytest.approx([100.0] * 5 + [20.0] * 2)


def test_the_naive_projection_overshoots_a_month_ending_in_weekend_days_and_the_forecast_does_not() -> None:
    # May 2026 ends on Sat 30 and Sun 31: the first 14 days hold 4 weekend days of 14, the rest 6 of 17.
    start, end = date(2026, 5, 1), date(2026, 6, 1)
    history = weekly(31 + 28, start=start - timedelta(days=28))
    actual = sum(v for d, v in history.items() if start <= d < end)
    last = date(2026, 5, 14)
    seen = {d: v for d, v in history.items() if d <= last}
    ours = fc.period_forecast(seen, start, last, end)
    naive = fc.naive_forecast(seen, start, last, end)
    assert ours == pytest.approx(actual)
    assert abs(naive - actual) > 50


def test_a_single_spike_neither_tilts_the_trend_nor_inflates_its_weekday() -> None:
    daily = {MONDAY + timedelta(days=i): 100.0 for i in range(28)}
    daily[MONDAY + timedelta(days=22)] = 2000.0  # a Tuesday
    fitted = fc.fit(daily, MONDAY + timedelta(days=27))
    assert fitted is not None
    _level, slope, factors = fitted
    assert slope == pytest.approx(0.0)
    assert factors[1] == pytest.approx(1.0)


def test_a_rising_series_is_projected_rising_but_damped() -> None:
    daily = {MONDAY + timedelta(days=i): 100.0 + 2.0 * i for i in range(28)}
    last = MONDAY + timedelta(days=27)
    projection = fc.project(daily, last, last + timedelta(days=201))
    assert projection is not None
    assert projection.slope == pytest.approx(2.0)
    values = [projection.daily[last + timedelta(days=i)] for i in (1, 2, 100, 200)]
    assert values[0] > 154.0 and values[1] > values[0]
    # Damping caps the total drift near slope * DAMPING / (1 - DAMPING) days.
    cap = 154.0 + 2.0 * fc.DAMPING / (1 - fc.DAMPING)
    assert values[2] == pytest.approx(values[3], rel=1e-3)
    assert values[3] <= cap + 1.0


def test_a_falling_series_flattens_at_zero_rather_than_forecasting_refunds() -> None:
    daily = {MONDAY + timedelta(days=i): max(0.0, 280.0 - 10.0 * i) for i in range(28)}
    last = MONDAY + timedelta(days=27)
    projection = fc.project(daily, last, last + timedelta(days=60))
    assert projection is not None
    assert min(projection.daily.values()) == 0.0


def test_sparse_lumpy_spend_gets_no_weekday_factors() -> None:
    daily = {MONDAY + timedelta(days=i): (30.0 if i % 7 == 3 else 0.0) for i in range(28)}
    assert fc.weekday_factors(fc.history(daily, MONDAY + timedelta(days=27))) == {w: 1.0 for w in range(7)}


def test_short_history_uses_the_plain_mean_and_no_trend() -> None:
    daily = {MONDAY + timedelta(days=i): float(10 * (i + 1)) for i in range(5)}
    projection = fc.project(daily, MONDAY + timedelta(days=4), MONDAY + timedelta(days=6))
    assert projection is not None
    assert projection.slope == 0.0
    assert projection.daily[MONDAY + timedelta(days=5)] == pytest.approx(30.0)


def test_days_missing_inside_the_window_count_as_zero_but_days_before_the_first_do_not() -> None:
    last = MONDAY + timedelta(days=9)
    window = fc.history({MONDAY + timedelta(days=5): 10.0, last: 20.0}, last)
    assert min(window) == MONDAY + timedelta(days=5)
    assert window[MONDAY + timedelta(days=7)] == 0.0
    assert len(window) == 5


def test_no_history_means_no_forecast() -> None:
    assert fc.project({}, MONDAY, MONDAY + timedelta(days=3)) is None
    assert fc.period_forecast({date(2026, 4, 1): 5.0}, MONDAY, MONDAY, MONDAY + timedelta(days=3)) is None


def test_the_naive_projection_is_spend_per_elapsed_day_times_period_days() -> None:
    daily = {date(2026, 4, d): 10.0 for d in range(1, 11)}
    assert fc.naive_forecast(daily, date(2026, 4, 1), date(2026, 4, 10), date(2026, 5, 1)) == pytest.approx(300.0)


def test_the_forecast_module_does_not_import_pandas() -> None:
    import subprocess
    import sys

    code = ("import sys, costctl.analysis.forecast, costctl.budgets.status, costctl.budgets.setup; "
            "sys.exit('pandas' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
