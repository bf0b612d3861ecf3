"""The gcp provider through the real google-cloud-bigquery client against tests/fake_bigquery.py.

The fake executes the SQL the provider sends (sqlglot to DuckDB) over rows with the export's
nested schema, so the totals asserted here come from the provider's own query. Expected values
are computed independently in Python from the same rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from fake_bigquery import ROW_BYTES, FakeBigQuery, serving  # noqa: E402

from costctl import model  # noqa: E402
from costctl.clouds.gcp import client as gcp_client  # noqa: E402
from costctl.clouds.gcp.provider import GcpProvider  # noqa: E402
from costctl.config import build  # noqa: E402
from costctl.errors import ConfigError, ProviderError  # noqa: E402

TABLE = "billing-proj.billing_export.gcp_billing_export_v1_0123AB_456CDE_789EF0"
START, END = date(2020, 11, 8), date(2020, 11, 11)  # [start, end): three days


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def export_row(day: date, hour: int, cost: float, *, service: str = "Compute Engine", project: str = "web-prod",
               region: str | None = "us-central1", labels: dict[str, str] | None = None,
               project_labels: dict[str, str] | None = None, credits: tuple[float, ...] = (),
               partition: date | None = None, cost_type: str = "regular", resource: str | None = None,
               currency: str = "USD") -> dict[str, Any]:
    """One row of a standard/detailed Cloud Billing export, nested as BigQuery stores it."""
    return {
        "billing_account_id": "0123AB-456CDE-789EF0",
        "service": {"id": service[:4].upper(), "description": service},
        "sku": {"id": "SKU-1", "description": f"{service} usage"},
        "usage_start_time": at(day, hour), "usage_end_time": at(day, hour) + timedelta(hours=1),
        "project": {"id": project, "name": project.replace("-", " ").title(),
                    "labels": [{"key": k, "value": v} for k, v in (project_labels or {}).items()]},
        "labels": [{"key": k, "value": v} for k, v in (labels or {}).items()],
        "location": {"location": region or "global", "country": "US" if region else None, "region": region,
                     "zone": None},
        "resource": {"name": resource, "global_name": f"//compute.googleapis.com/{resource}"} if resource else None,
        "export_time": at(partition or day, 6), "cost": cost, "currency": currency,
        "credits": [{"name": f"credit {i}", "amount": a, "full_name": None, "id": f"c{i}", "type": "PROMOTION"}
                    for i, a in enumerate(credits)],
        "invoice": {"month": f"{day.year}{day.month:02d}"}, "cost_type": cost_type,
        "_PARTITIONTIME": at(partition or day),
    }


def sample_rows() -> list[dict[str, Any]]:
    d0, d1, d2, d3, d4 = (START + timedelta(days=i) for i in range(-1, 4))
    return [
        export_row(d0, 23, 100.0),  # the day before: must not leak in
        export_row(d1, 0, 10.0, labels={"env": "prod"}, project_labels={"team": "web"}, credits=(-1.0, -0.5)),
        export_row(d1, 5, 4.0, labels={"env": "prod", "team": "override"}, project_labels={"team": "web"}),
        export_row(d1, 7, 3.0, service="Cloud Storage", region=None, project="data-lake", credits=(-3.0,)),
        export_row(d2, 12, 7.25, labels={"env": "dev"}, credits=(-0.25,), resource="instances/vm-1"),
        export_row(d2, 13, 1.75, labels={"env": "dev"}, resource="instances/vm-2"),
        export_row(d2, 0, 0.8, cost_type="tax", service="Compute Engine"),
        export_row(d3, 23, 5.0, partition=d4 + timedelta(days=2)),  # late row within the partition margin
        export_row(d3, 22, 50.0, partition=d3 + timedelta(days=30)),  # restated far beyond the margin: not scanned
        export_row(d4, 0, 1000.0),  # the day after: must not leak in
    ]


def expected(rows: list[dict[str, Any]], start: date, end: date, margin: int = 7) -> dict[str, float]:
    """Independent totals: cost, credits, and net per day, over rows the query may legitimately see."""
    lo_part, hi_part = at(start - timedelta(days=1)), at(end + timedelta(days=margin))
    out: dict[str, float] = defaultdict(float)
    for r in rows:
        if not (at(start) <= r["usage_start_time"] < at(end) and lo_part <= r["_PARTITIONTIME"] < hi_part):
            continue
        credits = sum(c["amount"] for c in r["credits"])
        out["cost"] += r["cost"]
        out["credits"] += credits
        out[r["usage_start_time"].date().isoformat()] += r["cost"] + credits
    return dict(out)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcp_client, "INITIAL_WAIT", 0.01)


@pytest.fixture
def fake() -> FakeBigQuery:
    return FakeBigQuery(table=TABLE, rows=sample_rows())


@pytest.fixture
def endpoint(fake: FakeBigQuery) -> Any:
    with serving(fake) as url:
        yield url


def provider(endpoint: str, **settings: Any) -> GcpProvider:
    raw = {"type": "gcp", "table": TABLE, "anonymous": True, "api_endpoint": endpoint, "max_retry_time": 5, **settings}
    return GcpProvider("gcp-billing", raw, store={})


def test_totals_equal_an_independent_sum_of_the_served_rows_credits_included(fake: FakeBigQuery,
                                                                              endpoint: str) -> None:
    frame = provider(endpoint).fetch(START, END)
    model.validate(frame)
    want = expected(fake.rows, START, END)
    assert frame["BilledCost"].sum() == pytest.approx(want["cost"] + want["credits"])
    credits = frame[frame["ChargeCategory"] == "Credit"]
    assert credits["BilledCost"].sum() == pytest.approx(want["credits"])
    assert frame[frame["ChargeCategory"] != "Credit"]["BilledCost"].sum() == pytest.approx(want["cost"])
    per_day = frame.groupby(frame["ChargePeriodStart"].dt.date.astype(str))["BilledCost"].sum().to_dict()
    assert per_day == pytest.approx({k: v for k, v in want.items() if k[0].isdigit()})


def test_no_row_outside_the_asked_days_leaks_in(endpoint: str) -> None:
    frame = provider(endpoint).fetch(START, END)
    assert frame["ChargePeriodStart"].min() >= datetime(2020, 11, 8, tzinfo=UTC)
    assert frame["ChargePeriodStart"].max() < datetime(2020, 11, 11, tzinfo=UTC)
    assert 100.0 not in frame["BilledCost"].tolist() and 1000.0 not in frame["BilledCost"].tolist()


def test_one_day_fetch_returns_that_day_only(fake: FakeBigQuery, endpoint: str) -> None:
    day = START + timedelta(days=1)
    frame = provider(endpoint).fetch(day, day + timedelta(days=1))
    assert set(frame["ChargePeriodStart"].dt.date) == {day}
    assert frame["BilledCost"].sum() == pytest.approx(expected(fake.rows, day, day + timedelta(days=1))[str(day)])


def test_the_sql_is_one_parameterized_partition_filtered_aggregate(fake: FakeBigQuery, endpoint: str) -> None:
    provider(endpoint, label_keys=["env"]).fetch(START, END)
    [sent] = fake.queries
    assert "SELECT *" not in sent.sql.upper().replace("\n", " ")
    assert "_PARTITIONTIME >= @partition_start AND _PARTITIONTIME < @partition_end" in sent.sql
    assert "usage_start_time >= @start AND usage_start_time < @end" in sent.sql
    assert "GROUP BY" in sent.sql and "UNNEST(credits)" in sent.sql
    assert "2020" not in sent.sql and "'env'" not in sent.sql  # values travel as parameters only
    assert sent.params["start"] == at(START) and sent.params["end"] == at(END)
    assert sent.params["partition_start"] == at(START - timedelta(days=1))
    assert sent.params["partition_end"] == at(END + timedelta(days=7))
    assert sent.params["label_key_0"] == "env" and sent.param_types["label_key_0"] == "STRING"
    assert sent.maximum_bytes_billed == 10 * 2**30
    assert sent.project == "billing-proj"


def test_partition_filter_limits_the_scan_and_keeps_late_rows_within_the_margin(fake: FakeBigQuery,
                                                                                endpoint: str) -> None:
    gcp = provider(endpoint)
    frame = gcp.fetch(START, END)
    assert 5.0 in frame["BilledCost"].tolist()  # exported two days after the range: inside the margin
    assert 50.0 not in frame["BilledCost"].tolist()  # thirty days later: outside
    in_window = [r for r in fake.rows
                 if at(START - timedelta(days=1)) <= r["_PARTITIONTIME"] < at(END + timedelta(days=7))]
    assert gcp.stats.bytes_scanned == len(in_window) * ROW_BYTES < len(fake.rows) * ROW_BYTES
    assert gcp.stats.requests == 1


def test_a_wider_margin_picks_up_restated_rows(endpoint: str) -> None:
    frame = provider(endpoint, partition_margin_days=40).fetch(START, END)
    last_day = frame[frame["ChargePeriodStart"] == at(END - timedelta(days=1))]
    assert last_day["BilledCost"].sum() == pytest.approx(5.0 + 50.0)


def test_label_keys_group_and_fill_tags_resource_labels_before_project_labels(endpoint: str) -> None:
    frame = provider(endpoint, label_keys=["env", "team"]).fetch(START, END)
    usage = frame[frame["ChargeCategory"] == "Usage"]
    tags = [t for t in usage["Tags"] if t]
    assert {"env": "prod", "team": "web"} in tags
    assert {"env": "prod", "team": "override"} in tags
    assert {"env": "dev"} in tags
    by_env = defaultdict(float)
    for t, cost in zip(frame["Tags"], frame["BilledCost"], strict=True):
        by_env[t.get("env")] += cost
    assert by_env["dev"] == pytest.approx(7.25 - 0.25 + 1.75)


def test_rows_map_to_the_record(endpoint: str) -> None:
    frame = provider(endpoint).fetch(START, END)
    storage = frame[(frame["ServiceName"] == "Cloud Storage") & (frame["ChargeCategory"] == "Usage")].iloc[0]
    assert storage["SubAccountId"] == "data-lake" and storage["SubAccountName"] == "Data Lake"
    assert storage["RegionId"] == "global"  # location.location when there is no region
    assert storage["ProviderName"] == "Google Cloud" and storage["BillingCurrency"] == "USD"
    assert storage["BillingPeriodStart"] == datetime(2020, 11, 1, tzinfo=UTC)
    assert storage["BillingAccountId"] == "0123AB-456CDE-789EF0"
    assert frame[frame["ChargeCategory"] == "Tax"]["BilledCost"].sum() == pytest.approx(0.8)
    assert (frame["ChargePeriodEnd"] - frame["ChargePeriodStart"] == timedelta(days=1)).all()


def test_detailed_table_groups_by_resource(endpoint: str) -> None:
    frame = provider(endpoint, detailed=True).fetch(START, END)
    usage = frame[frame["ChargeCategory"] == "Usage"]
    by_resource = usage.groupby("ResourceId")["BilledCost"].sum().to_dict()
    assert by_resource == {"//compute.googleapis.com/instances/vm-1": 7.25,
                           "//compute.googleapis.com/instances/vm-2": 1.75}


def test_paged_answers_are_read_to_the_end(fake: FakeBigQuery, endpoint: str) -> None:
    fake.max_page_rows = 2
    frame = provider(endpoint, page_size=2).fetch(START, END)
    pages = [p for m, p in fake.requests if m == "GET" and "/queries/" in p]
    assert len(pages) >= 3
    want = expected(fake.rows, START, END)
    assert frame["BilledCost"].sum() == pytest.approx(want["cost"] + want["credits"])


def test_dry_run_reports_bytes_with_verbose_logging(fake: FakeBigQuery, endpoint: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    gcp = provider(endpoint)
    assert gcp.dry_run(START, END) > 0
    caplog.set_level(logging.INFO)
    gcp.fetch(START, END)
    assert any("would scan" in r.getMessage() and "dry run" in r.getMessage() for r in caplog.records)
    assert [q.dry_run for q in fake.queries] == [True, True, False]
    assert gcp.stats.requests == 3


def test_maximum_bytes_billed_refuses_a_big_scan(endpoint: str) -> None:
    with pytest.raises(ProviderError, match="maximum_bytes_billed"):
        provider(endpoint, maximum_bytes_billed=ROW_BYTES).fetch(START, END)


@pytest.mark.parametrize(("status", "reason", "words"), [
    (403, "accessDenied", "roles/bigquery.dataViewer"),
    (403, "quotaExceeded", "quota exceeded"),
    (403, "billingNotEnabled", "billing is not enabled"),
])
def test_errors_become_one_line_messages(fake: FakeBigQuery, endpoint: str, status: int, reason: str,
                                         words: str) -> None:
    fake.fail(status, reason, f"{reason}: injected for the test", times=5)
    with pytest.raises(ProviderError, match=words) as info:
        provider(endpoint).fetch(START, END)
    assert "\n" not in str(info.value)
    assert len(fake.queries) == 1  # not retried


def test_a_missing_table_is_named(fake: FakeBigQuery, endpoint: str) -> None:
    other = "billing-proj.billing_export.gcp_billing_export_v1_FFFFFF_FFFFFF_FFFFFF"
    with pytest.raises(ProviderError, match=f"table {other} not found"):
        provider(endpoint, table=other).fetch(START, END)


@pytest.mark.parametrize(("status", "reason", "on"), [
    (403, "rateLimitExceeded", "insert"), (503, "backendError", "insert"), (500, "internalError", "results"),
])
def test_rate_limits_and_server_errors_are_retried(fake: FakeBigQuery, endpoint: str, status: int, reason: str,
                                                   on: str) -> None:
    fake.fail(status, reason, on=on)
    gcp = provider(endpoint)
    frame = gcp.fetch(START, END)
    want = expected(fake.rows, START, END)
    assert frame["BilledCost"].sum() == pytest.approx(want["cost"] + want["credits"])
    assert gcp.stats.retries == 1 and gcp.stats.requests == 2


def test_retries_stop_after_max_retry_time(fake: FakeBigQuery, endpoint: str) -> None:
    fake.fail(503, "backendError", times=10_000)
    with pytest.raises(ProviderError, match=r"BigQuery failing \(backendError: .* gave up after max_retry_time=0.3s"):
        provider(endpoint, max_retry_time=0.3).fetch(START, END)


@pytest.mark.parametrize(("column", "value"), [("usage_day", "not-a-date"), ("cost", "twelve"),
                                               ("currency", None)])
def test_a_malformed_row_is_a_one_line_error(fake: FakeBigQuery, endpoint: str, column: str, value: Any) -> None:
    fake.corrupt = {"column": column, "value": value}
    with pytest.raises(ProviderError, match="malformed") as info:
        provider(endpoint).fetch(START, END)
    assert "\n" not in str(info.value)


def test_test_auth_dry_runs_the_query(fake: FakeBigQuery, endpoint: str) -> None:
    result = provider(endpoint).test_auth()
    assert result.ok and result.identity == "anonymous"
    assert [q.dry_run for q in fake.queries] == [True]
    fake.fail(403, "accessDenied", "Access Denied: Table billing-proj:billing_export.x")
    denied = provider(endpoint).test_auth()
    assert not denied.ok and "roles/bigquery.dataViewer" in denied.checks[-1][2]


def test_config_rejects_bad_tables_and_label_keys(endpoint: str) -> None:
    ok = build({"providers": {"g": {"type": "gcp", "table": TABLE, "label_keys": ["env", "cost-center"]}}})
    assert ok.providers["g"]["label_keys"] == ["env", "cost-center"]
    for bad in ({"table": "billing`; DROP TABLE x; --.a.b"}, {"table": "only.two"},
                {"table": TABLE, "label_keys": ["Env"]}, {"table": TABLE, "label_keys": ["a') OR 1=1 --"]}):
        with pytest.raises(ConfigError):
            build({"providers": {"g": {"type": "gcp", **bad}}})


def test_missing_credentials_file_says_what_to_do(tmp_path: Any) -> None:
    gcp = GcpProvider("g", {"type": "gcp", "table": TABLE, "credentials_file": str(tmp_path / "nope.json")})
    result = gcp.test_auth()
    assert not result.ok and "service-account JSON key" in result.checks[0][2]


def koku_rows(path: Any) -> list[dict[str, Any]]:
    """The shared koku-flattened export sample, nested back into BigQuery's export schema."""
    import ast

    import pandas as pd

    def pairs(text: Any) -> list[dict[str, str]]:
        return [{"key": p["key"], "value": p["value"]} for p in ast.literal_eval(text)] if isinstance(text, str) else []

    def text(value: Any) -> str | None:
        return None if pd.isna(value) else str(value)

    rows = []
    for r in pd.read_csv(path).to_dict("records"):
        ts = {c: pd.Timestamp(r[c]).to_pydatetime() for c in ("usage_start_time", "usage_end_time", "export_time",
                                                              "partition_date")}
        rows.append({
            "billing_account_id": r["billing_account_id"],
            "service": {"id": r["service.id"], "description": r["service.description"]},
            "sku": {"id": r["sku.id"], "description": r["sku.description"]},
            "usage_start_time": ts["usage_start_time"], "usage_end_time": ts["usage_end_time"],
            "project": {"id": r["project.id"], "name": r["project.name"], "labels": pairs(r["project.labels"])},
            "labels": pairs(r["labels"]),
            "location": {"location": text(r["location.location"]), "country": text(r["location.country"]),
                         "region": text(r["location.region"]), "zone": text(r["location.zone"])},
            "resource": None, "export_time": ts["export_time"], "cost": float(r["cost"]), "currency": r["currency"],
            "credits": [{k: c.get(k) for k in ("name", "amount", "full_name", "id", "type")}
                        for c in ast.literal_eval(r["credits"])],
            "invoice": {"month": str(r["invoice.month"])}, "cost_type": r["cost_type"],
            "_PARTITIONTIME": ts["partition_date"],
        })
    return rows


def test_the_shared_export_sample_matches_the_file_reader() -> None:
    """Same rows, two independent paths: SQL in the fake vs costctl's own GCP export file parser."""
    from conftest import shared_data
    from costctl import formats

    path = shared_data() / "gcp" / "billing_export_2020-11.csv"
    fake = FakeBigQuery(table=TABLE, rows=koku_rows(path))
    start, end = date(2020, 11, 8), date(2020, 11, 11)
    with serving(fake) as url:
        frame = provider(url, label_keys=["goog-resource-type"]).fetch(start, end)
    from_file = formats.read_export(path)
    inside = from_file[(from_file["ChargePeriodStart"] >= at(start)) & (from_file["ChargePeriodStart"] < at(end))]
    assert len(inside) < len(from_file)  # the sample has rows on 2020-11-11, outside the range
    assert frame["BilledCost"].sum() == pytest.approx(inside["BilledCost"].sum(), abs=1e-12)
    usage = frame[frame["ChargeCategory"] != "Credit"]["BilledCost"].sum()
    assert usage == pytest.approx(sum(r["cost"] for r in fake.rows if at(start) <= r["usage_start_time"] < at(end)))
    assert frame[frame["ChargeCategory"] == "Credit"]["BilledCost"].sum() < 0
    assert {t.get("goog-resource-type") for t in frame["Tags"]} >= {"bigquery_resource", "bigquery_dataset"}
