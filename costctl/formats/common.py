"""Helpers shared by the format mappers: money, timestamps, tags, and the last step to the record.

Every mapper turns a raw frame (strings as read from CSV, or typed values from Parquet/JSON)
into a frame with the normalized column names; these helpers keep the parsing rules (what an
empty value is, how a bad number is reported, how tags are read) identical across formats.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from costctl.errors import ExportFormatError
from costctl.model import MAX_COST

if TYPE_CHECKING:
    import pandas as pd

# Strings that mean "no value" in the exports we read (FOCUS samples use the literal NULL).
NULL_STRINGS = frozenset({"", "NULL", "null", "None", "NaN", "nan", "<NA>"})


def resolve(columns: Iterable[str], *candidates: str) -> str | None:
    """The first of ``candidates`` present in ``columns``, compared case-insensitively.

    Exports of one format spell the same column differently across versions (Azure v1
    camelCase vs v2 PascalCase), so mappers look names up through this instead of indexing.
    """
    lower = {str(c).lower(): str(c) for c in columns}
    for name in candidates:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def require(raw: pd.DataFrame, source: str, what: str, *candidates: str) -> str:
    """Like ``resolve`` but raise a one-line ExportFormatError naming what is missing."""
    found = resolve(raw.columns, *candidates)
    if found is None:
        names = " or ".join(candidates)
        raise ExportFormatError(f"{source}: missing {what} column {names}; re-export with that column included")
    return found


def text(raw: pd.DataFrame, column: str | None) -> pd.Series:
    """A column as nullable strings with the export's null spellings turned into <NA>."""
    import pandas as pd

    if column is None or column not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    values = raw[column].astype("string").str.strip()
    return values.mask(values.isin(NULL_STRINGS))


def money(raw: pd.DataFrame, column: str | None, source: str, *, default: float = 0.0) -> pd.Series:
    """A cost column as float64; empty cells become ``default``; text raises naming column and row.

    The row number is the 1-based data row (the CSV line number minus the header), which is
    what an operator sees when opening the file in a spreadsheet.
    """
    import pandas as pd

    if column is None or column not in raw.columns:
        return pd.Series(default, index=raw.index, dtype="float64")
    values = raw[column]
    if pd.api.types.is_numeric_dtype(values):
        return _bounded(values.astype("float64"), column, source).fillna(default)
    strings = text(raw, column)
    numbers = pd.to_numeric(strings, errors="coerce").astype("float64")
    bad = numbers.isna() & strings.notna()
    if bad.any():
        position = int(bad.to_numpy().argmax())
        value = str(strings.iloc[position])[:40]
        raise ExportFormatError(
            f"{source}: column {column} row {position + 1}: cost {value!r} is not a number; fix or remove that row"
        )
    return _bounded(numbers, column, source, strings).fillna(default)


def _bounded(numbers: pd.Series, column: str, source: str, cells: pd.Series | None = None) -> pd.Series:
    """``numbers`` when every cost is finite and below MAX_COST in size; else the first bad row,
    shown as written in the file (``cells``) when there is text to show."""
    bad = numbers.abs() > MAX_COST  # NaN compares False: empty cells are handled by the caller
    if bad.any():
        position = int(bad.to_numpy().argmax())
        value = float(numbers.iloc[position]) if cells is None else str(cells.iloc[position])[:40]
        raise ExportFormatError(f"{source}: column {column} row {position + 1}: cost {value!r} is not a finite "
                                f"amount (at most {MAX_COST:g} in size); fix or remove that row")
    return numbers


def number(raw: pd.DataFrame, column: str | None) -> pd.Series:
    """A quantity column as float64, NaN where empty or unparsable (quantities never block a report)."""
    import pandas as pd

    if column is None or column not in raw.columns:
        return pd.Series(float("nan"), index=raw.index, dtype="float64")
    return pd.to_numeric(text(raw, column), errors="coerce").astype("float64")


def timestamps(raw: pd.DataFrame, column: str, source: str) -> pd.Series:
    """Parse a timestamp column to UTC; naive values are taken as UTC; US ``MM/DD/YYYY`` is accepted.

    Azure writes ``09/21/2023`` or ``9/2/2023`` (month first) in EA exports and ISO dates
    elsewhere, so slash dates are parsed month-first explicitly rather than guessed.
    """
    import pandas as pd

    values = raw[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values if values.dt.tz is not None else values.dt.tz_localize("UTC")
        return parsed.dt.tz_convert("UTC")
    strings = text(raw, column)
    if strings.isna().any():
        row = int(strings.isna().to_numpy().argmax()) + 1
        raise ExportFormatError(f"{source}: column {column} row {row}: empty date; every row needs one")
    slash = strings.str.contains("/", regex=False)
    try:
        result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
        if slash.any():
            result[slash] = pd.to_datetime(strings[slash], format="%m/%d/%Y", utc=True)
        if (~slash).any():
            result[~slash] = pd.to_datetime(strings[~slash], format="mixed", utc=True)
    except (ValueError, TypeError) as exc:
        raise ExportFormatError(f"{source}: column {column}: unreadable date ({exc}); use ISO 8601 dates") from exc
    return result


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


def tags(raw: pd.DataFrame, column: str | None) -> pd.Series:
    """A tags column as dicts (empty dict where absent)."""
    import pandas as pd

    if column is None or column not in raw.columns:
        return pd.Series([{} for _ in range(len(raw))], index=raw.index, dtype="object")
    return raw[column].map(parse_tags).astype("object")
