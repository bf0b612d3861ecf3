"""The status line text and long output of a whole check, from the per-provider Results.

The overall state is the worst provider state (CRITICAL > WARNING > UNKNOWN > OK). Providers in
a problem state come first in the text, most severe first, so the part a pager truncates is the
healthy part; perfdata keeps the configured order so graphs do not jump around.
"""

from __future__ import annotations

from collections.abc import Sequence

from costctl.monitoring.evaluate import Result
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State, worst
from costctl.values import Value


class Outcome(Value):
    """The whole check's answer: state, status text, perfdata and long output lines."""

    __slots__ = ("state", "text", "perfdata", "long_output")

    def __init__(self, state: State, text: str, perfdata: Sequence[Perfdata] = (),
                 long_output: Sequence[str] = ()) -> None:
        self.state = state
        self.text = text
        self.perfdata = perfdata
        self.long_output = long_output


def summarize(headline: str, results: list[Result], notes: list[str] | None = None) -> Outcome:
    """Combine per-provider Results under ``headline`` (e.g. ``day 2026-10-30``)."""
    if not results:
        return Outcome(State.UNKNOWN, f"{headline}: no provider to check")
    ordered = sorted(results, key=lambda r: -r.state.severity)  # stable: same severity keeps config order
    text = f"{headline}: " + ", ".join(r.text for r in ordered)
    perfdata = [p for r in results for p in r.perfdata]
    long_output = [line for r in results for line in r.details] + list(notes or [])
    return Outcome(worst(r.state for r in results), text, perfdata, long_output)
