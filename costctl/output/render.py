"""One renderer for every listing command: table (rich), JSON, CSV.

Commands hand over a list of row dicts and the columns to show; the format is the user's choice.
Machine formats carry raw numbers (money rounded to 6 decimals so float noise like
``12.340000000001`` never reaches a spreadsheet); the table formats money with thousands
separators and right-aligns it. Data goes to the given stream only.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class OutputColumn:
    """A column of a listing: its key in the row dicts, its header, and how to show it."""

    key: str
    header: str | None = None
    kind: str = "text"  # text | money | number | percent | int

    @property
    def title(self) -> str:
        return self.header or self.key


def machine_value(value: Any, kind: str) -> Any:
    """A value as JSON/CSV carry it."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if kind in ("money", "number", "percent"):
            rounded = round(value, 6)
            return 0.0 if rounded == 0 else rounded
    return value


def table_value(value: Any, kind: str) -> str:
    """A value as the table shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "percent":
        return f"{value:+.1f}%"
    if kind == "number":
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def render(rows: Sequence[dict[str, Any]], columns: Sequence[OutputColumn], fmt: str, stream: IO[str], *,
           title: str | None = None, footer: Sequence[dict[str, Any]] = (), caption: str | None = None) -> None:
    """Write ``rows`` to ``stream`` in ``fmt``; ``footer`` rows (totals) appear in the table only."""
    if fmt == "json":
        data = [{c.key: machine_value(r.get(c.key), c.kind) for c in columns} for r in rows]
        json.dump(data, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for r in rows:
            writer.writerow(["" if (v := machine_value(r.get(c.key), c.kind)) is None else v for c in columns])
    elif fmt == "table":
        _render_table(rows, columns, stream, title, footer, caption)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _render_table(rows: Sequence[dict[str, Any]], columns: Sequence[OutputColumn], stream: IO[str],
                  title: str | None, footer: Sequence[dict[str, Any]], caption: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    isatty = getattr(stream, "isatty", None)
    console = Console(file=stream, width=None if isatty and isatty() else 160, highlight=False,
                      force_terminal=False, no_color=not (isatty and isatty()))
    table = Table(title=title, caption=caption, show_footer=False)
    for c in columns:
        table.add_column(c.title, justify="right" if c.kind in ("money", "number", "percent", "int") else "left")
    for r in rows:
        table.add_row(*(table_value(r.get(c.key), c.kind) for c in columns))
    if footer:
        table.add_section()
        for r in footer:
            table.add_row(*(table_value(r.get(c.key), c.kind) if c.key in r else "" for c in columns), style="bold")
    console.print(table)
