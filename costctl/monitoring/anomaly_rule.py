"""``check --period anomalies``: what ``-w``/``-c`` mean when the thing checked is a list of anomalies.

Each of ``-w`` and ``-c`` is either a **severity** (``low``, ``medium``, ``high``, ``critical``)
or a **Nagios range**. A severity alerts when the worst unacknowledged anomaly is at least that
severe; a range is evaluated, exactly as the guidelines define it, against the largest absolute
impact (money moved in a day, observed - expected) of the unacknowledged anomalies, 0 when there
are none. One rule per option keeps both readings available without a mode switch: ``-w high -c
critical`` pages on what the severity cut-offs call serious, ``-w 100 -c 500`` on money alone.
Pure Python, so it is tested without data.
"""

from __future__ import annotations

from collections.abc import Sequence

from costctl.monitoring.range import Range
from costctl.monitoring.state import State
from costctl.values import Value

SEVERITIES = ("low", "medium", "high", "critical")  # least to most severe
RANK = {name: i + 1 for i, name in enumerate(SEVERITIES)}
DEFAULT_WARNING, DEFAULT_CRITICAL = "high", "critical"


def parse_limit(text: str | None, option: str) -> str | Range | None:
    """A severity name (lower case) or a Range; ValueError naming the option otherwise."""
    if text is None or not text.strip():
        return None
    if text.strip().lower() in RANK:
        return text.strip().lower()
    try:
        return Range.parse(text)
    except ValueError as exc:
        raise ValueError(f"{option}: expected a severity ({', '.join(SEVERITIES)}) or a range: {exc}") from None


class AnomalyRule(Value):
    """``-w``/``-c`` of ``--period anomalies``: each a severity name, a Range or None.

    A ``Value``, not a dataclass: a warm anomalies check defines it, and importing ``dataclasses``
    alone is a visible share of that check's start-up (docs/check.md#speed).
    """

    __slots__ = ("warning", "critical")
    frozen = True

    def __init__(self, warning: str | Range | None = DEFAULT_WARNING,
                 critical: str | Range | None = DEFAULT_CRITICAL) -> None:
        self.warning = warning
        self.critical = critical

    @classmethod
    def parse(cls, warning: str | None, critical: str | None) -> AnomalyRule:
        """From ``-w``/``-c`` text; with neither given, ``-w high -c critical``."""
        if not (warning or critical):
            return cls()
        return cls(parse_limit(warning, "-w/--warning"), parse_limit(critical, "-c/--critical"))

    def evaluate(self, severities: Sequence[str], max_impact: float) -> tuple[State, str]:
        """The state of the unacknowledged anomalies (their severities, their largest |impact|)."""
        for state, limit in ((State.CRITICAL, self.critical), (State.WARNING, self.warning)):
            why = _violation(limit, severities, max_impact)
            if why:
                return state, f"{state.name.lower()}: {why}"
        return State.OK, ""

    def impact_fields(self) -> tuple[str, str]:
        """warn/crit fields of the impact perfdata: only the limits that are ranges."""
        return tuple(str(x) if isinstance(x, Range) else "" for x in (self.warning, self.critical))  # type: ignore[return-value]


def _violation(limit: str | Range | None, severities: Sequence[str], max_impact: float) -> str:
    if limit is None:
        return ""
    if isinstance(limit, Range):
        return "" if limit.match(max_impact) else f"impact {limit.violation}"
    worst = max(severities, key=RANK.__getitem__, default=None)
    return f"severity {worst} >= {limit}" if worst is not None and RANK[worst] >= RANK[limit] else ""
