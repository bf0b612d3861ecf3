"""Warning and critical ranges together, and what they make of one value.

The nagiosplugin ``ScalarContext`` in miniature: critical is checked before warning, a missing
range never alerts, and the hint says which range was violated so the status line can tell an
operator why without reading the perfdata.
"""

from __future__ import annotations

from costctl.monitoring.range import Range
from costctl.monitoring.state import State
from costctl.values import Value


class Thresholds(Value):
    """The ``-w`` and ``-c`` ranges (either may be absent: it then never alerts)."""

    __slots__ = ("warning", "critical")
    frozen = True

    def __init__(self, warning: Range | None = None, critical: Range | None = None) -> None:
        self.warning = warning
        self.critical = critical

    @classmethod
    def parse(cls, warning: str | None, critical: str | None) -> Thresholds:
        """Ranges from ``-w``/``-c`` text; ValueError naming the option on bad syntax."""
        try:
            w = Range.parse(warning) if warning else None
        except ValueError as exc:
            raise ValueError(f"-w/--warning: {exc}") from None
        try:
            c = Range.parse(critical) if critical else None
        except ValueError as exc:
            raise ValueError(f"-c/--critical: {exc}") from None
        return cls(w, c)

    def evaluate(self, value: float) -> tuple[State, str]:
        """The state of ``value`` and, when it alerts, the reason (``critical: outside 0:100``)."""
        if self.critical is not None and not self.critical.match(value):
            return State.CRITICAL, f"critical: {self.critical.violation}"
        if self.warning is not None and not self.warning.match(value):
            return State.WARNING, f"warning: {self.warning.violation}"
        return State.OK, ""

    def perf_fields(self) -> tuple[str, str]:
        """The warn and crit fields of a perfdata item (empty when not set)."""
        return (str(self.warning) if self.warning else "", str(self.critical) if self.critical else "")
