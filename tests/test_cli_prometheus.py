"""``costctl export-prometheus``: exact exposition, atomic 0644 textfile, failing providers, and the
real promtool / node_exporter / pushgateway from Debian's packages on loopback."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from costctl.monitoring.snapshot import BudgetFigures, ProviderSnapshot, Snapshot
from costctl.output.prometheus import exposition, registry_for
from tests.components import binary, free_port, http_get, serving

AS_OF = "2026-03-10"  # latest complete day 2026-03-09; the fake provider costs 13.50 a day effective

FROZEN = """\
# HELP costctl_cost_latest_day Cost of the latest complete UTC day, in the unit of the currency label.
# TYPE costctl_cost_latest_day gauge
costctl_cost_latest_day{account="111",currency="EUR",provider="p1",service="(other)"} 0.5
costctl_cost_latest_day{account="111",currency="EUR",provider="p1",service="VM"} 12.340001
# HELP costctl_cost_month_to_date Cost of the current month through the latest complete day, in the unit of the \
currency label.
# TYPE costctl_cost_month_to_date gauge
costctl_cost_month_to_date{account="111",currency="EUR",provider="p1",service="VM"} 100.0
# HELP costctl_cost_month_forecast Projected cost of the whole current month (day-of-week aware), in the unit of the \
currency label.
# TYPE costctl_cost_month_forecast gauge
costctl_cost_month_forecast{currency="EUR",provider="p1"} 310.0
# HELP costctl_data_newest_timestamp_seconds End of the newest cost data a provider has delivered, as a Unix \
timestamp.
# TYPE costctl_data_newest_timestamp_seconds gauge
costctl_data_newest_timestamp_seconds{provider="p1"} 1.7735616e+09
# HELP costctl_up Whether the last refresh of the provider succeeded (1) or failed (0).
# TYPE costctl_up gauge
costctl_up{provider="p1"} 1.0
costctl_up{provider="p2"} 0.0
# HELP costctl_upstream_requests Upstream API requests made by this run.
# TYPE costctl_upstream_requests gauge
costctl_upstream_requests{provider="p1"} 2.0
costctl_upstream_requests{provider="p2"} 1.0
# HELP costctl_upstream_bytes_scanned Bytes the upstream query engine scanned for this run (Athena, BigQuery); 0 \
when all came from the cache.
# TYPE costctl_upstream_bytes_scanned gauge
costctl_upstream_bytes_scanned{provider="p1"} 1.5e+09
costctl_upstream_bytes_scanned{provider="p2"} 0.0
# HELP costctl_run_duration_seconds Duration of the costctl run that wrote these metrics.
# TYPE costctl_run_duration_seconds gauge
costctl_run_duration_seconds 1.5
# HELP costctl_last_success_timestamp_seconds When the costctl run that wrote these metrics finished, as a Unix \
timestamp.
# TYPE costctl_last_success_timestamp_seconds gauge
costctl_last_success_timestamp_seconds 1.7736e+09
"""


def frozen_snapshot() -> Snapshot:
    p1 = ProviderSnapshot("p1", requests=2, bytes_scanned=1_500_000_000, newest_end=1773561600,
                          latest_day={("111", "(other)", "EUR"): 0.5, ("111", "VM", "EUR"): 12.3400009999999},
                          month_to_date={("111", "VM", "EUR"): 100.0}, forecast={"EUR": 310.0})
    p2 = ProviderSnapshot("p2", up=False, error="p2: down", requests=1)
    return Snapshot(date(2026, 3, 14), [p1, p2], started=1773599998.5, finished=1773600000.0)


def test_exposition_matches_byte_for_byte_with_a_frozen_snapshot() -> None:
    assert exposition(registry_for(frozen_snapshot())) == FROZEN


FROZEN_BUDGETS = """\
# HELP costctl_budget_amount Amount of the budget for its current period, in the unit of the currency label.
# TYPE costctl_budget_amount gauge
costctl_budget_amount{budget="platform",currency="EUR",period="monthly"} 400.0
costctl_budget_amount{budget="prod",currency="USD",period="quarterly"} 9000.0
# HELP costctl_budget_spend Spend of the budget's current period through the latest complete day, in the unit of \
the currency label.
# TYPE costctl_budget_spend gauge
costctl_budget_spend{budget="platform",currency="EUR",period="monthly"} 500.0
costctl_budget_spend{budget="prod",currency="USD",period="quarterly"} 2250.0
# HELP costctl_budget_forecast Projected spend of the budget's whole current period, in the unit of the currency \
label.
# TYPE costctl_budget_forecast gauge
costctl_budget_forecast{budget="platform",currency="EUR",period="monthly"} 1200.5
costctl_budget_forecast{budget="prod",currency="USD",period="quarterly"} 8100.0
# HELP costctl_budget_consumed_ratio Spend of the budget's current period divided by its amount (1 = fully spent).
# TYPE costctl_budget_consumed_ratio gauge
costctl_budget_consumed_ratio{budget="platform",currency="EUR",period="monthly"} 1.25
costctl_budget_consumed_ratio{budget="prod",currency="USD",period="quarterly"} 0.25
# HELP costctl_budget_forecast_ratio Projected spend of the budget's whole current period divided by its amount \
(above 1 = projected to overspend).
# TYPE costctl_budget_forecast_ratio gauge
costctl_budget_forecast_ratio{budget="platform",currency="EUR",period="monthly"} 3.00125
costctl_budget_forecast_ratio{budget="prod",currency="USD",period="quarterly"} 0.9
"""


def test_budget_families_follow_the_provider_families_byte_for_byte() -> None:
    snap = frozen_snapshot()
    snap.budgets = [BudgetFigures("platform", "EUR", "monthly", 400.0, 500.0, 1200.5),
                    BudgetFigures("prod", "USD", "quarterly", 9000.0, 2250.0, 8100.0)]
    text = exposition(registry_for(snap))
    head, tail = text.split("# HELP costctl_budget_amount", 1)
    assert head == FROZEN.split("# HELP costctl_run_duration_seconds")[0]
    assert "# HELP costctl_budget_amount" + tail.split("# HELP costctl_run_duration_seconds")[0] == FROZEN_BUDGETS


def _with_budgets(path: Path, budgets: dict) -> Path:
    data = yaml.safe_load(path.read_text())
    data["budgets"] = budgets
    path.write_text(yaml.safe_dump(data))
    return path


def test_configured_budgets_export_amount_spend_forecast_and_ratio(run, fake_config) -> None:
    cfg = _with_budgets(fake_config(), {"cloud": {"amount": 1000, "period": "monthly"},
                                        "storage-q": {"amount": 500, "period": "quarterly", "currency": "usd",
                                                      "scope": {"service": "Storage"}}})
    result = run("--config", str(cfg), "export-prometheus", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    report = {r["budget"]: r for r in run("--config", str(cfg), "budgets", "--as-of", AS_OF, "--format", "json").json()}
    samples = [line for line in result.stdout.splitlines() if line.startswith("costctl_budget_")]
    assert samples[:2] == ['costctl_budget_amount{budget="cloud",currency="USD",period="monthly"} 1000.0',
                           'costctl_budget_amount{budget="storage-q",currency="USD",period="quarterly"} 500.0']
    # March 1..9 at 13.50 a day; the quarter from January 1 at 4.50 a day of Storage (68 days).
    assert 'costctl_budget_spend{budget="cloud",currency="USD",period="monthly"} 121.5' in samples
    assert 'costctl_budget_spend{budget="storage-q",currency="USD",period="quarterly"} 306.0' in samples
    assert 'costctl_budget_consumed_ratio{budget="cloud",currency="USD",period="monthly"} 0.1215' in samples
    assert 'costctl_budget_consumed_ratio{budget="storage-q",currency="USD",period="quarterly"} 0.612' in samples
    forecast = {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in samples
                if line.startswith("costctl_budget_forecast{")}
    assert forecast == {name: pytest.approx(row["forecast"], abs=1e-5) for name, row in report.items()}
    ratio = {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in samples
             if line.startswith("costctl_budget_forecast_ratio{")}
    assert ratio == {name: pytest.approx(row["forecast_pct"] / 100, abs=1e-5) for name, row in report.items()}


def test_without_budgets_there_is_no_budget_family(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF)
    assert result.exit_code == 0 and "costctl_budget" not in result.stdout


def test_budgets_are_left_out_when_a_provider_failed(run, fake_config) -> None:
    cfg = _with_budgets(fake_config(good={}, bad={"fail": True}), {"cloud": {"amount": 1000}})
    result = run("--config", str(cfg), "export-prometheus", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "costctl_budget" not in result.stdout and 'costctl_up{provider="good"} 1.0' in result.stdout
    assert "warning: budget metrics left out: bad: " in result.stderr


def test_textfile_is_written_atomically_with_mode_0644_even_under_umask_077(run, fake_config, tmp_path) -> None:
    out = tmp_path / "textfile" / "costctl.prom"
    out.parent.mkdir()
    old = os.umask(0o077)
    try:
        result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "-o", str(out))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in out.parent.iterdir()] == ["costctl.prom"]  # no temp file left behind
    text = out.read_text()
    assert 'costctl_cost_latest_day{account="111",currency="USD",provider="fake",service="Compute"} 9.0\n' in text
    assert 'costctl_cost_month_to_date{account="111",currency="USD",provider="fake",service="Storage"} 40.5\n' in text
    assert 'costctl_cost_month_forecast{currency="USD",provider="fake"} 418.5\n' in text
    assert 'costctl_data_newest_timestamp_seconds{provider="fake"} 1.7731008e+09\n' in text  # 2026-03-10T00:00Z
    assert 'costctl_up{provider="fake"} 1.0\n' in text
    assert 'costctl_upstream_requests{provider="fake"} 1.0\n' in text


def test_an_unwritable_textfile_is_one_line_naming_the_fix(run, fake_config, tmp_path) -> None:
    (tmp_path / "taken.prom").mkdir()  # rename onto a directory fails after the temp file was written
    for out in (tmp_path / "missing" / "costctl.prom", tmp_path / "taken.prom"):
        result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "-o", str(out))
        assert result.exit_code == 1
        assert result.stderr.startswith(f"costctl: error: cannot write {out}: ")
        assert "create its directory or choose another path" in result.stderr or "it is a directory" in result.stderr
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("taken")) == ["taken.prom"]


def test_a_symlinked_textfile_is_refused_unless_followed_and_then_keeps_its_link(run, fake_config, tmp_path) -> None:
    real = tmp_path / "real.prom"
    real.write_text("# old\n")
    link = tmp_path / "costctl.prom"
    link.symlink_to(real)
    result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "-o", str(link))
    assert result.exit_code == 1 and "is a symbolic link" in result.stderr and "--follow-symlinks" in result.stderr
    assert real.read_text() == "# old\n" and len(result.stderr.splitlines()) == 1
    result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "-o", str(link),
                 "--follow-symlinks")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and "costctl_up" in real.read_text()


def test_top_services_folds_the_rest_into_other(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "--top-services", "1")
    day = [line for line in result.stdout.splitlines() if line.startswith("costctl_cost_latest_day{")]
    assert day == ['costctl_cost_latest_day{account="111",currency="USD",provider="fake",service="(other)"} 4.5',
                   'costctl_cost_latest_day{account="111",currency="USD",provider="fake",service="Compute"} 9.0']


def test_a_failing_provider_is_up_0_and_the_others_still_export(run, fake_config) -> None:
    cfg = fake_config(good={}, bad={"fail": True})
    result = run("--config", str(cfg), "export-prometheus", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert 'costctl_up{provider="bad"} 0.0' in result.stdout.splitlines()
    assert 'costctl_up{provider="good"} 1.0' in result.stdout.splitlines()
    assert 'provider="good",service="Compute"} 9.0' in result.stdout
    assert [line for line in result.stdout.splitlines() if line.startswith("costctl_cost_") and "bad" in line] == []
    assert "bad: the fake cloud is down" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "metrics.txt"], "node_exporter only reads files ending in .prom"),
    (["--grouping", "novalue"], "--grouping: expected KEY=VALUE"),
    (["--top-services", "-1"], "--top-services: expected 0 or more"),
    (["--grouping", "a b=c"], "--grouping: 'a b' is not a Prometheus label name"),
    (["--pushgateway", "http://[::1"], "--pushgateway: 'http://[::1' is not a valid URL"),
    (["--pushgateway", "localhost:9091"], "--pushgateway: expected an http(s) URL"),
    (["--pushgateway", "http://pg:x"], "is not a valid URL"),
    (["-t", "nan"], "--timeout: expected 0 (none) to 86400 seconds, got nan"),
    (["-t", "-1"], "--timeout: expected 0 (none) to 86400 seconds, got -1"),
])
def test_bad_options_are_usage_errors(run, fake_config, args, message) -> None:
    result = run("--config", str(fake_config()), "export-prometheus", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def _demo_textfile(run, directory: Path) -> Path:
    out = directory / "costctl.prom"
    result = run("--demo", "export-prometheus", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


@pytest.mark.component
def test_promtool_accepts_the_textfile(run, tmp_path) -> None:
    promtool = binary("promtool", "prometheus")
    out = _demo_textfile(run, tmp_path)
    done = subprocess.run([promtool, "check", "metrics"], input=out.read_bytes(), capture_output=True)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert done.stdout.decode().strip() == "" and done.stderr.decode().strip() == ""  # no lint warnings either
    text = out.read_text()
    for family in ("costctl_anomalies_open", "costctl_anomalies_open_impact", "costctl_idle_findings",
                   "costctl_idle_estimated_monthly_savings", "costctl_findings_up", "costctl_cost_previous_month"):
        assert f"\n{family}{{" in text  # the findings were linted too, not left out
    for name in ("all-clouds", "aws-quarter", "team-data", "platform", "prod-h2"):  # the demo budgets
        for family in ("amount", "spend", "forecast", "consumed_ratio", "forecast_ratio"):
            assert f'costctl_budget_{family}{{budget="{name}",currency="USD",period="' in text


@pytest.mark.component
def test_node_exporter_serves_the_textfile(run, tmp_path) -> None:
    exporter = binary("prometheus-node-exporter", "prometheus-node-exporter")
    _demo_textfile(run, tmp_path)
    port = free_port()
    argv = [exporter, f"--web.listen-address=127.0.0.1:{port}", f"--collector.textfile.directory={tmp_path}",
            "--collector.disable-defaults", "--collector.textfile"]
    with serving(argv, port) as base:
        scraped = http_get(base + "/metrics")
    assert 'costctl_up{provider="aws"} 1' in scraped
    assert 'costctl_cost_month_forecast{currency="USD",provider="gcp"}' in scraped
    assert "node_textfile_scrape_error 0" in scraped
    assert f'node_textfile_mtime_seconds{{file="{tmp_path}/costctl.prom"}}' in scraped


@pytest.mark.component
def test_pushgateway_receives_the_same_metrics_under_the_job_and_grouping(run, fake_config, tmp_path) -> None:
    gateway = binary("prometheus-pushgateway", "prometheus-pushgateway")
    port = free_port()
    argv = [gateway, f"--web.listen-address=127.0.0.1:{port}", f"--persistence.file={tmp_path / 'pg.db'}"]
    with serving(argv, port) as base:
        result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "--pushgateway", base,
                     "--job", "costctl-test", "--grouping", "env=ci")
        assert result.exit_code == 0, result.stderr
        scraped = http_get(base + "/metrics")
    assert 'costctl_up{env="ci",instance="",job="costctl-test",provider="fake"} 1' in scraped
    assert ('costctl_cost_latest_day{account="111",currency="USD",env="ci",instance="",job="costctl-test",'
            'provider="fake",service="Compute"} 9') in scraped


def test_an_unreachable_pushgateway_is_a_one_line_error(run, fake_config) -> None:
    port = free_port()
    result = run("--config", str(fake_config()), "export-prometheus", "--as-of", AS_OF, "--pushgateway",
                 f"http://127.0.0.1:{port}", "-t", "60")  # refused at once: the deadline only bounds a loaded CI
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot push to http://127.0.0.1:{port}: ")
