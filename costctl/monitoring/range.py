"""The Monitoring Plugins threshold range ``[@][start:][end]``.

Parsed and evaluated exactly as the development guidelines define it: ``start`` defaults to 0
when ``start:`` is omitted, an empty end is +infinity, ``~`` is -infinity, endpoints are
inclusive, and a value *outside* the range alerts - or *inside* it with a leading ``@``.
"""

from __future__ import annotations

import math
import re

from costctl.values import Value

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"  # compiled on first use (re caches it)


def _number(text: str, spec: str) -> float:
    if not re.match(_NUMBER, text):
        raise ValueError(f"invalid range {spec!r}: {text!r} is not a number")
    return float(text)


def format_number(value: float) -> str:
    """``10`` for 10.0, ``0.5`` for 0.5: numbers as a user would type them."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Range(Value):
    """An alert range; ``match(x)`` is True when x does NOT alert."""

    __slots__ = ("start", "end", "invert")
    frozen = True

    def __init__(self, start: float = 0.0, end: float = math.inf, invert: bool = False) -> None:
        self.start = start
        self.end = end
        self.invert = invert

    @classmethod
    def parse(cls, spec: str) -> Range:
        """Parse ``10``, ``10:``, ``~:10``, ``10:20``, ``@10:20``; ValueError with the reason."""
        text = spec.strip()
        if not text:
            raise ValueError("invalid range '': empty")
        invert = text.startswith("@")
        if invert:
            text = text[1:]
        if ":" in text:
            lo, _, hi = text.partition(":")
            if ":" in hi:
                raise ValueError(f"invalid range {spec!r}: more than one ':'")
            start = -math.inf if lo == "~" else (_number(lo, spec) if lo else 0.0)
        else:
            start, hi = 0.0, text
        end = _number(hi, spec) if hi else math.inf
        if not text or text == ":":
            raise ValueError(f"invalid range {spec!r}: neither start nor end")
        if start > end:
            raise ValueError(f"invalid range {spec!r}: start {format_number(start)} is greater than end "
                             f"{format_number(end)}")
        return cls(start, end, invert)

    def match(self, value: float) -> bool:
        """True when ``value`` is acceptable (no alert)."""
        inside = self.start <= value <= self.end
        return not inside if self.invert else inside

    def __contains__(self, value: float) -> bool:
        return self.match(value)

    def __str__(self) -> str:
        """The canonical spec, usable again as ``-w``/``-c`` and echoed in perfdata."""
        prefix = "@" if self.invert else ""
        if self.start == -math.inf:
            lo = "~:"
        elif self.start == 0 and self.end != math.inf:
            lo = ""
        else:
            lo = f"{format_number(self.start)}:"
        hi = "" if self.end == math.inf else format_number(self.end)
        return f"{prefix}{lo}{hi}"

    @property
    def violation(self) -> str:
        """Why a value alerts, for the status line: ``outside 0:100`` or ``inside 10:20``."""
        lo = "~" if self.start == -math.inf else format_number(self.start)
        hi = "" if self.end == math.inf else format_number(self.end)
        return f"{'inside' if self.invert else 'outside'} {lo}:{hi}"
