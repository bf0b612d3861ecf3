"""Anomaly detection at fleet scale (issue #25): seconds and peak RSS per number of series.

For each size, a FOCUS Parquet export of N resources x ``--days`` days (one row per resource
and day: weekday profiles, 2-8 % noise, a spike in 1 % of the series) is written once, then
``costctl anomalies --provider bench --by resource --history DAYS-14`` over the export's last 14
days runs in a fresh process
through the CLI's own code path, from a warm cache: the export is a ``files`` provider, an
untimed run fills the cache, the measured run reads it (as the issue measured). That process reports:

- ``detect``: seconds in ``analysis.anomalies.detect_data`` (DuckDB builds the series matrix
  from the cache, methods, explanations from the flagged groups' rows): the detection step the
  issue's target is about;
- ``methods``: of which the vectorised methods (``anomaly_fleet.fleet_flags``);
- ``total``: the whole command, its peak RSS, and the peak RSS before detection started
  (``load RSS``: the process with the cache opened, before any row is read).

The comparator, timed in the same process on the same matrix: the per-series loop before
issue #25 (``tests/anomaly_reference.py``, the default method on every series in turn), at
the sizes up to ``--reference-max`` (it takes about 10 ms a series). Its ratio to ``methods``
is printed, and ``s/1k series`` per size shows whether the time grows linearly.

    python bench/anomaly_scale.py [--sizes 1000,10000,50000] [--days 400] [--reference-max 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST_DAY = date(2025, 1, 6)  # a Monday; the export's first day


def write_export(path: Path, series: int, days: int) -> None:
    """One row per resource and day, seeded by the row numbers (same bytes every run)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        COPY (
          WITH s AS (SELECT range AS s, 20 + (hash(range) % 2000) AS level,
                            CASE WHEN range % 5 = 0 THEN 0.4 ELSE 1.0 END AS weekend,
                            0.02 + (hash(range * 7) % 60) / 1000.0 AS noise FROM range({series})),
               d AS (SELECT range AS d FROM range({days}))
          SELECT TIMESTAMPTZ '2025-01-06 00:00:00+00' + to_days(d::INTEGER) AS ChargePeriodStart,
                 TIMESTAMPTZ '2025-01-07 00:00:00+00' + to_days(d::INTEGER) AS ChargePeriodEnd,
                 round(level * (CASE WHEN d % 7 >= 5 THEN weekend ELSE 1.0 END)
                       * (1 + noise * ((hash(s, d) % 2001) / 1000.0 - 1.0))
                       * (CASE WHEN s % 100 = 7 AND d = {days} - 5 THEN 5 ELSE 1 END), 4) AS BilledCost,
                 BilledCost AS EffectiveCost, 'USD' AS BillingCurrency, 'Usage' AS ChargeCategory,
                 'AWS' AS ProviderName, printf('%012d', s % 200) AS SubAccountId,
                 'service-' || (s % 50) AS ServiceName, 'region-' || (s % 20) AS RegionId,
                 'res-' || s AS ResourceId, 'sku-' || (s % 300) AS SkuId
          FROM s CROSS JOIN d ORDER BY d, s
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd)""")


def child(argv: list[str], reference: bool) -> None:
    """Run the CLI command in this process, timing its detection step; print one JSON line."""
    import costctl.analysis.anomalies as core

    timings: dict[str, float] = {}
    detect, fleet_flags = core.detect_data, core.fleet_flags

    def timed_detect(*args, **kwargs):
        timings["load_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        began = time.perf_counter()
        try:
            return detect(*args, **kwargs)
        finally:
            timings["detect"] = time.perf_counter() - began - timings.get("reference", 0.0)

    def timed_flags(values, known, weekdays, start, threshold, window, method, min_impact):
        began = time.perf_counter()
        flags = fleet_flags(values, known, weekdays, start, threshold, window, method, min_impact)
        timings["methods"] = time.perf_counter() - began
        timings["flagged"] = len(flags)
        if reference:
            sys.path.insert(0, str(REPO / "tests"))
            import anomaly_reference as ref

            began = time.perf_counter()
            for g in range(values.shape[1]):
                ref.robust(values[:known[g], g], weekdays[:known[g]], start, threshold, window)
            timings["reference"] = time.perf_counter() - began
        return flags

    core.detect_data, core.fleet_flags = timed_detect, timed_flags
    from costctl.cli import cli

    began = time.perf_counter()
    try:
        cli.main(argv, standalone_mode=False)
    finally:
        timings["total"] = time.perf_counter() - began - timings.get("reference", 0.0)
    timings["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(timings))


def command(export: Path, work: Path, by: str, days: int, history: int) -> list[str]:
    """The measured command: the export's last 14 days through a ``files`` provider with its own cache."""

    config = work / "config.yaml"
    config.write_text(f"cache:\n  path: {json.dumps(str(work / 'cache'))}\nproviders:\n  bench:\n    type: files\n"
                      f"    paths: [{json.dumps(str(export))}]\n")
    last = FIRST_DAY + timedelta(days=days - 1)
    start: date = last - timedelta(days=13)
    return ["--config", str(config), "anomalies", "--provider", "bench", "--start", start.isoformat(), "--end",
            last.isoformat(), "--by", by, "--history", str(history), "--format", "json", "--output", os.devnull]


def measure(export: Path, by: str, days: int, history: int, reference: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_CACHE_HOME": f"{home}/cache", "XDG_CONFIG_HOME": f"{home}/config"}
        env.pop("COSTCTL_CONFIG", None)
        argv = command(export, Path(home), by, days, history)
        child_argv = [sys.executable, __file__, "--child", json.dumps(argv)]
        for extra in ([], ["--reference"] if reference else []):  # the first run fills the cache, untimed
            done = subprocess.run(child_argv + extra, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"size run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--by", default="resource")
    parser.add_argument("--reference-max", type=int, default=1000)
    parser.add_argument("--out", default=None, help="keep the exports here (default: a temporary directory)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    history = args.days - 14
    if args.child:
        child(json.loads(args.child), args.reference)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        out.mkdir(parents=True, exist_ok=True)
        print(f"{'series':>7} {'rows':>10} {'detect s':>9} {'methods s':>9} {'total s':>8} {'load RSS':>9} "
              f"{'peak RSS':>9} {'s/1k series':>11} {'flagged':>7} {'reference s':>11} {'ref/methods':>11}")
        for n in sizes:
            export = out / f"anomaly_scale_{n}x{args.days}.parquet"
            if not export.exists():
                write_export(export, n, args.days)
            t = measure(export, args.by, args.days, history, n <= args.reference_max)
            ref = t.get("reference")
            print(f"{n:7d} {n * args.days:10d} {t['detect']:9.2f} {t['methods']:9.2f} {t['total']:8.2f} "
                  f"{t['load_rss_mib']:5.0f} MiB {t['rss_mib']:5.0f} MiB {t['detect'] / n * 1000:11.3f} "
                  f"{int(t['flagged']):7d} "
                  + (f"{ref:11.2f} {ref / t['methods']:10.1f}x" if ref else f"{'-':>11} {'-':>11}"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
