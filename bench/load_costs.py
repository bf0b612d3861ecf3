"""Benchmark: read a large export, cache it, and report on it.

Generates a FOCUS CSV (gzip) with N rows spread over 31 days (default 300,000, about what a mid-size
account's monthly resource-level export holds), then measures, each in a fresh subprocess so peak
memory is per step:

1. ``costctl costs --file X --granularity total`` (parse + map + report, no cache),
2. a cold ``costs`` through a configured ``files`` provider (parse + cache store),
3. a warm ``costs`` from the cache (cache read + report),
4. a warm ``check``-style read: the cached days summed in pure Python, no pandas.

Prints wall seconds and peak RSS (MiB) per step. Usage: ``python bench/load_costs.py [ROWS]``.
Figures are documented in docs/benchmarks.md.

Steps 1-3 are superseded by ``bench/columnar.py`` (realistic FOCUS and CUR 2.0 exports, DuckDB as the
comparator, alternating rounds, medians, GNU time); use that for speed and memory of reports. What
only this script measures is step 4, the pure-Python read of a warm cache that ``check`` relies on.
Step 4 reads the cache through ``costctl.loader.load(...).block()``, the pre-columnar API: if the
rewrite of issue #15 changes that, step 4 reports FAILED until it is adapted.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HEADER = ["BilledCost", "EffectiveCost", "ListCost", "BillingCurrency", "BillingAccountId", "ChargeCategory",
          "ChargePeriodStart", "ChargePeriodEnd", "ProviderName", "InvoiceIssuerName", "RegionId", "ResourceId",
          "ServiceCategory", "ServiceName", "SkuId", "SubAccountId", "SubAccountName", "Tags"]


def generate(path: Path, rows: int, end: date) -> None:
    rng = random.Random(42)
    services = [("Amazon EC2", "Compute"), ("Amazon S3", "Storage"), ("Amazon RDS", "Databases"),
                ("AWS Lambda", "Compute"), ("Amazon CloudWatch", "Management and Governance")]
    with gzip.open(path, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            day = end - timedelta(days=1 + i % 31)
            service, category = services[i % len(services)]
            cost = round(rng.random() * 3, 6)
            tags = json.dumps({"team": f"team{i % 7}", "env": "prod" if i % 3 else "dev"})
            writer.writerow([cost, round(cost * 0.9, 6), round(cost * 1.1, 6), "USD", "999", "Usage",
                             f"{day}T00:00:00Z", f"{day + timedelta(days=1)}T00:00:00Z", "AWS", "AWS",
                             "us-east-1", f"arn:aws:ec2:us-east-1:123:instance/i-{i % 5000:08x}", category,
                             service, f"SKU{i % 97}", str(100 + i % 12), f"acct{i % 12}", tags])


STEP = """
import resource, sys, time
t = time.perf_counter()
{body}
print(f"{{time.perf_counter() - t:.2f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}}")
"""

CLI = "from costctl.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"

PURE = """
from datetime import date
from costctl.context import Env
from costctl.loader import load
env = Env(config_path={config!r})
data, _ = load(env, ["big"], date.fromisoformat({start!r}), date.fromisoformat({end!r}))
total = sum(data.block().columns["EffectiveCost"])
assert "pandas" not in sys.modules
"""


def run_step(name: str, body: str, env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-c", STEP.format(body=body)], capture_output=True, text=True, env=env)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or len(last.split()) != 2:
        print(f"{name:<44} FAILED: {proc.stderr.strip().splitlines()[-1:]}")
        return
    seconds, mib = last.split()
    print(f"{name:<44} {float(seconds):>7.2f} s  {int(mib):>6} MiB peak RSS")


def main() -> None:
    import os

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    end = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        export = tmpdir / "focus.csv.gz"
        t = time.perf_counter()
        generate(export, rows, end)
        print(f"generated {rows:,} rows ({export.stat().st_size / 1e6:.1f} MB gzip) in {time.perf_counter() - t:.1f} s")
        config = tmpdir / "config.yaml"
        config.write_text(f"cache: {{path: {tmpdir / 'cache'}}}\nproviders:\n  big:\n    type: files\n"
                          f"    paths: [{export}]\n")
        env = {**os.environ, "HOME": str(tmpdir), "XDG_CACHE_HOME": str(tmpdir / "xdg")}
        start = (end - timedelta(days=31)).isoformat()
        costs = ["costs", "--start", start, "--granularity", "total", "--format", "json"]
        run_step("costs --file (parse, map, report)", CLI.format(args=["costs", "--file", str(export),
                 "--granularity", "total", "--format", "json"]), env)
        run_step("costs via provider, cold (parse + cache)", CLI.format(args=["--config", str(config), *costs]), env)
        run_step("costs via provider, warm (cache + report)", CLI.format(args=["--config", str(config), *costs]), env)
        run_step("pure-Python read of the warm cache", PURE.format(config=str(config), start=start,
                 end=end.isoformat()), env)
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
