"""Athena mode against the S3 download path (issue #16), over the same CUR 2.0 Parquet export in moto S3.

One CUR 2.0 Parquet export (``bench/gen_exports.py``, default 1,000,000 rows over January and
February 2025, ``--rows 10000000`` for the issue's 10M) is split by billing period and put into a
moto_server bucket twice over: as a Data Exports delivery (``data/BILLING_PERIOD=YYYY-MM/*.parquet``
plus a manifest per period, what ``cur_s3_uri`` reads) that is also the location of a Glue table in
the Athena + Glue stand-in (``tests/fake_athena.py``). Then, each in its own process (so peak RSS is
costctl's alone), alternating for ``--reps`` rounds (default 3), medians shown:

  files         ``AwsProvider(cur_s3_uri=...).fetch_sql(2025-01-01, 2025-03-01)``: lists, streams every
                object to a temp file, maps every line item in DuckDB (multi-day rows split), sums it
  athena-pages  ``AwsProvider(athena=...).fetch_sql(...)`` in a workgroup whose results Athena manages
                (no result file): GetTable, one aggregating query, every GetQueryResults page
  athena-file   the same where the query's result file is in S3: one page, then one streamed
                GetObject of the CSV, read and checked by DuckDB

and prints rows transferred to costctl, requests, wall time, costctl's time reading the answer and
peak RSS, with ratios to the first mode (``--modes`` picks and orders them). The totals of every
mode are compared to the cent (BilledCost and EffectiveCost); a difference prints MISMATCH and the
script exits 1.

What the stand-in's numbers mean: the stand-in runs in this (parent) process and executes the query
with DuckDB over files it downloads from moto, on the same machine. So the athena wall time includes
the stand-in's own download and query, which real Athena does elsewhere in parallel; "rows
transferred" and costctl's peak RSS are what the mode changes for the machine running costctl.

    python bench/athena.py                       # 1M rows, 3 rounds
    python bench/athena.py --days 4 --tag-keys '' # the density of an hourly CUR, no tag grouping
    python bench/athena.py --rows 10000000 --reps 1 --out /tmp/exports   # the issue's size
    python bench/athena.py --reps 1 --modes athena-pages,athena-file     # the two ways to read an answer

Nothing is written into the repository; ``--out DIR`` keeps the generated export for the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests")]
BUCKET = "bench-cur"
RANGE = ("2025-01-01", "2025-03-01")


def prepare(rows: int, out: Path, days: int) -> dict[str, Path]:
    """The generated export, one Parquet file per billing period it covers (reused when present)."""
    import duckdb
    import gen_exports

    months = ("2025-01",) if days <= 31 else ("2025-01", "2025-02")
    periods = {p: out / f"cur2-{rows}-{days}d-{p}.parquet" for p in months}
    if all(p.exists() for p in periods.values()):
        return periods
    whole = out / gen_exports.default_name("cur2", rows, days=days)
    if not whole.exists():
        gen_exports.generate("cur2", rows, whole, days=days)
    con = duckdb.connect()
    for period, path in periods.items():
        month = int(period[-2:])
        con.execute(f"COPY (SELECT * FROM '{whole}' WHERE month(bill_billing_period_start_date) = {month}) "
                    f"TO '{path}' (FORMAT parquet, COMPRESSION snappy)")
    return periods


def upload(moto: str, periods: dict[str, Path]) -> dict[str, str]:
    """Data files and manifests into moto S3; the Glue schema (name -> Glue type) of the files."""
    import boto3
    import duckdb

    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    for period, path in periods.items():
        key = f"cur2/data/billing_period={period}/part-0.snappy.parquet"
        s3.upload_file(str(path), BUCKET, key)
        year, month = int(period[:4]), int(period[5:])
        end = f"{year + (month == 12):04d}-{month % 12 + 1:02d}-01"
        manifest = {"billingPeriod": {"start": f"{period}-01T00:00:00.000Z", "end": f"{end}T00:00:00.000Z"},
                    "dataFiles": [f"s3://{BUCKET}/{key}"]}
        s3.put_object(Bucket=BUCKET, Key=f"cur2/metadata/billing_period={period}/bench-Manifest.json",
                      Body=json.dumps(manifest).encode())
    relation = duckdb.connect().sql(f"SELECT * FROM '{next(iter(periods.values()))}'")
    types = {}
    for name, dtype in zip(relation.columns, relation.dtypes, strict=True):
        text = str(dtype)
        types[name] = ("map<string,string>" if text.startswith("MAP(") else text.lower().replace(" ", "")
                       if text.startswith("DECIMAL") else {"DOUBLE": "double", "TIMESTAMP": "timestamp",
                                                             "BIGINT": "bigint", "BOOLEAN": "boolean"}
                       .get(text, "string"))
    return types


MODES = ("files", "athena-pages", "athena-file")


def child(mode: str) -> None:
    """One fetch in this process; prints a JSON line with what it measured.

    The athena modes fetch as the loader does (``fetch_sql``: a DuckDB table, no pandas) and sum
    in DuckDB; ``read`` is the time from the query's end (the stand-in executes it inside
    StartQueryExecution, in the parent) to the records' table: costctl's own reading of the answer.
    """
    from datetime import date

    from costctl.clouds.aws import athena as aws_athena
    from costctl.clouds.aws.provider import AwsProvider

    settings = {"type": "aws", "tag_keys": [k for k in os.environ.get("BENCH_TAG_KEYS", "team").split(",") if k]}
    if mode == "files":
        settings["cur_s3_uri"] = f"s3://{BUCKET}/cur2/"
    else:  # the stand-in's "managed" workgroup names no result file: every page is read
        workgroup = "managed" if mode == "athena-pages" else "primary"
        settings["athena"] = {"database": "bench", "table": "cur2", "max_scan_gb": 0, "workgroup": workgroup}
    ended: list[float] = []
    wait = aws_athena._wait

    def timed_wait(*args: object) -> object:
        result = wait(*args)
        ended.append(time.perf_counter())
        return result

    aws_athena._wait = timed_wait
    began = time.perf_counter()
    provider = AwsProvider(mode, settings, store={})
    start, end = date.fromisoformat(RANGE[0]), date.fromisoformat(RANGE[1])
    from costctl.duck import connect

    # Every mode as the loader fetches: ``fetch_sql`` (files: S3 objects streamed to temp files and
    # mapped by DuckDB as it reads them; athena: the answer's table), summed in DuckDB.
    source = provider.fetch_sql(start, end)
    records, billed, effective = connect().execute(
        f"SELECT count(*), sum(BilledCost), sum(EffectiveCost) FROM {source}").fetchone()
    seconds = time.perf_counter() - began
    transferred = records if mode != "files" else None  # files: every line item (counted by the parent)
    print(json.dumps({"mode": mode, "seconds": seconds, "rows": transferred, "records": records,
                      "read": seconds - (ended[-1] - began) if ended else seconds,
                      "billed": float(billed), "effective": float(effective),
                      "scanned": provider.stats.bytes_scanned, "requests": provider.stats.requests,
                      "rss_mib": peak_rss_mib()}))


def peak_rss_mib() -> float:
    """This process's peak RSS: VmHWM of its own memory map. (``ru_maxrss`` is no good here: Linux carries
    the parent's high-water mark into a child across fork and exec, and the parent hosts the stand-in.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, env: dict[str, str], line_items: int) -> dict:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", mode], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - began
    if result["rows"] is None:
        result["rows"] = line_items
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the generated export here")
    parser.add_argument("--days", type=int, default=59,
                        help="days the export covers from 2025-01-01 (59: the generator's default, ~1.7 line items "
                             "per resource and day; 4: ~25, the density of an hourly CUR)")
    parser.add_argument("--tag-keys", default="team", help="comma-separated tag keys to group by ('' for none)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma-separated modes to run, of {', '.join(MODES)} (the first is the baseline)")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    modes = [m for m in args.modes.split(",") if m]
    if not modes or any(m not in MODES for m in modes):
        parser.error(f"--modes: expected some of {', '.join(MODES)}")

    from fake_athena import FakeAthena

    from moto_server import running

    out = args.out or Path(tempfile.mkdtemp(prefix="costctl-bench-athena-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.rows:,} CUR 2.0 rows in {out} ...", file=sys.stderr)
    periods = prepare(args.rows, out, args.days)
    import pyarrow.parquet as pq

    line_items = sum(pq.ParquetFile(p).metadata.num_rows for p in periods.values())
    home = Path(tempfile.mkdtemp(prefix="costctl-bench-home-"))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "HOME": str(home),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "BENCH_TAG_KEYS": args.tag_keys}
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
    with running() as moto:
        types = upload(moto, periods)
        fake = FakeAthena(moto).start()
        fake.background = True  # queries over millions of rows outlast a request, as in Athena
        try:
            fake.add_table("bench", "cur2", types, {"billing_period": "string"}, f"s3://{BUCKET}/cur2/data/",
                           "parquet")
            fake.workgroups.add("managed")
            fake.managed_results.add("managed")
            env.update(AWS_ENDPOINT_URL_S3=moto, AWS_ENDPOINT_URL_ATHENA=fake.url, AWS_ENDPOINT_URL_GLUE=fake.url)
            results: dict[str, list[dict]] = {m: [] for m in modes}
            for rep in range(args.reps):
                for mode in modes:
                    results[mode].append(measure(mode, env, line_items))
                    r = results[mode][-1]
                    print(f"round {rep + 1} {mode:12}: {r['wall']:.1f} s wall ({r['seconds']:.1f} s fetch, "
                          f"{r['read']:.1f} s reading the answer), {r['rss_mib']:.0f} MiB, {r['rows']:,} rows, "
                          f"{r['requests']} requests", file=sys.stderr)
        finally:
            fake.stop()
    return report(args.rows, results, args.tag_keys, args.days)


def report(rows: int, results: dict[str, list[dict]], tag_keys: str, days: int) -> int:
    keys = ("wall", "seconds", "read", "rss_mib", "rows", "requests")
    med = {m: {k: statistics.median(r[k] for r in runs) for k in keys} for m, runs in results.items()}
    base_name = next(iter(results))
    base = med[base_name]
    print(f"CUR 2.0 Parquet, {rows:,} line items over {days} days, fetched {RANGE[0]} .. {RANGE[1]}, "
          f"tag_keys [{tag_keys}]; medians of {len(results[base_name])} round(s)")
    print(f"{'':14}{'rows to costctl':>16}{'requests':>10}{'wall s':>9}{'fetch s':>9}{'read s':>9}"
          f"{'peak RSS MiB':>14}")
    for name, m in med.items():
        print(f"{name:14}{m['rows']:>16,.0f}{m['requests']:>10.0f}{m['wall']:>9.1f}{m['seconds']:>9.1f}"
              f"{m['read']:>9.1f}{m['rss_mib']:>14.0f}")
    for name, m in med.items():
        if name != base_name:
            print(f"{name + '/' + base_name:30}{m['wall'] / base['wall']:>9.2f}{m['seconds'] / base['seconds']:>9.2f}"
                  f"{m['read'] / base['read']:>9.2f}{m['rss_mib'] / base['rss_mib']:>14.2f}")
    athena = [n for n in results if n != "files"]
    if athena:
        print(f"athena scanned {results[athena[-1]][-1]['scanned']:,} bytes (stand-in: the partitions' file sizes)")
    ok = True
    for key in ("billed", "effective"):
        totals = {n: round(runs[-1][key], 2) for n, runs in results.items()}
        if len(set(totals.values())) != 1:
            print(f"MISMATCH {key}: " + ", ".join(f"{n} {v:.2f}" for n, v in totals.items()))
            ok = False
        else:
            print(f"{key} total {next(iter(totals.values())):,.2f} in every mode")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
