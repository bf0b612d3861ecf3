"""Warm ``costctl --demo check`` against the floor the mandated libraries set.

The floor is ``python -c "import click, diskcache"``: every costctl run pays for those. A check
answered from a warm cache should cost at most ~1.3x the floor; one that imports pandas costs
about 6x. Timed in the same run, alternating, in fresh processes with a private cache (warmed
first): the floor, ``costctl --demo check`` (the default period, ``day``: what the issue times)
and ``costctl --demo check --period P`` for every other period (forecast: 28 days of three
providers; anomalies, budget and idle: their facts stored by the warming runs). The medians and
their ratios to the floor are printed.

It runs the ``costctl`` console script next to this interpreter (what Nagios runs), or
``python -m costctl`` when there is none (that adds runpy, ~4 ms).

    python bench/check_startup.py [--runs N] [--max-ratio R]

Exit status 1 when a check's ratio is above ``--max-ratio`` (not given: report only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PERIODS = ("forecast", "mtd", "change", "mom", "anomalies", "budget", "idle", "commitments")

def timed(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1, 2):  # a check may alert; UNKNOWN or a crash spoils the figure
        raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--max-ratio", type=float, default=None)
    args = parser.parse_args()
    script = os.path.join(os.path.dirname(sys.executable), "costctl")
    costctl = [script] if os.path.exists(script) else [sys.executable, "-m", "costctl"]
    commands = {
        "floor": [sys.executable, "-c", "import click, diskcache"],
        "check": [*costctl, "--demo", "check"],
        **{period: [*costctl, "--demo", "check", "--period", period] for period in PERIODS},
        "usage": [*costctl, "--demo", "check", "--period", "usage", "--unit", "Hrs", "--provider", "aws"],
    }
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_CACHE_HOME": f"{home}/cache", "XDG_CONFIG_HOME": f"{home}/config"}
        env.pop("COSTCTL_CONFIG", None)
        for name in ("forecast", *PERIODS, "usage", "check"):  # warm the cache (pandas reads the files) and bytecode
            timed(commands[name], env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["floor"]
    print(f"runner: {' '.join(costctl)}")
    print(f"floor       python -c 'import click, diskcache'          median {floor * 1000:7.1f} ms  (n={args.runs})")
    over = []
    for name in commands:
        if name == "floor":
            continue
        what = "costctl --demo check" + ("" if name == "check" else f" --period {name}")
        what += " --unit Hrs (aws)" if name == "usage" else ""
        ratio = medians[name] / floor
        print(f"{name:<11} {what + ' (warm)':<44} median {medians[name] * 1000:7.1f} ms  {ratio:.2f}x")
        if args.max_ratio is not None and ratio > args.max_ratio:
            over.append(name)
    if args.max_ratio is not None:
        print(f"limit       {args.max_ratio:.2f}x: {'ok' if not over else 'ABOVE for ' + ', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
