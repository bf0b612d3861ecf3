"""Checks every provider applies to an upstream answer before it becomes records.

A cost API can answer HTTP 200 with a body that is truncated, unparseable, of another shape, or
holds NaN amounts; SDKs do not always notice (boto3 turns an unparseable body into ``{}``). Read
as it is, such an answer becomes "no cost" and is cached for good. So each cloud's answer module
(``answers`` in ``costctl/clouds/aws`` and ``gcp``, and the Azure readers) checks the shape of every answer with these
helpers, and any doubt is a ``BadAnswer``: a failed fetch, so the loader caches nothing and keeps
the previous cached copy.
"""

from __future__ import annotations

import math
from typing import Any

from costctl.errors import ProviderError
from costctl.model import MAX_COST

KINDS = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}


class BadAnswer(ProviderError):
    """An upstream answer arrived but cannot be trusted: its shape, amounts or page count are wrong."""


def bad(source: str, problem: str) -> BadAnswer:
    """The one-line error for an untrustworthy answer of ``source`` (e.g. 'Cost Explorer GetCostAndUsage')."""
    return BadAnswer(f"{source} answered with {problem}; nothing was cached, run again later "
                     "(if it persists, the endpoint or a proxy in between is broken)")


def field(mapping: Any, key: str, kind: type, source: str, where: str = "") -> Any:
    """``mapping[key]``, which must be present and of ``kind``; BadAnswer naming the path otherwise."""
    path = f"{where}.{key}" if where else key
    if not isinstance(mapping, dict):
        raise bad(source, f"{where or 'the body'} not being an object")
    if key not in mapping:
        raise bad(source, f"no {path}")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise bad(source, f"{path} not being {KINDS.get(kind, kind.__name__)} ({_shown(value)})")
    return value


def amount(value: Any, source: str, where: str) -> float:
    """A cost amount as a float: finite and within ``model.MAX_COST``; BadAnswer otherwise.

    Accepts numbers and numeric strings (Cost Explorer sends ``"10.25"``), never booleans.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad(source, f"{where} = {_shown(value)}, not an amount")
    try:
        number = float(value)
    except ValueError:
        raise bad(source, f"{where} = {_shown(value)}, not an amount") from None
    if not math.isfinite(number) or abs(number) > MAX_COST:
        raise bad(source, f"{where} = {_shown(value)}, not a finite amount")
    return number


def same_count(stated: int, received: int, source: str, what: str) -> None:
    """The answer said it holds ``stated`` rows; fewer or more arrived: a page went missing."""
    if stated != received:
        raise bad(source, f"{received} {what} where it stated {stated} (a page is missing or was cut short)")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
