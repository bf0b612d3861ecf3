"""Start-up time of costctl as a monitoring host runs it: `--version` and a warm `check`, per build layout.

A Nagios/Icinga check runs every few minutes, so the cost of starting the process matters as much as
the artifact's size; this is the measurement behind the onefile-vs-onedir choice in docs/binary.md.
Each target gets its own fresh cache and one unmeasured `check` to fill it; then RUNS rounds time each
command of each target, alternating, and the table shows the median (and min-max) wall time of the whole
process. The single file is also timed on its first start (a new runtime directory each time: the unpack).

    python bench/startup.py                      # whatever is built, plus the `costctl` on PATH
    python bench/startup.py --runs 15 --target mine=/opt/costctl/costctl

Defaults find the pip-installed `costctl` on PATH, the single file in dist/ and the layouts
scripts/build-binary leaves in build/pyinstaller (COSTCTL_LAYOUT=both adds PyInstaller's onefile).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILT = ROOT / "build" / "pyinstaller"
CHECK = ("--demo", "check", "--period", "day", "-w", "1000000", "-c", "2000000")
COMMANDS = {"--version": ("--version",), "warm check": CHECK}


def default_targets() -> dict[str, list[str]]:
    targets: dict[str, list[str]] = {}
    if shutil.which("costctl"):
        targets["pip-installed"] = [shutil.which("costctl") or "costctl"]
    if (BUILT / "dist" / "costctl" / "costctl").is_file():
        targets["onedir"] = [str(BUILT / "dist" / "costctl" / "costctl")]
    wrappers = sorted((BUILT / "stage").glob("*/costctl-wrapper"))
    if wrappers:
        targets["onedir via wrapper"] = [str(wrappers[0])]
    singles = sorted(p for p in (ROOT / "dist").glob("costctl-*-*") if p.is_file() and not p.name.endswith(
        (".sha256", ".tar.gz", "-onefile")))
    if singles:
        targets["single file (warm)"] = [str(singles[-1])]
    if (BUILT / "dist" / "costctl-onefile").is_file():
        targets["PyInstaller onefile"] = [str(BUILT / "dist" / "costctl-onefile")]
    return targets


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    # check exits 0-3 by design; only a crash (no status line) is an error worth stopping for.
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1, 2) or not result.stdout:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}): {result.stdout}{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command (default 9)")
    parser.add_argument("--cold-runs", type=int, default=3,
                        help="first starts of the single file, each into a new runtime directory (default 3)")
    parser.add_argument("--target", action="append", default=[], metavar="NAME=EXECUTABLE",
                        help="measure this executable instead of the defaults (repeatable)")
    opts = parser.parse_args()
    targets = dict(t.split("=", 1) for t in opts.target) if opts.target else None
    targets = {k: [v] for k, v in targets.items()} if targets else default_targets()
    if not targets:
        sys.exit("nothing to measure: no costctl on PATH and nothing built (scripts/build-binary)")
    with tempfile.TemporaryDirectory(prefix="costctl-bench-") as tmp:
        envs = {}
        for i, (name, argv) in enumerate(targets.items()):
            env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / f"cache-{i}"),
                   "XDG_CONFIG_HOME": str(Path(tmp) / f"config-{i}")}
            if argv[0].endswith("costctl-wrapper"):
                env["COSTCTL_HOME"] = str(Path(argv[0]).parent)
            timed(argv + list(CHECK), env)  # fills the cache (and unpacks a single file): every run below is warm
            envs[name] = env
        times: dict[str, dict[str, list[float]]] = {name: {c: [] for c in COMMANDS} for name in targets}
        for _ in range(opts.runs):  # alternating, so a busy phase of the machine hits every target alike
            for name, argv in targets.items():
                for command, args in COMMANDS.items():
                    times[name][command].append(timed(argv + list(args), envs[name]))
        single = targets.get("single file (warm)")
        cold: list[float] = []
        for i in range(opts.cold_runs if single else 0):
            env = {**envs["single file (warm)"], "COSTCTL_RUNTIME_DIR": str(Path(tmp) / f"runtime-{i}")}
            cold.append(timed(single + ["--version"], env))  # type: ignore[operator]
    print(f"median of {opts.runs} alternating runs (min-max), wall time of the whole process, {os.cpu_count()} cores")
    print("| target | " + " | ".join(COMMANDS) + " |")
    print("|---|" + "---|" * len(COMMANDS))
    for name, measured in times.items():
        cells = [f"{statistics.median(t) * 1000:.0f} ms ({min(t) * 1000:.0f}-{max(t) * 1000:.0f})"
                 for t in measured.values()]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    if cold:
        print(f"| single file, first start (unpack) | {statistics.median(cold) * 1000:.0f} ms "
              f"({min(cold) * 1000:.0f}-{max(cold) * 1000:.0f}, n={len(cold)}) | |")


if __name__ == "__main__":
    main()
