"""``check --period mom``: the month to date against the same days of last month, in percent."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

HEADER = ("BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ProviderName,"
          "ChargeCategory,ServiceName,BillingAccountId,InvoiceIssuerName\n")


def export(tmp_path: Path, january: float, february: float, feb_days: int = 10, with_january: bool = True) -> Path:
    """EC2 every day of January at ``january`` and the first ``feb_days`` of February at ``february``."""
    lines = []
    days = [(date(2024, 1, d), january) for d in range(1, 32)] if with_january else []
    days += [(date(2024, 2, d), february) for d in range(1, feb_days + 1)]
    for day, cost in days:
        lines.append(f"{cost},{cost},USD,{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,AWS,Usage,EC2,1,AWS\n")
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "".join(lines))
    return path


@pytest.mark.parametrize("warning,critical,code,state", [
    ("25", "50", 0, "OK"), ("20", "50", 0, "OK"), ("19", "50", 1, "WARNING"), ("10", "19.5", 2, "CRITICAL"),
])
def test_month_to_date_against_the_same_days_of_last_month(run: Any, tmp_path: Path, warning: str, critical: str,
                                                          code: int, state: str) -> None:
    path = export(tmp_path, 10.0, 12.0)  # February 1-10: 120 against January 1-10: 100, not all of January
    result = run("check", "--file", str(path), "--as-of", "2024-02-11", "--period", "mom", "-w", warning,
                 "-c", critical)
    assert result.exit_code == code, result.stdout
    first = result.stdout.splitlines()[0]
    assert first == (f"COSTCTL {state} - mom 2024-02-10 vs same days of last month: file +20.0%"
                     + ("" if code == 0 else f" ({state.lower()}: outside 0:{warning if code == 1 else critical})")
                     + f" | file_mom=20.00%;{warning};{critical} file_mtd=120.00 file_previous=100.00 "
                       "file_pct=20.00%")
    assert "file: 2024-02-01..2024-02-10 120.00 USD vs 2024-01-01..2024-01-10 100.00 USD" in result.stdout


def test_direction_down_checks_the_decrease(run: Any, tmp_path: Path) -> None:
    path = export(tmp_path, 10.0, 6.0)  # -40 %
    up = run("check", "--file", str(path), "--as-of", "2024-02-11", "--period", "mom", "-w", "20", "-c", "50")
    assert up.exit_code == 0 and "file_mom=0.00%;20;50" in up.stdout and "file_pct=-40.00%" in up.stdout
    down = run("check", "--file", str(path), "--as-of", "2024-02-11", "--period", "mom", "--direction", "down",
               "-w", "20", "-c", "50")
    assert down.exit_code == 1 and "file_mom=40.00%;20;50" in down.stdout, down.stdout


def test_a_complete_month_is_compared_with_the_whole_previous_month(run: Any, tmp_path: Path) -> None:
    path = export(tmp_path, 10.0, 11.0, feb_days=29)  # February 2024: 29 days at 11 against 31 days at 10
    result = run("check", "--file", str(path), "--as-of", "2024-03-01", "--period", "mom", "-w", "20", "-c", "50")
    assert result.exit_code == 0, result.stdout
    assert "file_mtd=319.00 file_previous=310.00" in result.stdout


def test_without_last_month_the_change_is_unknown(run: Any, tmp_path: Path) -> None:
    path = export(tmp_path, 10.0, 12.0, with_january=False)
    result = run("check", "--file", str(path), "--as-of", "2024-02-11", "--period", "mom", "-w", "20", "-c", "50")
    assert result.exit_code == 3, result.stdout
    assert "no data for last month's 01-01..01-10" in result.stdout.splitlines()[0]


def test_demo_mom_has_perfdata_per_provider_and_thresholds_from_the_config(run: Any, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("thresholds:\n  mom:\n    warning: '~:1000'\n    critical: '~:2000'\n")
    result = run("--config", str(config), "--demo", "check", "--period", "mom")
    assert result.exit_code == 0, result.stdout
    for name in ("aws", "azure", "gcp"):
        assert f"{name}_mom=" in result.stdout and f"{name}_previous=" in result.stdout
    assert ";~:1000;~:2000" in result.stdout


def test_direction_with_another_period_is_unknown(run: Any) -> None:
    result = run("--demo", "check", "--period", "day", "--direction", "down")
    assert result.exit_code == 3 and "--direction needs --period change or mom" in result.stdout


def test_warm_mom_check_imports_neither_pandas_nor_pyarrow_nor_duckdb() -> None:
    probe = ("import sys\nfrom costctl.cli import main\ntry:\n    main(['--demo', 'check', '--period', 'mom', "
             "'-w', '~:1000'])\nexcept SystemExit as exc:\n    code = exc.code\n"
             "heavy = sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'duckdb') if m in sys.modules)\n"
             "print('HEAVY', code, ','.join(heavy), file=sys.stderr)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)  # warms
    warm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)
    assert warm.stdout.startswith("COSTCTL OK - mom "), warm.stdout
    assert warm.stderr.splitlines()[-1] == "HEAVY 0 "
