"""``check --period commitments`` and ``export-prometheus`` on the clouds' API figures (``--source``).

Through the same stand-ins as ``costctl commitments --source api``: Cost Explorer
(``fault_servers.CostExplorer``, whose answers are computed from the demo's AWS rows) and Azure's
benefit APIs (``fake_costmanagement``). The check must judge the API's utilization and end dates,
answer UNKNOWN naming the provider when an answer is bad (and cache nothing), and a warm check
must not ask the cloud again.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fault_servers import CostExplorer
from test_commitments_api_aws import RI_LEASE, calls, demo_rows, span, utilization_pages
from test_commitments_api_aws import ce as ce  # noqa: F401 - the fixture
from test_commitments_api_aws import config as aws_config
from test_commitments_api_azure import LABEL as AZURE_LABEL
from test_commitments_api_azure import config as azure_config
from test_commitments_api_azure import daily_summaries
from test_commitments_api_azure import fake as fake  # noqa: F401 - the fixture

from costctl.analysis.commitment_api import ApiCommitment, merge
from costctl.analysis.commitments import Commitment
from costctl.demo.commitments import RESERVED_INSTANCE, SAVINGS_PLAN

pytestmark = pytest.mark.component

SP_LABEL = SAVINGS_PLAN.rsplit("/", 1)[-1][:8]
# Three weeks before the Savings Plan's EndDateTime in the stand-in's answer (2026-12-15). The
# stand-in answers the figures of the demo's whole range whatever window is asked.
AS_OF = date(2026, 11, 24)


def ri_utilization(rows: list[dict[str, str]]) -> float:
    """The RI's utilization as the API pages state it: used hours / purchased hours."""
    ri = [r for r in rows if r["CommitmentDiscountId"] == RESERVED_INSTANCE]
    used = sum(Decimal(r["PricingQuantity"]) for r in ri if r["CommitmentDiscountStatus"] == "Used")
    return float(100 * used / sum(Decimal(r["PricingQuantity"]) for r in ri))


def perf(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"(\S+?)=(\S+)", stdout.splitlines()[0].split(" | ", 1)[1]))


def test_the_check_judges_the_api_utilization_and_end_dates_and_a_warm_check_asks_nothing(
        run: Any, ce: CostExplorer, tmp_path: Path) -> None:  # noqa: F811
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    cfg = aws_config(tmp_path, ce.url)
    as_of = AS_OF.isoformat()
    result = run("--config", cfg, "check", "--period", "commitments", "--source", "api", "--as-of", as_of)
    assert result.exit_code == 1, result.stdout
    status = result.stdout.splitlines()[0]
    # The Savings Plan's end comes from the API's EndDateTime (2026-12-15), 21 days after --as-of.
    assert status.startswith("COSTCTL WARNING - commitments 2026-11-17..2026-11-23: "
                             f"prod: Savings Plan {SP_LABEL} ends in 21 days (warning: ends within 30d)")
    values = perf(result.stdout)
    assert values[f"prod_{RI_LEASE[:8]}_util"].startswith(f"{ri_utilization(rows):.2f}%")
    assert values[f"prod_{SP_LABEL}_days_left"] == "21"
    assert values[f"prod_{RI_LEASE[:8]}_days_left"] == str((date(2027, 12, 5) - AS_OF).days)
    assert "[API]" in result.stdout  # the long output says where the figures come from
    asked = len(ce.requests)
    assert asked == 4  # two pages of each utilization operation
    # Another question (other thresholds) is computed again, from the cached answers: no request.
    again = run("--config", cfg, "check", "--period", "commitments", "--source", "api", "--as-of", as_of,
                "-w", "50:", "-c", "40:")
    assert again.exit_code == 1 and len(ce.requests) == asked
    assert perf(again.stdout)[f"prod_{RI_LEASE[:8]}_util"] == values[f"prod_{RI_LEASE[:8]}_util"].replace(
        "90:;80:", "50:;40:")


def test_the_config_chooses_the_source_and_billing_asks_no_api(
        run: Any, ce: CostExplorer, tmp_path: Path) -> None:  # noqa: F811
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    as_of = AS_OF.isoformat()
    cfg = aws_config(tmp_path, ce.url, extra="check:\n  commitment_source: both\n")
    both = run("--config", cfg, "check", "--period", "commitments", "--as-of", as_of)
    assert f"prod_{SP_LABEL}_days_left=21" in both.stdout
    assert calls(ce, "GetReservationUtilization") == 2
    (tmp_path / "b").mkdir()
    billing = run("--config", aws_config(tmp_path / "b", ce.url), "check", "--period", "commitments",
                  "--as-of", as_of)
    assert "prod: no commitments" in billing.stdout and calls(ce, "GetReservationUtilization") == 2


def test_a_bad_api_answer_makes_the_check_unknown_naming_the_provider_and_nothing_is_cached(
        run: Any, ce: CostExplorer, tmp_path: Path) -> None:  # noqa: F811
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    ce.raw["GetSavingsPlansUtilizationDetails"] = b'{"Total": {}}'
    cfg = aws_config(tmp_path, ce.url)
    args = ("--config", cfg, "check", "--period", "commitments", "--source", "api",
            "--as-of", AS_OF.isoformat())
    bad = run(*args)
    assert bad.exit_code == 3
    assert bad.stdout.startswith("COSTCTL UNKNOWN - ")
    assert "prod: Cost Explorer GetSavingsPlansUtilizationDetails answered with no SavingsPlansUtilizationDetails" \
        in bad.stdout and "Traceback" not in bad.stdout + bad.stderr
    del ce.raw["GetSavingsPlansUtilizationDetails"]
    good = run(*args)  # nothing was stored, neither the answer nor the check's outcome
    assert good.exit_code == 1 and f"prod_{SP_LABEL}_days_left=21" in good.stdout


def test_source_api_is_refused_for_the_demo_in_one_unknown_line(run: Any) -> None:
    result = run("--demo", "check", "--period", "commitments", "--source", "api")
    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        "COSTCTL UNKNOWN - --source api asks the clouds' APIs; --file and --demo hold billing data only "
        "(use --source billing, or a configured aws/azure/gcp provider)"]


def test_a_percentage_only_api_is_judged_without_inventing_amounts(
        run: Any, fake: Any, tmp_path: Path) -> None:  # noqa: F811
    items, first, last = daily_summaries()
    fake.benefits["benefitUtilizationSummaries"] = [items[-7:]]
    cfg = azure_config(tmp_path, fake)
    as_of = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    result = run("--config", cfg, "check", "--period", "commitments", "--source", "api", "--as-of", as_of)
    expected = sum(i["properties"]["avgUtilizationPercentage"] for i in items[-7:]) / 7
    assert f"az_{AZURE_LABEL}_util={expected:.2f}%" in result.stdout
    assert "unused amount not stated" in result.stdout and result.exit_code == 1  # 85 % < 90
    exported = run("--config", cfg, "export-prometheus", "--commitment-source", "api", "--as-of", as_of,
                   "--no-anomalies", "--no-idle")
    assert exported.exit_code == 0, exported.stderr
    assert re.search(rf'costctl_commitment_utilization_ratio\{{commitment="{AZURE_LABEL}",provider="az",'
                     rf'type="Reservation"\}} {expected / 100:.4f}', exported.stdout)
    assert "costctl_commitment_unused_cost{" not in exported.stdout  # not stated: no sample, not a false 0
    assert len(fake.benefit_requests()) == 1  # the exporter reused the check's cached answer


def test_export_prometheus_marks_a_provider_down_when_its_api_answer_is_bad(
        run: Any, ce: CostExplorer, tmp_path: Path) -> None:  # noqa: F811
    rows = demo_rows()
    first, last = span(rows)
    ce.commitment_pages.update(utilization_pages(rows, first, last))
    ce.raw["GetReservationUtilization"] = b"not json"
    cfg = aws_config(tmp_path, ce.url)
    result = run("--config", cfg, "export-prometheus", "--commitment-source", "api", "--no-anomalies",
                 "--no-idle", "--as-of", AS_OF.isoformat())
    assert 'costctl_findings_up{finding="commitments",provider="prod"} 0.0' in result.stdout
    assert "warning: commitments of prod: Cost Explorer GetReservationUtilization answered with" in result.stderr


def _billing(label_id: str, used: float, unused: float) -> Commitment:
    return Commitment(source="p", provider="p", commitment_id=label_id, name="n", type="Reservation",
                      category=None, account="a", currency="USD", used=used, unused=unused, on_demand=None,
                      end=None, first_day=date(2026, 1, 1), last_day=date(2026, 1, 7))


def _api(label_id: str, used: float | None, unused: float | None, pct: float | None) -> ApiCommitment:
    return ApiCommitment(provider="p", commitment_id=label_id, type="Reservation", account="a", used=used,
                         unused=unused, on_demand=None, net_savings=None, start=None, end=date(2026, 3, 1),
                         term="1y", payment=None, currency="USD", utilization_pct=pct)


def test_both_takes_the_api_utilization_and_end_and_keeps_what_only_one_side_knows() -> None:
    rid = "/providers/Microsoft.Capacity/reservationOrders/2c7e9a41-5d3b-4f8e-a1c6-7b9d0e2f4a85"
    billing = [_billing(rid, 80.0, 20.0), _billing("/x/only-billing", 1.0, 1.0)]
    api = [_api(rid.upper().replace("/PROVIDERS", "/providers"), None, None, 70.0), _api("/y/only-api", 3.0, 1.0, None)]
    found = {c.label: c for c in merge(billing, api, "both", date(2026, 1, 1), date(2026, 1, 8))}
    joined = found["2c7e9a41"]  # matched although the API spelled the id in capitals
    assert (joined.origin, joined.utilization, joined.end, joined.used, joined.amounts) == (
        "both", 70.0, date(2026, 3, 1), 80.0, True)
    assert found["only-billing"].origin == "billing" and found["only-billing"].utilization == 50.0
    assert (found["only-api"].origin, found["only-api"].utilization) == ("api", 75.0)
    assert merge(billing, api, "billing", date(2026, 1, 1), date(2026, 1, 8)) == billing
    pct_only = merge([], [_api("/z/pct", None, None, 60.0)], "api", date(2026, 1, 1), date(2026, 1, 8))[0]
    assert (pct_only.amounts, pct_only.savings, pct_only.utilization) == (False, None, 60.0)
