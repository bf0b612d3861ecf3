"""Every unreadable input becomes one ExportFormatError line naming the file, the problem and the fix."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from costctl.errors import ExportFormatError
from costctl.formats import parse_export, read_export

FOCUS_CSV = (
    "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName\n"
    "1.5,1.5,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,AWS\n"
    "abc,2.0,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,AWS\n"
)


def error_of(call, *args) -> str:
    with pytest.raises(ExportFormatError) as info:
        call(*args)
    message = str(info.value)
    assert "\n" not in message, "messages are one line"
    return message


def test_missing_file_names_the_path(tmp_path):
    message = error_of(read_export, tmp_path / "nope.csv")
    assert "nope.csv" in message and "no such file" in message


def test_unknown_format_lists_what_was_looked_for():
    message = error_of(parse_export, b"a,b\n1,2\n", "mystery.csv")
    assert message.startswith("mystery.csv: unknown cost export format")
    for signature in ("BilledCost", "lineItem/UnblendedCost", "line_item_unblended_cost", "CostInBillingCurrency",
                      "usage_start_time"):
        assert signature in message


def test_binary_content_is_named_and_never_echoed():
    message = error_of(parse_export, b"\x00\x01\x1bgarbage,\x07x\n1,2\n", "damaged.csv")
    assert message.startswith("damaged.csv: not a text cost export (binary data in the header row)")
    assert message.isprintable()


@pytest.mark.parametrize(("cell", "shown"), [("inf", "'inf'"), ("-Infinity", "'-Infinity'"), ("1e308", "'1e308'"),
                                             ("9" * 400, repr("9" * 40))])
def test_a_cost_that_is_not_a_finite_amount_names_its_row(cell: str, shown: str):
    data = FOCUS_CSV.replace("abc,2.0", f"{cell},2.0").encode()
    message = error_of(parse_export, data, "focus.csv")
    assert message == (f"focus.csv: column BilledCost row 2: cost {shown} is not a finite amount (at most 1e+15 "
                       "in size); fix or remove that row")


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl"])
def test_json_nested_too_deeply_is_one_line(name: str):
    depth = 100_000
    message = error_of(parse_export, b"[" * depth + b"]" * depth if name.endswith(".json")
                       else b'{"a":' * depth + b"1" + b"}" * depth, name)
    assert "JSON nested too deeply to be a cost export" in message


def test_a_tab_separated_file_is_an_unknown_format_not_binary():
    message = error_of(parse_export, b"BilledCost\tChargePeriodStart\n1\t2024-01-01\n", "tabs.csv")
    assert "unknown cost export format" in message and "binary" not in message


def test_truncated_gzip_is_reported_as_corrupt():
    data = gzip.compress(FOCUS_CSV.encode() * 50)
    message = error_of(parse_export, data[: len(data) // 2], "focus.csv.gz")
    assert "focus.csv.gz" in message and "truncated or corrupt gzip" in message


def test_gzip_that_is_not_gzip_is_reported_as_corrupt():
    assert "corrupt gzip" in error_of(parse_export, b"not gzip at all", "focus.csv.gz")


def test_truncated_zip_is_reported_as_corrupt():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("focus.csv", FOCUS_CSV * 100)
    message = error_of(parse_export, buffer.getvalue()[:200], "export.zip")
    assert "export.zip" in message and "corrupt zip" in message


def test_zip_without_data_members_says_so():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "holds no .csv" in error_of(parse_export, buffer.getvalue(), "export.zip")


def test_azure_csv_without_cost_column_names_the_expected_columns():
    data = b"Date,MeterCategory,SubscriptionId,BillingCurrency\n2024-01-01,Storage,s1,USD\n"
    message = error_of(parse_export, data, "azure.csv")
    assert "azure.csv: missing cost column CostInBillingCurrency or Cost or PreTaxCost" in message


def test_aws_cur_without_unblended_cost_is_refused():
    data = b"lineItem/UsageStartDate,lineItem/UsageEndDate\n2024-01-01,2024-01-02\n"
    assert "missing cost column lineItem/UnblendedCost" in error_of(parse_export, data, "cur.csv")


def test_non_numeric_cost_names_column_and_row():
    message = error_of(parse_export, FOCUS_CSV.encode(), "focus.csv")
    assert message == "focus.csv: column BilledCost row 2: cost 'abc' is not a number; fix or remove that row"


def test_unreadable_parquet_is_reported():
    message = error_of(parse_export, b"PAR1 this is not parquet PAR1", "focus.parquet")
    assert "focus.parquet: unreadable Parquet" in message


def test_empty_file_without_header_is_refused():
    assert "empty file" in error_of(parse_export, b"", "empty.csv")


def test_unsupported_extension_lists_the_supported_ones():
    assert ".parquet" in error_of(parse_export, b"x", "export.xlsx")


def test_invalid_json_line_names_the_line():
    data = b'{"cost": 1}\n{broken\n'
    assert "line 2: invalid JSON" in error_of(parse_export, data, "billing.jsonl")


def test_unreadable_gcp_credits_are_an_error_not_a_silent_zero():
    data = (
        b"usage_start_time,usage_end_time,cost,currency,credits\n"
        b"2020-11-01T00:00:00Z,2020-11-01T01:00:00Z,1.0,USD,\"[{'amount': __import__('os')}]\"\n"
    )
    message = error_of(parse_export, data, "gcp.csv")
    assert "column credits row 1" in message


def test_empty_date_is_reported_with_its_row():
    data = b"Date,MeterCategory,SubscriptionId,Cost,BillingCurrency\n2024-01-01,Storage,s1,1,USD\n,Storage,s1,1,USD\n"
    assert "column Date row 2: empty date" in error_of(parse_export, data, "azure.csv")


def test_header_only_csv_is_an_empty_frame_not_an_error():
    frame = parse_export(FOCUS_CSV.splitlines()[0].encode() + b"\n", "focus.csv")
    assert frame.empty
