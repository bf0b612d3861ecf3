"""The columnar cache: Parquet day files, a JSON-only index, private directories, damaged files,
killed writers and many processes on a cold cache."""

from __future__ import annotations

import os
import pickle
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from conftest import fetch_log
from costctl.cache import CostCache
from costctl.context import Env
from costctl.errors import CacheError
from costctl.loader import load

TODAY = date(2026, 11, 24)


def env_at(config: Path, **kw) -> Env:
    return Env(config_path=str(config), clock=lambda: datetime(2026, 11, 24, 12, tzinfo=UTC), **kw)


def total(data) -> float:
    return round(sum(data.block().columns["EffectiveCost"]), 6)


def test_cached_days_are_parquet_files_that_duckdb_reads_directly(fake_config, tmp_path):
    import duckdb

    cfg = fake_config()
    expected = total(load(env_at(cfg), ["fake"], TODAY - timedelta(days=3), TODAY)[0])
    files = sorted((tmp_path / "cache" / "rows" / "fake").rglob("*.parquet"))
    assert [f.parent.name for f in files] == [(TODAY - timedelta(days=i)).isoformat() for i in (3, 2, 1)]
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*), sum(EffectiveCost), min(x_Source), min(Tags) "
                       f"FROM read_parquet('{tmp_path}/cache/rows/fake/*/*/*/*.parquet')").fetchone()
    assert rows[0] == 6 and rows[1] == pytest.approx(expected) and rows[2] == "fake" and rows[3].startswith("{")


def test_the_cache_directory_is_private_and_the_index_holds_no_pickle(fake_config, tmp_path):
    cfg = fake_config()
    load(env_at(cfg), ["fake"], TODAY - timedelta(days=3), TODAY)
    cache_dir = tmp_path / "cache"
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache_dir / "cache.db").stat().st_mode) == 0o600
    import sqlite3

    modes = {m for (m,) in sqlite3.connect(cache_dir / "cache.db").execute("SELECT mode FROM Cache")}
    assert modes <= {1, 2}  # diskcache's MODE_RAW and MODE_BINARY: JSON bytes, never MODE_PICKLE (4)


class Planted:
    """Unpickling this creates a marker file: proof that the cache ran foreign code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_pickle_in_the_cache_is_never_unpickled(tmp_path):
    import diskcache

    cache_dir = tmp_path / "cache"
    marker = tmp_path / "pwned"
    store = CostCache(cache_dir)
    key = store._day_key("p", "fp", date(2026, 11, 1))
    store.close()
    planted = diskcache.Cache(str(cache_dir))  # the default Disk: pickles values
    for k in (key, "aux:p:names", store._summary_key("p", "fp", "2026-11")):
        planted.set(k, Planted(str(marker)))
    planted.close()
    pickle.dumps(Planted(str(marker)))  # the payload is a real one
    store = CostCache(cache_dir)
    assert store.lookup("p", "fp", [date(2026, 11, 1)]) == {date(2026, 11, 1): None}
    assert store.summaries("p", "fp", [date(2026, 11, 1)]) == {date(2026, 11, 1): None}
    assert store.store_view("p").get("names") is None
    store.coverage()
    assert not marker.exists()


def test_a_cache_directory_writable_by_others_is_refused(tmp_path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    with pytest.raises(CacheError, match=r"writable by group and others.*chmod go-w"):
        CostCache(cache_dir)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another user")
def test_a_cache_directory_of_another_user_is_refused_and_check_says_unknown(fake_config, tmp_path, run):
    cfg = fake_config()
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o700)
    os.chown(cache_dir, 4242, 4242)
    with pytest.raises(CacheError, match="belongs to uid 4242"):
        CostCache(cache_dir)
    result = run("--config", str(cfg), "check")
    assert result.exit_code == 3 and "belongs to uid 4242" in result.stdout + result.stderr


def test_a_missing_or_damaged_day_file_is_fetched_again(fake_config, tmp_path):
    cfg = fake_config()
    start = TODAY - timedelta(days=10)
    clean = total(load(env_at(cfg), ["fake"], start, TODAY)[0])
    files = sorted((tmp_path / "cache" / "rows").rglob("*.parquet"))
    files[0].unlink()
    files[1].write_bytes(files[1].read_bytes()[:40])  # truncated
    data, statuses = load(env_at(cfg), ["fake"], start, TODAY)
    assert total(data) == clean
    assert [(c["start"], c["end"]) for c in fetch_log(cfg.parent / "fake.log")][1:] == [
        (start.isoformat(), (start + timedelta(days=2)).isoformat())]


def test_clear_removes_row_files_and_leftovers_of_killed_writers(fake_config, tmp_path):
    cfg = fake_config()
    load(env_at(cfg), ["fake"], TODAY - timedelta(days=5), TODAY)
    rows = tmp_path / "cache" / "rows"
    (rows / ".tmp-123-1").mkdir()
    (rows / ".tmp-123-1" / "part0.parquet").write_bytes(b"x" * 1000)
    store = CostCache(tmp_path / "cache")
    assert store.size_bytes() > 1000
    store.clear()
    assert not any(p.is_file() for p in rows.rglob("*")) if rows.exists() else True


def test_superseded_day_files_go_once_their_grace_period_is_over(fake_config, tmp_path):
    from costctl import daystore

    cfg = fake_config()
    start = TODAY - timedelta(days=2)
    load(env_at(cfg), ["fake"], start, TODAY)
    day_dir = next((tmp_path / "cache" / "rows" / "fake").rglob(start.isoformat()))
    first = sorted(day_dir.iterdir())
    load(env_at(cfg, refresh=True), ["fake"], start, TODAY)
    assert len(sorted(day_dir.iterdir())) == 2  # the old copy stays for readers that looked it up
    old = time.time() - daystore.GRACE_SECONDS - 10
    os.utime(first[0], (old, old))
    load(env_at(cfg, refresh=True), ["fake"], start, TODAY)
    assert first[0] not in set(day_dir.iterdir()) and len(list(day_dir.iterdir())) == 2


KILLED_WRITER = """
import sys
from datetime import UTC, date, datetime
from costctl.context import Env
from costctl.loader import load
env = Env(config_path=sys.argv[1], clock=lambda: datetime(2026, 11, 24, 12, tzinfo=UTC), refresh=True)
print("start", flush=True)
load(env, ["fake"], date(2026, 10, 1), date(2026, 11, 24))
"""


def test_writers_killed_mid_fetch_leave_a_cache_that_answers_like_a_clean_run(fake_config, tmp_path):
    cfg = fake_config(fake={"delay": 0.3})
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    start = date(2026, 10, 1)
    clean = total(load(env_at(cfg, use_cache=False), ["fake"], start, TODAY)[0])
    load(env_at(cfg), ["fake"], start, TODAY)
    for i in range(5):  # bounded: five kills at different moments of the fetch and the write
        proc = subprocess.Popen([sys.executable, str(script), str(cfg)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "start"
        time.sleep(0.25 + 0.15 * i)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    data, _ = load(env_at(cfg), ["fake"], start, TODAY)
    assert total(data) == clean
    store = CostCache(tmp_path / "cache")
    assert store.coverage()[0].days == (TODAY - start).days


PARALLEL = """
import sys
from costctl.cli import main
if sys.argv[2] == "costs":
    sys.argv = ["costctl", "--config", sys.argv[1], "-v", "costs", "--start", "2026-10-01", "--end", "2026-11-20",
                "--granularity", "total", "--format", "csv"]
else:
    sys.argv = ["costctl", "--config", sys.argv[1], "check", "--as-of", "2026-11-20", "-v", "-t", "120"]
main()
"""


@pytest.mark.parametrize("command", ["costs", "check"])
def test_twenty_commands_on_a_cold_cache_read_the_export_once_and_agree(tmp_path, command):
    import csv
    import gzip

    export = tmp_path / "focus.csv.gz"
    with gzip.open(export, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["BilledCost", "EffectiveCost", "BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd",
                         "ProviderName", "ServiceName", "ChargeCategory"])
        day = date(2026, 10, 1)
        for i in range(20000):
            d = day + timedelta(days=i % 50)
            writer.writerow([f"{(i % 97) / 10:.2f}", f"{(i % 89) / 10:.2f}", "USD", f"{d}T00:00:00Z",
                             f"{d + timedelta(days=1)}T00:00:00Z", "AWS", f"svc{i % 7}", "Usage"])
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"providers:\n  exports:\n    type: files\n    paths: [{export}]\n"
                   f"cache:\n  path: {tmp_path / 'cache'}\n")
    script = tmp_path / "parallel.py"
    script.write_text(PARALLEL)
    procs = [subprocess.Popen([sys.executable, str(script), str(cfg), command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(20)]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode in (0, 1, 2) for p in procs), "\n".join(out + err for out, err in results)
    outputs = {out.splitlines()[0] if command == "check" else out for out, _ in results}
    assert len(outputs) == 1, outputs  # every process gives the same answer (no UNKNOWN, no timeout)
    assert "UNKNOWN" not in next(iter(outputs))
    fetched = [out + err for out, err in results if "request(s), fetched 20" in out + err]
    assert len(fetched) == 1, fetched  # one process read the export; the others waited and read its days
