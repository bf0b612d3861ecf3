"""``costctl chargeback`` and ``costctl tags`` end to end on the demo data."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

TODAY = date.today()
LAST_MONTH = (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _cents(value: float) -> int:
    return int((Decimal(repr(value)) * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@pytest.mark.parametrize("split", ["proportional", "even"])
@pytest.mark.parametrize("untagged", ["line", "spread"])
def test_lines_sum_to_the_months_total_to_the_cent(run, split: str, untagged: str) -> None:
    result = run("--demo", "chargeback", "--by", "tag:team", "--shared", "tag:team=platform", "--split", split,
                 "--untagged", untagged, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    (total,) = run("--demo", "costs", "--month", LAST_MONTH, "--granularity", "total", "--format", "json").json()
    assert sum(_cents(r["total"]) for r in rows) == _cents(total["cost"])
    for r in rows:
        assert _cents(r["direct"]) + _cents(r["shared"]) + _cents(r["untagged"]) == _cents(r["total"])
    owners = {r["owner"] for r in rows}
    assert "platform" not in owners  # shared cost is distributed, not charged back to itself
    assert ("(untagged)" in owners) == (untagged == "line")
    assert "reconciles with the month's total" in result.stderr


def test_the_table_says_the_report_reconciles(run) -> None:
    result = run("--demo", "chargeback", "--month", LAST_MONTH)
    assert result.exit_code == 0, result.stderr
    assert "reconciles with the month's total" in result.stdout
    assert "Total" in result.stdout


def test_csv_is_spreadsheet_ready(run) -> None:
    result = run("--demo", "chargeback", "--by", "account", "--format", "csv")
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == ["owner", "direct", "shared", "untagged", "total", "share_pct", "currency", "partial"]
    rows = list(reader)
    assert rows and all(float(r["total"]) == float(r["total"].replace(",", "")) for r in rows)
    assert {r["partial"] for r in rows} == {"false"}  # the default month is the last complete one


def test_a_month_not_over_is_marked_partial(run, monkeypatch) -> None:
    monkeypatch.setenv("COSTCTL_DEMO_ANCHOR", "2026-11-24")
    table = run("--demo", "chargeback", "--month", "2026-11", "--by", "tag:team")
    assert table.stdout.startswith("Chargeback 2026-11 (23 days, the month is not over) by tag:team"), table.stdout
    rows = run("--demo", "chargeback", "--month", "2026-11", "--by", "tag:team", "--format", "json").json()
    assert rows and all(r["partial"] is True for r in rows)
    whole = run("--demo", "chargeback", "--month", "2026-10", "--by", "tag:team", "--format", "json").json()
    assert all(r["partial"] is False for r in whole)
    assert run("--demo", "chargeback", "--month", "2026-10", "--by", "tag:team").stdout.startswith(
        "Chargeback 2026-10 by tag:team")


@pytest.mark.parametrize(("args", "message"), [
    (("--shared", "colour=red"), "--shared: unknown key 'colour'"),
    (("--shared", "service"), "--shared: expected KEY=VALUE"),
    (("--by", "tag:team,account"), "--by: give exactly one owner key"),
    (("--month", "2026-13"), "--month: no month 13"),
])
def test_bad_options_are_one_line_with_exit_2(run, args: tuple[str, ...], message: str) -> None:
    result = run("--demo", "chargeback", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_tags_reports_each_required_tag_per_provider(run) -> None:
    result = run("--demo", "tags", "--required", "team,env", "--by", "provider", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert {r["group"] for r in rows} == {"AWS", "Microsoft", "Google Cloud"}
    assert {r["tag"] for r in rows} == {"team", "env", "(all required)"}
    costs = run("--demo", "costs", "--days", "30", "--group-by", "provider", "--granularity", "total",
                "--format", "json").json()
    for provider in ("AWS", "Microsoft", "Google Cloud"):
        (line,) = [r for r in rows if r["group"] == provider and r["tag"] == "team"]
        expected = sum(c["cost"] for c in costs if c["provider"] == provider)
        assert line["cost_with"] + line["cost_without"] == pytest.approx(expected, abs=1e-4)
        assert 0 < line["pct_allocated"] < 100


def test_tags_resources_lists_untagged_resources_costliest_first(run) -> None:
    result = run("--demo", "tags", "--required", "team", "--resources", "--top", "3", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    costs = [float(r["cost"]) for r in rows]
    assert costs == sorted(costs, reverse=True)
    assert all(r["missing"] == "team" for r in rows)


def test_tags_needs_a_required_key(run) -> None:
    result = run("--demo", "tags", "--required", " , ")
    assert result.exit_code == 2
    assert "--required: give at least one tag key" in result.stderr
