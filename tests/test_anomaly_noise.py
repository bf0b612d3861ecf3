"""Noise of count-like series: small whole amounts are judged by their own granularity."""

from __future__ import annotations

import numpy as np
import pytest

import anomaly_reference as ref
from costctl.analysis import anomaly_methods as m
from costctl.analysis.anomaly_noise import spread, unit
from costctl.analysis.anomaly_robust import alarm_rates

N, START = 104, 90
WEEKDAYS = np.arange(N) % 7


def counts(mean: float, seed: int = 5) -> np.ndarray:
    """Daily cost of an instance billed 1.00 an hour for a Poisson number of hours."""
    return np.random.default_rng(seed).poisson(mean, N).astype(float)


def test_whole_amounts_have_a_unit_and_bills_summed_from_many_items_do_not() -> None:
    values = np.vstack([counts(4), counts(4) * 0.25, 100 + np.random.default_rng(1).normal(0, 3, N),
                        np.round(100 + np.random.default_rng(2).normal(0, 3, N), 2)])
    assert list(unit(values, np.zeros(4, dtype=int), START)) == [1.0, 0.25, 0.0, 0.0]  # cents on 100 are no unit


def test_the_floor_is_poisson_at_the_expected_count_and_leaves_other_series_alone() -> None:
    assert spread(0.02, 1.0, 16.0) == pytest.approx((1 / 16 + 1 / 256) ** 0.5)
    assert spread(0.3, 1.0, 16.0) == pytest.approx(0.3)
    assert spread(0.02, 0.0, 16.0) == 0.02


def steady(seed: int) -> np.ndarray:
    """4.00 most days, one unit more or less on about one day in five: a MAD of 0."""
    rng = np.random.default_rng(seed)
    return 4.0 + rng.choice([-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], N)


def test_a_one_unit_step_of_a_steady_small_series_is_no_longer_an_alarm() -> None:
    old = sum(len(ref.robust(steady(s), WEEKDAYS, START, 4.0, 28)) for s in range(10))
    new = sum(len(m.robust(steady(s), WEEKDAYS, START, 4.0, 28)) for s in range(10))
    assert old >= 10 and new == 0  # the 2 % floor made each step 12 sigmas


@pytest.mark.parametrize("mean", [2, 3, 8])
def test_plain_poisson_counts_raise_no_more_alarms_than_before(mean: float) -> None:
    old = sum(len(ref.robust(counts(mean, s), WEEKDAYS, START, 4.0, 28)) for s in range(20))
    new = sum(len(m.robust(counts(mean, s), WEEKDAYS, START, 4.0, 28)) for s in range(20))
    assert new <= min(old, 2)  # 20 series x 14 days


def test_a_real_jump_of_a_count_series_is_still_a_spike() -> None:
    values = counts(6)
    values[START + 5] = 40.0
    assert [(f.index, f.kind) for f in m.robust(values, WEEKDAYS, START, 4.0, 28)] == [(START + 5, "spike")]


def test_the_expected_false_alarm_rate_is_zero_on_steady_counts_and_counts_the_odd_days_of_a_noisy_history() -> None:
    quiet = steady(1)
    noisy = 100 + np.random.default_rng(3).normal(0, 2, N)
    noisy[[40, 55, 70, 85]] = 300.0  # four wild days in the learned history
    rates = alarm_rates(np.vstack([quiet, noisy]), WEEKDAYS, START, 4.0, 28)
    assert rates[0] == 0.0 and rates[1] == pytest.approx(4 / (START - 7))  # learned: from the 8th day on


def _regime(history_noise: float, window_noise: float, bump_day: int | None, bump: float) -> np.ndarray:
    """1,000 a day with ``history_noise`` relative noise for 90 days, then ``window_noise`` for 90."""
    rng = np.random.default_rng(11)
    noise = np.r_[rng.normal(0, history_noise, 90), rng.normal(0, window_noise, 90)]
    values = 1000 * (1 + noise)
    if bump_day is not None:
        values[bump_day] *= 1 + bump
    return np.round(values, 2)


def test_over_a_long_window_the_noise_is_learned_again_and_a_calm_months_bump_stands_out() -> None:
    from costctl.analysis.anomaly_robust import RELEARN_DAYS

    robust = m.MATRIX_METHODS["robust"]
    weekdays = np.arange(180) % 7
    calm = _regime(0.10, 0.005, 170, 0.12)  # noisy history, calm window: +12 % late in the window is 24 sigma now
    flags = robust(calm[None, :], weekdays, 90, 4.0, 28)
    assert flags.index.tolist() == [170]  # judged with the start's scale (7.5 %), nothing was flagged
    assert flags.score[0] > 4.0 * 1.4
    # Calm history, noisy window: every ordinary day of the noisy months is an alarm until the noise
    # is learned from mostly noisy days (from day 146 on). Judged with the start's scale throughout,
    # days 146-173 raised 8 alarms; relearned, 2.
    noisy = _regime(0.005, 0.10, None, 0.0)
    alarms = robust(noisy[None, :], weekdays, 90, 4.0, 28).index
    late = int(((alarms >= 90 + 2 * RELEARN_DAYS) & (alarms < 90 + 3 * RELEARN_DAYS)).sum())
    early = int((alarms < 90 + RELEARN_DAYS).sum())
    assert early >= 8 and late <= 2


def test_a_window_of_four_weeks_or_less_is_judged_with_what_was_learned_before_it() -> None:
    from costctl.analysis.anomaly_robust import RELEARN_DAYS, regimes

    values = _regime(0.10, 0.005, None, 0.0)[None, :]
    weekdays = np.arange(180) % 7
    assert [p.begin for p in regimes(values, weekdays, np.array([0]), 180 - RELEARN_DAYS, 28)] == [180 - RELEARN_DAYS]
    periods = regimes(values, weekdays, np.array([0]), 90, 28)
    assert [p.begin for p in periods] == [90, 118, 146, 174]
    scales = [float(p.scale[0]) for p in periods]
    assert scales[0] > 0.05 and scales[-1] == 0.02  # noisy spring learned, then the calm summer (at its floor)
