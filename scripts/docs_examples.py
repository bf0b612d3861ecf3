#!/usr/bin/env python3
"""Regenerate the command examples in README.md and docs/*.md from real runs on the demo.

An example is a fenced block right after a marker line::

    <!-- example: costctl --demo budgets -->
    <!-- example head=3: costctl --demo check --period day -w 2000 -c 4000 -->

The block becomes ``$ COMMAND`` and what the command printed on stdout, run at ``COLUMNS=80``
(``width=N`` to change it) in a fresh cache with ``COSTCTL_DEMO_ANCHOR`` fixed, so the demo's
data ends on the same day whenever the examples are made and the output is reproducible
(``head=N`` keeps the first N lines and marks the cut with ``...``; ``stderr`` adds stderr).

    python scripts/docs_examples.py          # rewrite the examples in place
    python scripts/docs_examples.py --check  # exit 1 naming every example that differs (the test suite runs this)

Why a fixed anchor rather than today: docs that show the output of yesterday's data would go
stale every day; with the anchor a stale example always means the output really changed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = "2026-11-24"  # the demo data ends 2026-11-23, as the docs' prose says
MARKER = re.compile(r"^<!-- example(?P<opts>[^:]*): (?P<cmd>costctl .+?) -->\n```[a-z]*\n(?P<body>.*?)^```$",
                    re.M | re.S)


@dataclass(frozen=True)
class Example:
    """One marked example: where it is, what it runs and what the docs show now."""

    path: Path
    command: str
    width: int
    head: int | None
    stderr: bool
    shown: str
    span: tuple[int, int]  # of the block's body in the file


def examples(path: Path) -> list[Example]:
    """The marked examples of one Markdown file."""
    text = path.read_text(encoding="utf-8")
    found = []
    for m in MARKER.finditer(text):
        opts = dict(o.partition("=")[::2] for o in m["opts"].split())
        found.append(Example(path, m["cmd"], int(opts.get("width") or 80),
                             int(opts["head"]) if opts.get("head") else None, "stderr" in opts, m["body"],
                             m.span("body")))
    return found


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def run(example: Example, home: Path) -> str:
    """What the docs should show for ``example``: its command line, then its output."""
    args = shlex.split(example.command)
    env = {**os.environ, "COLUMNS": str(example.width), "COSTCTL_DEMO_ANCHOR": ANCHOR, "HOME": str(home),
           "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"), "NO_COLOR": "1",
           "PYTHONPATH": str(ROOT)}
    env.pop("COSTCTL_CONFIG", None)
    proc = subprocess.run([sys.executable, "-m", "costctl", *args[1:]], capture_output=True, text=True, env=env,
                          timeout=300, cwd=home)
    if proc.returncode > 4 or "Traceback" in proc.stderr:
        raise SystemExit(f"{example.path.name}: `{example.command}` failed (exit {proc.returncode}): "
                         f"{proc.stderr.strip()[-300:]}")
    out = proc.stdout + (proc.stderr if example.stderr else "")
    lines = [line.rstrip() for line in out.splitlines()]
    if example.head is not None and len(lines) > example.head:
        lines = [*lines[:example.head], "..."]
    return "\n".join([f"$ {example.command}", *lines]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if an example is stale")
    parser.add_argument("--home", type=Path, help="run in this home (its anchored demo cache is reused); "
                        "default: a fresh temporary one")
    options = parser.parse_args(argv)
    stale = []
    with contextlib.ExitStack() as stack:
        tmp = options.home or stack.enter_context(tempfile.TemporaryDirectory())
        for path in documents():
            found = examples(path)
            if not found:
                continue
            text = path.read_text(encoding="utf-8")
            for example in reversed(found):  # from the end, so earlier spans stay valid
                fresh = run(example, Path(tmp))
                if fresh != example.shown:
                    stale.append(f"{path.relative_to(ROOT)}: {example.command}")
                    text = text[:example.span[0]] + fresh + text[example.span[1]:]
            if not options.check:
                path.write_text(text, encoding="utf-8")
    for line in stale:
        print(("stale: " if options.check else "updated: ") + line, file=sys.stderr)
    if stale and options.check:
        print("regenerate them with: python scripts/docs_examples.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
