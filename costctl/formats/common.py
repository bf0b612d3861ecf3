"""Rules shared by the format mappers that run in Python: what an empty cell is, how tags are read.

The mappers are SQL (``sqlexpr`` builds their expressions); these two rules stay in Python because
``sqlexpr`` uses them as they are: ``NULL_STRINGS`` in its SQL, ``parse_tags`` in the tags UDF,
which parses each distinct tag text once.
"""

from __future__ import annotations

import ast
import json
from typing import Any

# Strings that mean "no value" in the exports we read (FOCUS samples use the literal NULL).
NULL_STRINGS = frozenset({"", "NULL", "null", "None", "NaN", "nan", "<NA>"})


def parse_tags(value: Any) -> dict[str, str]:
    """One tags cell as a dict: JSON object, JSON without outer braces (Azure), or a list of key/value.

    Azure EA exports write ``"a": "1","b": "2"`` (no braces); GCP writes a list of
    ``{'key': k, 'value': v}`` records (Python literals in the koku CSV, real lists in JSON);
    CUR 2.0 Parquet gives a list of (key, value) pairs. Unreadable text gives no tags rather
    than an error: tags refine a report, they never block it.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return _pairs_to_dict(list(value))
    if not isinstance(value, str):
        listed = value.tolist() if hasattr(value, "tolist") else None  # numpy arrays from Parquet/JSON
        return _pairs_to_dict(listed) if isinstance(listed, list) else {}
    s = value.strip()
    if s in NULL_STRINGS or s in ("{}", "[]"):
        return {}
    for candidate in (s, "{" + s + "}"):
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict | list):
            return parse_tags(parsed)
    try:
        parsed = ast.literal_eval(s)  # koku's GCP CSV: Python reprs; literal_eval never runs code
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return {}
    return parse_tags(parsed) if isinstance(parsed, dict | list) else {}


def _pairs_to_dict(items: list[Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict) and "key" in item:
            key, val = item.get("key"), item.get("value")
        elif isinstance(item, list | tuple) and len(item) == 2:
            key, val = item
        else:
            continue
        tags[str(key)] = "" if val is None else str(val)
    return tags
