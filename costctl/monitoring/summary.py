"""The status line text and long output of a whole check, from the per-provider Results.

The overall state is the worst provider state (CRITICAL > WARNING > UNKNOWN > OK). Providers in
a problem state come first in the text, most severe first, so the part a pager truncates is the
healthy part; perfdata keeps the configured order so graphs do not jump around.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from costctl.monitoring.evaluate import Result
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State, worst


class Outcome(NamedTuple):
    state: State
    text: str
    perfdata: Sequence[Perfdata] = ()
    long_output: Sequence[str] = ()


def summarize(headline: str, results: list[Result], notes: list[str] | None = None) -> Outcome:
    """Combine per-provider Results under ``headline`` (e.g. ``day 2026-10-30``)."""
    if not results:
        return Outcome(State.UNKNOWN, f"{headline}: no provider to check")
    ordered = sorted(results, key=lambda r: -r.state.severity)  # stable: same severity keeps config order
    text = f"{headline}: " + ", ".join(r.text for r in ordered)
    perfdata = [p for r in results for p in r.perfdata]
    long_output = [line for r in results for line in r.details] + list(notes or [])
    return Outcome(worst(r.state for r in results), text, perfdata, long_output)
