"""One provider's bad record (a NaN amount) is that provider's failure, never the others'.

The fake plugin (tests/fakeplugin) answers a NaN BilledCost with ``bad_amount``: ``mapper`` makes
its own ``model.normalize`` refuse the row, ``frame`` hands the NaN to the loader's boundary check.
Either way ``check`` must still report the other provider's CRITICAL, ``export-prometheus`` must
mark only that provider down, and a warm cache must keep serving ``costs``.
"""

from __future__ import annotations

import pytest

AS_OF = "2026-03-10"  # latest complete day 2026-03-09


def lines(result) -> list[str]:
    return result.stdout.splitlines()


@pytest.mark.parametrize("mode", ["mapper", "frame"])
def test_a_nan_amount_does_not_hide_the_other_providers_critical(run, fake_config, mode) -> None:
    cfg = fake_config(big={"daily_cost": 1000.0}, bad={"bad_amount": mode})
    result = run("--config", str(cfg), "check", "--as-of", AS_OF, "-w", "50", "-c", "200", "--top", "0")
    assert result.exit_code == 2, result.stdout + result.stderr
    [line] = lines(result)
    assert line.startswith("COSTCTL CRITICAL - day 2026-03-09: big 1350.00 USD (critical: outside 0:200), "
                           "bad: answer rejected, nothing cached: ")
    assert "column BilledCost has 1 null value(s)" in line or "BilledCost: cannot convert" in line, line
    assert line.endswith("| bad_day=U;50;200 big_day=1350.00;50;200")


def test_a_nan_amount_is_costctl_up_0_for_that_provider_only(run, fake_config) -> None:
    cfg = fake_config(good={}, bad={"bad_amount": "frame"})
    result = run("--config", str(cfg), "export-prometheus", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert 'costctl_up{provider="bad"} 0.0' in lines(result)
    assert 'costctl_up{provider="good"} 1.0' in lines(result)
    assert 'provider="good",service="Compute"} 9.0' in result.stdout
    assert "warning: bad: answer rejected, nothing cached: column BilledCost" in result.stderr


def test_costs_keeps_the_cached_copy_when_a_refresh_answers_nan(run, fake_config, tmp_path) -> None:
    trigger = tmp_path / "nan-now"
    cfg = fake_config(fake={"bad_amount": "mapper", "bad_amount_if": str(trigger)})
    args = ["--config", str(cfg), "costs", "--start", "2026-03-01", "--end", "2026-03-09", "--granularity", "total",
            "--format", "json"]
    healthy = run(*args)
    assert healthy.exit_code == 0, healthy.stderr
    trigger.touch()
    warm = run(*args)
    assert warm.exit_code == 0 and warm.stdout == healthy.stdout  # closed days: no fetch at all
    refreshed = run("--refresh", *args)
    assert refreshed.exit_code == 0, refreshed.stderr
    assert refreshed.stdout == healthy.stdout  # the cached copy is kept, nothing wrong replaced it
    assert "warning: fake: answer rejected, nothing cached:" in refreshed.stderr
    assert "using cached data" in refreshed.stderr
    check = run("--config", str(cfg), "--refresh", "check", "--as-of", AS_OF, "-c", "100", "--top", "0")
    assert lines(check)[0] == "COSTCTL OK - day 2026-03-09: fake 13.50 USD (from cache) | fake_day=13.50;;100"


def test_a_nan_amount_without_a_cached_copy_is_one_line_naming_the_provider(run, fake_config) -> None:
    cfg = fake_config(fake={"bad_amount": "frame"})
    result = run("--config", str(cfg), "costs", "--start", "2026-03-01", "--end", "2026-03-09")
    assert result.exit_code == 1
    assert result.stderr.startswith("costctl: error: fake: answer rejected, nothing cached: column BilledCost")
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
