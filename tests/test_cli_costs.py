"""``costctl costs`` end to end: formats, group-bys, ranges, samples' totals, and bad input."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import shared_data

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

TODAY = date.today()


# -- totals of every public sample agree to the cent with an independent sum ----------------------

def _sum(path: Path, column: str, null: str = "") -> Decimal:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return sum((Decimal(r[column]) for r in csv.DictReader(fh) if r[column] not in ("", null)), Decimal(0))


def _gcp_net(path: Path) -> Decimal:
    total = Decimal(0)
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            total += Decimal(r["cost"])
            for credit in ast.literal_eval(r["credits"] or "[]"):
                total += Decimal(str(credit["amount"]))
    return total


def _azure_cost_column(path: Path) -> str:
    header = next(csv.reader(path.open(encoding="utf-8-sig")))
    for name in ("CostInBillingCurrency", "costInBillingCurrency", "PreTaxCost", "preTaxCost", "Cost"):
        if name in header:
            return name
    raise AssertionError(f"no cost column in {path}")


SAMPLES = [
    ("aws/cur_legacy_anonymized_2023-11.csv", "billed", lambda p: _sum(p, "lineItem/UnblendedCost")),
    ("aws/cur_legacy_small.csv", "billed", lambda p: _sum(p, "lineItem/UnblendedCost")),
    ("aws/cur_legacy_2023-06-final.csv", "billed", lambda p: _sum(p, "lineItem/UnblendedCost")),
    ("aws/cur_legacy_2023-06-not-final.csv", "billed", lambda p: _sum(p, "lineItem/UnblendedCost")),
    ("azure/ea_actual_small.csv", "billed", lambda p: _sum(p, _azure_cost_column(p))),
    ("azure/ea_amortized_small.csv", "effective", lambda p: _sum(p, _azure_cost_column(p))),
    ("azure/ea_anonymized.csv", "billed", lambda p: _sum(p, _azure_cost_column(p))),
    ("azure/export_v2.csv", "billed", lambda p: _sum(p, _azure_cost_column(p))),
    ("azure/export_v1_camelcase.csv", "billed", lambda p: _sum(p, _azure_cost_column(p))),
    ("focus/focus_1.0_sample_1000.csv", "billed", lambda p: _sum(p, "BilledCost", "NULL")),
    ("focus/focus_1.0_sample_1000.csv", "effective", lambda p: _sum(p, "EffectiveCost", "NULL")),
    ("focus-validator/all_pass_0.5.csv", "billed", lambda p: _sum(p, "BilledCost")),
    ("gcp/billing_export_2020-11.csv", "billed", _gcp_net),
]


@pytest.mark.parametrize(("sample", "metric", "expected"), SAMPLES, ids=[f"{s}-{m}" for s, m, _ in SAMPLES])
def test_total_of_each_sample_matches_its_own_cost_column_to_the_cent(run, sample, metric, expected):
    path = shared_data() / sample
    result = run("costs", "--file", str(path), "--granularity", "total", "--metric", metric, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    total = sum(Decimal(str(r["cost"])) for r in rows)
    assert abs(total - expected(path)) < Decimal("0.005"), (total, expected(path))
    assert all(set(r) == {"cost", "currency"} for r in rows)


def test_a_header_only_export_gives_an_empty_report(run):
    result = run("costs", "--file", str(shared_data() / "azure/ea_no_rows.csv"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == []


# -- output contracts on the demo data -----------------------------------------------------------

def test_json_daily_by_provider_has_the_documented_keys(run):
    result = run("--demo", "costs", "--days", "7", "--group-by", "provider", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert {tuple(sorted(r)) for r in rows} == {("cost", "currency", "date", "provider")}
    dates = sorted({r["date"] for r in rows})
    assert dates == [(TODAY - timedelta(days=i)).isoformat() for i in range(7, 0, -1)]
    assert {r["provider"] for r in rows} == {"AWS", "Microsoft", "Google Cloud"}
    assert all(isinstance(r["cost"], float) for r in rows)


def test_csv_has_a_header_and_one_row_per_group_and_period(run):
    result = run("--demo", "costs", "--days", "3", "--group-by", "source,tag:team", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["date", "source", "tag_team", "cost", "currency"]
    keys = [(r["date"], r["source"], r["tag_team"], r["currency"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {r["source"] for r in rows} == {"aws", "azure", "gcp"}
    assert "" in {r["tag_team"] for r in rows}  # untagged spend stays visible


def test_monthly_and_total_granularity_agree_with_daily(run):
    args = ("--demo", "costs", "--month", (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    daily = run(*args, "--format", "json").json()
    monthly = run(*args, "--granularity", "monthly", "--format", "json").json()
    total = run(*args, "--granularity", "total", "--format", "json").json()
    assert len(monthly) == 1 and "month" in monthly[0]
    assert list(total[0]) == ["cost", "currency"]
    assert sum(r["cost"] for r in daily) == pytest.approx(monthly[0]["cost"]) == pytest.approx(total[0]["cost"])


def test_group_by_every_key_reconciles_to_the_total(run):
    total = run("--demo", "costs", "--days", "10", "--granularity", "total", "--format", "json").json()[0]["cost"]
    for key in ("provider", "source", "account", "account_name", "service", "category", "region", "resource",
                "sku", "charge_category", "billing_account", "tag:env"):
        rows = run("--demo", "costs", "--days", "10", "--granularity", "total", "--group-by", key,
                   "--format", "json").json()
        assert sum(r["cost"] for r in rows) == pytest.approx(total), key
        assert all(key.replace(":", "_") in r for r in rows)


def test_top_folds_the_rest_into_other(run):
    rows = run("--demo", "costs", "--days", "30", "--granularity", "total", "--group-by", "service", "--top", "3",
               "--format", "json").json()
    assert [r["service"] for r in rows][-1] == "(other)"
    assert len(rows) == 4
    everything = run("--demo", "costs", "--days", "30", "--granularity", "total", "--group-by", "service",
                     "--format", "json").json()
    assert sum(r["cost"] for r in rows) == pytest.approx(sum(r["cost"] for r in everything))
    biggest = sorted(everything, key=lambda r: -r["cost"])[:3]
    assert [r["service"] for r in rows[:3]] == [r["service"] for r in biggest]


def test_billed_and_effective_differ_on_demo_compute(run):
    args = ("--demo", "costs", "--days", "30", "--granularity", "total", "--format", "json")
    billed = run(*args, "--metric", "billed").json()[0]["cost"]
    effective = run(*args, "--metric", "effective").json()[0]["cost"]
    assert billed > effective > 0


def test_table_shows_a_total_row_and_right_aligned_money(run):
    result = run("--demo", "costs", "--days", "2", "--group-by", "provider")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    total_line = next(line for line in lines if "Total" in line)
    assert "USD" in total_line
    amounts = [line for line in lines if "AWS" in line]
    assert amounts and all(line.index(".") > 20 for line in amounts)


def test_filters_restrict_rows(run):
    rows = run("--demo", "costs", "--days", "30", "--granularity", "total", "--group-by", "service",
               "--service", "BigQuery", "--format", "json").json()
    assert [r["service"] for r in rows] == ["BigQuery"]


def test_as_of_moves_relative_ranges(run):
    as_of = TODAY - timedelta(days=20)
    rows = run("--demo", "costs", "--days", "2", "--as-of", as_of.isoformat(), "--format", "json").json()
    assert sorted({r["date"] for r in rows}) == [(as_of - timedelta(days=2)).isoformat(),
                                                 (as_of - timedelta(days=1)).isoformat()]


def test_start_and_end_are_inclusive(run):
    start, end = TODAY - timedelta(days=9), TODAY - timedelta(days=5)
    rows = run("--demo", "costs", "--start", start.isoformat(), "--end", end.isoformat(), "--format", "json").json()
    assert sorted({r["date"] for r in rows}) == [(start + timedelta(days=i)).isoformat() for i in range(5)]


def test_output_writes_a_file_and_nothing_to_stdout(run, tmp_path):
    target = tmp_path / "report.csv"
    result = run("--demo", "costs", "--days", "2", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text().startswith("date,cost,currency\n")


def test_an_unwritable_output_is_one_line_and_leaves_nothing_behind(run, tmp_path):
    (tmp_path / "taken.csv").mkdir()
    for target in (tmp_path / "missing" / "report.csv", tmp_path / "taken.csv"):
        result = run("--demo", "costs", "--days", "2", "--format", "csv", "--output", str(target))
        assert result.exit_code != 0 and result.stdout == ""
        assert ("cannot write" in result.stderr and "create its directory or choose another path" in result.stderr) \
            or "is a directory" in result.stderr
        assert str(target) in result.stderr
        assert "internal error" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.csv"]  # no temp file left behind


def test_output_keeps_a_followed_symlink_and_writes_devices_in_place(run, tmp_path):
    import os
    import stat
    import threading

    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    refused = run("--demo", "costs", "--days", "2", "--format", "csv", "-o", str(link))
    assert refused.exit_code == 1 and "is a symbolic link" in refused.stderr and real.read_text() == "old"
    assert run("--demo", "costs", "--days", "2", "--format", "csv", "-o", str(link),
               "--follow-symlinks").exit_code == 0
    assert link.is_symlink() and real.read_text().startswith("date,cost,currency\n")

    null_before = os.stat("/dev/null")
    assert run("--demo", "costs", "--days", "2", "--format", "csv", "-o", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and os.stat("/dev/null").st_ino == null_before.st_ino

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    result = run("--demo", "costs", "--days", "2", "--format", "csv", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith("date,cost,currency\n")


@pytest.mark.parametrize(("given", "message"), [
    ("{tmp}", "is a directory; name its files, e.g. {tmp}/*.csv.gz"),
    ("/dev/null", "is not a regular file (a device or pipe)"),
    ("{tmp}/none-*.csv", "no file matches this pattern"),
    ("{tmp}/none.csv", "no such file"),
])
def test_a_file_option_that_names_no_export_file_says_why(run, tmp_path, given, message):
    result = run("costs", "--file", given.format(tmp=tmp_path))
    assert result.exit_code != 0 and len(result.stderr.splitlines()) == 1
    assert message.format(tmp=tmp_path) in result.stderr


def test_mixed_currencies_are_never_summed(run, tmp_path):
    path = tmp_path / "mixed.csv"
    header = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ProviderName," \
             "ChargeCategory,ServiceName,BillingAccountId,InvoiceIssuerName\n"
    path.write_text(header + "10,10,USD,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,AWS,Usage,EC2,1,AWS\n"
                    "20,20,EUR,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,AWS,Usage,EC2,1,AWS\n")
    rows = run("costs", "--file", str(path), "--granularity", "total", "--format", "json").json()
    assert sorted((r["currency"], r["cost"]) for r in rows) == [("EUR", 20.0), ("USD", 10.0)]
    table = run("costs", "--file", str(path), "--group-by", "service", "--granularity", "total").stdout
    assert table.count("Total") == 2 and "30.00" not in table


def test_the_cache_serves_the_second_demo_run(run):
    first = run("--demo", "-vv", "costs", "--days", "5", "--format", "json")
    second = run("--demo", "-v", "costs", "--days", "5", "--format", "json")
    assert first.json() == second.json()
    assert "all from cache" in second.stderr
    assert second.stdout.lstrip().startswith("[")


# -- bad input: one line on stderr, documented exit status, never a traceback --------------------

def _one_line_error(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_a_missing_file_is_one_line(run, tmp_path):
    _one_line_error(run("costs", "--file", str(tmp_path / "nope.csv")), 1, "nope.csv")


def test_an_unknown_format_is_one_line(run, tmp_path):
    path = tmp_path / "weird.csv"
    path.write_text("a,b,c\n1,2,3\n")
    _one_line_error(run("costs", "--file", str(path)), 1, "weird.csv")


def test_a_truncated_gzip_is_one_line(run, tmp_path):
    data = gzip.compress((shared_data() / "aws/cur_legacy_small.csv").read_bytes())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    _one_line_error(run("costs", "--file", str(path)), 1, "cut.csv.gz")


def test_a_csv_without_its_cost_column_is_one_line(run, tmp_path):
    rows = list(csv.reader((shared_data() / "focus/focus_1.0_sample_1000.csv").open(encoding="utf-8-sig")))[:3]
    index = rows[0].index("BilledCost")
    path = tmp_path / "nocost.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([c for i, c in enumerate(row) if i != index] for row in rows)
    _one_line_error(run("costs", "--file", str(path)), 1, "nocost.csv")


def test_a_non_numeric_cost_is_one_line(run, tmp_path):
    rows = list(csv.reader((shared_data() / "aws/cur_legacy_small.csv").open()))
    col = rows[0].index("lineItem/UnblendedCost")
    rows[2][col] = "twelve"
    path = tmp_path / "bad.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    _one_line_error(run("costs", "--file", str(path)), 1, "bad.csv")


def test_malformed_yaml_is_a_usage_error(run, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("providers:\n  x: [oops\n")
    _one_line_error(run("--config", str(path), "costs"), 2, "invalid YAML")


def test_an_unknown_provider_type_is_a_usage_error(run, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("providers:\n  prod:\n    type: awz\n")
    _one_line_error(run("--config", str(path), "costs"), 2, "providers.prod.type: unknown provider type 'awz'")


def test_an_unknown_provider_name_is_a_usage_error(run):
    _one_line_error(run("--demo", "costs", "--provider", "nope"), 2, "unknown provider 'nope'")


def test_a_mistyped_provider_name_names_the_nearest(run):
    _one_line_error(run("--demo", "costs", "--provider", "azur"), 2,
                    "unknown provider 'azur' (configured: aws, azure, gcp); did you mean 'azure'?")


def test_no_providers_configured_says_what_to_do(run):
    _one_line_error(run("costs"), 2, "--demo")


def test_bad_options_are_usage_errors(run):
    _one_line_error(run("--demo", "costs", "--group-by", "colour"), 2, "unknown key 'colour'")
    _one_line_error(run("--demo", "costs", "--month", "2024-13"), 2, "--month")
    _one_line_error(run("--demo", "costs", "--days", "3", "--month", "2024-01"), 2, "cannot be combined")
    _one_line_error(run("--demo", "costs", "--as-of", "yesterday"), 2, "--as-of")
    _one_line_error(run("--demo", "costs", "--format", "xml"), 2, "xml")


@pytest.mark.cold_cache
def test_a_corrupt_cache_is_one_line_and_not_overwritten(run, isolated_env):
    cache_dir = isolated_env / ".cache" / "costctl"
    cache_dir.mkdir(parents=True)
    garbage = b"not a database" * 64
    (cache_dir / "cache.db").write_bytes(garbage)
    _one_line_error(run("--demo", "costs", "--days", "2"), 1, "cache")
    assert (cache_dir / "cache.db").read_bytes() == garbage
    assert run("--demo", "--no-cache", "costs", "--days", "2", "--format", "json").exit_code == 0


def test_json_output_is_valid_even_for_an_empty_range(run):
    result = run("--demo", "costs", "--start", "2001-01-01", "--end", "2001-01-31", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


INVOICED = (
    "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,BillingPeriodStart,ProviderName,"
    "ChargeCategory,ServiceName,BillingAccountId,InvoiceIssuerName\n"
    "10,10,USD,2026-10-30T00:00:00Z,2026-10-31T00:00:00Z,2026-10-01T00:00:00Z,Google Cloud,Usage,BigQuery,1,G\n"
    "5,5,USD,2026-10-31T00:00:00Z,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,Google Cloud,Usage,BigQuery,1,G\n"
    "7,7,USD,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,2026-11-01T00:00:00Z,Google Cloud,Usage,BigQuery,1,G\n"
)


def test_months_follow_invoices_when_asked(run, tmp_path):
    """Usage of Oct 31 invoiced in November counts for November with --month-basis invoice."""
    path = tmp_path / "invoiced.csv"
    path.write_text(INVOICED)

    def monthly(*extra):
        rows = run("costs", "--file", str(path), "--granularity", "monthly", "--format", "json", *extra).json()
        return {r["month"]: r["cost"] for r in rows}

    assert monthly() == {"2026-10": 15.0, "2026-11": 7.0}
    assert monthly("--month-basis", "invoice") == {"2026-10": 10.0, "2026-11": 12.0}
    november = run("costs", "--file", str(path), "--month", "2026-11", "--month-basis", "invoice",
                   "--granularity", "total", "--format", "json").json()
    assert november == [{"cost": 12.0, "currency": "USD"}]
    by_usage = run("costs", "--file", str(path), "--month", "2026-11", "--granularity", "total",
                   "--format", "json").json()
    assert by_usage == [{"cost": 7.0, "currency": "USD"}]


def test_the_month_basis_can_come_from_the_config(run, tmp_path):
    path = tmp_path / "invoiced.csv"
    path.write_text(INVOICED)
    config = tmp_path / "c.yaml"
    config.write_text("defaults:\n  month_basis: invoice\n")
    rows = run("--config", str(config), "costs", "--file", str(path), "--granularity", "monthly",
               "--format", "json").json()
    assert {r["month"]: r["cost"] for r in rows} == {"2026-10": 10.0, "2026-11": 12.0}


@pytest.mark.parametrize("basis", ["usage", "invoice"])
def test_a_monthly_report_summed_per_month_in_the_engine_equals_its_daily_report_by_month(run, basis) -> None:
    """Monthly and total reports are summed per month inside DuckDB (a report by resource over
    millions of cached rows would otherwise bring every day row into pandas); they must equal the
    daily report's rows added up by month."""
    common = ("--demo", "costs", "--days", "60", "--group-by", "service,account", "--format", "json",
              "--month-basis", basis)
    daily = run(*common, "--granularity", "daily").json()
    monthly = run(*common, "--granularity", "monthly").json()
    total = run(*common, "--granularity", "total").json()
    by_month: dict[tuple, Decimal] = {}
    by_group: dict[tuple, Decimal] = {}
    for row in daily:
        key = (row["service"], row["account"], row["currency"])
        by_month[(row["date"][:7], *key)] = by_month.get((row["date"][:7], *key), Decimal(0)) + Decimal(
            str(row["cost"]))
        by_group[key] = by_group.get(key, Decimal(0)) + Decimal(str(row["cost"]))
    if basis == "usage":  # invoice months may differ from usage months: compared through the totals
        assert {(r["month"], r["service"], r["account"], r["currency"]): round(Decimal(str(r["cost"])), 4)
                for r in monthly} == {k: round(v, 4) for k, v in by_month.items()}
    assert {(r["service"], r["account"], r["currency"]): round(Decimal(str(r["cost"])), 4) for r in total} == {
        k: round(v, 4) for k, v in by_group.items()}
    assert len(monthly) >= len(total) > 10
