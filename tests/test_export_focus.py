"""``costctl export focus``: the record of every provider as a FOCUS 1.2 dataset.

Conformance is judged by ``focus12_rules`` (the specification's column rules as SQL) on the export
of the demo and of every real sample in ``../shared/data``. A sample may break a rule only where
its own file lacks what the rule needs; each such gap is listed below with the reason, and a gap
that disappears fails the test too (so the list stays true).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from focus12_rules import DATETIMES, MANDATORY, RULES

from conftest import shared_data as shared_folder
from costctl.focus_export import COLUMN_NAMES

SAMPLES = (
    "aws/cur_legacy_anonymized_2023-11.csv",
    "aws/cur_legacy_small.csv",
    "aws/cur_legacy_2023-06-final.csv",
    "aws/cur_legacy_2023-06-not-final.csv",
    "azure/ea_actual_small.csv",
    "azure/ea_amortized_small.csv",
    "azure/ea_anonymized.csv",
    "azure/export_v2.csv",
    "azure/export_v1_camelcase.csv",
    "gcp/billing_export_2020-11.csv",
    "focus/focus_1.0_sample_1000.csv",
)

# (sample, rule) -> why the sample's own data cannot meet the rule. Nothing else may fail.
SOURCE_GAPS: dict[tuple[str, str], str] = {
    **{(s, "SubAccountName-null"): "legacy CUR without lineItem/UsageAccountName: no account names"
       for s in ("aws/cur_legacy_anonymized_2023-11.csv", "aws/cur_legacy_small.csv",
                 "aws/cur_legacy_2023-06-final.csv", "aws/cur_legacy_2023-06-not-final.csv")},
    **{(s, "PricingCategory-committed"): "SavingsPlanCoveredUsage lines without a savingsPlan/SavingsPlanARN column"
       for s in ("aws/cur_legacy_2023-06-final.csv", "aws/cur_legacy_2023-06-not-final.csv")},
    ("azure/export_v2.csv", "BillingCurrency-format"): "the file's currency is 'MC', not an ISO 4217 code",
    ("azure/export_v2.csv", "RegionName-null"): "its region 'US North' is no Azure region",
    ("azure/export_v2.csv", "ResourceType-null"): "its resource ids (/subscriptions/rsid1) name no resource type",
    ("azure/export_v1_camelcase.csv", "BillingAccountId-not-null"): "a v1 export has no billing account column",
    ("azure/export_v1_camelcase.csv", "PricingUnit-null"): "no unit of measure column",
    ("azure/export_v1_camelcase.csv", "ConsumedUnit-null"): "no unit of measure column",
    ("azure/export_v1_camelcase.csv", "SubAccountName-null"): "no subscription name column",
    ("azure/export_v1_camelcase.csv", "RegionName-null"): "its location 'US East 2' is spelled as no region id",
    ("focus/focus_1.0_sample_1000.csv", "PricingCategory-usage"): "5 usage rows with PricingCategory NULL",
    ("focus/focus_1.0_sample_1000.csv", "CommitmentDiscountQuantity-usage"):
        "FOCUS 1.0 has no CommitmentDiscountQuantity (added in 1.1)",
    ("focus/focus_1.0_sample_1000.csv", "RegionName-null"): "rows with a RegionId and no RegionName",
    ("focus/focus_1.0_sample_1000.csv", "ResourceType-null"): "FOCUS 1.0 has no ResourceType (added in 1.1)",
    ("focus/focus_1.0_sample_1000.csv", "ContractedCost-credit"): "a Credit whose ContractedCost differs from its "
                                                                  "BilledCost in the sample itself",
    ("focus/focus_1.0_sample_1000.csv", "EffectiveCost-credit"): "the same Credit's EffectiveCost",
}


def violations(csv_path: Path) -> tuple[list[str], dict[str, int], int]:
    """(mandatory columns missing, rule id -> violating rows, rows) for one CSV export."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}', all_varchar = true, header = true)")
    columns = [row[0] for row in con.execute("DESCRIBE t").fetchall()]
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    missing = [c for c in MANDATORY if c not in columns]
    for name in COLUMN_NAMES:  # an absent column is null in every row (a missing mandatory one is reported)
        if name not in columns:
            con.execute(f'ALTER TABLE t ADD COLUMN "{name}" VARCHAR')
    failed = {}
    for rule_id, _text, condition in RULES:
        bad = con.execute(f"SELECT count(*) FROM t WHERE ({condition}) IS NOT TRUE").fetchone()[0]
        if bad:
            failed[rule_id] = bad
    return missing, failed, rows


@pytest.fixture
def shared_data() -> Path:
    return shared_folder()


def export(run: Any, tmp_path: Path, *args: str, name: str = "focus.csv") -> Path:
    """``costctl [--demo] export focus ARGS -o tmp/NAME``."""
    out = tmp_path / name
    demo = [a for a in args if a == "--demo"]
    rest = [a for a in args if a != "--demo"]
    result = run(*demo, "export", "focus", *rest, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


def test_the_rules_catch_what_they_are_written_for(tmp_path: Path) -> None:
    """Each kind of rule fails on a row that breaks it, so a passing export means something."""
    good = {"BilledCost": "1.5", "EffectiveCost": "1.5", "ListCost": "2", "ContractedCost": "1.5",
            "BillingAccountId": "a", "BillingCurrency": "USD", "BillingPeriodStart": "2024-01-01T00:00:00Z",
            "BillingPeriodEnd": "2024-02-01T00:00:00Z", "ChargePeriodStart": "2024-01-01T00:00:00Z",
            "ChargePeriodEnd": "2024-01-02T00:00:00Z", "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based",
            "InvoiceIssuerName": "AWS", "ProviderName": "AWS", "PublisherName": "AWS", "ServiceCategory": "Compute",
            "ServiceName": "EC2", "PricingCategory": "Standard", "PricingQuantity": "1", "PricingUnit": "Hours",
            "SkuId": "x", "ConsumedQuantity": "1", "ConsumedUnit": "Hours", "Tags": '{"team":"web"}'}
    broken = {
        "BilledCost-format": {"BilledCost": "1,5"},
        "ChargePeriodStart-format": {"ChargePeriodStart": "2024-01-01 00:00:00"},
        "ListCost-not-null": {"ListCost": None},
        "ChargeCategory-values": {"ChargeCategory": "Fee"},
        "ServiceCategory-values": {"ServiceCategory": "Servers"},
        "PricingUnit-null": {"PricingUnit": None},
        "ConsumedQuantity-null": {"ChargeCategory": "Tax", "PricingCategory": None, "PricingQuantity": None,
                                  "PricingUnit": None, "SkuId": None},
        "Tags-format": {"Tags": '{"a":{"b":1}}'},
        "CommitmentDiscountCategory-null": {"CommitmentDiscountCategory": "Spend"},
        "ChargeFrequency-purchase": {"ChargeCategory": "Purchase"},
        "BillingCurrency-format": {"BillingCurrency": "usd"},
    }
    path = tmp_path / "rows.csv"
    for rule_id, change in broken.items():
        row = {**good, **change}
        names = list(row)
        values = ["" if row[n] is None else '"' + str(row[n]).replace('"', '""') + '"' for n in names]
        path.write_text(",".join(names) + "\n" + ",".join(values) + "\n")
        _missing, failed, _rows = violations(path)
        assert rule_id in failed, (rule_id, failed)
    path.write_text(",".join(good) + "\n" + ",".join('"' + v.replace('"', '""') + '"' for v in good.values()) + "\n")
    assert violations(path)[1] == {}


@pytest.mark.usefixtures("warm_demo")
def test_demo_export_meets_every_rule_and_has_every_mandatory_column(run: Any, tmp_path: Path) -> None:
    path = export(run, tmp_path, "--demo", "--days", "60")
    missing, failed, rows = violations(path)
    assert rows > 1000
    assert missing == []
    assert failed == {}
    header = path.read_text().splitlines()[0].split(",")
    assert header == list(COLUMN_NAMES)
    assert all(c in header for c in ("x_CostctlSource", "x_CostctlEstimated"))


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_export_meets_every_rule_its_data_allows(run: Any, tmp_path: Path, shared_data: Path,
                                                         sample: str) -> None:
    path = export(run, tmp_path, "--file", str(shared_data / sample))
    missing, failed, rows = violations(path)
    assert rows > 0
    assert missing == []
    expected = {rule for (name, rule) in SOURCE_GAPS if name == sample}
    assert set(failed) == expected, {rule: failed.get(rule) for rule in set(failed) ^ expected}


@pytest.mark.usefixtures("warm_demo")
@pytest.mark.parametrize("metric,column", [("billed", "BilledCost"), ("effective", "EffectiveCost")])
def test_demo_export_sums_equal_costs_to_the_cent(run: Any, tmp_path: Path, metric: str, column: str) -> None:
    path = export(run, tmp_path, "--demo", "--days", "30", name="focus.parquet")
    exported = duckdb.sql(f"SELECT BillingCurrency, sum({column}) FROM '{path}' GROUP BY ALL").fetchall()
    result = run("--demo", "costs", "--days", "30", "--granularity", "total", "--metric", metric, "--format", "json")
    assert result.exit_code == 0, result.stderr
    costs: dict[str, float] = {}
    for row in result.json():
        costs[row["currency"]] = costs.get(row["currency"], 0.0) + row["cost"]
    assert {cur: round(total, 2) for cur, total in exported} == {cur: round(t, 2) for cur, t in costs.items()}


@pytest.mark.parametrize("sample", ["aws/cur_legacy_anonymized_2023-11.csv", "azure/ea_amortized_small.csv",
                                    "gcp/billing_export_2020-11.csv", "focus/focus_1.0_sample_1000.csv"])
def test_sample_export_sums_equal_costs_to_the_cent(run: Any, tmp_path: Path, shared_data: Path,
                                                     sample: str) -> None:
    path = export(run, tmp_path, "--file", str(shared_data / sample), name="focus.parquet")
    for metric, column in (("billed", "BilledCost"), ("effective", "EffectiveCost")):
        exported = dict(duckdb.sql(f"SELECT BillingCurrency, sum({column}) FROM '{path}' GROUP BY ALL").fetchall())
        result = run("costs", "--file", str(shared_data / sample), "--granularity", "total", "--metric", metric,
                     "--format", "json")
        assert result.exit_code == 0, result.stderr
        costs: dict[str, float] = {}
        for row in result.json():
            costs[row["currency"]] = costs.get(row["currency"], 0.0) + row["cost"]
        assert {c: round(v, 2) for c, v in exported.items()} == {c: round(v, 2) for c, v in costs.items()}, metric


def test_cur_lines_carry_their_invoice_pricing_and_region(run: Any, tmp_path: Path, shared_data: Path) -> None:
    path = export(run, tmp_path, "--file", str(shared_data / "aws/cur_legacy_anonymized_2023-11.csv"),
                  name="focus.parquet")
    rows = duckdb.sql(f"SELECT ChargeCategory, PricingCategory, ChargeFrequency, InvoiceIssuerName, PublisherName, "
                      f"count(*) FROM '{path}' GROUP BY ALL ORDER BY ALL").fetchall()
    categories = {(r[0], r[1], r[2]) for r in rows}
    assert ("Usage", "Standard", "Usage-Based") in categories
    assert ("Tax", None, "One-Time") in categories  # tax: no pricing category, never usage-based
    assert {r[3] for r in rows} <= {"Amazon Web Services, Inc.", "Amazon Web Services Canada, Inc."}  # InvoicingEntity
    names = dict(duckdb.sql(f"SELECT DISTINCT RegionId, RegionName FROM '{path}' "
                            "WHERE RegionId IS NOT NULL").fetchall())
    assert names["us-east-1"] == "US East (N. Virginia)"


def test_azure_reservation_rows_name_their_commitment(run: Any, tmp_path: Path, shared_data: Path) -> None:
    path = export(run, tmp_path, "--file", str(shared_data / "azure/ea_amortized_small.csv"), name="focus.parquet")
    rows = duckdb.sql(f"SELECT CommitmentDiscountType, CommitmentDiscountCategory, CommitmentDiscountStatus, "
                      f"PricingCategory, CommitmentDiscountId IS NOT NULL FROM '{path}' "
                      "WHERE CommitmentDiscountId IS NOT NULL ORDER BY 1").fetchall()
    assert rows == [("Reservation", "Usage", "Used", "Committed", True),
                    ("Savings Plan", "Spend", "Used", "Committed", True)]
    period = duckdb.sql(f"SELECT DISTINCT BillingPeriodStart, BillingPeriodEnd FROM '{path}'").fetchall()
    assert [(s.isoformat()[:10], e.isoformat()[:10]) for s, e in period] == [("2023-09-01", "2023-10-01")]


@pytest.mark.usefixtures("warm_demo")
def test_gzip_csv_and_stdout(run: Any, tmp_path: Path) -> None:
    path = export(run, tmp_path, "--demo", "--days", "3", name="focus.csv.gz")
    text = gzip.decompress(path.read_bytes()).decode()
    result = run("--demo", "export", "focus", "--days", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == text
    lines = text.splitlines()
    assert lines[0].split(",") == list(COLUMN_NAMES)
    first = next(iter(__import__("csv").DictReader(lines)))
    for column in DATETIMES:
        assert first[column].endswith("Z") and "T" in first[column]
    assert json.loads(first["Tags"]) == json.loads(first["Tags"] or "{}")
    assert "row(s) written as FOCUS 1.2 csv" in result.stderr


@pytest.mark.usefixtures("warm_demo")
def test_parquet_keeps_types_and_refuses_a_terminal(run: Any, tmp_path: Path) -> None:
    path = export(run, tmp_path, "--demo", "--days", "3", name="focus.parquet")
    types = dict(duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()[i][:2] for i in range(len(COLUMN_NAMES)))
    assert types["BilledCost"] == "DOUBLE"
    assert types["ChargePeriodStart"] == "TIMESTAMP WITH TIME ZONE"
    assert types["x_CostctlEstimated"] == "BOOLEAN"


def test_a_failing_provider_fails_the_export(run: Any, tmp_path: Path) -> None:
    config = tmp_path / "costctl.yaml"
    config.write_text(f"providers:\n  broken:\n    type: files\n    paths: ['{tmp_path / 'missing.csv'}']\n")
    out = tmp_path / "focus.csv"
    result = run("--config", str(config), "export", "focus", "--days", "3", "-o", str(out))
    assert result.exit_code != 0
    assert "broken" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_two_gcp_exports_in_one_command(run: Any, tmp_path: Path, shared_data: Path) -> None:
    """The credits function is registered once per connection, however many GCP files a command reads
    (DuckDB 2 reports a second registration as NotImplemented, not as a catalog error)."""
    sample = shared_data / "gcp/billing_export_2020-11.csv"
    copy = tmp_path / "copy.csv"
    copy.write_bytes(sample.read_bytes())

    def total(*files: Path) -> float:
        args = [a for f in files for a in ("--file", str(f))]
        result = run("costs", *args, "--granularity", "total", "--metric", "billed", "--format", "json")
        assert result.exit_code == 0, result.stderr
        return sum(abs(r["cost"]) for r in result.json())

    once = total(sample)
    assert total(sample, copy) == pytest.approx(2 * once)
