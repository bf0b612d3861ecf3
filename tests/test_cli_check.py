"""``costctl check`` through the real entry point: every period, state and fault path, line by line.

The fake provider (tests/fakeplugin) costs 10/day Compute + 5/day Storage billed, 0.9x that
effective (the default metric): 13.50 a day. Dates come from ``--as-of`` so the text is exact.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from costctl.demo import data_path, offset_date

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

AS_OF = "2026-03-10"  # latest complete day 2026-03-09, a Monday


def lines(result) -> list[str]:
    return result.stdout.splitlines()


def test_day_ok_prints_status_line_perfdata_and_top_contributors(run, fake_config) -> None:
    cfg = fake_config()
    result = run("--config", str(cfg), "check", "--as-of", AS_OF, "-w", "20", "-c", "30")
    assert result.exit_code == 0
    assert lines(result) == [
        "COSTCTL OK - day 2026-03-09: fake 13.50 USD | fake_day=13.50;20;30",
        "fake: Compute 9.00 USD",
        "fake: Storage 4.50 USD",
    ]


@pytest.mark.parametrize(("args", "code", "first"), [
    (["-w", "10", "-c", "20"], 1, "COSTCTL WARNING - day 2026-03-09: fake 13.50 USD (warning: outside 0:10) "
                                   "| fake_day=13.50;10;20"),
    (["-w", "10", "-c", "12.5"], 2, "COSTCTL CRITICAL - day 2026-03-09: fake 13.50 USD (critical: outside 0:12.5) "
                                     "| fake_day=13.50;10;12.5"),
    (["-c", "@13:14"], 2, "COSTCTL CRITICAL - day 2026-03-09: fake 13.50 USD (critical: inside 13:14) "
                           "| fake_day=13.50;;@13:14"),
    (["-w", "~:13"], 1, "COSTCTL WARNING - day 2026-03-09: fake 13.50 USD (warning: outside ~:13) "
                         "| fake_day=13.50;~:13"),
    (["--metric", "billed", "-w", "14:"], 0, "COSTCTL OK - day 2026-03-09: fake 15.00 USD | fake_day=15.00;14:"),
])
def test_each_state_has_its_exit_code_and_reason(run, fake_config, args, code, first) -> None:
    result = run("--config", str(fake_config()), "check", "--as-of", AS_OF, "--top", "0", *args)
    assert (result.exit_code, lines(result)) == (code, [first])


def test_mtd_sums_the_month_through_the_latest_complete_day(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "check", "--period", "mtd", "--as-of", AS_OF, "--top", "1",
                 "-w", "100")
    assert result.exit_code == 1
    assert lines(result) == [
        "COSTCTL WARNING - mtd 2026-03-09: fake 121.50 USD (warning: outside 0:100) | fake_mtd=121.50;100",
        "fake: Compute 81.00 USD",
        "fake: (other) 40.50 USD",
    ]


def test_forecast_projects_the_month_and_reports_mtd_as_extra_perfdata(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "check", "--period", "forecast", "--as-of", AS_OF, "--top", "0",
                 "-c", "500")
    assert result.exit_code == 0
    assert lines(result) == [
        "COSTCTL OK - forecast 2026-03: fake 418.50 USD | fake_forecast=418.50;;500 fake_mtd=121.50",
        "fake: month to date 121.50 USD; forecast is day-of-week aware",
    ]


def test_change_flags_the_planted_bigquery_spike_from_a_file(run) -> None:
    spike = offset_date(3)  # the demo's BigQuery spike, in the unshifted file
    as_of = (spike + timedelta(days=1)).isoformat()
    result = run("check", "--file", str(data_path("gcp")), "--period", "change", "--as-of", as_of,
                 "-w", "~:50", "-c", "~:100", "--top", "1")
    assert result.exit_code == 2
    first, *rest = lines(result)
    assert first.startswith(f"COSTCTL CRITICAL - change {spike} vs 7-day mean: file +")
    assert "(critical: outside ~:100) | file_change=" in first
    assert first.endswith(tuple(f" file_baseline={x}" for x in [first.rsplit("file_baseline=", 1)[1]]))
    assert ";~:50;~:100 file_day=" in first
    assert rest[1].startswith("file: BigQuery ")


def test_change_on_flat_cost_is_zero_percent(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "check", "--period", "change", "--as-of", AS_OF, "--top", "0",
                 "-w", "~:50", "-c", "~:100")
    assert result.exit_code == 0
    assert lines(result) == [
        "COSTCTL OK - change 2026-03-09 vs 7-day mean: fake +0.0% | fake_change=0.00%;~:50;~:100 fake_day=13.50 "
        "fake_baseline=13.50 fake_pct=0.00%",
        "fake: 2026-03-09 13.50 USD vs 7-day mean 13.50 USD",
    ]


def test_file_without_as_of_checks_the_newest_day_in_the_data(run) -> None:
    result = run("check", "--file", str(data_path("aws")), "--top", "0")
    assert result.exit_code == 0
    assert lines(result)[0].startswith(f"COSTCTL OK - day {offset_date(0)}: file ")


def test_several_providers_each_get_perfdata_and_the_worst_state_wins(run, fake_config) -> None:
    cfg = fake_config(small={}, big={"daily_cost": 100.0}, down={"fail": True})
    result = run("--config", str(cfg), "check", "--as-of", AS_OF, "-w", "50", "-c", "200", "--top", "0")
    assert result.exit_code == 1  # WARNING (big) beats UNKNOWN (down)
    assert lines(result) == [
        "COSTCTL WARNING - day 2026-03-09: big 135.00 USD (warning: outside 0:50), "
        "down: the fake cloud is down; try again later, small 13.50 USD "
        "| big_day=135.00;50;200 down_day=U;50;200 small_day=13.50;50;200",  # perfdata in config order
    ]


@pytest.mark.parametrize(("state", "code"), [("unknown", 3), ("critical", 2), ("warning", 1), ("ok", 0)])
def test_unreachable_provider_gives_the_error_state(run, fake_config, state, code) -> None:
    cfg = fake_config(fake={"fail": True})
    result = run("--config", str(cfg), "check", "--as-of", AS_OF, "--error-state", state)
    assert result.exit_code == code
    assert lines(result) == [f"COSTCTL {state.upper()} - day 2026-03-09: fake: the fake cloud is down; "
                             "try again later | fake_day=U"]


def test_failed_refresh_answers_from_the_cache_and_says_so(run, fake_config, tmp_path) -> None:
    cfg = fake_config()
    assert run("--config", str(cfg), "check", "--as-of", AS_OF).exit_code == 0
    log = tmp_path / "fake.log"
    log.unlink()
    log.mkdir()  # the next fetch fails (cannot append to its log) with the same settings, so the same cache key
    result = run("--config", str(cfg), "--refresh", "check", "--as-of", AS_OF, "--top", "0")
    assert result.exit_code == 0
    first, second = lines(result)
    assert first == "COSTCTL OK - day 2026-03-09: fake 13.50 USD (from cache) | fake_day=13.50"
    assert second.startswith("fake: refresh failed, answered from the cache: IsADirectoryError")


def test_timeout_is_enforced_by_the_plugin_and_releases_the_cache_lock(run, fake_config, tmp_path) -> None:
    from costctl.locks import hold

    cfg = fake_config(fake={"delay": 20.0})
    began = time.monotonic()
    result = run("--config", str(cfg), "check", "--as-of", AS_OF, "-t", "0.5", "--error-state", "critical")
    assert time.monotonic() - began < 5
    # The fetch is cut short a little before the deadline, so the answer names the provider.
    assert (result.exit_code, lines(result)) == (
        2, ["COSTCTL CRITICAL - day 2026-03-09: fake: no complete answer within the 0.5 s deadline (--timeout) "
            "| fake_day=U"])
    with hold(str(tmp_path / "cache" / "locks"), "fake", timeout=0):  # released: taken at once
        pass


def test_missing_latest_day_is_stale(run) -> None:
    newest = offset_date(0)
    as_of = (newest + timedelta(days=5)).isoformat()
    result = run("check", "--file", str(data_path("azure")), "--as-of", as_of, "--stale-state", "warning")
    assert (result.exit_code, lines(result)) == (
        1, [f"COSTCTL WARNING - day {newest + timedelta(days=4)}: file: no data for {newest + timedelta(days=4)} "
            f"(newest data {newest}) | file_day=U"])


def test_data_older_than_max_age_gives_the_stale_state(run) -> None:
    newest = offset_date(0)
    as_of = (newest + timedelta(days=3)).isoformat()  # data ends 2 days before the start of --as-of
    result = run("check", "--file", str(data_path("azure")), "--as-of", as_of, "--max-age", "36h",
                 "--stale-state", "critical", "--period", "mtd", "--top", "0")
    assert result.exit_code == 2
    assert lines(result)[0].startswith(f"COSTCTL CRITICAL - mtd {newest + timedelta(days=2)}: file: ")
    assert "stale: data 2d0h old > 1d12h" in lines(result)[0]


def test_filters_select_rows_and_an_empty_selection_is_zero_not_stale(run, fake_config) -> None:
    cfg = fake_config()
    base = ("--config", str(cfg), "check", "--as-of", AS_OF, "--top", "0")
    assert lines(run(*base, "--service", "compute"))[0] == "COSTCTL OK - day 2026-03-09: fake 9.00 USD | fake_day=9.00"
    assert lines(run(*base, "--tag", "team=web"))[0] == "COSTCTL OK - day 2026-03-09: fake 9.00 USD | fake_day=9.00"
    assert lines(run(*base, "--account", "nope"))[0] == "COSTCTL OK - day 2026-03-09: fake 0.00 USD | fake_day=0.00"


def test_thresholds_and_check_defaults_come_from_the_config(run, fake_config) -> None:
    cfg = fake_config()
    data = yaml.safe_load(cfg.read_text())
    data["thresholds"] = {"mtd": {"warning": "100", "critical": "1000"}}
    data["check"] = {"period": "mtd", "top": 0}
    cfg.write_text(yaml.safe_dump(data))
    result = run("--config", str(cfg), "check", "--as-of", AS_OF)
    assert (result.exit_code, lines(result)) == (
        1, ["COSTCTL WARNING - mtd 2026-03-09: fake 121.50 USD (warning: outside 0:100) | fake_mtd=121.50;100;1000"])


def test_verbose_adds_how_each_provider_was_loaded(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "check", "--as-of", AS_OF, "--top", "0", "-v")
    assert lines(result)[1] == ("fake: 2 rows, 1 upstream request(s), fetched 2026-03-09..2026-03-09, "
                                "cached copy fetched 0s ago")


@pytest.mark.parametrize(("args", "reason"), [
    (["check", "-w", "10:5"], "-w/--warning: invalid range '10:5': start 10 is greater than end 5"),
    (["check", "-c", "abc"], "-c/--critical: invalid range 'abc': 'abc' is not a number"),
    (["check", "--period", "week"], "Invalid value for '--period': 'week' is not one of 'day', 'mtd', 'forecast', "
                                    "'change', 'mom', 'budget', 'anomalies', 'idle', 'usage'."),
    (["check", "--bogus"], "No such option '--bogus'. Did you mean '--verbose'?"),
    (["check", "extra"], "Got unexpected extra argument (extra)"),
    (["--demo", "check", "--direction", "down"], "--direction needs --period change or mom"),
    (["--config", "/nonexistent.yaml", "check"], "config file /nonexistent.yaml does not exist (given with --config)"),
    (["--no-such-global", "check"], "No such option '--no-such-global'."),
    (["check", "--max-age", "soon"], "--max-age: expected a duration like 36h, 90m or 2d, got 'soon'"),
    (["check", "--max-age", "99999d"], "--max-age: expected a duration like 36h, 90m or 2d, got '99999d'"),
    (["--demo", "check", "-t", "nan"], "--timeout: expected 0 (none) to 86400 seconds, got nan"),
    (["--demo", "check", "-t", "1e309"], "--timeout: expected 0 (none) to 86400 seconds, got inf"),
    (["check", "--provider", "nope"], "unknown provider 'nope' (configured: none)"),
    (["check"], "no providers are configured; add one to the config (see config.example.yaml), or use --file "
                "PATH or --demo"),
    (["check", "--file", "/nonexistent.csv"], "/nonexistent.csv: no such file (check the path in "
                                              "providers.files.paths or --file)"),
])
def test_every_usage_or_config_error_is_unknown_exit_3(run, args, reason) -> None:
    result = run(*args)
    assert result.exit_code == 3
    assert lines(result) == [f"COSTCTL UNKNOWN - {reason}"]


def test_bad_config_file_is_unknown(run, tmp_path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("thresholds:\n  day:\n    warning: '5:1'\n")
    result = run("--config", str(cfg), "check")
    assert result.exit_code == 3
    assert lines(result) == ["COSTCTL UNKNOWN - thresholds.day.warning: invalid range '5:1': start 5 is greater "
                             "than end 1"]


@pytest.mark.parametrize("flag", ["--help", "-h", "--version", "-V"])
def test_help_and_version_exit_unknown(run, flag) -> None:
    result = run("check", flag)
    assert result.exit_code == 3
    assert result.stdout.strip()


def _subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}


@pytest.mark.cold_cache
def test_warm_demo_check_imports_neither_pandas_nor_numpy_nor_a_cloud_sdk() -> None:
    probe = ("import sys\nfrom costctl.cli import main\ntry:\n    main(['--demo', 'check', '--period', 'forecast'])\n"
             "except SystemExit as exc:\n    code = exc.code\n"
             "heavy = sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'boto3', 'botocore', 'azure', 'google')"
             " if m in sys.modules)\nprint('HEAVY', code, ','.join(heavy), file=sys.stderr)\n")
    cold = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_subprocess_env())
    assert "HEAVY 0 " in cold.stderr and "pandas" in cold.stderr  # the first run reads the files: pandas is fine
    warm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_subprocess_env())
    assert warm.stdout.startswith(f"COSTCTL OK - forecast {date.today() - timedelta(days=1):%Y-%m}")
    assert warm.stderr.splitlines()[-1] == "HEAVY 0 "


def test_console_script_speaks_the_plugin_protocol(tmp_path) -> None:
    exe = Path(sys.executable).with_name("costctl")
    if not exe.exists():
        pytest.skip("the costctl console script is not installed next to this interpreter")
    done = subprocess.run([str(exe), "check", "--file", str(data_path("gcp")), "-c", "1"], capture_output=True,
                          text=True, env=_subprocess_env())
    assert done.returncode == 2
    assert done.stdout.startswith(f"COSTCTL CRITICAL - day {offset_date(0)}: file ")
    assert done.stderr == ""


def test_the_classic_spike_rule_alerts_on_increases_only(run):
    """``-w 50 -c 100`` on ``change`` = warn above +50 %, critical above +100 %; drops stay OK."""
    from costctl.demo import FEATURES  # noqa: F401 - the demo has a BigQuery spike 3 days before the end

    today = date.today()
    spike_day = today - timedelta(days=4)  # the demo's BigQuery spike: offset 3 from yesterday
    at_spike = run("--demo", "check", "--period", "change", "--provider", "gcp", "-w", "50", "-c", "100",
                   "--as-of", (spike_day + timedelta(days=1)).isoformat())
    after = run("--demo", "check", "--period", "change", "--provider", "gcp", "-w", "50", "-c", "100",
                "--as-of", (spike_day + timedelta(days=2)).isoformat())
    drop_watch = run("--demo", "check", "--period", "change", "--provider", "gcp", "--direction", "down",
                     "-w", "10", "-c", "50", "--as-of", (spike_day + timedelta(days=2)).isoformat())
    assert at_spike.exit_code in (1, 2) and at_spike.stdout.startswith("COSTCTL ")
    assert "gcp_change=" in at_spike.stdout and "gcp_pct=" in at_spike.stdout
    assert after.exit_code == 0, after.stdout  # the day after a spike is a drop against the mean: no alarm
    assert drop_watch.exit_code in (1, 2), drop_watch.stdout  # ... unless drops are what is watched
