"""Commitment figures from billing data, checked against sums done independently of costctl.

The demo files are read with the csv module; the CUR and Azure files below are written from the
providers' documented layouts (AWS CUR data dictionary: line item types ``DiscountedUsage``,
``RIFee``, ``SavingsPlanCoveredUsage``, ``SavingsPlanNegation``, ``SavingsPlanRecurringFee`` and
their ``reservation/*`` / ``savingsPlan/*`` columns; Microsoft's amortized cost details:
``ChargeType`` ``UnusedReservation`` / ``UnusedSavingsPlan``, ``PricingModel``, ``ReservationId``,
``benefitId``), with every expected figure worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costctl.analysis.commitments import commitments, coverage, select, type_matches
from costctl.demo import data_path
from costctl.demo.commitments import AZURE_RESERVATION, GCP_CUD, RESERVED_INSTANCE, SAVINGS_PLAN
from costctl.loader import open_files

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CUR_SP_SAMPLE = SAMPLES / "aws" / "cur_legacy_2023-06-final.csv"


def demo_commitment_sums(cloud: str) -> dict[str, dict[str, Decimal]]:
    """Commitment id -> used / unused EffectiveCost and the used rows' ListCost, over the whole file."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with gzip.open(data_path(cloud), "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            cid = row["CommitmentDiscountId"]
            if not cid:
                continue
            status = row["CommitmentDiscountStatus"]
            sums[cid][status] += Decimal(row["EffectiveCost"])
            if status == "Used":
                sums[cid]["list"] += Decimal(row["ListCost"])
            sums[cid]["end"] = row["x_CommitmentDiscountEnd"]  # type: ignore[assignment]
    return sums


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_demo_utilization_equals_an_independent_sum_to_the_cent(cloud: str) -> None:
    expected = demo_commitment_sums(cloud)
    found = {c.commitment_id: c for c in commitments(open_files((str(data_path(cloud)),)))}
    assert set(found) == set(expected) and found
    for cid, sums in expected.items():
        c = found[cid]
        used, unused = sums["Used"], sums["Unused"]
        assert round(c.used, 2) == round(float(used), 2), cid
        assert round(c.unused, 2) == round(float(unused), 2), cid
        assert c.utilization is not None
        assert round(c.utilization, 2) == round(float(100 * used / (used + unused)), 2), cid
        assert round(c.on_demand or 0, 2) == round(float(sums["list"]), 2), cid
        assert round(c.savings or 0, 2) == round(float(sums["list"] - used - unused), 2), cid
        assert (c.end.isoformat() if c.end else "") == str(sums["end"])[:10]


def test_demo_plants_an_under_used_and_an_expiring_commitment() -> None:
    found = {c.commitment_id: c for cloud in ("aws", "azure", "gcp")
             for c in commitments(open_files((str(data_path(cloud)),)))}
    assert set(found) == {SAVINGS_PLAN, RESERVED_INSTANCE, AZURE_RESERVATION, GCP_CUD}
    assert 80 < (found[AZURE_RESERVATION].utilization or 0) < 90
    sp = found[SAVINGS_PLAN]
    assert sp.end is not None and sp.days_left(sp.last_day + timedelta(days=1)) == 21  # three weeks after the data
    assert found[GCP_CUD].type == "Committed Use Discount" and found[GCP_CUD].category == "Usage"
    assert found[RESERVED_INSTANCE].category == "Usage" and found[SAVINGS_PLAN].category == "Spend"


def test_coverage_of_the_demo_equals_an_independent_sum() -> None:
    """Eligible = usage (not Unused) of a service some commitment covered, at ListCost."""
    eligible: dict[str, Decimal] = defaultdict(Decimal)
    covered: dict[str, Decimal] = defaultdict(Decimal)
    with gzip.open(data_path("aws"), "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    services = {r["ServiceName"] for r in rows if r["CommitmentDiscountStatus"] == "Used"}
    for r in rows:
        if r["ChargeCategory"] != "Usage" or r["CommitmentDiscountStatus"] == "Unused" or \
                r["ServiceName"] not in services:
            continue
        eligible[r["ServiceName"]] += Decimal(r["ListCost"])
        if r["CommitmentDiscountStatus"] == "Used":
            covered[r["ServiceName"]] += Decimal(r["ListCost"])
    got = {r["service"]: r for r in coverage(open_files((str(data_path("aws")),)), ["service"])}
    assert set(got) == set(eligible) == {"Amazon Elastic Compute Cloud"}
    for service, total in eligible.items():
        assert round(got[service]["eligible"], 2) == round(float(total), 2)
        assert round(got[service]["covered"], 2) == round(float(covered[service]), 2)
        assert round(got[service]["coverage"], 4) == round(float(100 * covered[service] / total), 4)


@pytest.mark.skipif(not CUR_SP_SAMPLE.exists(), reason="shared CUR sample not present")
def test_the_cur_sample_savings_plan_lines() -> None:
    """koku's CUR 2023-06 sample: three SavingsPlanCoveredUsage lines, on demand 10 NOK each,
    SavingsPlanEffectiveCost 0.1 each, and no ARN: one commitment without id."""
    (c,) = commitments(open_files((str(CUR_SP_SAMPLE),)))
    assert (c.commitment_id, c.type, c.currency, c.account) == ("(no id)", "Savings Plan", "NOK", "0099999999999")
    assert round(c.used, 2) == 0.30 and c.unused == 0.0  # 3 x 0.1; no recurring fee line in the file
    assert round(c.on_demand or 0, 2) == 30.00 and round(c.savings or 0, 2) == 29.70
    (cov,) = coverage(open_files((str(CUR_SP_SAMPLE),)), ["service"])
    assert cov["coverage"] == pytest.approx(100.0)


RI = "arn:aws:ec2:us-east-1:123456789012:reserved-instances/11111111-2222-3333-4444-555555555555"
SP = "arn:aws:savingsplans::123456789012:savingsplan/66666666-7777-8888-9999-000000000000"
CUR_HEADER = ["identity/LineItemId", "bill/PayerAccountId", "lineItem/UsageAccountId", "lineItem/LineItemType",
              "lineItem/UsageStartDate", "lineItem/UsageEndDate", "lineItem/ProductCode", "lineItem/UsageType",
              "lineItem/UsageAmount", "lineItem/UnblendedCost", "lineItem/CurrencyCode", "product/ProductName",
              "product/region", "pricing/publicOnDemandCost", "pricing/unit", "reservation/ReservationARN",
              "reservation/EffectiveCost", "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
              "reservation/UnusedRecurringFee", "reservation/EndTime", "savingsPlan/SavingsPlanARN",
              "savingsPlan/SavingsPlanEffectiveCost", "savingsPlan/TotalCommitmentToDate",
              "savingsPlan/UsedCommitment", "savingsPlan/EndTime", "savingsPlan/OfferingType"]
H1, H2 = ("2024-03-01T00:00:00Z", "2024-03-01T01:00:00Z"), ("2024-03-01T01:00:00Z", "2024-03-01T02:00:00Z")
MONTH = ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")
EC2 = {"lineItem/ProductCode": "AmazonEC2", "product/ProductName": "Amazon Elastic Compute Cloud",
       "product/region": "us-east-1", "pricing/unit": "Hrs", "lineItem/UsageAccountId": "123456789012"}
RI_COLS = {"reservation/ReservationARN": RI, "reservation/EndTime": "2024-03-20T00:00:00Z"}
SP_COLS = {"savingsPlan/SavingsPlanARN": SP, "savingsPlan/EndTime": "2025-02-28T23:59:59Z",
           "savingsPlan/OfferingType": "ComputeSavingsPlans"}
CUR_LINES = [
    # RI-covered hours: unblended 0, reservation/EffectiveCost 0.06 and 0.06 (on demand 0.10 each)
    ("DiscountedUsage", H1, "1", "0", {**EC2, **RI_COLS, "reservation/EffectiveCost": "0.06",
                                        "pricing/publicOnDemandCost": "0.10", "lineItem/UsageType": "BoxUsage:m5"}),
    ("DiscountedUsage", H2, "1", "0", {**EC2, **RI_COLS, "reservation/EffectiveCost": "0.06",
                                        "pricing/publicOnDemandCost": "0.10", "lineItem/UsageType": "BoxUsage:m5"}),
    # the RI's monthly fee: unused share 0.02 (upfront) + 0.01 (recurring) = 0.03
    ("RIFee", MONTH, "744", "44.64", {**EC2, **RI_COLS, "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "0.02",
                                      "reservation/UnusedRecurringFee": "0.01", "lineItem/UsageType": "HeavyUsage"}),
    # SP-covered hour: on demand 0.50, SavingsPlanEffectiveCost 0.30, negated in the same hour
    ("SavingsPlanCoveredUsage", H1, "1", "0.50", {**EC2, **SP_COLS, "savingsPlan/SavingsPlanEffectiveCost": "0.30",
                                                  "pricing/publicOnDemandCost": "0.50",
                                                  "lineItem/UsageType": "BoxUsage:c5.xlarge"}),
    ("SavingsPlanNegation", H1, "1", "-0.50", {**EC2, **SP_COLS, "lineItem/UsageType": "BoxUsage:c5.xlarge"}),
    # the SP's hourly fee: commitment 0.40, used 0.30 -> unused 0.10
    ("SavingsPlanRecurringFee", H1, "1", "0.40", {**SP_COLS, "savingsPlan/TotalCommitmentToDate": "0.40",
                                                  "savingsPlan/UsedCommitment": "0.30",
                                                  "lineItem/UsageAccountId": "123456789012"}),
    # plain on-demand EC2, not covered: eligible for coverage (on demand 0.90)
    ("Usage", H1, "1", "0.90", {**EC2, "pricing/publicOnDemandCost": "0.90", "lineItem/UsageType": "BoxUsage:m5.2xl"}),
]


def write_cur(path: Path) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, CUR_HEADER)
    writer.writeheader()
    for n, (kind, (start, end), amount, cost, extra) in enumerate(CUR_LINES):
        writer.writerow({"identity/LineItemId": f"l{n}", "bill/PayerAccountId": "123456789012",
                         "lineItem/LineItemType": kind, "lineItem/UsageStartDate": start,
                         "lineItem/UsageEndDate": end, "lineItem/UsageAmount": amount,
                         "lineItem/UnblendedCost": cost, "lineItem/CurrencyCode": "USD", **extra})
    path.write_text(out.getvalue())
    return path


def test_cur_reserved_instance_and_savings_plan_lines(tmp_path: Path) -> None:
    found = {c.commitment_id: c for c in commitments(open_files((str(write_cur(tmp_path / "cur.csv")),)))}
    ri, sp = found[RI], found[SP]
    assert (ri.type, ri.category, sp.type, sp.category) == ("Reserved Instance", "Usage", "ComputeSavingsPlans",
                                                            "Spend")
    assert round(ri.used, 2) == 0.12 and round(ri.unused, 2) == 0.03  # 0.06 + 0.06; 0.02 + 0.01
    assert round(ri.utilization or 0, 2) == 80.00  # 0.12 / 0.15
    assert round(ri.on_demand or 0, 2) == 0.20 and round(ri.savings or 0, 2) == 0.05  # 0.20 - 0.12 - 0.03
    assert round(sp.used, 2) == 0.30 and round(sp.unused, 2) == 0.10 and round(sp.utilization or 0, 2) == 75.00
    assert round(sp.on_demand or 0, 2) == 0.50 and round(sp.savings or 0, 2) == 0.10  # 0.50 - 0.30 - 0.10
    assert ri.end == date(2024, 3, 20) and sp.end == date(2025, 2, 28)
    assert [c.commitment_id for c in select(list(found.values()), ("savings plan",))] == [SP]
    assert [c.commitment_id for c in select(list(found.values()), (), 30, date(2024, 3, 1))] == [RI]
    (cov,) = coverage(open_files((str(tmp_path / "cur.csv"),)), ["service"])
    # eligible at on demand: 0.10 + 0.10 (RI) + 0.50 (SP) + 0.90 (plain); the negation is Usage too but
    # its ListCost is empty and its EffectiveCost 0; the covered part is 0.70
    assert round(cov["eligible"], 2) == 1.60 and round(cov["covered"], 2) == 0.70


AZ_HEADER = ("BillingAccountId,BillingAccountName,BillingPeriodStartDate,BillingPeriodEndDate,SubscriptionId,"
             "SubscriptionName,Date,MeterCategory,MeterSubCategory,MeterName,MeterRegion,UnitOfMeasure,Quantity,"
             "EffectivePrice,CostInBillingCurrency,BillingCurrencyCode,ConsumedService,ResourceId,ResourceLocation,"
             "ChargeType,PricingModel,Frequency,ReservationId,ReservationName,benefitId,benefitName,Tags")
AZ_RI = "/providers/Microsoft.Capacity/reservationOrders/aaaa0000-1111-2222-3333-444455556666/reservations/bbbb"
AZ_SP = "/providers/Microsoft.BillingBenefits/savingsPlanOrders/cccc0000-1111-2222-3333-444455556666/savingsPlans/d"
VM = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-{n}"


def azure_amortized(path: Path) -> Path:
    """Two days of an EA amortized export: reservation-covered VM hours, the reservation's unused
    hours, its (amortized-away) purchase, savings-plan-covered usage and its unused share."""
    rows = []

    def add(day: str, category: str, quantity: str, cost: str, charge: str, model: str, res_id: str = "",
            res_name: str = "", benefit: str = "", benefit_name: str = "", frequency: str = "UsageBased",
            resource: str = "") -> None:
        rows.append(f"8611537,Contoso,03/01/2024,03/31/2024,sub-1,prod,{day},{category},Dv5,D8s v5,EU West,"
                    f"1 Hour,{quantity},0.1,{cost},USD,Microsoft.Compute,{resource},westeurope,{charge},{model},"
                    f"{frequency},{res_id},{res_name},{benefit},{benefit_name},")

    for day in ("03/01/2024", "03/02/2024"):
        add(day, "Virtual Machines", "24", "2.40", "Usage", "Reservation", AZ_RI, "RI-D8s", resource=VM.format(n=1))
        add(day, "Virtual Machines", "18", "1.80", "Usage", "Reservation", AZ_RI, "RI-D8s", resource=VM.format(n=2))
        add(day, "Virtual Machines", "6", "0.60", "UnusedReservation", "Reservation", AZ_RI, "RI-D8s")
        add(day, "Virtual Machines", "10", "1.00", "Usage", "SavingsPlan", benefit=AZ_SP, benefit_name="SP-compute",
            resource=VM.format(n=3))
        add(day, "Virtual Machines", "0", "0.25", "UnusedSavingsPlan", "SavingsPlan", benefit=AZ_SP,
            benefit_name="SP-compute")
        add(day, "Virtual Machines", "24", "3.00", "Usage", "OnDemand", resource=VM.format(n=4))
    add("03/01/2024", "Virtual Machines", "1", "0", "Purchase", "Reservation", AZ_RI, "RI-D8s", frequency="Recurring")
    path.write_text(AZ_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def test_azure_amortized_export_with_unused_reservation_and_savings_plan_rows(tmp_path: Path) -> None:
    found = {c.commitment_id: c for c in commitments(open_files((str(azure_amortized(tmp_path / "az.csv")),)))}
    ri, sp = found[AZ_RI], found[AZ_SP]
    assert (ri.name, ri.type, ri.category) == ("RI-D8s", "Reservation", "Usage")
    assert (sp.name, sp.type, sp.category) == ("SP-compute", "Savings Plan", "Spend")
    assert round(ri.used, 2) == 8.40 and round(ri.unused, 2) == 1.20  # 2 x (2.40 + 1.80); 2 x 0.60
    assert round(ri.utilization or 0, 2) == 87.50  # 8.40 / 9.60
    assert round(sp.used, 2) == 2.00 and round(sp.unused, 2) == 0.50 and round(sp.utilization or 0, 2) == 80.00
    assert ri.end is None and ri.account == "sub-1"


def test_an_actual_cost_export_cannot_say_the_utilization(tmp_path: Path) -> None:
    """Actual cost: covered usage and unused rows cost 0, the purchase is billed: no amortized amount."""
    path = tmp_path / "actual.csv"
    path.write_text(AZ_HEADER + "\n" + "\n".join([
        f"8611537,Contoso,03/01/2024,03/31/2024,sub-1,prod,03/01/2024,Virtual Machines,Dv5,D8s v5,EU West,1 Hour,24,"
        f"0,0,USD,Microsoft.Compute,{VM.format(n=1)},westeurope,Usage,Reservation,UsageBased,{AZ_RI},RI,,,",
        f"8611537,Contoso,03/01/2024,03/31/2024,sub-1,prod,03/01/2024,Virtual Machines,Dv5,D8s v5,EU West,1 Hour,1,"
        f"70,70,USD,Microsoft.Capacity,,westeurope,Purchase,Reservation,Recurring,{AZ_RI},RI,,,",
    ]) + "\n")
    (c,) = commitments(open_files((str(path),)))
    assert c.utilization is None and c.savings is None


def test_type_matching_ignores_case_spaces_and_plural() -> None:
    assert type_matches("savings plan", "ComputeSavingsPlans")
    assert type_matches("Reserved", "Reserved Instance") and not type_matches("reserved", "Reservation")
    assert type_matches("reserv", "Reservation") and type_matches("cud", None) is False
    assert type_matches("CUD", "Committed Use Discount") and type_matches("sp", "ComputeSavingsPlans")
    assert type_matches("ri", "Reserved Instance") and not type_matches("ri", "Reservation")
    assert not type_matches("", "Savings Plan")


@pytest.mark.usefixtures("warm_demo")
def test_command_lists_the_demo_commitments_as_json(run) -> None:
    result = run("--demo", "commitments", "--days", "30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["commitment_id"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {SAVINGS_PLAN, RESERVED_INSTANCE, AZURE_RESERVATION, GCP_CUD}
    assert rows[SAVINGS_PLAN]["days_left"] == 21 and rows[AZURE_RESERVATION]["days_left"] is None
    assert rows[AZURE_RESERVATION]["utilization"] < 90
    expiring = run("--demo", "commitments", "--expiring-within", "60d", "--format", "csv")
    assert expiring.exit_code == 0 and expiring.stdout.count("\n") == 2 and SAVINGS_PLAN in expiring.stdout
    typed = run("--demo", "commitments", "--type", "reservation", "--format", "json")
    assert {r["commitment_id"] for r in json.loads(typed.stdout)} == {AZURE_RESERVATION}
    cov = run("--demo", "commitments", "--show", "coverage", "--group-by", "account,region", "--format", "json")
    assert cov.exit_code == 0 and {r["provider"] for r in json.loads(cov.stdout)} == {"aws", "azure", "gcp"}


@pytest.mark.usefixtures("warm_demo")
@pytest.mark.parametrize("args", [("--expiring-within", "soon"), ("--show", "coverage", "--group-by", "sku"),
                                  ("--group-by", "service")])
def test_command_rejects_bad_options_in_one_line(run, args) -> None:
    result = run("--demo", "commitments", *args)
    assert result.exit_code == 2 and result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


def test_a_focus_export_keeps_the_term_ends_through_a_round_trip(run, tmp_path: Path) -> None:
    """``export focus`` writes x_CommitmentDiscountEnd; the FOCUS reader maps it back."""
    out = tmp_path / "aws-focus.csv"
    result = run("export", "focus", "--file", str(data_path("aws")), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    before = {c.commitment_id: c for c in commitments(open_files((str(data_path("aws")),)))}
    after = {c.commitment_id: c for c in commitments(open_files((str(out),)))}
    assert {k: c.end for k, c in after.items()} == {k: c.end for k, c in before.items()}
    assert after[SAVINGS_PLAN].end is not None
    assert {k: round(c.unused, 6) for k, c in after.items()} == {k: round(c.unused, 6) for k, c in before.items()}


AZURE_AMORTIZED_SAMPLE = SAMPLES / "azure" / "ea_amortized_small.csv"


@pytest.mark.skipif(not AZURE_AMORTIZED_SAMPLE.exists(), reason="shared Azure sample not present")
def test_the_azure_amortized_sample_reservation_and_savings_plan_rows() -> None:
    """koku's EA amortized sample: one reservation-covered and one savings-plan-covered usage row,
    summed here from the file with the csv module (benefitId names the commitment)."""
    expected: dict[str, Decimal] = defaultdict(Decimal)
    with AZURE_AMORTIZED_SAMPLE.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["PricingModel"] in ("Reservation", "SavingsPlan") and row["ChargeType"] == "Usage":
                expected[row["benefitId"] or row["ReservationId"]] += Decimal(row["Cost"])
    assert len(expected) == 2
    found = {c.commitment_id: c for c in commitments(open_files((str(AZURE_AMORTIZED_SAMPLE),)))}
    assert set(found) == set(expected)
    for cid, used in expected.items():
        assert round(found[cid].used, 6) == round(float(used), 6) and found[cid].unused == 0.0
        assert found[cid].utilization == pytest.approx(100.0)
    assert {c.type for c in found.values()} == {"Reservation", "Savings Plan"}
