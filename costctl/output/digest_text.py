"""A digest as markdown (chat tools, wikis) or plain text (a terminal, a text-only mail).

Both format the sections of ``digest_blocks``; markdown uses pipe tables, which Slack-style
chat tools show as monospaced text and GitHub, GitLab and Mattermost as tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costctl.output.digest_blocks import Table, sections

if TYPE_CHECKING:
    from costctl.analysis.digest import Digest


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_table(table: Table) -> list[str]:
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.header))]
    lines = ["| " + " | ".join(_cell(h) for h in table.header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return lines


def markdown(digest: Digest) -> str:
    lines = [f"# {digest.title}", ""]
    for section in sections(digest):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        if section.table is not None:
            lines += [*_markdown_table(section.table), ""]
        for note in section.after:
            lines += [f"_{note}_", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _text_table(table: Table) -> list[str]:
    widths = [max(len(r[i]) for r in [table.header, *table.rows]) for i in range(len(table.header))]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(w) if i in table.numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                                  strict=True))]
        return "  " + "  ".join(parts).rstrip()

    return [line(table.header), "  " + "  ".join("-" * w for w in widths), *(line(r) for r in table.rows)]


def text(digest: Digest) -> str:
    lines = [digest.title, "=" * len(digest.title), ""]
    for section in sections(digest):
        lines += [section.title, "-" * len(section.title)]
        lines += section.paragraphs
        if section.table is not None:
            lines += _text_table(section.table)
        lines += section.after
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
