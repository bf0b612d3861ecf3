"""Severity of an anomaly from the money at stake.

Two numbers decide it: ``impact`` (observed - expected, in the billing currency) and ``share``
(|impact| as a part of the larger of observed and expected, 0..1). A level is reached when both
of its cut-offs are met, so a large but relatively small wobble of a huge service and a
tenfold jump of a few cents both stay low. The cut-offs are configurable
(``anomalies.severity`` in the config) and documented in docs/anomalies.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LEVELS: tuple[str, ...] = ("critical", "high", "medium", "low")
RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}

DEFAULT_CUTOFFS: dict[str, dict[str, float]] = {
    "critical": {"impact": 500.0, "share": 0.5},
    "high": {"impact": 100.0, "share": 0.3},
    "medium": {"impact": 25.0, "share": 0.1},
}


def share(impact: float, cost: float, expected: float) -> float:
    """|impact| relative to the larger of observed and expected cost (1.0 for new spend)."""
    base = max(abs(cost), abs(expected))
    return min(abs(impact) / base, 1.0) if base > 0 else 0.0


def severity(impact: float, cost: float, expected: float,
             cutoffs: Mapping[str, Mapping[str, float]] = DEFAULT_CUTOFFS) -> str:
    """The highest level whose impact and share cut-offs are both met; ``low`` otherwise."""
    s = share(impact, cost, expected)
    for level in LEVELS[:-1]:
        cut = cutoffs.get(level)
        if cut and abs(impact) >= cut.get("impact", 0.0) and s >= cut.get("share", 0.0):
            return level
    return "low"


def parse_cutoffs(value: Any) -> dict[str, dict[str, float]]:
    """Validate ``anomalies.severity`` from the config; missing levels keep their defaults."""
    if value is None:
        return {k: dict(v) for k, v in DEFAULT_CUTOFFS.items()}
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of level -> {impact, share}")
    out = {k: dict(v) for k, v in DEFAULT_CUTOFFS.items()}
    for level, cut in value.items():
        if level not in DEFAULT_CUTOFFS:
            raise ValueError(f"unknown level {level!r} (known: {', '.join(DEFAULT_CUTOFFS)}; low is the rest)")
        if not isinstance(cut, Mapping) or set(cut) - {"impact", "share"}:
            raise ValueError(f"{level}: expected {{impact: AMOUNT, share: 0..1}}")
        for key, number in cut.items():
            if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
                raise ValueError(f"{level}.{key}: expected a non-negative number, got {number!r}")
            if key == "share" and number > 1:
                raise ValueError(f"{level}.share: a share is 0..1, got {number!r}")
            out[level][key] = float(number)
    return out


def at_least(level: str, minimum: str) -> bool:
    return RANK[level] >= RANK[minimum]
