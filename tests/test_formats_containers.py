"""Containers and encodings: gzip, zip, Parquet, newline-delimited JSON, CUR 2.0, from bytes and files.

Inputs are built in tmp_path from the shared samples (or inline), so each container test checks
the same totals as the plain file it was made from.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costctl import model
from costctl.formats import parse_export, read_export

SHARED_DATA = Path(__file__).parents[2] / "shared" / "data"
AZURE = "azure/ea_actual_small.csv"
AWS = "aws/cur_legacy_anonymized_2023-11.csv"
GCP = "gcp/billing_export_2020-11.csv"
FOCUS = "focus/focus_1.0_sample_1000.csv"


@pytest.fixture(scope="module")
def samples() -> Path:
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing but CI is set: the container tests must run")
        pytest.skip(f"{SHARED_DATA} not present (shared sample data is only checked out next to the repo)")
    return SHARED_DATA


def column_total(path: Path, column: str) -> float:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(float(r[column]) for r in csv.DictReader(fh) if r[column] not in ("", "NULL"))


def test_gzipped_csv_gives_the_same_record_as_the_plain_file(samples, tmp_path):
    target = tmp_path / "export.csv.gz"
    target.write_bytes(gzip.compress((samples / AZURE).read_bytes()))
    plain = read_export(samples / AZURE)
    pd.testing.assert_frame_equal(read_export(target), plain)


def test_plain_gz_suffix_is_read_as_gzipped_csv(samples, tmp_path):
    target = tmp_path / "export.gz"
    target.write_bytes(gzip.compress((samples / AWS).read_bytes()))
    assert abs(read_export(target)["BilledCost"].sum() - column_total(samples / AWS, "lineItem/UnblendedCost")) < 0.005


def test_zip_reads_every_csv_and_parquet_member_and_ignores_others(samples, tmp_path):
    target = tmp_path / "exports.zip"
    focus_parquet = io.BytesIO()
    pd.read_csv(samples / FOCUS).to_parquet(focus_parquet)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(samples / AZURE, "a/azure.csv")
        archive.writestr("b/aws.csv.gz", gzip.compress((samples / AWS).read_bytes()))
        archive.writestr("c/focus.parquet", focus_parquet.getvalue())
        archive.writestr("manifest.json", "{}")
    frame = read_export(target)
    expected = (column_total(samples / AZURE, "Cost") + column_total(samples / AWS, "lineItem/UnblendedCost")
                + column_total(samples / FOCUS, "BilledCost"))
    assert abs(frame["BilledCost"].sum() - expected) < 0.005
    assert set(frame["ProviderName"]) >= {"Microsoft", "AWS", "Oracle"}


def test_parquet_focus_export_reconciles_with_the_csv_sample(samples, tmp_path):
    target = tmp_path / "focus.parquet"
    pd.read_csv(samples / FOCUS).to_parquet(target)
    frame = read_export(target)
    assert abs(frame["BilledCost"].sum() - column_total(samples / FOCUS, "BilledCost")) < 0.005
    assert abs(frame["EffectiveCost"].sum() - column_total(samples / FOCUS, "EffectiveCost")) < 0.005
    model.validate(frame)


def bigquery_records(path: Path) -> list[dict]:
    """The koku CSV rows rebuilt as BigQuery's nested JSON export rows."""
    records = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            nested: dict = {}
            for key, value in row.items():
                if key in ("credits", "labels", "project.labels", "system_labels"):
                    value = ast.literal_eval(value)
                elif key in ("cost", "usage.amount"):
                    value = float(value)
                elif value == "":
                    value = None
                parent, _, child = key.partition(".")
                if child:
                    nested.setdefault(parent, {})[child] = value
                else:
                    nested[key] = value
            nested["usage_start_time"] = nested["usage_start_time"].replace("+00:00", " UTC")
            records.append(nested)
    return records


def gcp_expected(records: list[dict]) -> float:
    return sum(r["cost"] + sum(c["amount"] for c in r["credits"]) for r in records)


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".json.gz"])
def test_bigquery_newline_delimited_json_export_maps_nested_records(samples, tmp_path, suffix):
    records = bigquery_records(samples / GCP)
    records[0]["credits"] = []  # leave one row uncredited so the total is not zero
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    data = gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode()
    target = tmp_path / f"billing{suffix}"
    target.write_bytes(data)
    frame = read_export(target)
    assert abs(frame["BilledCost"].sum() - gcp_expected(records)) < 1e-9
    assert frame["BilledCost"].sum() > 0
    assert frame["ServiceName"].iloc[0] == records[0]["service"]["description"]
    assert frame["SubAccountId"].iloc[0] == records[0]["project"]["id"]
    assert frame["ChargePeriodStart"].iloc[0] == pd.Timestamp("2020-11-09 23:00", tz="UTC")


def test_json_array_export_is_read_like_newline_delimited_json(samples):
    records = bigquery_records(samples / GCP)
    frame = parse_export(json.dumps(records).encode(), "billing.json")
    assert len(frame) == len(records)


def test_bigquery_parquet_export_with_struct_columns_is_flattened(samples, tmp_path):
    records = bigquery_records(samples / GCP)
    for r in records:
        r.pop("system_labels")
        r.pop("project")["labels"] = None
    target = tmp_path / "billing.parquet"
    pq.write_table(pa.Table.from_pylist(records), target)
    frame = read_export(target)
    assert abs(frame["BilledCost"].sum() - gcp_expected(records)) < 1e-9
    assert frame["ServiceName"].notna().all()


def test_parse_export_from_bytes_matches_read_export(samples):
    data = (samples / AZURE).read_bytes()
    pd.testing.assert_frame_equal(parse_export(data, "exports/ea_actual_small.csv"), read_export(samples / AZURE))
    gz = parse_export(gzip.compress(data), "exports/part-0001.csv.gz")
    assert len(gz) == len(read_export(samples / AZURE))


CUR2_ROWS = [
    {"line_item_usage_start_date": "2024-05-01T00:00:00Z", "line_item_usage_end_date": "2024-05-01T01:00:00Z",
     "line_item_line_item_type": "Usage", "line_item_unblended_cost": 1.25, "line_item_currency_code": "USD",
     "line_item_usage_account_id": "111122223333", "line_item_product_code": "AmazonEC2",
     "resource_tags": [("user_team", "web"), ("aws_created_by", "me")]},
    {"line_item_usage_start_date": "2024-05-01T00:00:00Z", "line_item_usage_end_date": "2024-05-01T01:00:00Z",
     "line_item_line_item_type": "SavingsPlanCoveredUsage", "line_item_unblended_cost": 2.0,
     "line_item_currency_code": "USD", "line_item_usage_account_id": "111122223333",
     "line_item_product_code": "AmazonEC2", "savings_plan_savings_plan_effective_cost": 1.5, "resource_tags": []},
]


def test_cur2_parquet_with_tag_map_maps_costs_and_tags(tmp_path):
    schema = pa.schema([
        ("line_item_usage_start_date", pa.string()), ("line_item_usage_end_date", pa.string()),
        ("line_item_line_item_type", pa.string()), ("line_item_unblended_cost", pa.float64()),
        ("line_item_currency_code", pa.string()), ("line_item_usage_account_id", pa.string()),
        ("line_item_product_code", pa.string()), ("savings_plan_savings_plan_effective_cost", pa.float64()),
        ("resource_tags", pa.map_(pa.string(), pa.string())),
    ])
    target = tmp_path / "cur2.parquet"
    pq.write_table(pa.Table.from_pylist(CUR2_ROWS, schema=schema), target)
    frame = read_export(target)
    assert list(frame["BilledCost"]) == [1.25, 2.0]
    assert list(frame["EffectiveCost"]) == [1.25, 1.5]
    assert frame["Tags"].iloc[0] == {"team": "web", "aws_created_by": "me"}
    assert list(frame["ServiceName"]) == ["AmazonEC2", "AmazonEC2"]
    assert list(frame["ServiceCategory"]) == ["Compute", "Compute"]


def test_cur2_csv_with_json_tags_is_detected_and_mapped(tmp_path):
    frame = pd.DataFrame(CUR2_ROWS)
    frame["resource_tags"] = [json.dumps({"user_team": "web"}), ""]
    target = tmp_path / "cur2.csv"
    frame.to_csv(target, index=False)
    result = read_export(target)
    assert result["Tags"].iloc[0] == {"team": "web"}
    assert result["BilledCost"].sum() == pytest.approx(3.25)
    assert result["EffectiveCost"].sum() == pytest.approx(2.75)
