"""``costctl export-prometheus``: exact exposition, atomic 0644 textfile, failing providers, and the
real promtool / node_exporter / pushgateway from Debian's packages on loopback."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import pytest

from costctl.monitoring.snapshot import ProviderSnapshot, Snapshot
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
# HELP costctl_run_duration_seconds Duration of the costctl run that wrote these metrics.
# TYPE costctl_run_duration_seconds gauge
costctl_run_duration_seconds 1.5
# HELP costctl_last_success_timestamp_seconds When the costctl run that wrote these metrics finished, as a Unix \
timestamp.
# TYPE costctl_last_success_timestamp_seconds gauge
costctl_last_success_timestamp_seconds 1.7736e+09
"""


def frozen_snapshot() -> Snapshot:
    p1 = ProviderSnapshot("p1", requests=2, newest_end=1773561600,
                          latest_day={("111", "(other)", "EUR"): 0.5, ("111", "VM", "EUR"): 12.3400009999999},
                          month_to_date={("111", "VM", "EUR"): 100.0}, forecast={"EUR": 310.0})
    p2 = ProviderSnapshot("p2", up=False, error="p2: down", requests=1)
    return Snapshot(date(2026, 3, 14), [p1, p2], started=1773599998.5, finished=1773600000.0)


def test_exposition_matches_byte_for_byte_with_a_frozen_snapshot() -> None:
    assert exposition(registry_for(frozen_snapshot())) == FROZEN


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
                 f"http://127.0.0.1:{port}", "-t", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot push to http://127.0.0.1:{port}: ")
