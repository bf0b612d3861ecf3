"""Performance data items and their one rendering.

``'label'=value[UOM];[warn];[crit];[min];[max]``, space separated, as the Monitoring Plugins
guidelines define it. Money has no UOM there, so cost values carry none (the currency is in
the status text). Labels are quoted only when they must be (spaces or quotes), a quote in a
label is doubled, ``=`` is not allowed in labels and becomes ``_``, and trailing empty fields
are dropped - so the exact text is stable and testable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from costctl.values import Value

UOMS = ("", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c")
_PLAIN_LABEL = re.compile(r"^[^\s'=]+$")


def format_value(value: float | None, decimals: int = 2) -> str:
    """A perfdata number: fixed decimals, no exponent, ``U`` when unknown."""
    if value is None or math.isnan(value) or math.isinf(value):
        return "U"
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def quote_label(label: str) -> str:
    """The label as it must appear before ``=``."""
    label = label.replace("=", "_")
    if _PLAIN_LABEL.match(label):
        return label
    return "'" + label.replace("'", "''") + "'"


class Perfdata(Value):
    """One perfdata item. A plain class (not a dataclass) because it is defined on every ``check``
    start-up, where generating dataclass methods costs more than the check's own arithmetic."""

    __slots__ = ("label", "value", "uom", "warn", "crit", "min", "max", "decimals")
    frozen = True

    def __init__(self, label: str, value: float | None, uom: str = "", warn: str = "", crit: str = "",
                 min: float | None = None, max: float | None = None, decimals: int = 2) -> None:  # noqa: A002
        if uom not in UOMS:
            raise ValueError(f"perfdata unit {uom!r} is not one of the guideline's units")
        self.label, self.value, self.uom, self.warn, self.crit = label, value, uom, warn, crit
        self.min, self.max, self.decimals = min, max, decimals

    def __str__(self) -> str:
        value = format_value(self.value, self.decimals)
        fields = [f"{value}{self.uom if value != 'U' else ''}", self.warn, self.crit,
                  "" if self.min is None else format_value(self.min, self.decimals),
                  "" if self.max is None else format_value(self.max, self.decimals)]
        while len(fields) > 1 and fields[-1] == "":
            fields.pop()
        return f"{quote_label(self.label)}={';'.join(fields)}"


def render(items: Iterable[Perfdata]) -> str:
    """All items, space separated, in the given order."""
    return " ".join(str(item) for item in items)
