"""Why a report came out empty: what the data covers, and which filter value matched nothing.

An empty report is an honest answer (exit status 0), but a silent one leaves a person guessing
between "no spend" and "wrong range or a typo". These lines go to stderr. They read the data's
span from the cache index or from the Dataset (``span()``, a min/max query), and filter values
with one DISTINCT query per filtered column over the range: never a second full read of an export.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costctl.filters import Filters
    from costctl.query import Dataset


def nearest(value: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Existing values closest to a value that matched nothing: close spellings, then values
    sharing a word with it (``Amazon EC2`` -> ``Amazon Elastic Compute Cloud``)."""
    pool = sorted({c for c in candidates if c})
    by_lower = {c.lower(): c for c in pool}
    found = [c for c in pool if _abbreviates(value, c)]
    found += [by_lower[m] for m in difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=0.5)
              if by_lower[m] not in found]
    words = {w for w in value.lower().replace("-", " ").split() if len(w) > 1}
    sharing = sorted((c for c in pool if c not in found and words & set(c.lower().replace("-", " ").split())),
                     key=lambda c: -difflib.SequenceMatcher(None, value.lower(), c.lower()).ratio())
    return (found + sharing)[:n]


def _abbreviates(value: str, candidate: str) -> bool:
    """``EC2`` abbreviates ``Elastic Compute Cloud`` (a digit repeats the letter before it): a word
    of ``value`` of 2+ letters is the initials of consecutive words of ``candidate``."""
    import re

    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][A-Za-z]*", candidate)).lower()
    for word in value.split():
        expanded = re.sub(r"([A-Za-z])(\d)", lambda m: m.group(1) * int(m.group(2)), word).lower()
        if len(expanded) >= 2 and expanded.isalpha() and expanded in initials and word.lower() not in \
                candidate.lower().split():
            return True
    return False


def _quoted(values: Sequence[str]) -> str:
    return " or ".join(f"'{v}'" for v in values)


def _distinct(data: Dataset, expr: str) -> set[str]:
    table = data.arrow(f"SELECT DISTINCT {expr} AS v FROM ({data.sql()})")
    return {v for v in table.column("v").to_pylist() if isinstance(v, str)}


def filter_misses(unfiltered: Dataset, filters: Filters) -> list[str]:
    """One line per filter value that matches no row of ``unfiltered``, with the nearest values."""
    from costctl.query import tag_value

    checks: list[tuple[str, str, Sequence[str], list[str]]] = []
    if filters.services:
        checks.append(("--service", "service", filters.services, ["ServiceName"]))
    if filters.accounts:
        checks.append(("--account", "account", filters.accounts, ["SubAccountId", "SubAccountName"]))
    if filters.regions:
        checks.append(("--region", "region", filters.regions, ["RegionId"]))
    by_key: dict[str, list[str]] = {}
    for key, value in filters.tags:
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        checks.append(("--tag", f"value of tag {key}", values, [tag_value(key)]))
    lines = []
    for option, what, wanted, exprs in checks:
        present: set[str] = set()
        for expr in exprs:
            present |= _distinct(unfiltered, expr)
        lowered = {p.lower() for p in present}
        for value in wanted:
            if value.lower() in lowered:
                continue
            close = nearest(value, present)
            hint = f"; did you mean {_quoted(close)}?" if close else (
                "; the range has none" if not present else "")
            lines.append(f"{option} {value!r}: no {what} matches{hint}")
    return lines


def coverage_hint(start: date, end: date, holdings: Sequence[tuple[str, date, date]]) -> str:
    """``no rows between A and B; NAME holds X .. Y: try ...`` (``holdings``: name, first, last day)."""
    head = f"no rows between {start} and {end - timedelta(days=1)}" if end > start else "no rows"
    if not holdings:
        return f"{head}, and no source holds any cost row yet"
    parts = [f"{name} holds {first} .. {last}" for name, first, last in holdings]
    first = min(h[1] for h in holdings)
    last = max(h[2] for h in holdings)
    return f"{head}; {', '.join(parts)}: try --start {first} or --month {last:%Y-%m}"


def why_empty(start: date, end: date, unfiltered: Dataset, filters: Filters | None,
              holdings: Sequence[tuple[str, date, date]]) -> list[str]:
    """The stderr lines for an empty report over ``[start, end)``."""
    if filters and unfiltered.count() > 0:
        misses = filter_misses(unfiltered, filters)
        return misses or [f"no row matches {filters.describe()} together between {start} and "
                          f"{end - timedelta(days=1)} (each matches some rows on its own)"]
    return [coverage_hint(start, end, holdings)]
