"""Flags over the matrix: when a series starts being judged, and what it is judged against."""

from __future__ import annotations

import numpy as np

from costctl.analysis import anomaly_methods as m
from costctl.analysis.anomaly_fleet import series_flags

N = 60
WEEKDAYS = np.arange(N) % 7


def flat(level: float = 100.0, n: int = N) -> np.ndarray:
    return level * (1 + 0.01 * ((np.arange(n) * 7) % 5 - 2))


def test_robust_judges_a_series_from_its_fifteenth_day_as_documented() -> None:
    values = flat()[None, :].copy()
    values[0, 16] = 400.0  # day 17 of the data: inside the old 28-day wait
    flags = series_flags(values, WEEKDAYS, 14, 4.0, 28, m.MATRIX_METHODS["robust"], 0, 10.0)
    assert list(zip(flags.index.tolist(), flags.kind.tolist(), strict=True)) == [(16, "spike")]
    early = values.copy()
    early[0, 16], early[0, 12] = flat()[16], 400.0  # day 13: too early, not judged
    assert len(series_flags(early, WEEKDAYS, 10, 4.0, 28, m.MATRIX_METHODS["robust"], 0, 10.0)) == 0


def test_the_classic_rules_still_wait_for_their_whole_window() -> None:
    values = flat()[None, :].copy()
    values[0, 10] = 400.0
    assert len(series_flags(values, WEEKDAYS, 5, 2.0, 14, m.MATRIX_METHODS["iqr"], 0, 10.0)) == 0


def test_weekday_factors_follow_the_last_twelve_weeks_not_a_pattern_long_gone() -> None:
    n = 300
    days = np.arange(n)
    values = np.where((days % 7 >= 5) & (days < 150), 20.0, 100.0) * (1 + 0.01 * ((days * 7) % 5 - 2))
    factors = m.weekday_factors(values, days % 7, 0, n, 28)  # weekends were cheap, until day 150
    assert np.allclose(factors, 1.0, atol=0.03)
