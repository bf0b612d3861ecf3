"""The vectorised methods flag exactly what the per-series methods before issue #25 flagged.

``anomaly_reference`` is a frozen copy of those per-series methods; every series of a varied,
seeded fleet (weekly patterns, spikes, drops, level shifts, late starts, monthly fees, zeros) is
run through both, one series at a time against all at once. Count-like series (small whole
amounts) are the exception by design: ``robust`` gives them a noise floor the old method lacked
(test_anomaly_noise); the classic methods still agree on them.
"""

from __future__ import annotations

import numpy as np
import pytest

import anomaly_reference as ref
from costctl.analysis import anomaly_methods as m
from costctl.analysis.anomaly_noise import unit
from costctl.analysis.anomaly_rolling import masked_median, trailing_median

HISTORY, WINDOW = 90, 14


def count_like(series: np.ndarray, start: int) -> bool:
    return bool(unit(series[None, :], np.array([0]), start)[0] > 0)


def fleet(n: int = 120, days: int = HISTORY + WINDOW, seed: int = 3) -> np.ndarray:
    """``n`` series of every shape the methods branch on."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        level = rng.uniform(1, 500)
        weekend = 0.3 if k % 3 == 0 else 1.0
        values = level * np.where(np.arange(days) % 7 >= 5, weekend, 1.0) * (1 + rng.normal(0, rng.uniform(0.01, 0.1),
                                                                                               days))
        shape = k % 8
        at = int(rng.integers(days // 2, days - 2))
        if shape == 1:
            values[at] *= rng.uniform(2, 8)
        elif shape == 2:
            values[at] *= rng.uniform(0.05, 0.4)
        elif shape == 3:
            values[at:] *= rng.choice([0.4, 2.5])
        elif shape == 4:
            values[:int(rng.integers(5, days - 3))] = 0.0  # starts late (sometimes in the window)
        elif shape == 5:
            values = np.zeros(days)
            values[int(rng.integers(0, 30))::30] = rng.uniform(100, 300)  # a monthly fee
            values[-int(rng.integers(1, 20))] = rng.choice([0.0, 900.0])
        elif shape == 6:
            values = rng.poisson(rng.uniform(0.5, 6), days).astype(float)  # count-like, many zeros
        elif shape == 7 and k % 16 == 7:
            values = np.zeros(days)
        rows.append(np.round(values, 2))
    return np.array(rows)


@pytest.mark.parametrize("method", ["robust", "zscore", "pct", "iqr"])
@pytest.mark.parametrize("sensitivity", ["low", "high"])
def test_all_series_at_once_flag_what_each_series_alone_flagged(method: str, sensitivity: str) -> None:
    values = fleet()
    weekdays = np.arange(values.shape[1]) % 7
    threshold, window = m.THRESHOLDS[method][sensitivity], m.WINDOWS[method]
    flags = m.MATRIX_METHODS[method](values, weekdays, HISTORY, threshold, window)
    compared = 0
    for r, series in enumerate(values):
        if method == "robust" and count_like(series, HISTORY):
            continue
        old = [(f.index, f.kind, f.expected, f.score) for f in ref.METHODS[method](series, weekdays, HISTORY,
                                                                                   threshold, window)]
        new = [(f.index, f.kind, f.expected, f.score) for f in flags.for_row(r)]
        assert new == old, r
        compared += len(old)
    assert compared > 10  # the fleet does have anomalies to agree on


@pytest.mark.parametrize("window", [1, 7, 28])
def test_a_longer_window_and_a_short_history_agree_too(window: int) -> None:
    values = fleet(n=40, days=60, seed=9)
    weekdays = (np.arange(60) + 3) % 7
    for method in ("robust", "zscore", "iqr"):
        flags = m.MATRIX_METHODS[method](values, weekdays, 40, 3.0, window)
        for r, series in enumerate(values):
            if method == "robust" and count_like(series, 40):
                continue
            old = [(f.index, f.kind, f.expected, f.score) for f in ref.METHODS[method](series, weekdays, 40, 3.0,
                                                                                       window)]
            assert [(f.index, f.kind, f.expected, f.score) for f in flags.for_row(r)] == old, (method, r)


def test_weekday_factors_of_every_series_equal_the_per_series_ones() -> None:
    values = fleet(n=30)
    weekdays = np.arange(values.shape[1]) % 7
    for series in values:
        first = int(np.flatnonzero(np.abs(series) > 1e-9)[0]) if series.any() else 0
        assert np.array_equal(m.weekday_factors(series, weekdays, first, HISTORY, 28),
                              ref.weekday_factors(series, weekdays, first, HISTORY, 28))


def test_trailing_median_cuts_each_window_at_the_series_first_day() -> None:
    values = np.random.default_rng(1).uniform(0, 10, (5, 50))
    first = np.array([0, 3, 10, 49, 50])
    out = trailing_median(values, first, 7, 2, 50)
    for s in range(5):
        for j in range(50):
            lo = max(first[s], j - 7)
            want = np.median(values[s, lo:j]) if j >= 2 and j > first[s] else np.nan
            assert np.array_equal(out[s, j], want, equal_nan=True), (s, j)


def test_masked_median_is_numpys_median_of_the_valid_values_and_nan_without_any() -> None:
    values = np.array([[5.0, 1.0, 9.0, 2.0], [3.0, 3.0, 8.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    valid = np.array([[True, True, False, True], [True, False, True, True], [False] * 4])
    median, count = masked_median(values, valid)
    assert median[0] == np.median([5.0, 1.0, 2.0]) and median[1] == np.median([3.0, 8.0, 1.0])
    assert np.isnan(median[2]) and list(count) == [3, 3, 0]
