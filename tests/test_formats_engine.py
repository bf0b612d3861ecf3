"""The DuckDB ingest: strict CSV rows, containers, Parquet structs, bytes, day splitting, streaming, laziness.

Inputs are built inline (FOCUS, whose mapper is SQL), so these tests need no shared samples.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costctl import model
from costctl.errors import ExportFormatError
from costctl.formats import duck, engine, parse_export, read_export

HEADER = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,Tags\n"
ROW = '1.5,1.25,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,AWS,"{""team"": ""web""}"\n'


def focus_csv(rows: int = 3) -> str:
    return HEADER + ROW * rows


def error_of(call, *args) -> str:
    with pytest.raises(ExportFormatError) as info:
        call(*args)
    message = str(info.value)
    assert "\n" not in message, "messages are one line"
    return message


# --- strict field counts (#22 item 14) --------------------------------------------------------

def test_a_row_with_a_value_missing_is_an_error_naming_file_and_row(tmp_path):
    text = focus_csv(3).splitlines(keepends=True)
    text[2] = text[2].replace("1.25,", "", 1)  # data row 2 lost one field
    target = tmp_path / "focus.csv"
    target.write_text("".join(text))
    message = error_of(read_export, target)
    assert message.startswith(f"{target}: row 2 has 7 fields but the header has 8;")


def test_a_row_with_an_extra_value_is_an_error_naming_the_row():
    text = focus_csv(4).replace(",AWS,", ",AWS,extra,", 1).splitlines(keepends=True)
    message = error_of(parse_export, "".join([text[0], *text[2:], text[1]]).encode(), "focus.csv")
    assert message.startswith("focus.csv: row 4 has 9 fields but the header has 8;")


def test_rows_that_all_lack_the_trailing_columns_are_read_as_absent_columns():
    text = HEADER.replace("\n", ",x_Extra\n") + ROW * 2
    frame = parse_export(text.encode(), "focus.csv")
    assert list(frame["BilledCost"]) == [1.5, 1.5]


def test_a_short_first_row_is_named_when_later_rows_are_complete():
    text = HEADER + ROW.replace(",AWS", "", 1) + ROW
    message = error_of(parse_export, text.encode(), "focus.csv")
    assert message.startswith("focus.csv: row 1 has 7 fields but the header and row 2 have 8")


# --- containers and sources ---------------------------------------------------------------------

def test_zip_holding_a_gzipped_csv_is_streamed_from_a_temp_file(tmp_path):
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2024-09/part-0.csv.gz", gzip.compress(focus_csv(4).encode()))
    frame = read_export(target)
    assert frame["BilledCost"].sum() == pytest.approx(6.0)
    assert frame["Tags"].iloc[0] == {"team": "web"}


def test_errors_inside_a_zip_member_name_the_member():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/focus.csv.gz", gzip.compress(focus_csv(2).replace("1.5,", "oops,", 1).encode()))
    message = error_of(parse_export, buffer.getvalue(), "export.zip")
    assert message == "export.zip/a/focus.csv.gz: column BilledCost row 1: cost 'oops' is not a number; fix or " \
                      "remove that row"


def test_bytes_sources_give_the_same_record_as_the_file(tmp_path):
    data = focus_csv(5).encode()
    target = tmp_path / "focus.csv"
    target.write_bytes(data)
    expected = read_export(target)
    pd.testing.assert_frame_equal(parse_export(data, "s3://bucket/exports/focus.csv"), expected)
    pd.testing.assert_frame_equal(parse_export(gzip.compress(data), "exports/focus.csv.gz"), expected)
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(data), dtype=str).to_parquet(buffer)
    pd.testing.assert_frame_equal(parse_export(buffer.getvalue(), "exports/focus.parquet"), expected)


def test_parquet_with_struct_map_and_typed_columns(tmp_path):
    schema = pa.schema([
        ("BilledCost", pa.float64()), ("EffectiveCost", pa.decimal128(18, 4)), ("BillingCurrency", pa.string()),
        ("ChargePeriodStart", pa.timestamp("us")), ("ChargePeriodEnd", pa.timestamp("us", tz="Europe/Berlin")),
        ("ProviderName", pa.string()), ("ServiceName", pa.string()), ("Tags", pa.map_(pa.string(), pa.string())),
        ("x_Meta", pa.struct([("owner", pa.string()), ("inner", pa.struct([("n", pa.int64())]))])),
    ])
    rows = [{"BilledCost": 2.0, "EffectiveCost": Decimal("1.5"), "BillingCurrency": "EUR",
             "ChargePeriodStart": pd.Timestamp("2024-09-01 00:00"),
             "ChargePeriodEnd": pd.Timestamp("2024-09-01 03:00", tz="Europe/Berlin"),
             "ProviderName": "Microsoft", "ServiceName": "Azure Cosmos DB", "Tags": [("env", "prod")],
             "x_Meta": {"owner": "ops", "inner": {"n": 1}}}]
    target = tmp_path / "focus.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), target)
    frame = read_export(target)
    row = frame.iloc[0]
    assert (row["BilledCost"], row["EffectiveCost"], row["Tags"]) == (2.0, 1.5, {"env": "prod"})
    assert row["ChargePeriodStart"] == pd.Timestamp("2024-09-01 00:00", tz="UTC")  # naive = UTC
    assert row["ChargePeriodEnd"] == pd.Timestamp("2024-09-01 01:00", tz="UTC")
    assert row["ServiceCategory"] == "Databases"
    with engine.scan(target) as scan:  # struct fields are also raw columns under BigQuery's dotted names
        flat = engine._flat_columns(scan.con.sql(f"SELECT * FROM read_parquet('{target}')"))
    assert {"x_Meta", "x_Meta.owner", "x_Meta.inner", "x_Meta.inner.n"} <= set(flat)


def test_focus_json_lines_are_read_with_their_types(tmp_path):
    rows = pd.read_csv(io.StringIO(focus_csv(2)), dtype=str).to_dict("records")
    rows[1]["BilledCost"] = 3  # a number, not text
    target = tmp_path / "focus.jsonl.gz"
    target.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    assert read_export(target)["BilledCost"].sum() == pytest.approx(4.5)


# --- days ------------------------------------------------------------------------------------------

def test_a_multi_day_row_is_split_pro_rata_into_utc_days():
    text = (HEADER + "30,15,USD,2023-11-01T00:00:00Z,2023-12-01T00:00:00Z,Purchase,AWS,\n"
            + "3,3,USD,2023-11-01T12:00:00Z,2023-11-03T00:00:00Z,Usage,AWS,\n"
            + "5,5,USD,2023-11-01T23:00:00Z,2023-11-02T01:00:00Z,Usage,AWS,\n")
    frame = parse_export(text.encode(), "focus.csv")
    monthly = frame[frame["ChargeCategory"] == "Purchase"]
    assert len(monthly) == 30 and list(monthly["BilledCost"]) == pytest.approx([1.0] * 30)
    assert monthly["EffectiveCost"].sum() == pytest.approx(15.0)
    assert monthly["ChargePeriodStart"].iloc[-1] == pd.Timestamp("2023-11-30", tz="UTC")
    partial = frame[(frame["ChargeCategory"] == "Usage") & (frame["BilledCost"] != 5)]
    assert list(partial["BilledCost"]) == pytest.approx([1.0, 2.0])
    assert partial["ChargePeriodStart"].iloc[0] == pd.Timestamp("2023-11-01 12:00", tz="UTC")
    assert (frame["BilledCost"] == 5).sum() == 1  # two hours across midnight stay one row
    assert ((frame["ChargePeriodEnd"] - frame["ChargePeriodStart"]) <= pd.Timedelta(days=1)).all()


def test_an_unreadable_date_names_column_row_and_value():
    text = HEADER + ROW + ROW.replace("2024-09-01T00:00:00Z", "2024-31-01", 1)
    assert error_of(parse_export, text.encode(), "focus.csv") == (
        "focus.csv: column ChargePeriodStart row 2: unreadable date '2024-31-01'; use ISO 8601 dates (or M/D/YYYY)")


def test_a_row_that_ends_before_it_starts_names_its_row():
    text = HEADER + ROW + ROW.replace("2024-09-02T00:00:00Z", "2024-08-30T00:00:00Z")
    message = error_of(parse_export, text.encode(), "focus.csv")
    assert message.startswith("focus.csv: column ChargePeriodEnd row 2: ")
    assert "ends before it starts" in message


# --- relation: lazy, typed, streamed -----------------------------------------------------------------

def test_scan_reads_only_the_header_until_the_relation_runs():
    scan = engine.scan((focus_csv(2) + ROW.replace("1.5,", "bad,", 1)).encode(), "focus.csv")
    assert scan.format == "focus"  # built without an error: the bad row was not read
    relation = scan.relation
    assert relation.columns == list(model.COLUMN_NAMES)
    with pytest.raises(ExportFormatError, match="row 3: cost 'bad' is not a number"), scan.errors():
        relation.aggregate("sum(BilledCost)").fetchall()
    scan.close()


def test_a_file_larger_than_the_memory_limit_is_streamed(tmp_path):
    con = duck.new_connection(memory_limit="32MB")
    assert duck.settings(con)["memory_limit"] == "30.5 MiB"
    rows = 420_000
    target = tmp_path / "big.csv"
    with open(target, "w") as fh:
        fh.write(HEADER)
        fh.writelines([ROW] * rows)
    assert target.stat().st_size > 32 * 2**20
    with engine.scan(target, con=con) as scan, scan.errors():
        total, count, tags = scan.relation.aggregate("sum(BilledCost), count(*), any_value(Tags)").fetchall()[0]
    assert (total, count, json.loads(tags)) == (pytest.approx(1.5 * rows), rows, {"team": "web"})
    con.close()


def test_the_shared_connection_is_utc_and_bounded():
    from costctl import duck as shared

    assert duck.connect() is shared.connect()  # one connection per process, with the ingest's UDFs
    settings = duck.settings(duck.connect())
    assert settings["TimeZone"] == "UTC"
    assert settings["temp_directory"]
    assert "GiB" not in settings["memory_limit"] or float(settings["memory_limit"].split()[0]) < 1


def pandas_azure_mapper(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """A stand-in pandas mapper (Azure's own is SQL-only now): the fallback path is what is tested."""
    start = pd.to_datetime(raw["Date"], utc=True)
    cost = pd.to_numeric(raw["Cost"])
    return pd.DataFrame({"ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
                         "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": raw["BillingCurrency"],
                         "ProviderName": "Microsoft", "ChargeCategory": "Usage"})


def test_formats_without_a_sql_mapper_fall_back_to_their_pandas_mapper(monkeypatch):
    from costctl.formats import export

    monkeypatch.setitem(engine.SQL_MAPPERS, "azure", "costctl.formats.no_such_module")
    monkeypatch.setitem(export.MAPPERS, "azure", (list, pandas_azure_mapper))
    data = b"Date,MeterCategory,SubscriptionId,Cost,BillingCurrency\n2024-01-01,Storage,s1,1.5,USD\n"
    with engine.scan(data, "azure.csv") as scan:
        assert scan.format == "azure" and scan.parts[0].mapper is None
        assert scan.df()["BilledCost"].tolist() == [1.5]
        with scan.errors():
            assert scan.relation.aggregate("sum(BilledCost)").fetchall() == [(1.5,)]


def test_a_bad_memory_setting_is_a_config_error_naming_the_variable():
    from costctl.errors import ConfigError

    with pytest.raises(ConfigError, match="COSTCTL_DUCKDB_MEMORY='lots' is not a memory size"):
        duck.new_connection(memory_limit="lots")


def test_a_value_error_outside_scan_errors_is_already_a_one_line_message():
    import duckdb

    from costctl.query import translate

    scan = engine.scan((focus_csv(2) + ROW.replace("1.5,", "abc,", 1)).encode(), "focus.csv")
    with pytest.raises(duckdb.Error) as info:
        scan.con.sql(f"SELECT sum(BilledCost) FROM ({scan.relation.sql_query()})").fetchall()
    assert str(engine.explain(info.value)) == ("focus.csv: column BilledCost row 3: cost 'abc' is not a number; "
                                               "fix or remove that row")
    without_row = "focus.csv: column BilledCost: cost 'abc' is not a number; fix or remove that row"
    assert str(translate(info.value)) == without_row  # a scan query.py does not know: the query's own message
    scan.close()
    del scan
    assert engine.explain(info.value) is None
    assert str(translate(info.value)) == without_row
    assert engine.explain(duckdb.Error("something else")) is None
