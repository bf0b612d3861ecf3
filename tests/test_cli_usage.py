"""``costctl usage`` and ``check --period usage`` against independent sums over the demo files."""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from costctl.demo import ANCHOR, data_path

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

EC2 = "Amazon Elastic Compute Cloud"


def demo_sums(days: int, *, last: date = ANCHOR, service: str | None = None) -> dict[tuple[str, str], list[Decimal]]:
    """(service, unit) -> [quantity, effective cost] over the last ``days`` days of the bundled files,
    read with the csv module (not through costctl). The demo shifts ANCHOR to yesterday."""
    first = (last - timedelta(days=days - 1)).isoformat()
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for cloud in ("aws", "azure", "gcp"):
        with gzip.open(data_path(cloud), "rt", newline="") as fh:
            for row in csv.DictReader(fh):
                day = row["ChargePeriodStart"][:10]
                unit = row["ConsumedUnit"].strip()
                if not (first <= day <= last.isoformat()) or not unit:
                    continue
                if service is not None and row["ServiceName"] != service:
                    continue
                entry = sums[(row["ServiceName"], unit)]
                entry[0] += Decimal(row["ConsumedQuantity"] or "0")
                entry[1] += Decimal(row["EffectiveCost"] or "0")
    return dict(sums)


def test_quantities_per_service_and_unit_equal_an_independent_sum_over_the_demo_files(run) -> None:
    result = run("--demo", "usage", "--group-by", "service,unit", "--days", "7", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    got = {(r["service"], r["unit"]): r for r in rows}
    expected = demo_sums(7)
    assert set(got) == set(expected)
    for key, (quantity, cost) in expected.items():
        row = got[key]
        assert row["quantity"] == pytest.approx(float(quantity), rel=1e-9, abs=1e-6), key
        assert row["cost"] == pytest.approx(float(cost), abs=0.005), key
        if quantity:
            assert row["unit_cost"] == pytest.approx(float(cost / quantity), rel=1e-6), key
    # Services billing in more than one unit (EC2 hours and GB-months) keep one row per unit.
    assert {u for s, u in got if s == EC2} == {u for s, u in expected if s == EC2}
    assert len({u for s, u in got if s == EC2}) > 1


def test_the_unit_is_always_a_group_even_when_not_named(run) -> None:
    result = run("--demo", "usage", "--group-by", "service", "--days", "7", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert all(r["unit"] for r in rows)
    ec2 = {r["unit"]: r["quantity"] for r in rows if r["service"] == EC2}
    assert ec2 == pytest.approx({u: float(q) for (s, u), (q, _c) in demo_sums(7).items() if s == EC2})


def test_table_shows_units_and_unit_costs_and_csv_has_the_columns(run) -> None:
    table = run("--demo", "usage", "--group-by", "service,unit", "--days", "7", "--wide")
    assert table.exit_code == 0, table.stderr
    assert "Unit cost" in table.stdout and "Lambda-GB-Second" in table.stdout and "0.00001667" in table.stdout
    result = run("--demo", "usage", "--group-by", "service,unit", "--days", "7", "--format", "csv")
    header = next(csv.reader(result.stdout.splitlines()))
    assert header == ["service", "quantity", "unit", "cost", "unit_cost", "currency"]


def test_daily_granularity_and_filters_go_through_the_costs_options(run) -> None:
    result = run("--demo", "usage", "--service", EC2, "--granularity", "daily", "--days", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    yesterday = date.today() - timedelta(days=1)
    assert {r["date"] for r in rows} == {(yesterday - timedelta(days=i)).isoformat() for i in range(3)}
    hours = sum(r["quantity"] for r in rows if r["unit"] == "Hrs")
    assert hours == pytest.approx(float(demo_sums(3, service=EC2)[(EC2, "Hrs")][0]))


@pytest.mark.parametrize(("args", "message"), [
    (["--group-by", "colour"], "--group-by: unknown key 'colour'"),
    (["--group-by", "unit,unit"], "--group-by: a key is repeated"),
    (["--granularity", "weekly"], "weekly"),
])
def test_bad_input_is_one_line_without_a_traceback(run, args, message) -> None:
    result = run("--demo", "usage", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# -- check --period usage ------------------------------------------------------------------------

def _yesterday_hours() -> float:
    return float(demo_sums(1, service=EC2)[(EC2, "Hrs")][0])


def test_check_usage_reads_the_quantity_of_yesterday_with_the_nagios_ranges(run) -> None:
    hours = _yesterday_hours()
    base = ["--demo", "check", "--period", "usage", "--service", EC2, "--unit", "Hrs", "-p", "aws"]
    ok = run(*base, "-w", str(hours + 1), "-c", str(hours + 2))
    assert ok.exit_code == 0, ok.stdout
    assert ok.stdout.startswith("COSTCTL OK - usage ") and f"aws_usage={hours:.2f};" in ok.stdout
    warning = run(*base, "-w", str(hours - 1), "-c", str(hours + 1))
    assert warning.exit_code == 1 and "warning: outside" in warning.stdout
    critical = run(*base, "-w", str(hours - 2), "-c", f"{hours - 1}")
    assert critical.exit_code == 2
    inside = run(*base, "-c", f"@{hours - 1}:{hours + 1}")  # the @ range: alert inside
    assert inside.exit_code == 2


def test_check_usage_names_the_units_when_the_asked_one_is_absent(run) -> None:
    result = run("--demo", "check", "--period", "usage", "--service", EC2, "--unit", "Hours", "-p", "aws")
    assert result.exit_code == 3
    assert "no usage in unit 'Hours'" in result.stdout and "Hrs" in result.stdout


@pytest.mark.parametrize(("args", "reason"), [
    (["--period", "usage"], "--period usage needs --unit"),
    (["--period", "day", "--unit", "Hrs"], "--unit needs --period usage"),
])
def test_check_usage_option_errors_are_unknown(run, args, reason) -> None:
    result = run("--demo", "check", *args)
    assert result.exit_code == 3 and reason in result.stdout


def usage_file(tmp_path, rows: list[tuple[str, str, float, str, float]]):
    """A FOCUS file of (day, service, quantity, unit, cost) rows."""
    lines = ["ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,"
             "ProviderName,SubAccountId,ServiceName,ConsumedQuantity,ConsumedUnit"]
    for day, service, quantity, unit, cost in rows:
        after = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        lines.append(f"{day}T00:00:00Z,{after}T00:00:00Z,{cost},{cost},USD,Usage,AWS,111,{service},"
                     f"{quantity if quantity is not None else ''},{unit}")
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_check_usage_on_a_file_sums_only_the_unit_of_the_last_day(run, tmp_path) -> None:
    path = usage_file(tmp_path, [("2024-03-01", "EC2", 100, "Hrs", 10), ("2024-03-02", "EC2", 30, "Hrs", 3),
                                 ("2024-03-02", "EC2", 12, "Hrs", 1), ("2024-03-02", "EC2", 500, "GB-Mo", 5),
                                 ("2024-03-02", "Tax", None, "", 2)])
    result = run("check", "--file", path, "--period", "usage", "--service", "EC2", "--unit", "hrs", "-w", "40")
    assert result.exit_code == 1, result.stdout  # 42 hours on the last day, not 100 + 42, not + 500 GB-Mo
    assert result.stdout.startswith("COSTCTL WARNING - usage 2024-03-02: file 42 hrs") and "file_usage=42.00;40" \
        in result.stdout
    quiet = run("check", "--file", path, "--period", "usage", "--service", "Tax", "--unit", "Hrs", "-c", "1")
    assert quiet.exit_code == 0 and "file_usage=0.00" in quiet.stdout  # consumed nothing in a day with data


def test_usage_of_a_file_keeps_units_apart_and_leaves_out_rows_without_one(run, tmp_path) -> None:
    path = usage_file(tmp_path, [("2024-03-01", "EC2", 100, "Hrs", 10), ("2024-03-02", "EC2", 30, "Hrs", 3),
                                 ("2024-03-02", "EC2", 500, "GB-Mo", 5), ("2024-03-02", "Tax", None, "", 2)])
    rows = run("usage", "--file", path, "--group-by", "service", "--format", "json").json()
    assert sorted((r["service"], r["unit"], r["quantity"], r["cost"], r["unit_cost"]) for r in rows) == [
        ("EC2", "GB-Mo", 500.0, 5.0, 0.01), ("EC2", "Hrs", 130.0, 13.0, 0.1)]


def test_pricing_quantities_equal_an_independent_sum_over_a_gcp_export(run) -> None:
    """``--quantity pricing`` counts FOCUS's PricingQuantity/PricingUnit: for a GCP billing export,
    ``usage.amount_in_pricing_units`` per ``usage.pricing_unit``, read here straight from the file."""
    from conftest import shared_data

    sample = shared_data() / "gcp" / "billing_export_2020-11.csv"
    expected: dict[str, Decimal] = defaultdict(Decimal)
    with sample.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["usage.pricing_unit"] and row["cost_type"] in ("regular", ""):
                expected[row["usage.pricing_unit"]] += Decimal(row["usage.amount_in_pricing_units"])
    result = run("usage", "--file", str(sample), "--quantity", "pricing", "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = {r["unit"]: r["quantity"] for r in result.json()}
    assert set(got) == set(expected)
    for unit, quantity in expected.items():
        assert got[unit] == pytest.approx(float(quantity), rel=1e-9, abs=5e-7), unit  # JSON keeps 6 decimals
    consumed = run("usage", "--file", str(sample), "--format", "json")
    assert {r["unit"] for r in consumed.json()} != set(got)  # the two bases really differ on this file
