"""One renderer for every listing command: table (rich), JSON, CSV.

Commands hand over a list of row dicts and the columns to show; the format is the user's choice.
Machine formats carry raw numbers (money rounded to 6 decimals so float noise like
``12.340000000001`` never reaches a spreadsheet) and booleans as ``true``/``false``; the table
formats money with thousands separators, percentages with one number of decimals per column,
and right-aligns them. Data goes to the given stream only.

A table never cuts a value: money, numbers, dates and ids are shown whole, and text wraps only
between words. A table wider than the screen first wraps its text columns, then drops the
columns a command marked least important (a note on stderr names them and how to see them),
and when even the columns it must keep do not fit, shows one block per row instead. Without a
terminal (a pipe, a file) and without ``COLUMNS``, a table is as wide as its content needs.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

FORMATS = ("table", "json", "csv")
NUMERIC = ("money", "number", "percent", "pct", "int", "price")
VIEW_KEY = "costctl.view"  # where the --wide/--columns options leave their values (click context meta)


@dataclass(frozen=True)
class OutputColumn:
    """A column of a listing: its key in the row dicts, its header, and how to show it.

    ``kind``: text | money | number | int | price (a unit price, four significant digits) | percent
    (a signed change, ``+12.5%``) | pct (a share, ``67.48``). ``drop``: the order in which a table
    too wide for the screen gives the column up (higher goes first, 0 never); text columns default
    to 1, numbers to 0.
    """

    key: str
    header: str | None = None
    kind: str = "text"
    drop: int | None = None

    @property
    def title(self) -> str:
        return self.header or self.key

    @property
    def drop_rank(self) -> int:
        if self.drop is not None:
            return self.drop
        return 0 if self.kind in NUMERIC else 1


@dataclass(frozen=True)
class View:
    """How the person asked to see a table: ``--wide``, ``--columns``, and where notes go."""

    wide: bool = False
    columns: tuple[str, ...] = ()
    note: Callable[[str], None] | None = None
    width: int | None = None  # the screen's width; None = ask the stream / COLUMNS

    @classmethod
    def current(cls) -> View:
        """The view the running command's options chose (a default one outside a command)."""
        import sys

        click = sys.modules.get("click")
        ctx = click.get_current_context(silent=True) if click is not None else None
        view = ctx.meta.get(VIEW_KEY) if ctx is not None else None
        return view if isinstance(view, View) else cls()


def machine_value(value: Any, kind: str) -> Any:
    """A value as JSON/CSV carry it."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if kind == "price":  # a Lambda GB-second costs 0.0000166667: six decimals would halve its digits
            return float(f"{value:.10g}")
        if kind in NUMERIC:
            rounded = round(value, 6)
            return 0.0 if rounded == 0 else rounded
    return value


def _csv_value(value: Any, kind: str) -> Any:
    value = machine_value(value, kind)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _decimals(values: Sequence[Any], most: int = 2) -> int:
    """The fewest decimals (up to ``most``) that show every value of a column as it rounds to ``most``."""
    need = 0
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            while need < most and round(v, need) != round(v, most):
                need += 1
    return need


def _fixed(value: float, decimals: int, sign: bool = False) -> str:
    rounded = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0.00"
    return f"{rounded:{'+' if sign else ''},.{decimals}f}"


def price_text(value: float) -> str:
    """A unit price with four significant digits and at least two decimals (0.00001667, 0.768, 6.25):
    a Lambda GB-second costs a hundred-thousandth of a cent, which two decimals show as 0.00."""
    if value == 0 or not math.isfinite(value):
        return _fixed(value, 2) if math.isfinite(value) else str(value)
    decimals = min(max(2, 3 - math.floor(math.log10(abs(value)))), 12)
    text = _fixed(value, decimals)
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


def table_value(value: Any, kind: str, decimals: int = 2) -> str:
    """A value as the table shows it (``decimals``: the column's, for number and pct)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "money":
        return _fixed(value, 2)
    if kind == "percent":
        return _fixed(value, 1, sign=True) + "%"
    if kind == "price":
        return price_text(value)
    if kind in ("number", "pct"):
        if kind == "number" and abs(value) >= 1000:
            return _fixed(value, 0)
        return _fixed(value, decimals)
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def select_columns(columns: Sequence[OutputColumn], wanted: Sequence[str]) -> list[OutputColumn]:
    """The ``--columns`` choice, in the order given; an unknown name is a usage error listing the known ones."""
    if not wanted:
        return list(columns)
    by_name = {c.key.lower(): c for c in columns}
    by_name.update({c.title.lower(): c for c in columns if c.title.lower() not in by_name})
    chosen = []
    for name in wanted:
        column = by_name.get(name.strip().lower())
        if column is None:
            from costctl.errors import UsageError

            raise UsageError(f"--columns: no column {name.strip()!r}; this listing has "
                             f"{', '.join(c.key for c in columns)}")
        if column not in chosen:
            chosen.append(column)
    return chosen


def render(rows: Sequence[dict[str, Any]], columns: Sequence[OutputColumn], fmt: str, stream: IO[str], *,
           title: str | None = None, footer: Sequence[dict[str, Any]] = (), caption: str | None = None,
           view: View | None = None) -> None:
    """Write ``rows`` to ``stream`` in ``fmt``; ``footer`` rows (totals) appear in the table only."""
    view = view or View.current()
    columns = select_columns(columns, view.columns)
    if fmt == "json":
        data = [{c.key: machine_value(r.get(c.key), c.kind) for c in columns} for r in rows]
        json.dump(data, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for r in rows:
            writer.writerow([_csv_value(r.get(c.key), c.kind) for c in columns])
    elif fmt == "table":
        _render_table(rows, columns, stream, title, footer, caption, view)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def screen_width(stream: IO[str], view: View) -> int | None:
    """The width a table must fit: ``COLUMNS``, else the terminal's; None (any) for a pipe or ``--wide``."""
    if view.wide:
        return None
    if view.width is not None:
        return view.width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return 80
    return None


def _cell_texts(rows: Sequence[dict[str, Any]], footer: Sequence[dict[str, Any]],
                columns: Sequence[OutputColumn]) -> tuple[list[list[str]], list[list[str]]]:
    """Every cell as the table shows it (footer cells of a column the footer lacks are blank)."""
    decimals = {c.key: 2 if c.kind == "pct" else _decimals([r.get(c.key) for r in [*rows, *footer]])
                for c in columns}
    body = [[table_value(r.get(c.key), c.kind, decimals[c.key]) for c in columns] for r in rows]
    foot = [[table_value(r.get(c.key), c.kind, decimals[c.key]) if c.key in r else "" for c in columns]
            for r in footer]
    return body, foot


def _longest_word(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(w) for w in text.split()), default=0)


def _fit(columns: Sequence[OutputColumn], cells: list[list[str]], width: int | None) -> tuple[list[int], list[int]]:
    """Column widths and the indexes of the columns kept, or ([], []) when the kept columns cannot fit.

    A number's, date's or id's cell never shrinks (its natural width is its minimum); a text
    column may wrap down to its longest word. Columns are dropped by ``drop_rank`` (highest,
    then rightmost, first) until the minimum widths fit.
    """
    from rich.cells import cell_len

    natural, least = [], []
    for i, c in enumerate(columns):
        texts = [row[i] for row in cells]
        nat = max([cell_len(c.title), *(cell_len(t) for t in texts)])
        if c.kind in NUMERIC:
            low = max([_longest_word(c.title), *(cell_len(t) for t in texts)])
        else:
            low = max([_longest_word(c.title), *(_longest_word(t) for t in texts)])
        natural.append(nat)
        least.append(min(low, nat))
    kept = list(range(len(columns)))
    if width is None:
        return natural, kept

    def room(idx: list[int]) -> int:
        return width - (3 * len(idx) + 1)  # borders and padding of rich's default box

    order = sorted((i for i in kept if columns[i].drop_rank > 0), key=lambda i: (-columns[i].drop_rank, -i))
    while sum(least[i] for i in kept) > room(kept):
        if not order:
            return [], []
        kept.remove(order.pop(0))
    widths = {i: natural[i] for i in kept}
    excess = sum(widths.values()) - room(kept)
    while excess > 0:  # shrink the widest text column that can still shrink, one cell at a time
        i = max((i for i in kept if widths[i] > least[i]), key=lambda i: widths[i])
        widths[i] -= 1
        excess -= 1
    return [widths[i] for i in kept], kept


def _render_table(rows: Sequence[dict[str, Any]], columns: Sequence[OutputColumn], stream: IO[str],
                  title: str | None, footer: Sequence[dict[str, Any]], caption: str | None, view: View) -> None:
    from rich.console import Console
    from rich.table import Table

    isatty = getattr(stream, "isatty", None)
    tty = bool(isatty and isatty())
    body, foot = _cell_texts(rows, footer, columns)
    width = screen_width(stream, view)
    widths, kept = _fit(columns, [*body, *foot], width)
    if not kept:
        _render_blocks(columns, body, foot, stream, title, caption, width or 80)
        return
    if len(kept) < len(columns):
        dropped = ", ".join(columns[i].key for i in range(len(columns)) if i not in kept)
        _note(view, f"note: {width} columns are too few for every column; not shown: {dropped} "
                    f"(see them with --wide, --columns or --format csv)")
    total = sum(widths) + 3 * len(kept) + 1
    from rich.cells import cell_len

    longest = max(total, cell_len(title or ""), cell_len(caption or ""))
    console = Console(file=stream, width=max(total, width or longest), highlight=False, force_terminal=False,
                      no_color=not tty, soft_wrap=False)
    # Title and caption are lines of their own: as wide as the screen allows, not folded into a
    # narrow table's width.
    table = Table(show_footer=False)
    for i, w in zip(kept, widths, strict=True):
        c = columns[i]
        table.add_column(c.title, justify="right" if c.kind in NUMERIC else "left", width=w, overflow="fold")
    for cells in body:
        table.add_row(*(_markup_free(cells[i]) for i in kept))
    if foot:
        table.add_section()
        for cells in foot:
            table.add_row(*(_markup_free(cells[i]) for i in kept), style="bold")
    if title:
        console.print(_markup_free(title))
    console.print(table)
    if caption:
        console.print(_markup_free(caption))


def _markup_free(text: str) -> Any:
    from rich.text import Text

    return Text(text)


def _note(view: View, message: str) -> None:
    if view.note is not None:
        view.note(message)


def _render_blocks(columns: Sequence[OutputColumn], body: list[list[str]], foot: list[list[str]],
                   stream: IO[str], title: str | None, caption: str | None, width: int) -> None:
    """One block of ``header  value`` lines per row: what a table too wide for the screen becomes.

    Values are whole; a long text wraps between words under its value column.
    """
    import textwrap

    label = max(len(c.title) for c in columns)
    room = max(width - label - 2, 20)
    out = [title, ""] if title else []
    for n, cells in enumerate([*body, *foot]):
        if n == len(body):
            out.append("Total" if len(foot) == 1 else "Totals")
        for c, text in zip(columns, cells, strict=True):
            if not text:
                continue
            parts = [text] if c.kind in NUMERIC else (textwrap.wrap(text, room, break_long_words=False,
                                                                    break_on_hyphens=False) or [""])
            out.append(f"{c.title:<{label}}  {parts[0]}")
            out.extend(f"{'':<{label}}  {p}" for p in parts[1:])
        out.append("")
    if caption:
        out.append(caption)
    stream.write("\n".join(out).rstrip("\n") + "\n")
