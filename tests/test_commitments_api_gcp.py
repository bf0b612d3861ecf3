"""``costctl commitments --show recommendations`` with the GCP Recommender, through google-auth's
``AuthorizedSession`` against the local REST stand-in (``fake_gcp_compute``), which answers
``.../recommenders/google.compute.commitment.UsageCommitmentRecommender/recommendations`` in the
Recommender's shape (``recommendations`` with ``primaryImpact.costProjection`` and an ``add``
operation holding the commitment, ``nextPageToken`` paging)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_gcp_compute import FakeGcp

from costctl.clouds.gcp import commitments_api

pytestmark = pytest.mark.component

PROJECT = "acme-prod-361214"
TABLE = f"{PROJECT}.billing.gcp_billing_export_v1_0A1B2C_3D4E5F_6A7B8C"


def recommendation(name: str, units: str, nanos: int, vcpus: int, memory_mb: int, plan: str = "TWELVE_MONTH",
                   state: str = "ACTIVE") -> dict[str, Any]:
    return {
        "name": f"projects/{PROJECT}/locations/europe-west1/recommenders/"
                f"google.compute.commitment.UsageCommitmentRecommender/recommendations/{name}",
        "description": "Purchase a commitment", "recommenderSubtype": "COMMIT_USAGE",
        "primaryImpact": {"category": "COST", "costProjection": {
            "cost": {"currencyCode": "USD", "units": units, "nanos": nanos}, "duration": "2592000s"}},
        "stateInfo": {"state": state},
        "content": {"operationGroups": [{"operations": [{
            "action": "add", "resourceType": "compute.googleapis.com/Commitment",
            "resource": f"//compute.googleapis.com/projects/{PROJECT}/regions/europe-west1/commitments/{name}",
            "path": "/", "value": {"plan": plan, "type": "GENERAL_PURPOSE_N2", "region": "europe-west1",
                                   "resources": [{"type": "VCPU", "amount": str(vcpus)},
                                                 {"type": "MEMORY", "amount": str(memory_mb)}]}}]}]},
    }


@pytest.fixture
def gcp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGcp]:
    monkeypatch.setattr(commitments_api, "INITIAL_WAIT", 0.01)
    server = FakeGcp().start()
    try:
        yield server
    finally:
        server.stop()


def config(tmp_path: Path, gcp: FakeGcp, regions: str = "[europe-west1, us-central1]") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"cache:\n  path: {tmp_path / 'cache'}\n"
                    f"providers:\n  g:\n    type: gcp\n    table: {TABLE}\n    anonymous: true\n"
                    f"    recommender_endpoint: {gcp.compute_url}\n    commitment_regions: {regions}\n"
                    f"    compute_endpoint: {gcp.compute_url}\n"
                    "    max_retry_time: 5s\n")
    return str(path)


def recommendations(run: Any, cfg: str) -> Any:
    return run("--config", cfg, "commitments", "--source", "api", "--show", "recommendations", "--days", "30",
               "--format", "json")


def test_recommendations_follow_pages_per_region_and_a_warm_run_asks_nothing(
        run: Any, gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.recommendations[(PROJECT, "europe-west1")] = [
        [recommendation("r1", "-121", -500000000, 8, 32768)],
        [recommendation("r2", "-40", 0, 4, 16384, plan="THIRTY_SIX_MONTH"),
         recommendation("old", "-99", 0, 2, 8192, state="DISMISSED")]]
    cfg = config(tmp_path, gcp)
    result = recommendations(run, cfg)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    # 121.50 saved over 30 days (720 h) -> 123.19 over 730 h
    assert [(r["provider"], r["source"], r["type"], r["what"], r["term"], round(r["monthly_savings"], 2),
             r["upfront"], r["break_even_months"], r["account"]) for r in rows] == [
        ("g", "api", "Committed Use Discount", "8 vCPU + 32 GB GENERAL_PURPOSE_N2 europe-west1", "1y", 123.19, 0.0,
         0.0, PROJECT),
        ("g", "api", "Committed Use Discount", "4 vCPU + 16 GB GENERAL_PURPOSE_N2 europe-west1", "3y", 40.56, 0.0,
         0.0, PROJECT)]
    asked = [p for p, _ in gcp.recommender_requests()]
    assert asked == [f"/v1/projects/{PROJECT}/locations/europe-west1/recommenders/"
                     "google.compute.commitment.UsageCommitmentRecommender/recommendations"] * 2 + [
        f"/v1/projects/{PROJECT}/locations/us-central1/recommenders/"
        "google.compute.commitment.UsageCommitmentRecommender/recommendations"]
    again = recommendations(run, cfg)
    assert json.loads(again.stdout) == rows and len(gcp.recommender_requests()) == 3


def test_a_rate_limit_is_retried(run: Any, gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.recommendations[(PROJECT, "europe-west1")] = [[recommendation("r1", "-10", 0, 2, 8192)]]
    gcp.recommender_script.append((429, b'{"error": {"code": 429, "message": "Quota exceeded"}}'))
    result = recommendations(run, config(tmp_path, gcp))
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1 and len(gcp.recommender_requests()) == 3


@pytest.mark.parametrize(("status", "body", "expected"), [
    (403, b'{"error": {"code": 403, "message": "Permission denied"}}',
     "GCP Recommender denied the list (403: Permission denied); grant "
     f"recommender.usageCommitmentRecommendations.list on project {PROJECT} (roles/recommender.computeViewer)"),
    (200, b"<html>proxy error</html>",
     "GCP Recommender UsageCommitmentRecommender answered with a body that is not JSON; nothing was cached, run "
     "again later (if it persists, the endpoint or a proxy in between is broken)"),
    (200, b'{"recommendations": {"oops": 1}}',
     "GCP Recommender UsageCommitmentRecommender answered with recommendations not being a list; nothing was "
     "cached, run again later (if it persists, the endpoint or a proxy in between is broken)"),
])
def test_a_denied_or_malformed_answer_is_one_line_and_nothing_is_cached(
        run: Any, gcp: FakeGcp, tmp_path: Path, status: int, body: bytes, expected: str) -> None:
    gcp.recommendations[(PROJECT, "europe-west1")] = [[recommendation("r1", "-10", 0, 2, 8192)]]
    gcp.recommender_script.append((status, body))
    cfg = config(tmp_path, gcp)
    bad = recommendations(run, cfg)
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == [f"costctl: error: g: {expected}"]
    good = recommendations(run, cfg)
    assert good.exit_code == 0 and len(json.loads(good.stdout)) == 1


def test_without_regions_the_refusal_names_the_setting(run: Any, gcp: FakeGcp, tmp_path: Path) -> None:
    result = recommendations(run, config(tmp_path, gcp, regions="[]"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "costctl: error: g: the Recommender answers per region; set commitment_regions (e.g. [europe-west1])"]
    assert gcp.recommender_requests() == []


def _cuds(gcp: FakeGcp) -> None:
    from datetime import UTC, datetime

    from fake_gcp_compute import gce_commitment

    gcp.commitments = [
        # ends 2026-12-08 UTC (midnight Pacific is 08:00 UTC): 14 days after 2026-11-24
        gce_commitment(PROJECT, "europe-west1", "commitment-n2-worker-1y", "TWELVE_MONTH", "ACTIVE",
                       start=datetime(2025, 12, 8, 8, tzinfo=UTC), end=datetime(2026, 12, 8, 8, tzinfo=UTC)),
        gce_commitment(PROJECT, "us-central1", "cud-3y", "THIRTY_SIX_MONTH", "ACTIVE",
                       start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2028, 1, 1, tzinfo=UTC)),
        gce_commitment(PROJECT, "us-central1", "cud-old", "TWELVE_MONTH", "EXPIRED",
                       start=datetime(2024, 1, 1, tzinfo=UTC), end=datetime(2025, 1, 1, tzinfo=UTC)),
    ]


def test_the_cud_inventory_gives_each_commitments_term_and_end(run: Any, gcp: FakeGcp, tmp_path: Path) -> None:
    _cuds(gcp)
    result = run("--config", config(tmp_path, gcp), "commitments", "--source", "api", "--as-of", "2026-11-24",
                 "--days", "7", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["commitment"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"commitment-n2-worker-1y", "cud-3y"}  # the expired one ended before the range
    cud = rows["commitment-n2-worker-1y"]
    assert (cud["commitment_id"], cud["type"], cud["term"], cud["start"], cud["end"], cud["days_left"],
            cud["utilization"], cud["account"]) == (
        f"projects/{PROJECT}/regions/europe-west1/commitments/commitment-n2-worker-1y", "Committed Use Discount",
        "1y", "2025-12-08", "2026-12-08", 14, None, PROJECT)
    assert rows["cud-3y"]["term"] == "3y"
    # two CUDs a page (the stand-in's page size): two requests of the aggregated list
    assert len(gcp.requests("commitments")) == 2


def test_the_check_judges_the_inventorys_end_dates_and_a_warm_check_asks_nothing(
        run: Any, gcp: FakeGcp, tmp_path: Path) -> None:
    _cuds(gcp)
    cfg = config(tmp_path, gcp)
    result = run("--config", cfg, "check", "--period", "commitments", "--source", "api", "--as-of", "2026-11-24")
    assert result.exit_code == 1, result.stdout
    assert result.stdout.startswith("COSTCTL WARNING - commitments 2026-11-17..2026-11-23: g: Committed Use "
                                    "Discount commitment-n2-worker-1y ends in 14 days (warning: ends within 30d)")
    assert "g_commitment-n2-worker-1y_days_left=14" in result.stdout
    asked = len(gcp.requests("commitments"))
    again = run("--config", cfg, "check", "--period", "commitments", "--source", "api", "--as-of", "2026-11-24",
                "--expiry-warning", "10d")
    assert again.exit_code == 0, again.stdout  # 14 days left is outside 10d: judged again, from the cache
    assert len(gcp.requests("commitments")) == asked


def test_a_denied_commitment_list_names_the_permission_and_the_check_is_unknown(
        run: Any, gcp: FakeGcp, tmp_path: Path) -> None:
    _cuds(gcp)
    gcp.deny.add("commitments")
    cfg = config(tmp_path, gcp)
    listed = run("--config", cfg, "commitments", "--source", "api", "--days", "7", "--format", "json")
    assert listed.exit_code == 1
    lines = listed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: g: GCP Compute Engine regionCommitments denied "
                                                   f"on project {PROJECT}")
    assert "grant compute.commitments.list" in lines[0]
    checked = run("--config", cfg, "check", "--period", "commitments", "--source", "api")
    assert checked.exit_code == 3 and "g: GCP Compute Engine regionCommitments denied" in checked.stdout
