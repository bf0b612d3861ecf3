"""Each detection method on hand-made daily series with known anomalies."""

from __future__ import annotations

import numpy as np
import pytest

from costctl.analysis import anomaly_methods as m

HISTORY = 90
WINDOW = 14
N = HISTORY + WINDOW


def weekdays(n: int = N) -> np.ndarray:
    return np.arange(n) % 7  # day 0 is a Monday


def noisy(level: float = 100.0, noise: float = 0.03, n: int = N, seed: int = 7) -> np.ndarray:
    """A flat series with multiplicative noise; seeded, so every test sees the same draw."""
    return level * (1 + np.random.default_rng(seed).normal(0, noise, n))


def weekly(n: int = N) -> np.ndarray:
    """Weekdays at 100, weekends at 25: a dev environment switched off on Saturdays and Sundays."""
    base = np.where(weekdays(n) >= 5, 25.0, 100.0)
    return base * (1 + np.random.default_rng(11).normal(0, 0.03, n))


def run(method: str, values: np.ndarray, sensitivity: str = "medium") -> list[m.Flag]:
    return m.METHODS[method](values, weekdays(len(values)), HISTORY, m.THRESHOLDS[method][sensitivity],
                             m.WINDOWS[method])


@pytest.mark.parametrize("method", ["robust", "zscore", "pct", "iqr"])
def test_every_method_finds_a_fivefold_spike_on_its_day(method: str) -> None:
    values = noisy()
    values[HISTORY + 5] *= 5
    flags = run(method, values)
    spikes = [f for f in flags if f.index == HISTORY + 5]
    assert [f.kind for f in spikes] == ["spike"]
    assert spikes[0].expected == pytest.approx(100, rel=0.1)
    if method == "robust":
        assert len(flags) == 1  # the classic rules also flag some plain noise (see bench/anomaly_eval.py)


@pytest.mark.parametrize("method", ["robust", "zscore", "iqr"])
def test_a_drop_to_a_fifth_is_a_drop(method: str) -> None:
    values = noisy()
    values[HISTORY + 3] *= 0.2
    flags = run(method, values)
    assert (HISTORY + 3, "drop") in [(f.index, f.kind) for f in flags]
    if method == "robust":
        assert len(flags) == 1


def test_pct_flags_a_drop_and_the_recovery_after_it() -> None:
    values = noisy()
    values[HISTORY + 3] *= 0.2
    flags = run("pct", values)
    assert [(f.index, f.kind) for f in flags] == [(HISTORY + 3, "drop"), (HISTORY + 4, "spike")]


def test_robust_stays_quiet_on_a_weekly_pattern_with_weekend_lows() -> None:
    assert run("robust", weekly()) == []


def test_pct_cries_wolf_on_every_weekend_edge() -> None:
    flags = run("pct", weekly())
    assert len(flags) >= 3 and {f.kind for f in flags} == {"spike", "drop"}  # why robust is the default


def test_robust_finds_a_spike_on_a_weekend_day_that_is_normal_for_a_weekday() -> None:
    values = weekly()
    saturday = next(i for i in range(HISTORY, N) if i % 7 == 5)
    values[saturday] = 100.0  # a weekday's cost on a Saturday: four times the usual weekend
    flags = run("robust", values)
    assert [(f.index, f.kind) for f in flags] == [(saturday, "spike")]
    assert flags[0].expected == pytest.approx(25, rel=0.1)
    assert saturday not in [f.index for f in run("zscore", values)]  # the weekly swing hides it from zscore


def test_an_old_spike_in_the_baseline_does_not_blind_robust() -> None:
    values = noisy()
    values[HISTORY - 10:HISTORY - 7] *= 10  # three huge days inside the trailing window
    values[HISTORY + 2] *= 3
    flags = run("robust", values)
    assert [f.index for f in flags] == [HISTORY + 2]


def test_an_old_spike_in_the_window_blinds_zscore() -> None:
    values = noisy()
    values[HISTORY - 3] *= 10
    values[HISTORY + 2] *= 3
    assert HISTORY + 2 not in [f.index for f in run("zscore", values)]


def test_robust_reports_a_level_shift_once_on_its_first_day() -> None:
    values = noisy()
    values[HISTORY + 4:] *= 2
    flags = run("robust", values)
    assert [(f.index, f.kind) for f in flags] == [(HISTORY + 4, "level_shift")]


def test_robust_reports_a_downward_level_shift_once() -> None:
    values = noisy()
    values[HISTORY + 2:] *= 0.4
    assert [(f.index, f.kind) for f in run("robust", values)] == [(HISTORY + 2, "level_shift")]


def test_a_shift_in_its_last_days_is_still_a_spike_until_it_lasts() -> None:
    values = noisy()
    values[N - 2:] *= 2
    flags = run("robust", values)
    assert [(f.index, f.kind) for f in flags] == [(N - 2, "spike"), (N - 1, "spike")]


def test_a_spike_on_top_of_a_level_shift_is_still_found() -> None:
    values = noisy()
    values[HISTORY + 2:] *= 2
    values[HISTORY + 9] *= 4
    flags = run("robust", values)
    assert [(f.index, f.kind) for f in flags] == [(HISTORY + 2, "level_shift"), (HISTORY + 9, "spike")]


@pytest.mark.parametrize("method", ["robust", "zscore", "pct", "iqr"])
def test_an_all_zero_series_has_no_anomalies(method: str) -> None:
    assert run(method, np.zeros(N)) == []


def test_a_series_that_starts_mid_window_is_not_judged_by_robust() -> None:
    values = np.zeros(N)
    values[HISTORY + 6:] = noisy(n=N - HISTORY - 6)
    assert run("robust", values) == []  # new spend is the caller's job (see test_anomalies)


def test_robust_compares_a_monthly_charge_with_its_earlier_occurrences() -> None:
    values = np.zeros(N)
    for day, amount in ((5, 200.0), (35, 230.0), (65, 236.0), (95, 246.0)):
        values[day] = amount
    assert run("robust", values) == []
    values[95] = 900.0
    flags = run("robust", values)
    assert [(f.index, f.kind) for f in flags] == [(95, "spike")]
    assert flags[0].expected == pytest.approx(230.0)


def test_higher_sensitivity_finds_smaller_spikes() -> None:
    values = noisy(noise=0.02)
    values[HISTORY + 5] *= 1.08
    assert run("robust", values, "low") == []
    assert [f.index for f in run("robust", values, "high")] == [HISTORY + 5]


def test_weekday_factors_learn_the_weekend_and_fall_back_to_flat_without_history() -> None:
    values = weekly()
    factors = m.weekday_factors(values, weekdays(), 0, HISTORY, 28)
    assert factors[5] / factors[0] == pytest.approx(0.25, rel=0.1)
    assert list(m.weekday_factors(values, weekdays(), 0, 14, 28)) == [1.0] * 7
