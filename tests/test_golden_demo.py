"""The demo's bar-style commands print exactly what the stored golden files say.

A structural refactor (issue 21 moved every cloud into ``costctl/clouds/<cloud>/``) must not change
one byte of what users see, so each command runs as a user runs it (a subprocess on a fresh cache,
the demo pinned to ``COSTCTL_DEMO_ANCHOR`` and a fixed terminal width) and its stdout, stderr and
exit status are compared with ``tests/golden/demo/``.

The files change only on purpose: ``COSTCTL_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden_demo.py -n 0``
rewrites them from the code as it is, then ``git diff tests/golden`` shows what changed for review.
Two figures of ``export-prometheus`` depend on the wall clock (the run's duration and its finish time)
and are masked before comparing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "demo"
REPO = Path(__file__).parent.parent
ANCHOR = "2026-11-24"  # the demo data ends 2026-11-23: every relative range is computed from this day
REGENERATE = os.environ.get("COSTCTL_REGENERATE_GOLDEN") == "1"

# name -> arguments after ``costctl --demo``; ``costs`` runs first and fills the cache as a first run does.
COMMANDS: dict[str, tuple[str, ...]] = {
    "costs": ("costs",),
    "costs-json": ("costs", "--format", "json"),
    "check": ("check",),
    "check-idle": ("check", "--period", "idle"),
    "check-commitments": ("check", "--period", "commitments"),
    "idle": ("idle",),
    "idle-json": ("idle", "--format", "json"),
    "anomalies": ("anomalies",),
    "budgets": ("budgets",),
    "export-prometheus": ("export-prometheus",),
}

# Values that depend on the wall clock, not on the code: replaced before comparing (and in the files).
MASKS = [
    (re.compile(r"^(costctl_run_duration_seconds) \S+$", re.M), r"\1 <masked>"),
    (re.compile(r"^(costctl_last_success_timestamp_seconds) \S+$", re.M), r"\1 <masked>"),
]


def masked(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str, int]]:
    """(stdout, stderr, exit status) of every command, run in order on one fresh demo cache."""
    home = tmp_path_factory.mktemp("golden-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTCTL_")}
    env.update({"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
                "COSTCTL_DEMO_ANCHOR": ANCHOR, "COLUMNS": "120", "LINES": "50", "TZ": "UTC", "LC_ALL": "C.UTF-8",
                "PYTHONPATH": str(REPO)})
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    found = {}
    for name, args in COMMANDS.items():
        done = subprocess.run([sys.executable, "-m", "costctl", "--demo", *args], env=env, capture_output=True,
                              text=True, timeout=300, cwd=home)
        found[name] = (masked(done.stdout), masked(done.stderr), done.returncode)
    if REGENERATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, (out, err, _code) in found.items():
            (GOLDEN / f"{name}.stdout").write_text(out)
            (GOLDEN / f"{name}.stderr").write_text(err)
        statuses = {name: code for name, (_o, _e, code) in found.items()}
        (GOLDEN / "exit-status.json").write_text(json.dumps(statuses, indent=2, sort_keys=True) + "\n")
    return found


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_demo_command_prints_its_golden_output_byte_for_byte(outputs, name: str) -> None:
    out, err, code = outputs[name]
    statuses = json.loads((GOLDEN / "exit-status.json").read_text())
    assert code == statuses[name], f"{name}: exit status {code}, golden {statuses[name]}; stderr: {err}"
    assert out == (GOLDEN / f"{name}.stdout").read_text(), (
        f"{name}: stdout differs from tests/golden/demo/{name}.stdout (regenerate only on purpose: "
        "COSTCTL_REGENERATE_GOLDEN=1)")
    assert err == (GOLDEN / f"{name}.stderr").read_text(), f"{name}: stderr differs from the golden file"


def test_the_golden_files_cover_every_command_and_nothing_else() -> None:
    stored = {p.name.rsplit(".", 1)[0] for p in GOLDEN.glob("*.stdout")}
    assert stored == set(COMMANDS)
