"""Warm ``costctl --demo check`` against the floor the mandated libraries set.

The floor is ``python -c "import click, diskcache"``: every costctl run pays for those. A check
answered from a warm cache should cost at most ~1.3x the floor; one that imports pandas costs
about 6x. Both are timed in the same run, alternating, in fresh processes with a private cache
(warmed once first), and the medians and their ratio are printed.

    python bench/check_startup.py [--runs N] [--max-ratio R]

Exit status 1 when the ratio is above ``--max-ratio`` (not given: report only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1, 2):  # a check may alert; UNKNOWN or a crash spoils the figure
        raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-ratio", type=float, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_CACHE_HOME": f"{home}/cache", "XDG_CONFIG_HOME": f"{home}/config"}
        env.pop("COSTCTL_CONFIG", None)
        check = [sys.executable, "-m", "costctl", "--demo", "check", "--period", "forecast"]
        floor = [sys.executable, "-c", "import click, diskcache"]
        timed(check, env)  # warm the cache (this one reads the files with pandas)
        timed(check, env)  # and the bytecode
        checks, floors = [], []
        for _ in range(args.runs):
            floors.append(timed(floor, env))
            checks.append(timed(check, env))
    f, c = statistics.median(floors), statistics.median(checks)
    ratio = c / f
    print(f"floor  python -c 'import click, diskcache'  median {f * 1000:7.1f} ms  (n={args.runs})")
    print(f"check  costctl --demo check (warm cache)    median {c * 1000:7.1f} ms  (n={args.runs})")
    print(f"ratio  {ratio:.2f}x" + (f"  (limit {args.max_ratio:.2f}x)" if args.max_ratio else ""))
    return 1 if args.max_ratio is not None and ratio > args.max_ratio else 0


if __name__ == "__main__":
    sys.exit(main())
