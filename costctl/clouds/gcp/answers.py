"""Shape checks of the BigQuery answers the ``gcp`` provider reads (see ``costctl.providers.answers``).

BigQuery states how many rows a query result holds (``totalRows``); the client follows
``pageToken`` pages, and a page that arrives empty or cut short would end the iteration early
without an error. So the rows received are counted against that number, and every amount is
checked to be finite (BigQuery FLOAT columns can hold NaN and Infinity).
"""

from __future__ import annotations

from typing import Any

from costctl.providers.answers import amount, same_count

SOURCE = "BigQuery"


def all_rows(rows: list[dict[str, Any]], total_rows: Any, table: str) -> list[dict[str, Any]]:
    """The rows, when as many arrived as the result said it holds (``total_rows`` None: not stated)."""
    if total_rows is not None:
        same_count(int(total_rows), len(rows), f"{SOURCE} query of {table}", "row(s)")
    return rows


def cost(row: dict[str, Any], column: str, number: int) -> float:
    """A finite amount from answer row ``number``; None reads as 0 (a row without credits)."""
    value = row[column]
    if value is None:
        return 0.0
    return amount(value, SOURCE, f"row {number} {column}")
