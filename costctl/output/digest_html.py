"""A digest as one self-contained HTML page, for mail and for a browser.

Mail clients drop ``<link>``, scripts and often ``<style>`` blocks, so every style is an inline
``style`` attribute, the layout is plain tables and paragraphs in a 760-pixel column, and there is
no external asset (no font, image or script). Each provider gets a small inline SVG bar chart of
its daily spend; clients that strip SVG (Gmail, Outlook desktop) still show every figure, because
the tables carry them all and the chart only repeats them.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from costctl.output.digest_blocks import Section, Table, money, pct, sections, signed

if TYPE_CHECKING:
    from costctl.analysis.digest import Digest, ProviderSpend

FONT = "font-family:-apple-system,'Segoe UI',Roboto,'Liberation Sans',Arial,sans-serif"
INK, MUTED, RULE, BAR, ACCENT = "#1f2933", "#616e7c", "#d9e2ec", "#3e7cb1", "#0b4f8a"
CHART_W, CHART_H, PAD_TOP, PAD_BOTTOM, PAD_LEFT = 340, 120, 14, 22, 8


def _table(table: Table) -> str:
    cell = f"padding:4px 8px;border-bottom:1px solid {RULE};vertical-align:top"
    head = "".join(f'<th style="{cell};text-align:{"right" if i in table.numeric else "left"};color:{MUTED};'
                   f'font-weight:600">{escape(h)}</th>' for i, h in enumerate(table.header))
    keep = table.numeric | table.nowrap
    body = "".join("<tr>" + "".join(
        f'<td style="{cell};text-align:{"right" if i in table.numeric else "left"};'
        f'{"white-space:nowrap" if i in keep else ""}">{escape(c)}</td>' for i, c in enumerate(row)) + "</tr>"
        for row in table.rows)
    # A table wider than a phone scrolls inside its own box instead of pushing the page wider.
    return (f'<div style="overflow-x:auto;margin:6px 0 12px">'
            f'<table role="table" cellspacing="0" cellpadding="0" style="border-collapse:collapse;width:100%;'
            f'font-size:13px">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def chart(spend: ProviderSpend) -> str:
    """A bar per day of one provider's spend, scaled to its largest day, with its first and last day."""
    values = [v for _d, v in spend.daily]
    top = max([*values, 0.0])
    label = escape(spend.change.label)
    n = max(len(values), 1)
    inner_w, inner_h = CHART_W - 2 * PAD_LEFT, CHART_H - PAD_TOP - PAD_BOTTOM
    step = inner_w / n
    bars = []
    for i, (day, value) in enumerate(spend.daily):
        height = 0.0 if top <= 0 else max(value, 0.0) / top * inner_h
        x, y = PAD_LEFT + i * step + step * 0.12, PAD_TOP + inner_h - height
        bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.76:.1f}" height="{height:.1f}" fill="{BAR}">'
                    f"<title>{day}: {escape(money(value, spend.change.currency))}</title></rect>")
    first, last = spend.daily[0][0] if spend.daily else "", spend.daily[-1][0] if spend.daily else ""
    base = PAD_TOP + inner_h
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" '
            f'viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="Daily spend of {label}" '
            f'style="display:block;max-width:100%;height:auto">'
            f"<title>Daily spend of {label}</title>"
            f'<line x1="{PAD_LEFT}" y1="{base}" x2="{CHART_W - PAD_LEFT}" y2="{base}" stroke="{RULE}"/>'
            + "".join(bars)
            + f'<text x="{PAD_LEFT}" y="{PAD_TOP - 3}" font-size="11" fill="{MUTED}" {_svg_font()}>'
              f"max {escape(money(top, spend.change.currency))}/day</text>"
            f'<text x="{PAD_LEFT}" y="{CHART_H - 6}" font-size="11" fill="{MUTED}" {_svg_font()}>{first}</text>'
            f'<text x="{CHART_W - PAD_LEFT}" y="{CHART_H - 6}" font-size="11" fill="{MUTED}" text-anchor="end" '
            f"{_svg_font()}>{last}</text></svg>")


def _svg_font() -> str:
    return 'font-family="Liberation Sans, Arial, sans-serif"'


def _charts(digest: Digest) -> str:
    cells = []
    for spend in digest.providers:
        c = spend.change
        cells.append(f'<td style="padding:0 12px 12px 0;vertical-align:top;width:50%">'
                     f'<div style="font-size:13px;font-weight:600;color:{INK}">{escape(c.label)}</div>'
                     f'<div style="font-size:12px;color:{MUTED}">{escape(money(c.cost, c.currency))} '
                     f"({escape(signed(c.delta))}, {escape(pct(c.pct))})</div>"
                     f"{chart(spend)}</td>")
    rows = ["<tr>" + "".join(cells[i:i + 2]) + "</tr>" for i in range(0, len(cells), 2)]
    return (f'<table role="presentation" cellspacing="0" cellpadding="0" style="width:100%;margin:4px 0 8px">'
            f"{''.join(rows)}</table>") if rows else ""


def _section(section: Section, extra: str = "") -> str:
    parts = [f'<h2 style="font-size:17px;color:{ACCENT};margin:22px 0 6px;padding-bottom:4px;'
             f'border-bottom:2px solid {RULE}">{escape(section.title)}</h2>']
    parts += [f'<p style="margin:6px 0;font-size:14px;line-height:1.45">{_code(p)}</p>' for p in section.paragraphs]
    parts.append(extra)
    if section.table is not None:
        parts.append(_table(section.table))
    parts += [f'<p style="margin:4px 0;font-size:12px;color:{MUTED}">{_code(n)}</p>' for n in section.after]
    return "".join(parts)


def _code(text: str) -> str:
    """Escape ``text``; `backticked` commands become <code>."""
    pieces = escape(text).split("`")
    return "".join(f'<code style="font-family:monospace;background:#f0f4f8;padding:0 3px">{p}</code>'
                   if i % 2 else p for i, p in enumerate(pieces))


def html(digest: Digest) -> str:
    body = []
    for i, section in enumerate(sections(digest)):
        body.append(_section(section, _charts(digest) if i == 0 else ""))
    title = escape(digest.title)
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{title}</title></head>"
            f'<body style="margin:0;padding:0;background:#f5f7fa;{FONT};color:{INK}">'
            f'<div style="max-width:760px;margin:0 auto;padding:20px 24px;background:#ffffff">'
            f'<h1 style="font-size:21px;margin:0 0 4px">{title}</h1>'
            f'<p style="margin:0 0 8px;font-size:12px;color:{MUTED}">{escape(digest.metric)} cost; '
            f"made by costctl on {digest.today}</p>"
            + "".join(body)
            + "</div></body></html>\n")
