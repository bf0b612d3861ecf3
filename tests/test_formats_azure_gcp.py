"""Azure and GCP exports through the SQL mappers, with totals worked out by hand in the test.

Each file is written here, row by row, so the expected BilledCost/EffectiveCost can be read off
the rows below without trusting any costctl code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costctl import model
from costctl.formats import parse_export, read_export

# --- Azure: an amortized EA export holding a reservation purchase and its refund -----------

AZURE_HEADER = ("Date,BillingAccountId,SubscriptionId,MeterCategory,ConsumedService,CostInBillingCurrency,"
                "BillingCurrencyCode,ChargeType,PricingModel,ResourceLocation,BillingPeriodStartDate,Tags")
# (date, service, consumed service, cost, ChargeType, PricingModel) -> (billed, effective)
AZURE_ROWS = [
    ("09/01/2024", "Virtual Machines", "Microsoft.Compute", "12.50", "Usage", "OnDemand", 12.50, 12.50),
    # usage covered by the reservation: its amortized share, billed at purchase time
    ("09/01/2024", "Virtual Machines", "Microsoft.Compute", "3.20", "Usage", "Reservation", 0.0, 3.20),
    ("09/02/2024", "Virtual Machines", "Microsoft.Compute", "0.80", "UnusedReservation", "Reservation", 0.0, 0.80),
    # the reservation purchase and the refund of half of it: on the invoice, amortized into usage
    ("09/02/2024", "Virtual Machines", "Microsoft.Capacity", "876.00", "Purchase", "Reservation", 876.00, 0.0),
    ("09/15/2024", "Virtual Machines", "Microsoft.Capacity", "-438.00", "Refund", "Reservation", -438.00, 0.0),
    ("09/03/2024", "Storage", "Microsoft.Storage", "1.05", "Usage", "OnDemand", 1.05, 1.05),
    ("09/03/2024", "Azure App Service", "Microsoft.Web", "5.00", "Usage", "SavingsPlan", 0.0, 5.00),
    # a Marketplace purchase is no commitment: billed and effective alike
    ("09/04/2024", "Marketplace", "", "20.00", "Purchase", "", 20.00, 20.00),
    ("09/30/2024", "Tax", "", "2.00", "Tax", "", 2.00, 2.00),
]
BILLED = 12.50 + 876.00 - 438.00 + 1.05 + 20.00 + 2.00  # 473.55: every invoice line, covered usage excluded
EFFECTIVE = 12.50 + 3.20 + 0.80 + 1.05 + 5.00 + 20.00 + 2.00  # 44.55: usage and its amortized shares


def azure_amortized_csv() -> bytes:
    lines = [AZURE_HEADER]
    for day, service, consumed, cost, charge, pricing, _billed, _effective in AZURE_ROWS:
        lines.append(f'{day},8611537,sub-1,{service},{consumed},{cost},USD,{charge},{pricing},West Europe,'
                     f'09/01/2024,"""team"": ""web"",""env"": ""prod"""')
    return ("\n".join(lines) + "\n").encode()


def test_azure_amortized_export_bills_purchase_and_refund_but_amortizes_only_usage():
    frame = parse_export(azure_amortized_csv(), "amortized.csv")
    model.validate(frame)
    assert frame["BilledCost"].sum() == pytest.approx(BILLED, abs=0.005)
    assert frame["EffectiveCost"].sum() == pytest.approx(EFFECTIVE, abs=0.005)
    assert list(frame["BilledCost"]) == pytest.approx([r[6] for r in AZURE_ROWS])
    assert list(frame["EffectiveCost"]) == pytest.approx([r[7] for r in AZURE_ROWS])
    assert list(frame["ChargeCategory"]) == ["Usage", "Usage", "Usage", "Purchase", "Credit", "Usage", "Usage",
                                             "Purchase", "Tax"]


def test_azure_amortized_export_reads_month_first_dates_region_and_tags():
    frame = parse_export(azure_amortized_csv(), "amortized.csv")
    assert frame["ChargePeriodStart"].iloc[4] == pd.Timestamp("2024-09-15", tz="UTC")
    assert (frame["ChargePeriodEnd"] - frame["ChargePeriodStart"] == pd.Timedelta(days=1)).all()
    assert set(frame["BillingPeriodStart"]) == {pd.Timestamp("2024-09-01", tz="UTC")}
    assert set(frame["RegionId"]) == {"westeurope"}
    assert frame["Tags"].iloc[0] == {"team": "web", "env": "prod"}
    assert list(frame["ServiceCategory"][:3]) == ["Compute"] * 3
    assert frame["ServiceCategory"].iloc[6] == "Web"


# --- GCP: a BigQuery Parquet export with nested structs and a real credits list ----------------

CREDIT = pa.struct([("name", pa.string()), ("amount", pa.float64()), ("full_name", pa.string()),
                    ("id", pa.string()), ("type", pa.string())])
LABEL = pa.struct([("key", pa.string()), ("value", pa.string())])
GCP_SCHEMA = pa.schema([
    ("billing_account_id", pa.string()),
    ("service", pa.struct([("id", pa.string()), ("description", pa.string())])),
    ("sku", pa.struct([("id", pa.string()), ("description", pa.string())])),
    ("usage_start_time", pa.timestamp("us", tz="UTC")),
    ("usage_end_time", pa.timestamp("us", tz="UTC")),
    ("project", pa.struct([("id", pa.string()), ("name", pa.string()), ("labels", pa.list_(LABEL))])),
    ("labels", pa.list_(LABEL)),
    ("location", pa.struct([("location", pa.string()), ("region", pa.string())])),
    ("cost", pa.float64()),
    ("currency", pa.string()),
    ("usage", pa.struct([("amount", pa.float64()), ("unit", pa.string())])),
    ("credits", pa.list_(CREDIT)),
    ("invoice", pa.struct([("month", pa.string())])),
    ("cost_type", pa.string()),
])


def credit(name: str, amount: float, kind: str) -> dict:
    return {"name": name, "amount": amount, "full_name": None, "id": name.lower(), "type": kind}


def gcp_row(start: str, end: str, service: str, project: str, cost: float, credits: list[dict] | None,
            cost_type: str = "regular", labels: list[dict] | None = None) -> dict:
    return {
        "billing_account_id": "0000-AAAA", "service": {"id": service[:4], "description": service},
        "sku": {"id": "SKU-1", "description": f"{service} usage"},
        "usage_start_time": datetime.fromisoformat(start).replace(tzinfo=UTC),
        "usage_end_time": datetime.fromisoformat(end).replace(tzinfo=UTC),
        "project": {"id": project, "name": project.title(),
                    "labels": [{"key": "team", "value": "ops"}, {"key": "cc", "value": "42"}]},
        "labels": labels or [], "location": {"location": "us-central1", "region": "us-central1"},
        "cost": cost, "currency": "USD", "usage": {"amount": 3.0, "unit": "hour"}, "credits": credits,
        "invoice": {"month": "202405"}, "cost_type": cost_type,
    }


GCP_ROWS = [
    gcp_row("2024-05-01T10:00", "2024-05-01T11:00", "Compute Engine", "proj-a", 10.0,
            [credit("Sustained use", -1.25, "SUSTAINED_USAGE_DISCOUNT"), credit("Free trial", -0.5, "PROMOTION")],
            labels=[{"key": "team", "value": "web"}]),
    gcp_row("2024-05-01T10:00", "2024-05-01T11:00", "Cloud Storage", "proj-b", 2.5, []),
    gcp_row("2024-05-01T00:00", "2024-05-02T00:00", "Invoice", "proj-b", 0.75, None, cost_type="tax"),
    # two days long: split into two daily pieces of half each
    gcp_row("2024-05-01T00:00", "2024-05-03T00:00", "BigQuery", "proj-a", 4.0,
            [credit("Free tier", -1.0, "FREE_TIER")]),
]
# by hand: (10 - 1.25 - 0.5) + 2.5 + 0.75 + (4 - 1) = 8.25 + 2.5 + 0.75 + 3 = 14.5
GCP_NET = 14.5


@pytest.fixture
def gcp_parquet(tmp_path):
    target = tmp_path / "billing.parquet"
    pq.write_table(pa.Table.from_pylist(GCP_ROWS, schema=GCP_SCHEMA), target)
    return target


def test_gcp_parquet_export_sums_a_real_credits_list_into_the_net_cost(gcp_parquet):
    frame = read_export(gcp_parquet)
    model.validate(frame)
    assert frame["BilledCost"].sum() == pytest.approx(GCP_NET)
    assert frame["EffectiveCost"].sum() == pytest.approx(GCP_NET)
    by_service = frame.groupby("ServiceName")["BilledCost"].sum()
    assert by_service["Compute Engine"] == pytest.approx(8.25)
    assert by_service["BigQuery"] == pytest.approx(3.0)
    bigquery = frame[frame["ServiceName"] == "BigQuery"]
    assert list(bigquery["BilledCost"]) == pytest.approx([1.5, 1.5])
    assert list(bigquery["ChargePeriodStart"].dt.day) == [1, 2]


def test_gcp_parquet_export_reads_nested_project_location_invoice_and_labels(gcp_parquet):
    frame = read_export(gcp_parquet)
    first = frame.iloc[0]
    assert (first["SubAccountId"], first["SubAccountName"]) == ("proj-a", "Proj-A")
    assert (first["RegionId"], first["ServiceCategory"], first["ChargeCategory"]) == ("us-central1", "Compute",
                                                                                       "Usage")
    assert first["BillingPeriodStart"] == pd.Timestamp("2024-05-01", tz="UTC")
    assert first["Tags"] == {"team": "web", "cc": "42"}  # the resource label wins over the project's
    assert frame.iloc[1]["Tags"] == {"team": "ops", "cc": "42"}
    assert list(frame["ChargeCategory"]).count("Tax") == 1
    assert first["ConsumedQuantity"] == 3.0 and first["ConsumedUnit"] == "hour"


# --- one table per rule, shared with the API providers -----------------------------------------


def test_the_query_api_providers_use_the_export_mappers_charge_tables():
    from costctl.clouds.azure import export_sql as azure_sql
    from costctl.clouds.azure import query as azure_query
    from costctl.clouds.gcp import export_sql as gcp_sql

    assert azure_query.charge_category("Credit") == azure_sql.CHARGE_CATEGORY["credit"] == "Credit"
    assert {azure_query.charge_category(t) for t in ("Refund", "Unused Reservation", "Rounding Adjustment")} == {
        "Credit", "Usage", "Adjustment"}
    assert gcp_sql.CHARGE_CATEGORY["rounding_error"] == "Adjustment"


def test_loading_the_cloud_providers_loads_neither_pandas_nor_duckdb():
    """A warm ``check`` of a configured azure/gcp provider must stay light: the shared tables load lazily."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = ("import sys\n"
             "import costctl.clouds.azure.provider, costctl.clouds.azure.query, costctl.clouds.gcp.provider\n"
             "print(','.join(m for m in ('pandas', 'pyarrow', 'duckdb') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == ""


# --- GCP credits text: SQL first, Python only for what SQL cannot read -------------------------


def test_koku_literal_credits_are_summed_in_sql_without_python_per_row(monkeypatch):
    from conftest import shared_data
    from costctl.clouds.gcp import export_sql as gcp_sql

    calls: list[str] = []
    reader = gcp_sql.literal_credit_total
    monkeypatch.setattr(gcp_sql, "literal_credit_total", lambda text: calls.append(text) or reader(text))
    frame = read_export(shared_data() / "gcp" / "billing_export_2020-11.csv")
    assert len(frame) == 25
    # the sample's free-trial credits cancel every cost: a net of 0 needs every credits cell read
    assert frame["BilledCost"].sum() == pytest.approx(0.0, abs=1e-12) and frame["BilledCost"].abs().max() < 1e-9
    assert calls == []  # every cell is plain literal text: rewritten to JSON and summed by DuckDB


def test_literal_credits_sql_cannot_rewrite_are_read_by_python_once_per_distinct_text(monkeypatch):
    from costctl.clouds.gcp import export_sql as gcp_sql

    calls: list[str] = []
    reader = gcp_sql.literal_credit_total
    monkeypatch.setattr(gcp_sql, "literal_credit_total", lambda text: calls.append(text) or reader(text))
    monkeypatch.setattr(gcp_sql, "_TOTALS", {})
    quoted = b"\"[{'name': \"\"Bob's credit\"\", 'amount': -0.25}]\""  # double quotes: no exact SQL rewrite
    rows = [b"2024-05-01T00:00:00Z,2024-05-01T01:00:00Z,1.0,USD," + cell for cell in (quoted, quoted, quoted)]
    data = b"usage_start_time,usage_end_time,cost,currency,credits\n" + b"\n".join(rows) + b"\n"
    frame = parse_export(data, "gcp.csv")
    assert list(frame["BilledCost"]) == pytest.approx([0.75] * 3)
    assert calls == ["[{'name': \"Bob's credit\", 'amount': -0.25}]"]


def test_bigquery_json_with_mixed_credit_shapes_sums_each_row():
    """JSON readers type a column of mixed shapes loosely (amount strings and numbers, credits as text)."""
    row = ('{"usage_start_time": "2020-11-01T00:00:00Z", "usage_end_time": "2020-11-01T01:00:00Z", "cost": 5, '
           '"currency": "USD", "credits": %s}')
    cells = ['[{"amount": "-1.5"}, {"amount": -0.5}]', '[{"amount": -1}]', '"[{\\"amount\\": -2}]"', '""', "null"]
    frame = parse_export("\n".join(row % c for c in cells).encode(), "billing.jsonl")
    assert list(frame["BilledCost"]) == pytest.approx([3.0, 4.0, 3.0, 5.0, 5.0])
