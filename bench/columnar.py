"""Columnar data path benchmark (issue #15): costctl against DuckDB on the same generated exports.

For each size (``--rows``, default 1,000,000) and format (a FOCUS 1.0 CSV and an AWS CUR 2.0
Parquet export, written by ``bench/gen_exports.py``), five contenders run in turn, each in its own
process under ``/usr/bin/time -v`` (wall time, peak RSS), alternating a b c d e a b c d e ... for
``--reps`` rounds (default 3); the table shows medians:

  a  file   ``costctl costs --file F --group-by service --granularity monthly --format json`` (no cache)
  b  cold   the same report through a ``files`` provider on an empty cache: fetch + cache write
  c  warm   the same report through the same provider again: cache read
  d  duckdb ``python -c`` importing duckdb, ``read_csv``/``read_parquet`` + GROUP BY on F: the floor an
            engine sets, interpreter start-up included as for costctl
  e  floor  ``python -c "import click, diskcache"``: what every costctl run pays before any work

Then the ratios the issue's targets name: a/d wall and peak RSS (target <= 2x each), b/a (<= 1.5x),
c - e against 1 s (the warm target, stated for 10M cached rows), and a scaling line: seconds per
million rows above the floor, per size. The reports of a, b and c are compared with d's group by
group to the cent; any difference prints MISMATCH and the script exits 1.

It measures whatever ``costctl`` this interpreter imports (``PYTHONPATH`` is inherited; the
console script next to the interpreter, else ``python -m costctl``; ``--costctl CMD`` to choose),
so it runs unchanged before and after the columnar rewrite. Each run gets fresh HOME, XDG config
and cache directories; nothing is written into the repository. A watchdog kills a run whose process
tree's RSS passes ``--rss-cap-gib`` (default 8) so an old data path cannot exhaust a shared machine;
the run is then reported as above the cap.

    python bench/columnar.py                                  # 1M rows, both formats, 3 rounds
    python bench/columnar.py --rows 100000,1000000,3000000,10000000   # the scaling line
    python bench/columnar.py --rows 1000000 --formats focus --gzip    # FOCUS as .csv.gz
    python bench/columnar.py --ingest-gb 10                   # 10 GB CUR 2.0 CSV, cold provider fetch

``--ingest-gb N`` (off by default: it takes long and needs ~1.5 N GB of free disk) generates an
N GB (10^9 bytes, uncompressed) CUR 2.0 CSV and measures one cold provider fetch (b) and the DuckDB
comparator (d) on it: the target is a peak RSS under 1 GiB. ``--out DIR`` keeps the generated
exports (reused on the next run); ``--save FILE`` writes every measurement as JSON.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_exports  # noqa: E402  (bench/ is not a package)

GNU_TIME = "/usr/bin/time"
CONTENDERS = {
    "file": "a  costs --file F (no cache)",
    "cold": "b  files provider, cold cache",
    "warm": "c  files provider, warm cache",
    "duckdb": "d  DuckDB read + GROUP BY",
    "floor": "e  python -c 'import click, diskcache'",
}
REPORT = ["--group-by", "service", "--granularity", "monthly", "--format", "json"]
GIB = 2**30
HALF_CENT = 0.005  # a difference this large shows in cents; float summation noise is ~1e-9

# The comparator: DuckDB's own reader and GROUP BY, printing costctl's JSON shape. The effective
# cost follows docs/formats.md (FOCUS EffectiveCost; CUR's amortized formula). Generated rows never
# cross a month boundary, so grouping by the month of the start equals costctl's split-then-group.
DUCKDB_SQL = {
    "focus": """
        SELECT strftime(date_trunc('month', CAST(ChargePeriodStart AS TIMESTAMPTZ)), '%Y-%m') AS month,
               ServiceName AS service, sum(EffectiveCost) AS cost, coalesce(BillingCurrency, 'USD') AS currency
        FROM read_csv(?) GROUP BY ALL""",
    "cur2": """
        SELECT strftime(date_trunc('month', line_item_usage_start_date), '%Y-%m') AS month,
               coalesce({product_name}, line_item_product_code) AS service,
               sum(CASE coalesce(line_item_line_item_type, 'Usage')
                   WHEN 'DiscountedUsage' THEN coalesce(reservation_effective_cost, 0)
                   WHEN 'SavingsPlanCoveredUsage' THEN coalesce(savings_plan_savings_plan_effective_cost, 0)
                   WHEN 'RIFee' THEN coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                                     + coalesce(reservation_unused_recurring_fee, 0)
                   WHEN 'SavingsPlanRecurringFee' THEN coalesce(savings_plan_total_commitment_to_date, 0)
                                                       - coalesce(savings_plan_used_commitment, 0)
                   WHEN 'SavingsPlanNegation' THEN 0
                   WHEN 'SavingsPlanUpfrontFee' THEN 0
                   WHEN 'Fee' THEN CASE WHEN reservation_reservation_a_r_n IS NULL
                                        THEN coalesce(line_item_unblended_cost, 0) ELSE 0 END
                   ELSE coalesce(line_item_unblended_cost, 0) END) AS cost,
               coalesce(line_item_currency_code, 'USD') AS currency
        FROM {reader}(?) GROUP BY ALL""",
}
DUCKDB_SCRIPT = """
import json, sys
import duckdb
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")  # it would write to stdout, into the report
rows = con.execute(sys.argv[1], [sys.argv[2]]).fetchall()
json.dump([{"month": m, "service": s, "cost": c, "currency": cur} for m, s, c, cur in rows], sys.stdout)
"""
RUSAGE_WRAPPER = """
import json, resource, subprocess, sys, time
began = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - began
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as fh:
    json.dump({"wall": wall, "rss_kib": kib}, fh)
sys.exit(code)
"""
VERSIONS_SCRIPT = """
import importlib, json, os, subprocess, sys
out = {"python": sys.version.split()[0]}
for name in ("duckdb", "pyarrow", "pandas", "costctl"):
    try:
        module = importlib.import_module(name)
        out[name] = getattr(module, "__version__", "?")
    except ImportError:
        out[name] = "not installed"
import costctl
out["costctl_path"] = os.path.dirname(costctl.__file__)
try:
    top = os.path.dirname(out["costctl_path"])
    rev = subprocess.run(["git", "-C", top, "describe", "--always", "--dirty"], capture_output=True, text=True)
    out["costctl_git"] = rev.stdout.strip() or "-"
except OSError:
    out["costctl_git"] = "-"
print(json.dumps(out))
"""


@dataclass
class Run:
    """One measured process: wall seconds, peak RSS in MiB (None: unknown), how it ended."""

    wall: float
    rss_mib: float | None
    ok: bool
    note: str = ""


@dataclass
class Cell:
    """Every run of one contender on one file, and the reports its successful runs printed (totals check)."""

    runs: list[Run] = field(default_factory=list)
    reports: list[dict | None] = field(default_factory=list)

    def median(self, what: str) -> float | None:
        values = [getattr(r, what) for r in self.runs if r.ok and getattr(r, what) is not None]
        return statistics.median(values) if values else None


class Measurer:
    """Runs one command in a fresh process group under GNU time (or a getrusage wrapper) with a watchdog."""

    def __init__(self, rss_cap_gib: float, timeout: float, scratch: Path) -> None:
        self.gnu_time = os.access(GNU_TIME, os.X_OK) and _gnu_time_works()
        self.rss_cap = rss_cap_gib * GIB
        self.timeout = timeout
        self.scratch = scratch

    def run(self, argv: list[str], env: dict[str, str], stdout_path: Path | None = None) -> Run:
        stats = self.scratch / "time.out"
        stats.unlink(missing_ok=True)
        if self.gnu_time:
            command = [GNU_TIME, "-v", "-o", str(stats), *argv]
        else:
            command = [sys.executable, "-c", RUSAGE_WRAPPER, str(stats), *argv]
        err = self.scratch / "stderr.txt"
        with open(stdout_path or self.scratch / "stdout.txt", "wb") as out, open(err, "wb") as err_fh:
            began = time.perf_counter()
            proc = subprocess.Popen(command, stdout=out, stderr=err_fh, env=env, start_new_session=True)
            watch = _Watchdog(proc, self.rss_cap, self.timeout)
            watch.start()
            code = proc.wait()
            wall = time.perf_counter() - began
            watch.stop()
        text = stats.read_text() if stats.exists() else ""
        if self.gnu_time:
            rss = _gnu_field(text, "Maximum resident set size (kbytes)")
            rss_mib = rss / 1024 if rss is not None else None
        else:
            data = json.loads(text) if text else {}
            wall = data.get("wall", wall)
            rss_mib = data["rss_kib"] / 1024 if "rss_kib" in data else None
        if watch.killed:
            return Run(wall, max(rss_mib or 0, watch.peak / 2**20), False, watch.killed)
        if code != 0:
            tail = err.read_bytes().decode(errors="replace").strip().splitlines()[-1:] or ["(no stderr)"]
            return Run(wall, rss_mib, False, f"exit {code}: {tail[0][:160]}")
        return Run(wall, rss_mib, True)


class _Watchdog(threading.Thread):
    """Kills the measured process group when its RSS passes the cap or it outlives the timeout."""

    def __init__(self, proc: subprocess.Popen, cap: float, timeout: float) -> None:
        super().__init__(daemon=True)
        self.proc, self.cap, self.timeout = proc, cap, timeout
        self.killed = ""
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        began = time.monotonic()
        while not self._done.wait(0.25):
            rss = _tree_rss(self.proc.pid)
            self.peak = max(self.peak, rss)
            if rss > self.cap:
                self.killed = f"killed: RSS above the {self.cap / GIB:.1f} GiB cap (--rss-cap-gib)"
            elif time.monotonic() - began > self.timeout:
                self.killed = f"killed: ran longer than {self.timeout:.0f} s (--timeout)"
            if self.killed:
                with contextlib.suppress(ProcessLookupError):  # our own session: start_new_session=True
                    os.killpg(self.proc.pid, signal.SIGKILL)
                return

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and its descendants (0 where /proc cannot tell)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def _gnu_time_works() -> bool:
    done = subprocess.run([GNU_TIME, "-v", "true"], capture_output=True, text=True)
    return done.returncode == 0 and "Maximum resident set size" in done.stderr


def _gnu_field(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.strip().startswith(name):
            try:
                return float(line.rsplit(":", 1)[1])
            except ValueError:
                return None
    return None


def costctl_command(choice: str | None) -> list[str]:
    """``--costctl`` if given, else the console script beside this interpreter, else ``python -m costctl``."""
    if choice:
        return choice.split()
    script = os.path.join(os.path.dirname(sys.executable), "costctl")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "costctl"]


def isolated_env(home: Path) -> dict[str, str]:
    """The caller's environment (PYTHONPATH included) with a private HOME, config and cache."""
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "xdg-cache"),
           "XDG_CONFIG_HOME": str(home / "xdg-config")}
    for name in ("COSTCTL_CONFIG", "COSTCTL_CACHE_DIR"):
        env.pop(name, None)
    return env


def provider_config(path: Path, export: Path, cache: Path) -> Path:
    path.write_text(f"cache:\n  path: {json.dumps(str(cache))}\nproviders:\n  bench:\n    type: files\n"
                    f"    paths: [{json.dumps(str(export))}]\n")
    return path


def data_range(start: date, days: int) -> tuple[date, date]:
    """First and last day a generated export covers: month-long tax lines reach the last month's end."""
    last = start + timedelta(days=days - 1)
    return start, last.replace(day=calendar.monthrange(last.year, last.month)[1])


def parse_report(path: Path) -> dict | None:
    """{(month, service, currency): cost} of a JSON report, or None when it is not one."""
    try:
        rows = json.loads(path.read_text())
        return {(r["month"], r["service"], r["currency"]): float(r["cost"]) for r in rows}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def compare(name: str, got: dict | None, want: dict | None) -> list[str]:
    """Lines describing how ``got`` differs from the comparator's report (empty: equal to the cent)."""
    if got is None or want is None:
        return [f"MISMATCH {name}: no readable JSON report to compare"]
    problems = []
    for key in sorted(set(got) | set(want)):
        a, d = got.get(key), want.get(key)
        if a is None or d is None or abs(a - d) >= HALF_CENT:
            problems.append(f"MISMATCH {name} {'/'.join(key)}: {a} vs duckdb {d}")
    total_a, total_d = sum(got.values()), sum(want.values())
    if abs(total_a - total_d) >= HALF_CENT:
        problems.append(f"MISMATCH {name} grand total: {total_a:,.2f} vs duckdb {total_d:,.2f}")
    return problems


class Bench:
    """Runs the contenders on one export file and keeps their cells."""

    def __init__(self, args: argparse.Namespace, measurer: Measurer, scratch: Path) -> None:
        self.args, self.measurer, self.scratch = args, measurer, scratch
        self.costctl = costctl_command(args.costctl)
        self.start, self.end = data_range(args.start, args.days)
        self.mismatches: list[str] = []
        self.compared = 0  # costctl reports checked against DuckDB's
        self.failed: list[str] = []  # runs that gave no report (deadline, RSS cap, error)

    def commands(self, fmt: str, export: Path, work: Path) -> dict[str, list[str]]:
        # costctl's own deadline (300 s by default) would end a 10 GB cold fetch: the watchdog's rules instead
        deadline = ["--timeout", str(int(self.args.timeout))]
        provider = ["costs", "--provider", "bench", "--start", self.start.isoformat(), "--end", self.end.isoformat(),
                    *REPORT]
        kind = "focus" if fmt == "focus" else "cur2"
        csv = export.name.endswith((".csv", ".csv.gz"))
        sql = DUCKDB_SQL[kind].format(reader="read_csv" if csv else "read_parquet",
                                      product_name="json_extract_string(product, '$.product_name')" if csv
                                      else "product['product_name']")
        return {
            "file": [*self.costctl, *deadline, "costs", "--file", str(export), *REPORT],
            "cold": [*self.costctl, *deadline, "--config", str(work / "cold.yaml"), *provider],
            "warm": [*self.costctl, *deadline, "--config", str(work / "warm.yaml"), *provider],
            "duckdb": [sys.executable, "-c", DUCKDB_SCRIPT, sql, str(export)],
            "floor": [sys.executable, "-c", "import click, diskcache"],
        }

    def measure_file(self, fmt: str, export: Path, contenders: list[str], reps: int) -> dict[str, Cell]:
        work = Path(tempfile.mkdtemp(prefix="run-", dir=self.scratch))
        try:
            return self._measure(fmt, export, contenders, reps, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _measure(self, fmt: str, export: Path, contenders: list[str], reps: int, work: Path) -> dict[str, Cell]:
        commands = self.commands(fmt, export, work)
        provider_config(work / "warm.yaml", export, work / "cache-warm")
        cells = {name: Cell() for name in contenders}
        _read_through(export)  # every contender then finds the file in the page cache
        if "warm" in contenders:
            _say("  warming the cache for c (untimed) ...")
            first = self.measurer.run(commands["warm"], isolated_env(_fresh(work / "home-w")))
            if not first.ok:
                _say(f"  warm-up failed: {first.note}")
        for rep in range(reps):
            for name in contenders:
                home = _fresh(work / "home")
                if name == "cold":
                    shutil.rmtree(work / "cache-cold", ignore_errors=True)
                    provider_config(work / "cold.yaml", export, work / "cache-cold")
                out = work / f"{name}.json"
                run = self.measurer.run(commands[name], isolated_env(home), out if name != "floor" else None)
                cells[name].runs.append(run)
                if run.ok and name != "floor":
                    cells[name].reports.append(parse_report(out))
                elif not run.ok:
                    self.failed.append(f"{fmt} {export.name} {name} round {rep + 1}: {run.note}")
                rss = f"{run.rss_mib:,.0f} MiB" if run.rss_mib is not None else "? MiB"
                _say(f"  round {rep + 1}/{reps} {name:<6} {run.wall:8.2f} s  {rss:>10}  {run.note}")
        shutil.rmtree(work / "cache-cold", ignore_errors=True)
        if "duckdb" in cells:
            want = cells["duckdb"].reports[0] if cells["duckdb"].reports else None
            for name in ("file", "cold", "warm"):
                for i, got in enumerate(cells[name].reports if name in cells else []):
                    self.mismatches += compare(f"{fmt} {export.name} {name} round {i + 1}", got, want)
                    self.compared += 1
        return cells


def _read_through(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def _fmt_s(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "n/a"


def _fmt_mib(value: float | None) -> str:
    return f"{value:,.0f} MiB" if value is not None else "n/a"


def print_table(rows: int, fmt: str, export: Path, cells: dict[str, Cell]) -> None:
    size = export.stat().st_size / 2**20
    print(f"\n{rows:,} rows, {fmt}: {export.name} ({size:,.0f} MiB)")
    print(f"  {'contender':<40} {'wall median':>12} {'(min-max)':>17} {'peak RSS median':>16}  notes")
    for name, cell in cells.items():
        walls = [r.wall for r in cell.runs if r.ok]
        spread = f"({min(walls):.2f}-{max(walls):.2f})" if walls else ""
        notes = "; ".join(sorted({r.note for r in cell.runs if r.note}))
        if not walls and cell.runs:
            peak = max((r.rss_mib or 0) for r in cell.runs)
            print(f"  {CONTENDERS[name]:<40} {'FAILED':>12} {'':>17} {'>= ' + _fmt_mib(peak):>16}  {notes}")
            continue
        print(f"  {CONTENDERS[name]:<40} {_fmt_s(cell.median('wall')):>12} {spread:>17} "
              f"{_fmt_mib(cell.median('rss_mib')):>16}  {notes}")
    wall = {n: c.median("wall") for n, c in cells.items()}
    rss = {n: c.median("rss_mib") for n, c in cells.items()}
    if "file" in cells:
        print(f"  ratios: a/d wall {_ratio(wall.get('file'), wall.get('duckdb'))} (target <= 2x), "
              f"a/d peak RSS {_ratio(rss.get('file'), rss.get('duckdb'))} (target <= 2x), "
              f"b/a wall {_ratio(wall.get('cold'), wall.get('file'))} (target <= 1.5x)")
    if wall.get("warm") is not None and wall.get("floor") is not None:
        extra = wall["warm"] - wall["floor"]
        verdict = "meets" if extra <= 1 else "misses"
        scope = "" if rows >= 10_000_000 else f"; the target is stated for 10M cached rows, this is {rows:,}"
        print(f"  warm: c - e = {extra:.2f} s above the interpreter floor ({verdict} <= 1 s{scope})")


def print_scaling(results: dict[tuple[int, str], dict[str, Cell]]) -> None:
    sizes = sorted({rows for rows, _ in results})
    if len(sizes) < 2:
        return
    print("\nscaling: seconds per million rows above the floor (e), wall medians")
    print(f"  {'format':<7} {'contender':<8} " + " ".join(f"{s:>12,}" for s in sizes) + "   last/first")
    for fmt in sorted({f for _, f in results}):
        for name in ("file", "cold", "warm", "duckdb"):
            per = []
            for size in sizes:
                cells = results.get((size, fmt), {})
                w, f = (cells[name].median("wall") if name in cells else None,
                        cells["floor"].median("wall") if "floor" in cells else 0.0)
                per.append((w - (f or 0.0)) / (size / 1e6) if w is not None else None)
            shown = " ".join(f"{p:>12.3f}" if p is not None else f"{'n/a':>12}" for p in per)
            trend = _ratio(per[-1], per[0]) if per[0] and per[-1] is not None else "n/a"
            print(f"  {fmt:<7} {name:<8} {shown}   {trend}")
    print("  (linear: the per-million figure stays flat as rows grow; at 100k rows start-up noise dominates)")


def machine_header(costctl: list[str], measurer: Measurer) -> dict:
    """What the figures were measured on and with; printed and saved."""
    probe = subprocess.run([sys.executable, "-c", VERSIONS_SCRIPT], capture_output=True, text=True,
                           env=os.environ.copy())
    versions = json.loads(probe.stdout) if probe.returncode == 0 else {"error": probe.stderr.strip()[-200:]}
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(), "memory": mem,
            "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()), "platform": platform.platform(),
            "costctl_command": " ".join(costctl), "timer": "GNU time -v" if measurer.gnu_time else
            "getrusage(RUSAGE_CHILDREN) of a fresh child", **versions}
    for key, value in info.items():
        print(f"# {key}: {value}")
    return info


def run_sizes(args: argparse.Namespace, measurer: Measurer, bench: Bench, data_dir: Path,
              contenders: list[str]) -> dict[tuple[int, str], dict[str, Cell]]:
    results: dict[tuple[int, str], dict[str, Cell]] = {}
    for rows in args.rows:
        for fmt in args.formats:
            gz = args.gzip and fmt == "focus"
            export = data_dir / gen_exports.default_name(fmt, rows, gz, args.seed, args.days)
            if not export.exists():
                _say(f"generating {export.name} ...")
                began = time.perf_counter()
                gen_exports.generate(fmt, rows, export, seed=args.seed, days=args.days, start=args.start, gzip=gz)
                _say(f"  {export.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - began:.1f} s")
            _say(f"measuring {export.name}: {args.reps} rounds of {', '.join(contenders)}")
            results[(rows, fmt)] = bench.measure_file(fmt, export, contenders, args.reps)
            print_table(rows, fmt, export, results[(rows, fmt)])
            sys.stdout.flush()
            if not args.out:
                export.unlink()
    print_scaling(results)
    return results


def run_ingest(args: argparse.Namespace, bench: Bench, data_dir: Path) -> dict[tuple[int, str], dict[str, Cell]]:
    target = int(args.ingest_gb * 1e9)
    need = int(target * 1.5)
    free = shutil.disk_usage(data_dir).free
    if free < need:
        raise SystemExit(f"--ingest-gb {args.ingest_gb}: needs ~{need / 1e9:.0f} GB free in {data_dir}, has "
                         f"{free / 1e9:.0f} GB; pass --out DIR on a larger disk")
    sample = gen_exports.generate("cur2-csv", 20_000, data_dir / "sample.csv", seed=args.seed, days=args.days,
                                  start=args.start)
    rows = -(-target * 20_000 // sample.stat().st_size)
    sample.unlink()
    export = data_dir / gen_exports.default_name("cur2-csv", rows, False, args.seed, args.days)
    if not export.exists():
        _say(f"generating {export.name} ({rows:,} rows, ~{args.ingest_gb} GB) ...")
        gen_exports.generate("cur2-csv", rows, export, seed=args.seed, days=args.days, start=args.start)
    contenders = [c for c in ("cold", "duckdb", "floor") if c in args.contenders]
    cells = bench.measure_file("cur2", export, contenders, 1)
    print_table(rows, "cur2-csv ingest", export, cells)
    cold = cells.get("cold")
    if cold and cold.runs:
        peak = max((r.rss_mib or 0) for r in cold.runs)
        ok = all(r.ok for r in cold.runs) and peak < 1024
        print(f"  ingest: cold provider fetch of {export.stat().st_size / 1e9:.1f} GB peak RSS {peak:,.0f} MiB "
              f"({'meets' if ok else 'misses'} < 1 GiB)")
    if not args.out:
        export.unlink()
    return {(rows, "cur2-csv"): cells}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000", help="comma-separated sizes (default 1000000)")
    parser.add_argument("--formats", default="focus,cur2", help="focus (FOCUS 1.0 CSV), cur2 (CUR 2.0 Parquet)")
    parser.add_argument("--gzip", action="store_true", help="the FOCUS export as .csv.gz")
    parser.add_argument("--reps", type=int, default=3, help="rounds of all contenders (default 3)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="subset of " + ",".join(CONTENDERS))
    parser.add_argument("--ingest-gb", type=float, default=None, help="only the N GB CUR CSV ingest (off by default)")
    parser.add_argument("--out", type=Path, default=None, help="keep generated exports here and reuse them")
    parser.add_argument("--save", type=Path, default=None, help="write every measurement to this JSON file")
    parser.add_argument("--costctl", default=None, help="command that runs costctl (default: see above)")
    parser.add_argument("--rss-cap-gib", type=float, default=8.0, help="kill a run above this RSS (default 8)")
    parser.add_argument("--timeout", type=float, default=3600, help="kill a run after this many seconds")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=59)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    args = parser.parse_args(argv)
    try:
        args.rows = [int(x.replace("_", "")) for x in args.rows.split(",") if x.strip()]
    except ValueError:
        parser.error("--rows takes comma-separated integers, e.g. 100000,1000000")
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    for value, allowed, option in ((args.formats, ("focus", "cur2"), "--formats"),
                                   (args.contenders, tuple(CONTENDERS), "--contenders")):
        unknown = [v for v in value if v not in allowed]
        if unknown or not value:
            parser.error(f"{option}: expected some of {', '.join(allowed)}, got {', '.join(unknown) or 'nothing'}")
    if args.reps < 1 or any(r < 1 for r in args.rows):
        parser.error("--reps and --rows must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="costctl-columnar-"))
    try:
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
        data_dir = args.out or scratch
        measurer = Measurer(args.rss_cap_gib, args.timeout, scratch)
        bench = Bench(args, measurer, scratch)
        info = machine_header(bench.costctl, measurer)
        if args.ingest_gb:
            results = run_ingest(args, bench, data_dir)
        else:
            results = run_sizes(args, measurer, bench, data_dir, args.contenders)
        info["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"# load average at the end: {info['load_average_end']}")
        if bench.mismatches:
            shown = bench.mismatches[:40]
            print("\n" + "\n".join(["!" * 72, *shown, f"MISMATCH: {len(bench.mismatches)} differences between "
                                     "costctl's reports and DuckDB's (first 40 shown): the figures above do not "
                                     "compare the same work", "!" * 72]))
        elif "duckdb" in args.contenders and bench.compared:
            print(f"\ntotals: all {bench.compared} costctl reports equal DuckDB's, group by group, to the cent")
        if bench.failed:
            print("\nfailed runs (no report to compare):\n  " + "\n  ".join(bench.failed))
        if args.save:
            args.save.write_text(json.dumps({"machine": info, "mismatches": bench.mismatches, "results": [
                {"rows": rows, "format": fmt, "contender": name, "runs": [asdict(r) for r in cell.runs]}
                for (rows, fmt), cells in results.items() for name, cell in cells.items()]}, indent=1))
        return 1 if bench.mismatches or bench.failed else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
