"""Terminal charts of a cost report (``costs --chart``): the rows the table would show, drawn.

Two shapes, chosen by what the rows are:

- **bars**, one line per row, when there is one series per period (no ``--group-by``: one bar
  per day or month) or no period at all (``--granularity total``: one bar per group). Bars share
  one scale, so their lengths compare; eighth-cell blocks make the end exact to 1/8 of a cell.
- **sparklines**, one line per group, when there are groups *and* periods: each character is one
  day or month of that series, its height relative to the series' own largest period (shape, not
  size: the total and the largest period follow on the line). A line per group keeps 30 days of
  ten services on ten lines instead of three hundred.

Widths come from the screen (``COLUMNS`` or the terminal), so the same call is sensible at 80 and
200 columns; a pipe gets 100. Labels too long for their column end in ``…``. Colours only on a
terminal (rich), one per series.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a cell, left to right
SPARKS = "▁▂▃▄▅▆▇█"
PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta")
PIPE_WIDTH = 100
MIN_BAR = 10
MAX_STRETCH = 4  # cells per period a sparkline may take on a wide screen
OTHER = "(other)"


def bar(value: float, top: float, cells: int) -> str:
    """``value`` as a bar of up to ``cells`` cells against ``top`` (negative values: no bar)."""
    if top <= 0 or value <= 0 or cells <= 0:
        return ""
    eighths = round(min(value / top, 1.0) * cells * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (BLOCKS[part] if part else "")


def spark(values: Sequence[float]) -> str:
    """One character per value, ``▁`` (0 or less) to ``█`` (the largest value)."""
    top = max([*values, 0.0])
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[max(0, min(len(SPARKS) - 1, round(max(v, 0.0) / top * (len(SPARKS) - 1))))]
                   for v in values)


def _money(value: float, currency: str | None) -> str:
    return f"{value:,.2f} {currency or ''}".rstrip()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def _label(row: dict[str, Any], keys: Sequence[str]) -> str:
    return " / ".join(str(row.get(k) if row.get(k) is not None else "(none)") for k in keys)


def draw(rows: Sequence[dict[str, Any]], period: str | None, keys: Sequence[str], stream: IO[str], *,
         title: str | None = None, width: int | None = None, color: bool = False) -> list[str]:
    """Write the chart of report ``rows`` to ``stream``; return notes for stderr (what was left out)."""
    from rich.console import Console
    from rich.text import Text

    width = width or PIPE_WIDTH
    console = Console(file=stream, width=width, highlight=False, force_terminal=color, no_color=not color,
                      soft_wrap=True)
    if title:
        console.print(Text(title))
    if not rows:
        console.print(Text("(no rows)"))
        return []
    if period and keys:
        lines, notes = _sparklines(rows, period, keys, width)
    else:
        lines, notes = _bars(rows, period, keys, width), []
    for series, parts in lines:
        text = Text()
        for part, styled in parts:
            text.append(part, style=PALETTE[series % len(PALETTE)] if styled and color else None)
        console.print(text)
    return notes


Line = tuple[int, list[tuple[str, bool]]]  # (series number, [(text, coloured?)])


def _bars(rows: Sequence[dict[str, Any]], period: str | None, keys: Sequence[str], width: int) -> list[Line]:
    """``label  amount  bar``: the amount before the bar, so it stays next to its label at any width."""
    labels = [str(r.get(period)) if period else _label(r, keys) for r in rows]
    values = [_money(r["cost"], r.get("currency")) for r in rows]
    value_w = max(len(v) for v in values)
    label_w = min(max(len(x) for x in labels), max(12, width // 3))
    cells = max(MIN_BAR, width - label_w - value_w - 4)
    top = max(abs(r["cost"]) for r in rows)
    out: list[Line] = []
    for i, (row, label, value) in enumerate(zip(rows, labels, values, strict=True)):
        out.append((0 if period else i, [(f"{_clip(label, label_w):<{label_w}}  {value:>{value_w}}  ", False),
                                         (bar(row["cost"], top, cells), True)]))
    return out


def _sparklines(rows: Sequence[dict[str, Any]], period: str, keys: Sequence[str],
                width: int) -> tuple[list[Line], list[str]]:
    periods = sorted({str(r[period]) for r in rows})
    series: dict[tuple[str, str | None], dict[str, float]] = {}
    for r in rows:
        key = (_label(r, keys), r.get("currency"))
        cell = series.setdefault(key, {})
        cell[str(r[period])] = cell.get(str(r[period]), 0.0) + r["cost"]
    totals = {k: sum(v.values()) for k, v in series.items()}
    order = sorted(series, key=lambda k: (k[0] == OTHER, -abs(totals[k])))  # --top's (other) last, as in the table
    summaries = {k: f"{_money(totals[k], k[1])}  max {max(series[k].values()):,.2f}" for k in order}
    summary_w = max(len(s) for s in summaries.values())
    label_w = min(max(len(k[0]) for k in order), max(12, width // 4))
    room = max(MIN_BAR, width - label_w - summary_w - 4)
    notes = []
    if len(periods) > room:
        notes.append(f"note: {width} columns show the last {room} of {len(periods)} periods; "
                     "widen the terminal or shorten the range for all")
        periods = periods[-room:]
    per = max(1, min(MAX_STRETCH, room // len(periods)))  # a wide screen draws each period wider
    span = len(periods) * per
    if span >= len(periods[0]) + len(periods[-1]) + 1:  # first and last under the ends of the lines
        axis = periods[0] + " " * (span - len(periods[0]) - len(periods[-1])) + periods[-1]
    else:
        axis = f"{periods[0]} .. {periods[-1]}" if len(periods) > 1 else periods[0]
    out: list[Line] = [(0, [(f"{'':<{label_w}}  {axis}", False)])]
    for n, key in enumerate(order):
        line = "".join(c * per for c in spark([series[key].get(p, 0.0) for p in periods]))
        out.append((n, [(f"{_clip(key[0], label_w):<{label_w}}  ", False), (line, True),
                        (f"  {summaries[key]}", False)]))
    return out, notes
