"""``check --period anomalies|budget|idle|usage|commitments`` answered from stored facts (precomputed).

A warm check must give exactly what computing gives (status, text, perfdata, long output), for
any -w/-c, without importing pandas, pyarrow or DuckDB; and any change of what the facts were
computed from (data refreshed, a day gone stale, an acknowledgement, the config, a damaged
entry) must make the check compute again rather than answer from old facts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from costctl.monitoring import anomaly_check, idle_check, precomputed, usage_check

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

REPO = Path(__file__).parent.parent


class Spy:
    """Counts the heavy computations of a period (and can forbid them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
        self.calls = 0
        self.forbidden = False
        real = getattr(module, name)

        def wrapped(*args: object, **kwargs: object) -> object:
            assert not self.forbidden, f"{name} ran although stored facts should have answered"
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)


@pytest.fixture
def detect(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch, anomaly_check, "anomaly_facts")


@pytest.fixture
def scan(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch, idle_check, "idle_facts")


@pytest.fixture
def usage(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch, usage_check, "usage_facts")


PROBE = ("import sys\nfrom costctl.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
         "    code = exc.code\n"
         "heavy = sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'duckdb') if m in sys.modules)\n"
         "print('HEAVY', code, ','.join(heavy), file=sys.stderr)\n")


@pytest.mark.parametrize("args", [["--period", "anomalies"], ["--period", "budget"],
                                  ["--period", "idle", "-w", "100", "-c", "500"],
                                  ["--period", "usage", "--unit", "Hrs", "--provider", "aws", "-w", "300"],
                                  ["--period", "commitments"]])
def test_a_warm_check_answers_what_computing_answered_without_pandas_pyarrow_or_duckdb(args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-c", PROBE, "--demo", "check", *args]
    heavy = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert "pandas" in heavy.stderr.splitlines()[-1] or "duckdb" in heavy.stderr.splitlines()[-1]  # it computed
    warm = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    code = heavy.stderr.splitlines()[-1].split()[1]
    assert warm.stderr.splitlines()[-1] == f"HEAVY {code} "
    assert warm.stdout == heavy.stdout and warm.stdout.startswith("COSTCTL ")


@pytest.mark.parametrize("first, second", [
    (["--period", "anomalies"], ["--period", "anomalies", "-w", "medium", "-c", "500"]),
    (["--period", "anomalies"], ["--period", "anomalies", "-w", "0", "-c", "@0:100000"]),
    (["--period", "idle"], ["--period", "idle", "--idle-metric", "count", "-w", "1", "-c", "5"]),
    (["--period", "usage", "--unit", "Hrs"], ["--period", "usage", "--unit", "Hrs", "-w", "300", "-c", "@0:10"]),
])
def test_stored_facts_serve_other_thresholds_exactly_as_computing(run, detect, scan, usage, monkeypatch, first,
                                                                     second) -> None:
    run("--demo", "check", *first)
    detect.forbidden = scan.forbidden = usage.forbidden = True
    stored = run("--demo", "check", *second)
    detect.forbidden = scan.forbidden = usage.forbidden = False
    monkeypatch.setattr(precomputed, "lookup", lambda *_args: None)
    computed = run("--demo", "check", *second)
    assert (stored.exit_code, stored.stdout) == (computed.exit_code, computed.stdout)
    assert " | " in stored.stdout


def test_an_acknowledgement_is_seen_by_the_next_check(run, detect) -> None:
    first = run("--demo", "check", "--period", "anomalies")
    assert first.exit_code == 2 and detect.calls == 1
    critical = next(line for line in first.stdout.splitlines()[1:] if " CRITICAL " in line)
    ident = critical.rsplit("[id ", 1)[1].rstrip("]")
    assert run("--demo", "anomalies", "ack", ident).exit_code == 0
    after = run("--demo", "check", "--period", "anomalies")
    assert detect.calls == 2  # acks.json changed: computed again
    assert after.exit_code == 0 and "1 open (1 medium), " in after.stdout and "1 acknowledged" in after.stdout
    assert run("--demo", "check", "--period", "anomalies").stdout == after.stdout and detect.calls == 2


def test_refreshed_data_is_computed_again(run, detect) -> None:
    run("--demo", "check", "--period", "anomalies")
    run("--demo", "check", "--period", "anomalies")
    assert detect.calls == 1
    assert run("--demo", "--refresh", "costs", "--days", "2").exit_code == 0  # the last days fetched anew
    run("--demo", "check", "--period", "anomalies")
    assert detect.calls == 2


def test_a_changed_config_is_computed_again(run, detect, tmp_path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("anomalies:\n  min_impact: 50\n")
    first = run("--config", str(config), "--demo", "check", "--period", "anomalies")
    config.write_text("anomalies:\n  min_impact: 100\n")
    second = run("--config", str(config), "--demo", "check", "--period", "anomalies")
    assert detect.calls == 2
    assert "1 medium" in first.stdout and "1 medium" not in second.stdout  # the 89.17 new spend is below 100 now


def test_a_damaged_or_foreign_stored_entry_is_computed_again(run, scan) -> None:
    from costctl.cache import CostCache
    from costctl.config import default_cache_dir

    first = run("--demo", "check", "--period", "idle")
    cache = CostCache(default_cache_dir(os.environ))
    keys = [k for k in cache._db.iterkeys() if k.startswith("check:")]
    assert len(keys) == 1
    cache._db.set(keys[0], {"request": "x", "facts": {}})
    cache.close()
    assert run("--demo", "check", "--period", "idle").stdout == first.stdout
    assert scan.calls == 2


def _demo_env(now: datetime):
    from costctl.context import Env

    return Env(demo=True, clock=lambda: now)


def test_a_day_past_its_ttl_or_an_expired_scan_is_never_served() -> None:
    from costctl import loader

    now = datetime.now(UTC)
    env = _demo_env(now)
    today = env.today()
    precomputed.begin(env)
    loader.load(env, ["aws"], today - timedelta(days=5), today)
    assert precomputed.store(env, "test", "req", {"n": 1}, {}, lifetime=600)
    assert precomputed.lookup(_demo_env(now + timedelta(seconds=60)), "test", "req") == {"n": 1}
    assert precomputed.lookup(_demo_env(now + timedelta(seconds=601)), "test", "req") is None  # the scan expired
    precomputed.begin(env)
    loader.load(env, ["aws"], today - timedelta(days=5), today)
    assert precomputed.store(env, "test", "req", {"n": 1}, {})
    ttl = loader.make_provider(env, "aws").ttl
    later = now + timedelta(seconds=ttl + 1)
    if later.date() == now.date():  # recent days (inside the restatement window) are stale now
        assert precomputed.lookup(_demo_env(later), "test", "req") is None


def test_nothing_is_stored_when_a_provider_failed() -> None:
    env = _demo_env(datetime.now(UTC))
    precomputed.begin(env)
    assert env.loads is not None
    env.loads.append({"source": "aws", "fingerprint": "x", "start": "2026-01-01", "end": "2026-01-02", "ok": False,
                      "stamps": {}})
    assert not precomputed.store(env, "test", "req", {"n": 1}, {})
    assert precomputed.lookup(env, "test", "req") is None


def test_with_file_exports_nothing_is_stored(run, detect, tmp_path) -> None:
    export = tmp_path / "f.csv"
    export.write_text("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ServiceName\n"
                      "2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1,1,USD,S3\n")
    for _ in range(2):
        run("check", "--period", "anomalies", "--file", str(export))
    assert detect.calls == 2


def test_cache_warm_prepares_every_period_for_the_checks(run, detect, scan) -> None:
    warm = run("--demo", "cache", "warm")
    assert warm.exit_code == 0, warm.stdout + warm.stderr
    assert warm.stdout.splitlines() == ["forecast: refreshed", "mom: refreshed", "anomalies: stored",
                                        "budget: stored", "idle: stored"]
    detect.forbidden = scan.forbidden = True
    assert run("--demo", "check", "--period", "anomalies", "-w", "low").exit_code == 1  # no -c: warning at most
    assert run("--demo", "check", "--period", "idle", "-w", "1").exit_code == 1
    assert run("--demo", "check", "--period", "budget").stdout.startswith("COSTCTL WARNING - budget ")


def test_cache_warm_without_a_cache_is_an_error(run) -> None:
    result = run("--demo", "--no-cache", "cache", "warm")
    assert result.exit_code == 1 and "the cache is disabled" in result.stderr


def test_the_stored_result_holds_no_secret_of_the_config(run, tmp_path) -> None:
    import json

    from costctl.cache import CostCache
    from costctl.config import default_cache_dir

    config = tmp_path / "c.yaml"
    config.write_text("notifications:\n  ops:\n    type: slack\n    url: https://hooks.slack.com/services/T0/B0/s3cr3tT0ken\n")
    assert run("--config", str(config), "--demo", "check", "--period", "idle").exit_code == 0
    cache = CostCache(default_cache_dir(os.environ))
    stored = [cache._db.get(k) for k in cache._db.iterkeys() if k.startswith("check:")]
    cache.close()
    assert stored and all("s3cr3tT0ken" not in json.dumps(v) for v in stored)


def test_a_stored_commitments_answer_is_for_its_own_thresholds_only(run, monkeypatch) -> None:
    """The commitments period stores its whole answer keyed by -w/-c and the expiry limits: the same
    question is answered without computing, another question computes (and matches computing)."""
    from costctl.monitoring import commitment_check

    spy = Spy(monkeypatch, commitment_check, "commitment_outcome")
    first = run("--demo", "check", "--period", "commitments")
    assert spy.calls == 1 and first.stdout.startswith("COSTCTL WARNING")
    spy.forbidden = True
    again = run("--demo", "check", "--period", "commitments")
    assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)
    spy.forbidden = False
    other = run("--demo", "check", "--period", "commitments", "-w", "80:", "-c", "70:", "--expiry-warning", "0")
    assert spy.calls == 2
    assert other.exit_code != first.exit_code or other.stdout != first.stdout
    monkeypatch.setattr(precomputed, "lookup", lambda *_args: None)
    assert run("--demo", "check", "--period", "commitments", "-w", "80:", "-c", "70:",
               "--expiry-warning", "0").stdout == other.stdout
