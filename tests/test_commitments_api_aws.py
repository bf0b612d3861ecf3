"""``costctl commitments`` with Cost Explorer's commitment APIs, through the real boto3 client.

The stand-in is ``fault_servers.CostExplorer`` (JSON 1.1, ``X-Amz-Target:
AWSInsightsIndexService.<Operation>``), reached through the provider's ``endpoint_url``. Its
utilization answers are computed here from the rows of the demo's AWS FOCUS file (hours from
``PricingQuantity``, amounts from ``EffectiveCost`` / ``ListCost``), the same rows
``--file`` reads for the billing figures, so the two sources must agree to the cent.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fault_servers import CostExplorer

from costctl.analysis.commitment_api import break_even
from costctl.clouds.aws import retry as aws_retry
from costctl.demo import data_path
from costctl.demo.commitments import RESERVED_INSTANCE, SAVINGS_PLAN
from moto_server import aws_env

pytestmark = pytest.mark.component

RI_LEASE = RESERVED_INSTANCE.rsplit("/", 1)[-1]


def demo_rows() -> list[dict[str, str]]:
    with gzip.open(data_path("aws"), "rt", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["CommitmentDiscountId"]]


def span(rows: list[dict[str, str]]) -> tuple[date, date]:
    days = sorted({r["ChargePeriodStart"][:10] for r in rows})
    return date.fromisoformat(days[0]), date.fromisoformat(days[-1])


def ri_group(rows: list[dict[str, str]]) -> dict[str, Any]:
    """A GetReservationUtilization group for the RI, from its Used / Unused rows."""
    used_h = sum(Decimal(r["PricingQuantity"]) for r in rows if r["CommitmentDiscountStatus"] == "Used")
    unused_h = sum(Decimal(r["PricingQuantity"]) for r in rows if r["CommitmentDiscountStatus"] == "Unused")
    fee = sum(Decimal(r["EffectiveCost"]) for r in rows)
    od = sum(Decimal(r["ListCost"]) for r in rows if r["CommitmentDiscountStatus"] == "Used")
    purchased = used_h + unused_h
    return {"Key": "SubscriptionId", "Value": "4011331113",
            "Attributes": {"leaseId": RI_LEASE, "accountId": "210987654321", "region": "us-east-1",
                           "instanceType": "m5.xlarge", "subscriptionType": "Partial Upfront",
                           "startDateTime": "2024-12-05T00:00:00.000Z", "endDateTime": "2027-12-05T00:00:00.000Z"},
            "Utilization": {"UtilizationPercentage": f"{100 * used_h / purchased:.2f}",
                            "PurchasedHours": str(purchased), "TotalActualHours": str(used_h),
                            "UnusedHours": str(unused_h), "TotalAmortizedFee": str(fee),
                            "OnDemandCostOfRIHoursUsed": str(od), "NetRISavings": str(od - fee)}}


def sp_detail(rows: list[dict[str, str]]) -> dict[str, Any]:
    used = sum(Decimal(r["EffectiveCost"]) for r in rows if r["CommitmentDiscountStatus"] == "Used")
    unused = sum(Decimal(r["EffectiveCost"]) for r in rows if r["CommitmentDiscountStatus"] == "Unused")
    od = sum(Decimal(r["ListCost"]) for r in rows if r["CommitmentDiscountStatus"] == "Used")
    return {"SavingsPlanArn": SAVINGS_PLAN,
            "Attributes": {"AccountId": "210987654321", "SavingsPlansType": "ComputeSavingsPlans",
                           "PaymentOption": "No Upfront", "PurchaseTerm": "1yr",
                           "StartDateTime": "2025-12-15T00:00:00.000Z", "EndDateTime": "2026-12-15T00:00:00.000Z"},
            "Utilization": {"TotalCommitment": str(used + unused), "UsedCommitment": str(used),
                            "UnusedCommitment": str(unused), "UtilizationPercentage": "0"},
            "Savings": {"NetSavings": str(od - used - unused), "OnDemandCostEquivalent": str(od)},
            "AmortizedCommitment": {"TotalAmortizedCommitment": str(used + unused)}}


def utilization_pages(rows: list[dict[str, str]], first: date, last: date) -> dict[str, list[dict[str, Any]]]:
    """Two pages each: the RI's figures split at the middle day (Cost Explorer pages by time and
    group), the Savings Plan on the first page and an empty second page."""
    ri = [r for r in rows if r["CommitmentDiscountId"] == RESERVED_INSTANCE]
    sp = [r for r in rows if r["CommitmentDiscountId"] == SAVINGS_PLAN]
    middle = (first + (last - first) / 2).isoformat()
    period = {"Start": first.isoformat(), "End": last.isoformat()}
    halves = [[r for r in ri if r["ChargePeriodStart"][:10] < middle],
              [r for r in ri if r["ChargePeriodStart"][:10] >= middle]]
    return {
        "GetReservationUtilization": [{"UtilizationsByTime": [{"TimePeriod": period, "Groups": [ri_group(h)],
                                                               "Total": {}}]} for h in halves],
        "GetSavingsPlansUtilizationDetails": [
            {"SavingsPlansUtilizationDetails": [sp_detail(sp)], "TimePeriod": period, "Total": {}},
            {"SavingsPlansUtilizationDetails": [], "TimePeriod": period, "Total": {}}],
    }


@pytest.fixture
def ce(monkeypatch: pytest.MonkeyPatch) -> Iterator[CostExplorer]:
    aws_env(monkeypatch)
    monkeypatch.setattr(aws_retry, "INITIAL_WAIT", 0.01)
    server = CostExplorer().start()
    try:
        yield server
    finally:
        server.stop()


def config(tmp_path: Path, endpoint: str, extra: str = "") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"cache:\n  path: {tmp_path / 'cache'}\n"
                    f"providers:\n  prod:\n    type: aws\n    endpoint_url: {endpoint}\n    max_retry_time: 5s\n"
                    f"    lookback_months: 38\n{extra}")
    return str(path)


def calls(ce: CostExplorer, operation: str) -> int:
    return sum(1 for t in ce.requests if t == f"AWSInsightsIndexService.{operation}")


def by_label(result: Any) -> dict[str, dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    return {r["commitment"]: r for r in json.loads(result.stdout)}


def test_api_utilization_agrees_with_the_billing_figures_to_the_cent_and_a_warm_run_asks_nothing(
        run: Any, ce: CostExplorer, tmp_path: Path) -> None:
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    cfg = config(tmp_path, ce.url)
    window = ("--start", first.isoformat(), "--end", last.isoformat(), "--format", "json")
    billing = by_label(run("commitments", "--file", str(data_path("aws")), *window))
    api = by_label(run("--config", cfg, "commitments", "--source", "api", *window))
    assert set(api) == set(billing) == {RI_LEASE[:8], SAVINGS_PLAN.rsplit("/", 1)[-1][:8]}
    for label, b in billing.items():
        a = api[label]
        assert a["source"] == "api" and a["provider"] == "prod"
        for key in ("used", "unused", "on_demand", "savings"):
            assert round(a[key], 2) == round(b[key], 2), (label, key, a[key], b[key])
        assert round(a["utilization"], 2) == round(b["utilization"], 2)
    ri = api[RI_LEASE[:8]]
    assert (ri["type"], ri["term"], ri["payment"], ri["start"], ri["end"]) == (
        "Reserved Instance", "3y", "partial upfront", "2024-12-05", "2027-12-05")
    assert api[SAVINGS_PLAN.rsplit("/", 1)[-1][:8]]["term"] == "1y"
    # both pages of each operation were read; the request asked for the range and per-RI groups
    assert calls(ce, "GetReservationUtilization") == 2 and calls(ce, "GetSavingsPlansUtilizationDetails") == 2
    op, body = ce.bodies[0]
    assert op == "GetReservationUtilization"
    assert body["TimePeriod"] == {"Start": first.isoformat(), "End": (last + timedelta(days=1)).isoformat()}
    assert body["GroupBy"] == [{"Type": "DIMENSION", "Key": "SUBSCRIPTION_ID"}]
    before = len(ce.requests)
    again = by_label(run("--config", cfg, "commitments", "--source", "api", *window))
    assert again == api and len(ce.requests) == before  # cached: Cost Explorer bills each request


def test_the_request_range_is_the_commands_end_exclusive(run: Any, ce: CostExplorer, tmp_path: Path) -> None:
    ce.commitment_pages.update({"GetReservationUtilization": [{"UtilizationsByTime": []}],
                                "GetSavingsPlansUtilizationDetails": [{"SavingsPlansUtilizationDetails": [],
                                                                       "TimePeriod": {}}]})
    result = run("--config", config(tmp_path, ce.url), "commitments", "--source", "api",
                 "--start", "2026-11-01", "--end", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert {b["TimePeriod"]["End"] for _, b in ce.bodies} == {"2026-12-01"}
    assert {b["TimePeriod"]["Start"] for _, b in ce.bodies} == {"2026-11-01"}


def test_a_throttled_answer_is_retried_and_counted(run: Any, ce: CostExplorer, tmp_path: Path) -> None:
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    ce.throttle["GetSavingsPlansUtilizationDetails"] = 2
    result = run("--config", config(tmp_path, ce.url), "-v", "commitments", "--source", "api",
                 "--start", first.isoformat(), "--end", last.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 2
    assert calls(ce, "GetSavingsPlansUtilizationDetails") == 4  # 2 throttled + 2 pages
    assert "6 request(s)" in result.stderr


@pytest.mark.parametrize(("operation", "body", "problem"), [
    ("GetSavingsPlansUtilizationDetails", b'{"Total": {}}', "no SavingsPlansUtilizationDetails"),
    ("GetSavingsPlansUtilizationDetails", json.dumps({"SavingsPlansUtilizationDetails": [{
        "SavingsPlanArn": SAVINGS_PLAN, "Utilization": {"UsedCommitment": "NaN", "UnusedCommitment": "1"}}]}).encode(),
     "UsedCommitment = 'NaN', not a finite amount"),
    ("GetReservationUtilization", b"not json at all", "no UtilizationsByTime"),
])
def test_a_malformed_answer_is_refused_in_one_line_and_nothing_is_cached(
        run: Any, ce: CostExplorer, tmp_path: Path, operation: str, body: bytes, problem: str) -> None:
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    ce.raw[operation] = body
    cfg = config(tmp_path, ce.url)
    window = ("--start", first.isoformat(), "--end", last.isoformat(), "--format", "json")
    bad = run("--config", cfg, "commitments", "--source", "api", *window)
    assert bad.exit_code == 1
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: prod: Cost Explorer ")
    assert problem in lines[0] and "nothing was cached" in lines[0]
    assert json.loads(bad.stdout) == []
    del ce.raw[operation]
    before = len(ce.requests)
    good = by_label(run("--config", cfg, "commitments", "--source", "api", *window))
    assert len(good) == 2 and len(ce.requests) > before  # the bad answer was not kept


def recommendation_pages() -> dict[str, list[dict[str, Any]]]:
    meta = {"RecommendationId": "r-1", "GenerationTimestamp": "2026-11-23T00:00:00Z"}
    sp = {"SavingsPlansDetails": {"Region": None, "InstanceFamily": None}, "AccountId": "210987654321",
          "UpfrontCost": "4380", "CurrencyCode": "USD", "HourlyCommitmentToPurchase": "1.0",
          "EstimatedMonthlySavingsAmount": "200", "EstimatedSavingsPercentage": "21"}
    ri = {"AccountId": "210987654321", "CurrencyCode": "USD", "RecommendedNumberOfInstancesToPurchase": "3",
          "InstanceDetails": {"EC2InstanceDetails": {"InstanceType": "m5.large", "Region": "us-east-1",
                                                     "Platform": "Linux/UNIX"}},
          "UpfrontCost": "1500.0", "RecurringStandardMonthlyCost": "62.05", "EstimatedMonthlySavingsAmount": "90.5",
          "EstimatedBreakEvenInMonths": "9.4"}
    return {
        "GetSavingsPlansPurchaseRecommendation": [
            {"Metadata": meta, "SavingsPlansPurchaseRecommendation": {
                "TermInYears": "ONE_YEAR", "PaymentOption": "PARTIAL_UPFRONT",
                "SavingsPlansPurchaseRecommendationDetails": [sp]}},
            {"Metadata": meta, "SavingsPlansPurchaseRecommendation": {
                "SavingsPlansPurchaseRecommendationDetails": []}}],
        "GetReservationPurchaseRecommendation": [
            {"Metadata": meta, "Recommendations": [{"RecommendationDetails": [ri]}]}],
    }


def test_recommendations_list_what_to_buy_with_savings_and_break_even(
        run: Any, ce: CostExplorer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    ce.commitment_pages.update(recommendation_pages())
    cfg = config(tmp_path, ce.url, "    recommendation_payment: partial_upfront\n")
    result = run("--config", cfg, "commitments", "--source", "api", "--show", "recommendations",
                 "--days", "30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = {r["type"]: r for r in json.loads(result.stdout)}
    sp, ri = found["Savings Plan"], found["Reserved Instance"]
    # 1.0/h x 730 h = 730 a month, of which 4380 / 12 = 365 is paid upfront
    assert (sp["what"], sp["upfront"], sp["monthly_cost"], sp["monthly_savings"]) == (
        "Compute Savings Plan 1.000/h", 4380.0, 365.0, 200.0)
    # the cash saved each month is 200 + 365: the upfront is back after 4380 / 565 = 7.75 months
    assert sp["break_even_months"] == break_even(4380.0, 200.0, 12) == 7.8
    assert (ri["what"], ri["upfront"], ri["monthly_cost"], ri["monthly_savings"], ri["break_even_months"]) == (
        "3 x m5.large us-east-1 Linux/UNIX", 1500.0, 62.05, 90.5, 9.4)
    assert {(r["term"], r["payment"], r["lookback_days"], r["source"]) for r in found.values()} == {
        ("1y", "partial upfront", 30, "api")}
    asked = {op: body for op, body in ce.bodies}
    assert asked["GetSavingsPlansPurchaseRecommendation"] | {"NextPageToken": None} == {
        "SavingsPlansType": "COMPUTE_SP", "TermInYears": "ONE_YEAR", "PaymentOption": "PARTIAL_UPFRONT",
        "LookbackPeriodInDays": "THIRTY_DAYS", "NextPageToken": None}
    assert asked["GetReservationPurchaseRecommendation"]["Service"] == "Amazon Elastic Compute Cloud - Compute"
    assert calls(ce, "GetSavingsPlansPurchaseRecommendation") == 2
    table = run("--config", cfg, "commitments", "--source", "api", "--show", "recommendations", "--days", "30")
    assert table.exit_code == 0, table.stderr
    for text in ("Compute Savings Plan 1.000/h", "3 x m5.large", "Break-even", "4,380.00", "9.4", "7.8"):
        assert text in table.stdout, text


def test_coverage_sums_the_cells_to_the_group_by_keys(run: Any, ce: CostExplorer, tmp_path: Path) -> None:
    def ri_cell(account: str, region: str, reserved: str, total: str) -> dict[str, Any]:
        return {"Attributes": {"linkedAccount": account, "region": region},
                "Coverage": {"CoverageHours": {"ReservedHours": reserved, "TotalRunningHours": total,
                                               "OnDemandHours": "0", "CoverageHoursPercentage": "0"}}}

    ce.commitment_pages.update({
        "GetReservationCoverage": [
            {"CoveragesByTime": [{"TimePeriod": {}, "Groups": [ri_cell("1", "us-east-1", "300", "400")]}]},
            {"CoveragesByTime": [{"TimePeriod": {}, "Groups": [ri_cell("2", "us-east-1", "0", "100"),
                                                                ri_cell("2", "eu-west-1", "50", "500")]}]}],
        "GetSavingsPlansCoverage": [{"SavingsPlansCoverages": [
            {"Attributes": {"LINKED_ACCOUNT": "1", "REGION": "us-east-1"},
             "Coverage": {"SpendCoveredBySavingsPlans": "75.5", "OnDemandCost": "24.5", "TotalCost": "100",
                          "CoveragePercentage": "75.5"}}]}],
    })
    result = run("--config", config(tmp_path, ce.url), "commitments", "--source", "api", "--show", "coverage",
                 "--group-by", "region", "--days", "30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = {(r["type"], r["region"]): (r["covered"], r["eligible"], r["coverage"], r["currency"])
           for r in json.loads(result.stdout)}
    assert got == {("Reserved Instance", "eu-west-1"): (50.0, 500.0, 10.0, "hours"),
                   ("Reserved Instance", "us-east-1"): (300.0, 500.0, 60.0, "hours"),
                   ("Savings Plan", "us-east-1"): (75.5, 100.0, 75.5, "USD")}
    assert {b.get("GroupBy")[0]["Key"] for _, b in ce.bodies} == {"LINKED_ACCOUNT"}


def test_source_api_is_refused_for_the_demo_and_files_in_one_line(run: Any) -> None:
    result = run("--demo", "commitments", "--source", "api")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "costctl: error: --source api asks the clouds' APIs; --file and --demo hold billing data only "
        "(use --source billing, or a configured aws/azure/gcp provider)"]


def test_source_billing_asks_no_commitment_api_and_both_marks_each_row(
        run: Any, ce: CostExplorer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    cfg = config(tmp_path, ce.url)
    billing = run("--config", cfg, "commitments", "--source", "billing", "--days", "7", "--format", "json")
    assert billing.exit_code == 0, billing.stderr
    assert ce.bodies == []  # Cost Explorer's cost rows name no commitment: no rows, and no API call either
    both = run("--config", cfg, "commitments", "--start", first.isoformat(), "--end", last.isoformat())
    assert both.exit_code == 0, both.stderr
    header = next(line for line in both.stdout.splitlines() if "Source" in line)
    assert "Provider" in header and "Term" in header
    assert sum(" api " in line for line in both.stdout.splitlines()) == 2 and len(ce.bodies) == 4


def test_a_denied_operation_names_the_permission_in_one_line(run: Any, ce: CostExplorer, tmp_path: Path) -> None:
    ce.commitment_pages.update(recommendation_pages())
    ce.deny.add("GetReservationPurchaseRecommendation")
    result = run("--config", config(tmp_path, ce.url), "commitments", "--source", "api", "--show",
                 "recommendations", "--format", "json")
    assert result.exit_code == 1 and json.loads(result.stdout) == []
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("costctl: error: prod: AWS denied GetReservationPurchaseRecommendation: grant "
                           "ce:GetReservationPurchaseRecommendation to the caller")


def test_a_named_provider_without_the_api_is_refused_by_its_own_line(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"cache:\n  path: {tmp_path / 'cache'}\n"
                    f"providers:\n  exports:\n    type: files\n    paths: [{data_path('aws')}]\n")
    result = run("--config", str(path), "commitments", "--provider", "exports", "--source", "api")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "costctl: error: files: this provider type does not read commitments from its cloud's APIs "
        "(only billing-data figures)"]
    # without --source the same instance is read for its billing figures only, with no Source column
    billing = run("--config", str(path), "commitments", "--provider", "exports", "--days", "400", "--format", "json")
    assert billing.exit_code == 0, billing.stderr
    assert billing.stdout.strip() and all("source" not in r for r in json.loads(billing.stdout))


@pytest.mark.parametrize(("days", "expected"), [(1, 7), (7, 7), (8, 30), (30, 30), (45, 60), (400, 60)])
def test_the_recommendation_lookback_is_the_shortest_covering_the_range(days: int, expected: int) -> None:
    from costctl.analysis.commitment_api import lookback

    assert lookback(days) == expected


def test_break_even_counts_the_upfront_against_the_cash_saved_each_month() -> None:
    assert break_even(0.0, 50.0, 12) == 0.0
    assert break_even(1200.0, 0.0, 12) == 12.0  # saves nothing beyond its own upfront share: the whole term
    assert break_even(1200.0, -200.0, 12) is None  # never pays back
