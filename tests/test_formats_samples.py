"""Every public sample in ../shared/data maps, and its totals reconcile with the file's own cost columns.

The expected totals are computed here with the csv module straight from the source files, never
through costctl.formats, so a mapping bug cannot hide behind itself.
"""

from __future__ import annotations

import ast
import csv
import os
from pathlib import Path

import pytest

from costctl import model
from costctl.errors import ExportFormatError
from costctl.formats import read_export

SHARED_DATA = Path(__file__).parents[2] / "shared" / "data"
CENT = 0.005


@pytest.fixture(scope="module")
def samples() -> Path:
    """The shared sample folder; skipped only outside CI (in CI a missing folder is a failure)."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing but CI is set: the sample reconciliation tests must run")
        pytest.skip(f"{SHARED_DATA} not present (shared sample data is only checked out next to the repo)")
    return SHARED_DATA


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def amount(value: str | None) -> float:
    return 0.0 if value in (None, "", "NULL") else float(value)


def assert_cents(actual: float, expected: float) -> None:
    assert abs(actual - expected) < CENT, f"{actual} != {expected} to the cent"


def assert_record(frame) -> None:
    model.validate(frame)
    assert ((frame["ChargePeriodEnd"] - frame["ChargePeriodStart"]).dt.total_seconds() <= 86400).all()
    assert frame["BillingCurrency"].notna().all()
    assert frame["ProviderName"].notna().all()
    assert frame["ChargeCategory"].isin(["Usage", "Purchase", "Tax", "Credit", "Adjustment"]).all()


# --- AWS CUR legacy -------------------------------------------------------------------------

AWS_FILES = [
    "cur_legacy_anonymized_2023-11.csv",
    "cur_legacy_small.csv",
    "cur_legacy_2023-06-final.csv",
    "cur_legacy_2023-06-not-final.csv",
]


def cur_effective(row: dict[str, str]) -> float:
    """AWS's amortized-cost rule, written out independently for the line types the samples hold."""
    kind = row["lineItem/LineItemType"]
    if kind == "SavingsPlanCoveredUsage" and "savingsPlan/SavingsPlanEffectiveCost" in row:
        return amount(row["savingsPlan/SavingsPlanEffectiveCost"])
    if kind == "DiscountedUsage" and "reservation/EffectiveCost" in row:
        return amount(row["reservation/EffectiveCost"])
    assert kind in ("Usage", "Tax"), f"test does not cover line type {kind}"
    return amount(row["lineItem/UnblendedCost"])


@pytest.mark.parametrize("name", AWS_FILES)
def test_each_aws_cur_sample_reconciles_with_unblended_and_amortized_cost(samples, name):
    path = samples / "aws" / name
    source = rows(path)
    frame = read_export(path)
    assert_record(frame)
    assert_cents(frame["BilledCost"].sum(), sum(amount(r["lineItem/UnblendedCost"]) for r in source))
    assert_cents(frame["EffectiveCost"].sum(), sum(cur_effective(r) for r in source))
    assert set(frame["ProviderName"]) == {"AWS"}
    assert set(frame["SubAccountId"].dropna()) == {r["lineItem/UsageAccountId"] for r in source}


def test_cur_tax_rows_become_tax_and_monthly_rows_are_split_into_days(samples):
    path = samples / "aws" / "cur_legacy_anonymized_2023-11.csv"
    source = rows(path)
    frame = read_export(path)
    taxes = frame[frame["ChargeCategory"] == "Tax"]
    assert_cents(taxes["BilledCost"].sum(), sum(amount(r["lineItem/UnblendedCost"]) for r in source
                                                if r["lineItem/LineItemType"] == "Tax"))
    assert taxes["ChargePeriodStart"].dt.day.nunique() == 30  # November, one piece per day
    assert len(frame) > len(source)


def test_cur_savings_plan_usage_is_billed_unblended_but_costs_its_effective_cost(samples):
    frame = read_export(samples / "aws" / "cur_legacy_2023-06-final.csv")
    assert frame["BilledCost"].sum() > frame["EffectiveCost"].sum() > 0
    assert (frame["ChargeCategory"] == "Usage").all()


def test_cur_bill_without_invoice_id_is_marked_estimated(samples):
    final = read_export(samples / "aws" / "cur_legacy_2023-06-final.csv")
    not_final = read_export(samples / "aws" / "cur_legacy_2023-06-not-final.csv")
    assert not final["x_Estimated"].any()
    assert not_final["x_Estimated"].all()


# --- Azure ----------------------------------------------------------------------------------

AZURE_FILES = {
    "ea_actual_small.csv": "Cost",
    "ea_amortized_small.csv": "Cost",
    "ea_anonymized.csv": "CostInBillingCurrency",
    "export_v2.csv": "CostInBillingCurrency",
    "export_v1_camelcase.csv": "preTaxCost",
}


def azure_commitment(row: dict[str, str]) -> str | None:
    """'usage' for commitment-covered usage, 'purchase' for the commitment purchase or refund, else None."""
    if row.get("PricingModel", "") not in ("Reservation", "SavingsPlan"):
        return None
    return "purchase" if row.get("ChargeType") in ("Purchase", "Refund") else "usage"


@pytest.mark.parametrize(("name", "cost_column"), sorted(AZURE_FILES.items()))
def test_each_azure_sample_reconciles_with_its_cost_column(samples, name, cost_column):
    path = samples / "azure" / name
    source = rows(path)
    frame = read_export(path)
    assert_record(frame)
    total = sum(amount(r[cost_column]) for r in source)
    covered_usage = sum(amount(r[cost_column]) for r in source if azure_commitment(r) == "usage")
    purchases = sum(amount(r[cost_column]) for r in source if azure_commitment(r) == "purchase")
    assert_cents(frame["BilledCost"].sum(), total - covered_usage)
    assert_cents(frame["EffectiveCost"].sum(), total - purchases)
    assert len(frame) == len(source)
    assert set(frame["ProviderName"]) == {"Microsoft"}


def test_azure_actual_sample_bills_the_reservation_purchase_but_amortizes_it_away(samples):
    frame = read_export(samples / "azure" / "ea_actual_small.csv")
    purchase = frame[frame["ChargeCategory"] == "Purchase"]
    assert len(purchase) == 1
    assert purchase["BilledCost"].iloc[0] == pytest.approx(3.25)
    assert purchase["EffectiveCost"].iloc[0] == 0.0


def test_azure_month_first_dates_and_tags_without_braces_are_read(samples):
    frame = read_export(samples / "azure" / "ea_anonymized.csv")
    assert set(frame["ChargePeriodStart"].dt.strftime("%Y-%m-%d")) == {"2023-09-02"}
    assert frame["Tags"].iloc[0] == {"tagA": "valueA", "tagB": "valueB", "tagC": "valueC"}
    assert set(frame["BillingCurrency"]) == {"CAD"}


def test_azure_header_only_export_gives_an_empty_frame(samples):
    frame = read_export(samples / "azure" / "ea_no_rows.csv")
    assert frame.empty
    assert list(frame.columns) == list(model.COLUMN_NAMES)


def test_azure_v1_camelcase_export_maps_subscription_and_tags(samples):
    frame = read_export(samples / "azure" / "export_v1_camelcase.csv")
    assert set(frame["SubAccountId"]) == {"2639de71-ca37-4a17-a104-17665a50e7fc"}
    assert frame["Tags"].iloc[0] == {"project": "p1"}
    assert set(frame["ServiceCategory"]) <= {"Compute", "Storage", "Networking"}


# --- FOCUS ----------------------------------------------------------------------------------


def test_focus_sample_reconciles_with_billed_and_effective_cost(samples):
    path = samples / "focus" / "focus_1.0_sample_1000.csv"
    source = rows(path)
    frame = read_export(path)
    assert_record(frame)
    assert_cents(frame["BilledCost"].sum(), sum(amount(r["BilledCost"]) for r in source))
    assert_cents(frame["EffectiveCost"].sum(), sum(amount(r["EffectiveCost"]) for r in source))
    assert len(frame) == len(source)
    assert set(frame["ProviderName"]) == {r["ProviderName"] for r in source}


def test_focus_sample_null_literals_become_missing_values(samples):
    frame = read_export(samples / "focus" / "focus_1.0_sample_1000.csv")
    assert not (frame["ResourceName"] == "NULL").any()
    assert frame["ResourceName"].isna().any()
    assert frame["Tags"].map(lambda t: isinstance(t, dict)).all()


def test_focus_validator_0_5_sample_reconciles_with_billed_and_amortized_cost(samples):
    path = samples / "focus-validator" / "all_pass_0.5.csv"
    source = rows(path)
    frame = read_export(path)
    assert_record(frame)
    assert_cents(frame["BilledCost"].sum(), sum(amount(r["BilledCost"]) for r in source))
    assert_cents(frame["EffectiveCost"].sum(), sum(amount(r["AmortizedCost"]) for r in source))
    assert list(frame["ChargeCategory"]) == [r["ChargeType"] for r in source]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fail_invoice_issuer.csv", "missing charge period column ChargePeriodStart"),
        ("multiple_failure_examples.csv", "missing cost column BilledCost"),
        ("sample.parquet", "missing cost column BilledCost"),
    ],
)
def test_focus_validator_samples_without_cost_or_dates_are_refused_in_one_line(samples, name, message):
    with pytest.raises(ExportFormatError) as info:
        read_export(samples / "focus-validator" / name)
    assert message in str(info.value)
    assert name in str(info.value)
    assert "\n" not in str(info.value)


# --- GCP ------------------------------------------------------------------------------------


def test_gcp_sample_reconciles_with_cost_plus_credits(samples):
    path = samples / "gcp" / "billing_export_2020-11.csv"
    source = rows(path)
    frame = read_export(path)
    assert_record(frame)
    credits = [sum(c["amount"] for c in ast.literal_eval(r["credits"])) for r in source]
    expected = [amount(r["cost"]) + credit for r, credit in zip(source, credits, strict=True)]
    assert_cents(frame["BilledCost"].sum(), sum(expected))
    assert_cents(frame["EffectiveCost"].sum(), sum(expected))
    assert list(frame["BilledCost"]) == pytest.approx(expected, abs=1e-12)
    assert set(frame["ProviderName"]) == {"Google Cloud"}
    assert set(frame["SubAccountId"]) == {r["project.id"] for r in source}
    assert set(frame["BillingPeriodStart"].dt.strftime("%Y-%m-%d")) == {"2020-11-01"}


def test_gcp_sample_labels_become_tags(samples):
    frame = read_export(samples / "gcp" / "billing_export_2020-11.csv")
    values = {t.get("goog-resource-type") for t in frame["Tags"]}
    assert {"bigquery_resource", "bigquery_dataset", "bigquery_project"} <= values
