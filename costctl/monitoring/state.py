"""Plugin states and how several of them combine into one.

The numeric values are the Monitoring Plugins exit codes, but they do not order severity:
UNKNOWN (3) is *less* severe than WARNING and CRITICAL for costctl, because one provider we
cannot read must not hide a real cost spike in another. ``worst`` therefore ranks
CRITICAL > WARNING > UNKNOWN > OK, as documented in docs/check.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class State(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3

    @classmethod
    def parse(cls, name: str) -> State:
        """``ok``/``warning``/``critical``/``unknown`` (any case) -> State; ValueError otherwise."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"expected one of ok, warning, critical, unknown, got {name!r}") from None

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {State.OK: 0, State.UNKNOWN: 1, State.WARNING: 2, State.CRITICAL: 3}


def worst(states: Iterable[State]) -> State:
    """The most severe state (CRITICAL > WARNING > UNKNOWN > OK); OK for none."""
    return max(states, key=lambda s: s.severity, default=State.OK)
