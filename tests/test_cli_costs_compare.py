"""``costs --compare``: previous_cost, delta and delta_pct per row, periods aligned by days elapsed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from costctl.analysis.compare import reference, windows

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

HEADER = ("BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ProviderName,"
          "ChargeCategory,ServiceName,BillingAccountId,InvoiceIssuerName\n")


def export(tmp_path: Path, days: dict[str, dict[str, float]]) -> Path:
    """A FOCUS-like CSV: day -> service -> cost."""
    lines = []
    for day, services in days.items():
        nxt = date.fromisoformat(day) + timedelta(days=1)
        for service, cost in services.items():
            lines.append(f"{cost},{cost},USD,{day}T00:00:00Z,{nxt}T00:00:00Z,AWS,Usage,{service},1,AWS\n")
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "".join(lines))
    return path


def total(run: Any, *args: str) -> float:
    result = run("--demo", "costs", "--granularity", "total", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return sum(r["cost"] for r in result.json())


def test_demo_monthly_deltas_by_provider_add_up_to_the_difference_of_the_months_to_the_cent(run: Any) -> None:
    result = run("--demo", "costs", "--compare", "previous", "--granularity", "monthly", "--group-by", "provider",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    today = date.today()
    lo, hi = today - timedelta(days=30), today  # the default range: the 30 days before today
    months = sorted({r["month"] for r in rows})
    assert months == sorted({f"{lo + timedelta(days=n):%Y-%m}" for n in range(30)})
    for month in months:
        mine = [r for r in rows if r["month"] == month]
        assert {r["provider"] for r in mine} == {"AWS", "Microsoft", "Google Cloud"}
        first = date.fromisoformat(f"{month}-01")
        after = (first + timedelta(days=32)).replace(day=1)
        start, end = max(lo, first), min(hi, after) - timedelta(days=1)
        now = total(run, "--start", start.isoformat(), "--end", end.isoformat())
        (ref_start,), (ref_end,) = {r["previous_start"] for r in mine}, {r["previous_end"] for r in mine}
        before = total(run, "--start", ref_start, "--end", ref_end)
        assert round(sum(r["delta"] for r in mine), 2) == round(now - before, 2)
        assert round(sum(r["cost"] for r in mine), 2) == round(now, 2)
        assert round(sum(r["previous_cost"] for r in mine), 2) == round(before, 2)
        # aligned by days elapsed: the same days of the month before
        ref_first = (first - timedelta(days=1)).replace(day=1)
        assert ref_start == ref_first.replace(day=start.day).isoformat()
        if end.month == today.month and end < after - timedelta(days=1):  # the month to date
            assert ref_end == ref_first.replace(day=end.day).isoformat()
        for r in mine:
            assert r["delta"] == pytest.approx(r["cost"] - r["previous_cost"])
            assert r["delta_pct"] == pytest.approx(r["delta"] / r["previous_cost"] * 100)
    table = run("--demo", "costs", "--compare", "previous", "--granularity", "monthly", "--group-by", "provider")
    assert "vs the previous month, aligned by days elapsed" in " ".join(table.stdout.split())
    assert all(word in table.stdout for word in ("Previous", "Delta", "Total"))


def test_rows_found_in_only_one_period_appear_with_zero_on_the_other_side(run: Any, tmp_path: Path) -> None:
    days = {f"2024-01-{d:02d}": {"EC2": 1.0, "S3": 0.5} for d in range(1, 32)}
    days.update({f"2024-02-{d:02d}": {"EC2": 1.2, "Lambda": 0.3} for d in range(1, 11)})
    path = export(tmp_path, days)
    result = run("costs", "--file", str(path), "--start", "2024-02-01", "--end", "2024-02-10", "--granularity",
                 "total", "--group-by", "service", "--compare", "previous", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["service"]: r for r in result.json()}
    # February 1-10 against January 1-10 (not the whole of January)
    assert {k: (round(r["cost"], 2), round(r["previous_cost"], 2), round(r["delta"], 2), r["delta_pct"])
            for k, r in rows.items()} == {"EC2": (12.0, 10.0, 2.0, pytest.approx(20.0)),
                                          "Lambda": (3.0, 0.0, 3.0, None), "S3": (0.0, 5.0, -5.0, -100.0)}
    assert {(r["previous_start"], r["previous_end"]) for r in rows.values()} == {("2024-01-01", "2024-01-10")}
    csv = run("costs", "--file", str(path), "--start", "2024-02-01", "--end", "2024-02-10", "--granularity",
              "total", "--group-by", "service", "--compare", "previous", "--format", "csv").stdout.splitlines()
    assert csv[0] == "service,cost,previous_cost,delta,delta_pct,currency,previous_start,previous_end"
    assert "Lambda,3.0,0.0,3.0,,USD,2024-01-01,2024-01-10" in csv


def test_daily_rows_pair_day_n_with_day_n_of_the_reference_range(run: Any, tmp_path: Path) -> None:
    days = {f"2024-01-{d:02d}": {"EC2": float(d)} for d in range(1, 32)}
    days.update({f"2024-02-{d:02d}": {"EC2": 100.0 + d} for d in range(1, 4)})
    path = export(tmp_path, days)
    rows = run("costs", "--file", str(path), "--start", "2024-02-01", "--end", "2024-02-03", "--compare", "previous",
               "--format", "json").json()
    assert [(r["date"], r["cost"], r["previous_cost"], r["previous_start"]) for r in rows] == [
        ("2024-02-01", 101.0, 1.0, "2024-01-01"), ("2024-02-02", 102.0, 2.0, "2024-01-02"),
        ("2024-02-03", 103.0, 3.0, "2024-01-03")]
    fixed = run("costs", "--file", str(path), "--start", "2024-02-02", "--end", "2024-02-03", "--granularity",
                "total", "--compare", "2024-01", "--format", "json").json()
    assert [(r["cost"], r["previous_cost"], r["previous_start"], r["previous_end"]) for r in fixed] == [
        (205.0, 5.0, "2024-01-02", "2024-01-03")]


def test_top_folds_both_periods_and_keeps_the_sum_of_deltas(run: Any) -> None:
    args = ("--demo", "costs", "--days", "10", "--granularity", "total", "--group-by", "service", "--compare",
            "previous", "--format", "json")
    full, folded = run(*args).json(), run(*args, "--top", "3").json()
    assert len(folded) == 4 and folded[-1]["service"] == "(other)"
    assert round(sum(r["delta"] for r in folded), 2) == round(sum(r["delta"] for r in full), 2)
    assert round(sum(r["previous_cost"] for r in folded), 2) == round(sum(r["previous_cost"] for r in full), 2)


@pytest.mark.parametrize("args,needle", [
    (("--compare", "yesterday"), "--compare: expected previous, last-year or a month YYYY-MM"),
    (("--compare", "2024-13"), "--compare: expected previous, last-year or a month YYYY-MM"),
    (("--compare", "previous", "--month-basis", "invoice"), "cannot be combined with --month-basis invoice"),
])
def test_bad_compare_options_are_usage_errors(run: Any, args: tuple[str, ...], needle: str) -> None:
    result = run("--demo", "costs", *args)
    assert result.exit_code == 2 and needle in result.stderr and result.stdout == ""


@pytest.mark.parametrize("lo,hi,mode,granularity,expected", [
    # a month to date against the same days of the month before
    ("2026-11-01", "2026-11-24", "previous", "total", ("2026-10-01", "2026-10-24")),
    # a whole month against the whole month before, whatever their lengths
    ("2026-03-01", "2026-04-01", "previous", "total", ("2026-02-01", "2026-03-01")),
    ("2026-02-01", "2026-03-01", "previous", "total", ("2026-01-01", "2026-02-01")),
    # days the reference month lacks are left out
    ("2026-03-01", "2026-03-31", "previous", "total", ("2026-02-01", "2026-03-01")),
    # a range not starting on the 1st: the same number of days just before
    ("2026-11-10", "2026-11-20", "previous", "total", ("2026-10-31", "2026-11-10")),
    ("2028-02-01", "2028-03-01", "last-year", "total", ("2027-02-01", "2027-03-01")),
    ("2028-02-29", "2028-03-01", "last-year", "total", ("2027-03-01", "2027-03-01")),
    ("2026-11-05", "2026-11-08", "2026-06", "total", ("2026-06-05", "2026-06-08")),
])
def test_reference_windows(lo: str, hi: str, mode: str, granularity: str, expected: tuple[str, str]) -> None:
    (w,) = windows(date.fromisoformat(lo), date.fromisoformat(hi), granularity, mode)
    assert (w.ref_lo.isoformat(), w.ref_hi.isoformat()) == expected


def test_monthly_windows_compare_each_month_with_the_one_before() -> None:
    found = windows(date(2026, 10, 3), date(2026, 12, 3), "monthly", "previous")
    assert [(w.label, str(w.lo), str(w.hi), str(w.ref_lo), str(w.ref_hi)) for w in found] == [
        ("2026-10", "2026-10-03", "2026-11-01", "2026-09-03", "2026-10-01"),
        ("2026-11", "2026-11-01", "2026-12-01", "2026-10-01", "2026-11-01"),
        ("2026-12", "2026-12-01", "2026-12-03", "2026-11-01", "2026-11-03")]
    assert reference(date(2026, 12, 1), date(2026, 12, 3), "previous", per_month=True) == (
        date(2026, 11, 1), date(2026, 11, 3))


def test_an_export_without_rows_gives_an_empty_comparison(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(HEADER)
    for fmt, expected in (("json", "[]\n"), ("csv", "cost,previous_cost,delta,delta_pct,currency,previous_start,"
                                                   "previous_end\n")):
        result = run("costs", "--file", str(path), "--granularity", "total", "--compare", "previous", "--format", fmt)
        assert result.exit_code == 0 and result.stdout == expected, result.stderr
    table = run("costs", "--file", str(path), "--compare", "previous")
    assert table.exit_code == 0 and "no days to compare" in " ".join(table.stdout.split())
