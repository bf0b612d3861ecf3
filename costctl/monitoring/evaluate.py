"""One provider's Result: its value checked against the thresholds, plus fault and staleness rules.

The order of judgement, per provider instance:
1. its refresh failed and the cache has nothing for the window -> ``--error-state``;
2. its newest data is older than ``--max-age`` -> ``--stale-state``;
3. the latest complete day has no rows -> ``--stale-state`` (or ``--error-state`` when the
   refresh failed, since the failure is why), a value without meaning (no baseline) -> UNKNOWN;
4. otherwise the thresholds decide.
The worst of 2 and 4 wins, so stale data that still shows a spike is reported as the spike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from costctl.monitoring.ledger import Ledger
from costctl.monitoring.measure import STALE, measure
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State, worst
from costctl.monitoring.thresholds import Thresholds
from costctl.values import Value


class Policy(Value):
    """What the operator chose for faults (``--error-state``, ``--stale-state``, ``--max-age``)."""

    __slots__ = ("error_state", "stale_state", "max_age", "now", "top", "direction")
    frozen = True

    def __init__(self, error_state: State = State.UNKNOWN, stale_state: State = State.UNKNOWN,
                 max_age: float | None = None, now: datetime | None = None, top: int = 3,
                 direction: str = "up") -> None:
        self.error_state = error_state
        self.stale_state = stale_state
        self.max_age = max_age  # seconds
        self.now = now  # the moment ages are measured from
        self.top = top
        self.direction = direction  # what `--period change` checks: up, down or both


class Result(Value):
    """One provider instance's verdict."""

    __slots__ = ("source", "state", "text", "perfdata", "details")

    def __init__(self, source: str, state: State, text: str, perfdata: Sequence[Perfdata] = (),
                 details: Sequence[str] = ()) -> None:
        self.source = source
        self.state = state
        self.text = text  # this provider's phrase of the status line
        self.perfdata = perfdata
        self.details = details  # long output lines


def format_age(seconds: float) -> str:
    """``3d4h``, ``5h12m``, ``40m``, ``45s``: an age as an operator reads it."""
    if seconds < 60:
        return f"{max(int(seconds), 0)}s"
    minutes = int(seconds // 60)
    d, rem = divmod(minutes, 1440)
    h, m = divmod(rem, 60)
    if d:
        return f"{d}d{h}h"
    return f"{h}h{m}m" if h else f"{m}m"


def evaluate(source: str, ledger: Ledger, period: str, day: date, thresholds: Thresholds, policy: Policy,
             error: str | None = None) -> Result:
    """Judge one provider instance; ``error`` is its refresh failure, if any."""
    label = f"{source}_{period}"
    if error and error.startswith(f"{source}: "):
        error = error[len(source) + 2:]  # providers prefix their own name; the phrase already does
    warn, crit = thresholds.perf_fields()
    if error and ledger.empty:
        return Result(source, policy.error_state, f"{source}: {error}",
                      [Perfdata(label, None, "%" if period in ("change", "mom") else "", warn, crit)])
    m = measure(period, ledger, source, day, policy.top, policy.direction)
    perf = [Perfdata(label, m.value, m.uom, warn, crit), *m.extra]
    details = [f"{source}: {line}" for line in m.contributors]
    states: list[State] = []
    reasons: list[str] = []
    if error:
        details.insert(0, f"{source}: refresh failed, answered from the cache: {error}")
        reasons.append("from cache")
    newest = ledger.newest_datetime()
    if policy.max_age is not None and policy.now is not None and newest is not None:
        age = (policy.now - newest).total_seconds()
        if age > policy.max_age:
            states.append(policy.stale_state)
            reasons.append(f"stale: data {format_age(age)} old > {format_age(policy.max_age)}")
    if m.problem:
        states.append(policy.error_state if error and m.problem_kind == STALE
                      else policy.stale_state if m.problem_kind == STALE else State.UNKNOWN)
        reasons.append(m.problem)
        return Result(source, worst(states), f"{source}: " + "; ".join(reasons), perf, details)
    assert m.value is not None
    state, why = thresholds.evaluate(m.value)
    states.append(state)
    if why:
        reasons.append(why)
    text = f"{source} {m.text}" + (f" ({'; '.join(reasons)})" if reasons else "")
    return Result(source, worst(states), text, perf, details)
