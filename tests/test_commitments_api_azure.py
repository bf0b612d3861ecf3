"""``costctl commitments`` with Azure Cost Management's benefit APIs, through the real client.

The provider's ``CostManagementClient`` (managed-identity credential, ``endpoint`` override) talks to
``fake_costmanagement``, which serves ``benefitUtilizationSummaries`` and ``benefitRecommendations``
in their REST shape (``{"value": [...], "nextLink"}``). The daily utilization answer is computed
from the demo's Azure rows, the same rows ``--file`` reads for the billing figures.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_costmanagement import IDENTITY_HEADER, Canned, FakeCostManagement

from costctl.demo import data_path
from costctl.demo.commitments import AZURE_RESERVATION

pytestmark = pytest.mark.component

BILLING = "providers/Microsoft.Billing/billingAccounts/8611537"
LABEL = AZURE_RESERVATION.rsplit("/", 1)[-1][:8]


def daily_summaries() -> tuple[list[dict[str, Any]], str, str]:
    """One summary per day of the demo's reservation: used / (used + unused) of that day's rows."""
    days: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with gzip.open(data_path("azure"), "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["CommitmentDiscountId"] == AZURE_RESERVATION:
                days[row["ChargePeriodStart"][:10]][row["CommitmentDiscountStatus"]] += float(row["EffectiveCost"])
    items = [{"kind": "Reservation", "id": f"/{BILLING}/providers/Microsoft.CostManagement/benefitUtilizationSummaries/"
              f"{day}", "properties": {
                  "benefitId": AZURE_RESERVATION, "benefitOrderId": AZURE_RESERVATION, "benefitType": "Reservation",
                  "armSkuName": "Standard_D4s_v5", "usageDate": f"{day}T00:00:00Z",
                  "avgUtilizationPercentage": 100 * v["Used"] / (v["Used"] + v["Unused"]),
                  "minUtilizationPercentage": 0, "maxUtilizationPercentage": 100}}
             for day, v in sorted(days.items())]
    return items, min(days), max(days)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCostManagement]:
    server = FakeCostManagement([]).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield server
    server.stop()


def config(tmp_path: Path, fake: FakeCostManagement, scope: str = BILLING, extra: str = "") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"cache:\n  path: {tmp_path / 'cache'}\n"
                    f"providers:\n  az:\n    type: azure\n    scope: {scope}\n    credential: managed_identity\n"
                    f"    endpoint: {fake.url}\n    max_retry_time: 10s\n{extra}")
    return str(path)


def test_api_utilization_agrees_with_the_billing_figure_and_a_warm_run_asks_nothing(
        run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    items, first, last = daily_summaries()
    middle = len(items) // 2
    fake.benefits["benefitUtilizationSummaries"] = [items[:middle], items[middle:]]
    window = ("--start", first, "--end", last, "--format", "json")
    billing = run("commitments", "--file", str(data_path("azure")), *window)
    assert billing.exit_code == 0, billing.stderr
    expected = {r["commitment"]: r for r in json.loads(billing.stdout)}[LABEL]
    cfg = config(tmp_path, fake)
    api = run("--config", cfg, "commitments", "--source", "api", *window)
    assert api.exit_code == 0, api.stderr
    rows = json.loads(api.stdout)
    assert [(r["provider"], r["source"], r["commitment"], r["type"]) for r in rows] == [
        ("az", "api", LABEL, "Reservation")]
    assert round(rows[0]["utilization"], 2) == round(expected["utilization"], 2)
    assert rows[0]["used"] is None and rows[0]["unused"] is None  # the API states a percentage only
    asked = fake.benefit_requests()
    assert len(asked) == 2
    assert asked[0].path == f"/{BILLING}/providers/Microsoft.CostManagement/benefitUtilizationSummaries"
    assert asked[0].query["grainParameter"] == ["Daily"]
    assert asked[0].query["$filter"] == [f"properties/usageDate ge '{first}' and properties/usageDate le '{last}'"]
    again = run("--config", cfg, "commitments", "--source", "api", *window)
    assert json.loads(again.stdout) == rows and len(fake.benefit_requests()) == 2  # cached for a day


def test_throttling_waits_for_retry_after_then_answers(run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    items, first, last = daily_summaries()
    fake.benefits["benefitUtilizationSummaries"] = [items]
    fake.script.append(Canned(429, {"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "1"},
                              b'{"error": {"code": "429", "message": "Too many requests"}}'))
    result = run("--config", config(tmp_path, fake), "commitments", "--source", "api", "--start", first,
                 "--end", last, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1 and len(fake.benefit_requests()) == 2


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"values": []}', "no value list"),
    (b"<html>gateway</html>", "a body that is not JSON"),
    (json.dumps({"value": [{"kind": "SavingsPlan", "properties": {
        "benefitId": "x", "usageDate": "2026-07-01T00:00:00Z", "avgUtilizationPercentage": "NaN"}}]}).encode(),
     "value[0].properties.avgUtilizationPercentage = 'NaN', not a finite amount"),
])
def test_a_malformed_answer_is_one_line_and_nothing_is_cached(
        run: Any, fake: FakeCostManagement, tmp_path: Path, body: bytes, problem: str) -> None:
    items, first, last = daily_summaries()
    fake.benefits["benefitUtilizationSummaries"] = [items]
    fake.script.append(Canned(200, {}, body))
    cfg = config(tmp_path, fake)
    window = ("--start", first, "--end", last, "--format", "json")
    bad = run("--config", cfg, "commitments", "--source", "api", *window)
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == [
        f"costctl: error: az: Azure benefitUtilizationSummaries answered with {problem}; nothing was cached, "
        "run again later (if it persists, the endpoint or a proxy in between is broken)"]
    good = run("--config", cfg, "commitments", "--source", "api", *window)
    assert good.exit_code == 0 and len(json.loads(good.stdout)) == 1


def test_a_subscription_scope_needs_benefit_scope_for_utilization(
        run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    cfg = config(tmp_path, fake, scope="subscriptions/00000000-0000-0000-0000-000000000001")
    result = run("--config", cfg, "commitments", "--source", "api", "--days", "7")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: az: benefit utilization is answered for a")
    assert "set benefit_scope" in lines[0] and fake.benefit_requests() == []


def test_recommendations_are_scaled_to_a_month_with_no_upfront(
        run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    fake.benefits["benefitRecommendations"] = [[{
        "kind": "Shared", "id": "x", "name": "x",
        "properties": {"scope": "Shared", "lookBackPeriod": "Last30Days", "term": "P1Y", "totalHours": 720,
                       "armSkuName": "Compute_Savings_Plan", "commitmentGranularity": "Hourly", "currencyCode": "EUR",
                       "costWithoutBenefit": 3000.0,
                       "recommendationDetails": {"commitmentAmount": 2.5, "savingsAmount": 432.0,
                                                 "benefitCost": 1800.0, "overageCost": 768.0, "totalCost": 2568.0,
                                                 "averageUtilizationPercentage": 99.0, "coveragePercentage": 70.0,
                                                 "wastageCost": 18.0, "savingsPercentage": 14.4}}}]]
    result = run("--config", config(tmp_path, fake), "commitments", "--source", "api", "--show", "recommendations",
                 "--days", "30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    # 2.5/h x 730 h; 432 saved over 720 h -> 0.6/h -> 438 a month
    assert (row["what"], row["monthly_cost"], round(row["monthly_savings"], 2), row["upfront"],
            row["break_even_months"], row["payment"], row["currency"]) == (
        "Compute savings plan 2.500/h (shared scope)", 1825.0, 438.0, 0.0, 0.0, "monthly", "EUR")
    (asked,) = fake.benefit_requests()
    assert asked.path == f"/{BILLING}/providers/Microsoft.CostManagement/benefitRecommendations"
    assert asked.query["$filter"] == ["properties/lookBackPeriod eq 'Last30Days' and properties/term eq 'P1Y'"]


def test_coverage_from_azure_is_left_to_the_billing_figure(
        run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    result = run("--config", config(tmp_path, fake), "commitments", "--source", "api", "--show", "coverage",
                 "--days", "7", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [] and fake.benefit_requests() == []


ORDER = AZURE_RESERVATION.rsplit("/", 1)[-1]
RESERVATION = "5f0c8e21-7a4b-4c9d-b2e3-1d6f8a0b9c74"


def reservation_day(day: str, reserved: float, used: float) -> dict[str, Any]:
    """One daily item of Microsoft.Consumption/reservationSummaries (GUIDs, hours)."""
    return {"id": f"/{BILLING}/providers/Microsoft.Consumption/reservationSummaries/{day}", "type":
            "Microsoft.Consumption/reservationSummaries", "properties": {
                "reservationOrderId": ORDER, "reservationId": RESERVATION, "skuName": "Standard_D4s_v5",
                "reservedHours": reserved, "usedHours": used, "usageDate": f"{day}T00:00:00Z",
                "minUtilizationPercentage": 0, "avgUtilizationPercentage": 100 * used / reserved,
                "maxUtilizationPercentage": 100, "kind": "Reservation"}}


def test_reservation_summaries_give_used_and_unused_hours_in_place_of_the_percentage(
        run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    items, first, last = daily_summaries()
    fake.benefits["benefitUtilizationSummaries"] = [items]
    # Two days on two pages: 48 h reserved, 30 + 12 used (the day mean would be 43.75 %, hours say 87.5 %)
    fake.consumption["reservationSummaries"] = [[reservation_day(first, 24.0, 30.0 - 6.0)],
                                                [reservation_day(last, 24.0, 18.0)]]
    result = run("--config", config(tmp_path, fake), "commitments", "--source", "api", "--start", first,
                 "--end", last, "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)  # the benefit API's row of the same order is replaced
    assert (row["commitment_id"], row["type"], row["used"], row["unused"], row["currency"]) == (
        f"/providers/Microsoft.Capacity/reservationOrders/{ORDER}/reservations/{RESERVATION}", "Reservation",
        42.0, 6.0, "hours")
    assert row["utilization"] == 87.5
    first_page = fake.consumption_requests()[0]
    assert first_page.path == f"/{BILLING}/providers/Microsoft.Consumption/reservationSummaries"
    assert first_page.query["grain"] == ["daily"]
    assert first_page.query["$filter"] == [f"properties/UsageDate ge '{first}' and properties/UsageDate le '{last}'"]


def test_more_used_than_reserved_hours_is_a_bad_answer_and_nothing_is_cached(
        run: Any, fake: FakeCostManagement, tmp_path: Path) -> None:
    items, first, last = daily_summaries()
    fake.benefits["benefitUtilizationSummaries"] = [items]
    fake.consumption["reservationSummaries"] = [[reservation_day(first, 24.0, 25.0)]]
    cfg = config(tmp_path, fake)
    window = ("--start", first, "--end", last, "--format", "json")
    bad = run("--config", cfg, "commitments", "--source", "api", *window)
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == [
        "costctl: error: az: Azure reservationSummaries answered with value[0].properties: usedHours 25 of "
        "reservedHours 24, not a share of them; nothing was cached, run again later (if it persists, the endpoint "
        "or a proxy in between is broken)"]
    fake.consumption["reservationSummaries"] = [[reservation_day(first, 24.0, 12.0)]]
    good = run("--config", cfg, "commitments", "--source", "api", *window)
    assert good.exit_code == 0 and json.loads(good.stdout)[0]["utilization"] == 50.0


@pytest.mark.parametrize("modern", [False, True])
def test_reservation_recommendations_have_savings_a_month_and_break_even(
        run: Any, fake: FakeCostManagement, tmp_path: Path, modern: bool) -> None:
    def money(value: float) -> Any:
        return {"value": value, "currency": "EUR"} if modern else value

    def recommendation(term: str, saved: float) -> dict[str, Any]:
        return {"kind": "modern" if modern else "legacy", "id": "r", "name": "r", "location": "westeurope",
                "sku": "Standard_D4s_v5", "properties": {
                    "lookBackPeriod": "Last30Days", "term": term, "scope": "Single", "resourceType": "virtualmachines",
                    "subscriptionId": "00000000-0000-0000-0000-000000000001", "normalizedSize": "Standard_D4s_v5",
                    "recommendedQuantity": 3, "costWithNoReservedInstances": money(900.0),
                    "totalCostWithReservedInstances": money(900.0 - saved), "netSavings": money(saved),
                    "firstUsageDate": "2026-10-01T00:00:00Z", "instanceFlexibilityRatio": 1.0}}

    fake.benefits["benefitRecommendations"] = [[]]
    fake.consumption["reservationRecommendations"] = [[recommendation("P1Y", 360.0), recommendation("P3Y", 500.0)]]
    result = run("--config", config(tmp_path, fake), "commitments", "--source", "api", "--show", "recommendations",
                 "--days", "30", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = [r for r in json.loads(result.stdout) if r["type"] == "Reservation"]  # only the 1y term
    # 360 saved over 30 days (720 h) -> 0.5/h -> 365 a month of 730 h
    assert (row["what"], round(row["monthly_savings"], 2), row["upfront"], row["break_even_months"],
            row["term"], row["account"]) == (
        "3 x Standard_D4s_v5 westeurope (single scope)", 365.0, 0.0, 0.0, "1y",
        "00000000-0000-0000-0000-000000000001")
    assert row["currency"] == ("EUR" if modern else "")
    (asked,) = [s for s in fake.consumption_requests() if s.path.endswith("/reservationRecommendations")]
    assert asked.path == f"/{BILLING}/providers/Microsoft.Consumption/reservationRecommendations"
    assert asked.query["$filter"] == ["properties/lookBackPeriod eq 'Last30Days'"]
