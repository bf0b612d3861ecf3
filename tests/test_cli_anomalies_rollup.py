"""``anomalies --by resource``: each anomaly names where it bills, and ``--rollup`` folds it upward
so that the demo's resource anomalies, rolled up to services, are the ``--by service`` anomalies."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)


def test_a_resource_anomaly_names_its_service_account_and_provider(run) -> None:
    rows = run("--demo", "anomalies", "--by", "resource", "--format", "json").json()
    bigquery = [a for a in rows if a["resource"].endswith("/datasets/analytics")]
    assert [a["kind"] for a in bigquery] == ["spike"]
    assert bigquery[0]["rollup"] == {"provider": "Google Cloud", "account": "acme-data-418203", "service": "BigQuery"}


def test_resources_rolled_up_to_services_agree_with_detection_by_service(run) -> None:
    by_service = run("--demo", "anomalies", "--by", "service", "--format", "json").json()
    rolled = run("--demo", "anomalies", "--by", "resource", "--rollup", "service", "--format", "json").json()
    assert {(a["date"], a["service"], a["kind"]) for a in by_service} == {
        (r["date"], r["service"], *r["kinds"]) for r in rolled}
    for a in by_service:
        r = next(r for r in rolled if (r["date"], r["service"]) == (a["date"], a["service"]))
        top = max((c for c in a["contributors"] if "resource" in c), key=lambda c: c["impact"])
        assert r["members"][0]["resource"] == top["resource"]  # the same resource drives both views
        assert r["impact"] == pytest.approx(a["impact"], rel=0.15)  # flagged members explain the service's move


def test_the_rollup_lists_its_members_largest_impact_first(run) -> None:
    rolled = run("--demo", "anomalies", "--by", "resource", "--rollup", "service", "--format", "json").json()
    bigquery = next(r for r in rolled if r["service"] == "BigQuery")
    assert bigquery["anomalies"] == 2 and bigquery["severity"] == "critical"
    assert [m["resource"].rsplit("/", 1)[-1] for m in bigquery["members"]] == ["analytics", "marketing"]
    assert bigquery["impact"] == pytest.approx(sum(m["impact"] for m in bigquery["members"]))


def test_a_rollup_level_that_is_not_above_by_is_a_usage_error(run) -> None:
    result = run("--demo", "anomalies", "--by", "service", "--rollup", "resource")
    assert result.exit_code == 2 and "--rollup: resource is not a level above --by service" in result.stderr


def test_the_table_names_a_resource_by_its_last_segment_beside_its_service(run) -> None:
    out = run("--demo", "anomalies", "--by", "resource", "--wide").stdout
    assert "analytics" in out and "BigQuery" in out and "//bigquery.googleapis.com" not in out
