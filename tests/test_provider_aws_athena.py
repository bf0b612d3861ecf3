"""The aws provider's athena mode against the Athena + Glue stand-in (tests/fake_athena.py) over moto S3.

Everything goes through the real boto3 clients: S3 to a moto_server process, Athena and Glue to the
stand-in, which executes the SQL costctl sends (translated from Trino to DuckDB with sqlglot) over the
export files the test put into the bucket. The exports are a CUR 2.0 Parquet export (bench/gen_exports.py:
tags, credits, RI and Savings Plan usage, month-long tax rows) partitioned by billing_period, and the same
bill as a legacy CUR CSV export partitioned by year/month. Totals and group-bys must equal, to the cent,
what the files path (``formats.parse_export``) gives over the same files.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fake_athena import FakeAthena

from costctl.clouds.aws.provider import AwsProvider
from costctl.errors import ConfigError, ProviderError
from moto_server import fresh_bucket

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

BUCKET = "cur-bucket"
ROWS = 3000
pytestmark = [pytest.mark.component]

GLUE_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "TIMESTAMP": "timestamp", "BIGINT": "bigint",
              "INTEGER": "int", "BOOLEAN": "boolean", "TIMESTAMP WITH TIME ZONE": "timestamp"}


def glue_type(duck: str) -> str:
    if duck.startswith("MAP("):
        return "map<string,string>"
    if duck.startswith("DECIMAL"):
        return duck.lower().replace(" ", "")
    return GLUE_TYPES.get(duck, "string")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Local files: the CUR 2.0 Parquet per billing period, and the legacy CSV per billing period."""
    import duckdb
    import gen_exports

    from costctl.clouds.aws.cur_format import V2_NAMES

    out = tmp_path_factory.mktemp("athena-exports")
    whole = gen_exports.generate("cur2", ROWS, out / "whole.parquet", days=59)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    relation = con.sql(f"SELECT * FROM '{whole}'")
    schema = {c: str(t) for c, t in zip(relation.columns, relation.dtypes, strict=True)}
    cur2, legacy = {}, {}
    legacy_select = []
    for v2, old in V2_NAMES.items():
        if v2 in schema and v2 not in ("product", "resource_tags"):
            value = (f"strftime({v2}, '%Y-%m-%dT%H:%M:%SZ')" if schema[v2].startswith("TIMESTAMP")
                     else f"CAST({v2} AS VARCHAR)")
            legacy_select.append((old, v2, value))
    legacy_select.append(("product/ProductName", "product_product_name", "product['product_name']"))
    for key in ("team", "env"):
        legacy_select.append((f"resourceTags/user:{key}", f"resource_tags_user_{key}", f"resource_tags['user_{key}']"))
    for month in (1, 2):
        where = f"WHERE month(bill_billing_period_start_date) = {month}"
        path = out / f"cur2-2025-{month:02d}.parquet"
        con.execute(f"COPY (SELECT * FROM '{whole}' {where}) TO '{path}' (FORMAT parquet)")
        cur2[f"2025-{month:02d}"] = path
        path = out / f"legacy-2025-{month:02d}.csv"
        columns = ", ".join(f'{value} AS "{old}"' for old, _, value in legacy_select)
        con.execute(f"COPY (SELECT {columns} FROM '{whole}' {where}) TO '{path}' (FORMAT csv, HEADER true)")
        legacy[month] = path
    return {"cur2": cur2, "legacy": legacy, "schema": schema,
            "legacy_columns": {v2: "string" for _, v2, _ in legacy_select}}


@pytest.fixture
def s3(moto: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return fresh_bucket(moto, monkeypatch, BUCKET)


@pytest.fixture
def athena(moto: str, s3: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = FakeAthena(moto).start()
    # botocore's per-service endpoints: S3 at moto, Athena and Glue at the stand-in
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", fake.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", fake.url)
    monkeypatch.setattr("costctl.clouds.aws.athena.POLL_INITIAL", 0.01)
    yield fake
    fake.stop()


def put_cur2(s3: Any, athena: FakeAthena, exports: dict[str, Any]) -> None:
    for period, path in exports["cur2"].items():
        # Data Exports write the partition folder in upper case; Glue and Athena name the key in lower case
        s3.put_object(Bucket=BUCKET, Key=f"cur2/data/BILLING_PERIOD={period}/part-0.snappy.parquet",
                      Body=path.read_bytes())
    s3.put_object(Bucket=BUCKET, Key="cur2/metadata/billing_period=2025-01/costctl-Manifest.json", Body=b"{}")
    athena.add_table("cur", "cur2", {c: glue_type(t) for c, t in exports["schema"].items()},
                     {"billing_period": "string"}, f"s3://{BUCKET}/cur2/data/", "parquet")


def put_legacy(s3: Any, athena: FakeAthena, exports: dict[str, Any]) -> None:
    for month, path in exports["legacy"].items():
        s3.put_object(Bucket=BUCKET, Key=f"legacy/year=2025/month={month}/report-1.csv", Body=path.read_bytes())
    athena.add_table("cur", "legacy", exports["legacy_columns"], {"year": "string", "month": "string"},
                     f"s3://{BUCKET}/legacy/", "csv")


def provider(table: str, tag_keys: list[str] | None = None, **athena: Any) -> AwsProvider:
    return AwsProvider("athena", {"type": "aws", "tag_keys": tag_keys or ["team"],
                                  "athena": {"database": "cur", "table": table, **athena}}, store={})


def files_path(paths: list[Path], start: date, end: date) -> pd.DataFrame:
    """The files path over the same files: each file's rows within its billing period and the range."""
    from costctl import formats

    frames = []
    for path in paths:
        frame = formats.parse_export(path.read_bytes(), path.name)
        day = frame["ChargePeriodStart"].dt.floor("D")
        period = frame["BillingPeriodStart"].dt.floor("D")
        keep = (day >= period) & (day < period + pd.DateOffset(months=1))
        frames.append(frame.loc[keep])
    frame = pd.concat(frames, ignore_index=True)
    day = frame["ChargePeriodStart"].dt.floor("D")
    return frame.loc[(day >= pd.Timestamp(start, tz="UTC")) & (day < pd.Timestamp(end, tz="UTC"))]


def grouped(frame: pd.DataFrame) -> pd.DataFrame:
    keys = pd.DataFrame({
        "day": frame["ChargePeriodStart"].dt.floor("D"),
        "account": frame["SubAccountId"].astype(object), "service": frame["ServiceName"].astype(object),
        "region": frame["RegionId"].astype(object).fillna(""), "category": frame["ChargeCategory"].astype(object),
        "team": [t.get("team", "") for t in frame["Tags"]],
        "billed": frame["BilledCost"], "effective": frame["EffectiveCost"],
    })
    out = keys.groupby(["day", "account", "service", "region", "category", "team"], dropna=False)[
        ["billed", "effective"]].sum().round(2)
    return out.loc[(out["billed"] != 0) | (out["effective"] != 0)]


def assert_same(athena_frame: pd.DataFrame, files_frame: pd.DataFrame) -> None:
    assert round(athena_frame["BilledCost"].sum(), 2) == round(files_frame["BilledCost"].sum(), 2)
    assert round(athena_frame["EffectiveCost"].sum(), 2) == round(files_frame["EffectiveCost"].sum(), 2)
    left, right = grouped(athena_frame), grouped(files_frame)
    pd.testing.assert_frame_equal(left, right, check_exact=False, atol=0.0051, rtol=0)


@pytest.mark.parametrize("start,end", [(date(2025, 1, 1), date(2025, 3, 1)), (date(2025, 1, 20), date(2025, 2, 10))])
def test_cur2_parquet_totals_and_group_bys_equal_the_files_path(s3: Any, athena: FakeAthena, exports: dict,
                                                                start: date, end: date) -> None:
    put_cur2(s3, athena, exports)
    aws = provider("cur2")
    frame = aws.fetch(start, end)
    expected = files_path(list(exports["cur2"].values()), start, end)
    assert len(athena.started) == 1, "one query per fetched range"
    assert set(frame["ChargeCategory"]) >= {"Usage", "Credit", "Tax"}
    assert (frame["EffectiveCost"] != frame["BilledCost"]).any(), "RI / Savings Plan amortization applies"
    assert_same(frame, expected)
    assert len(frame) < len(expected), "the answer is aggregated, not the line items"
    assert aws.stats.bytes_scanned > 0


def test_legacy_csv_totals_and_group_bys_equal_the_files_path(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_legacy(s3, athena, exports)
    frame = provider("legacy").fetch(date(2025, 1, 1), date(2025, 3, 1))
    expected = files_path(list(exports["legacy"].values()), date(2025, 1, 1), date(2025, 3, 1))
    assert_same(frame, expected)
    assert 'resource_tags_user_team' in athena.started[0]


def test_the_query_prunes_partitions_and_filters_usage_dates(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    put_legacy(s3, athena, exports)
    aws = provider("cur2")
    aws.fetch(date(2025, 2, 3), date(2025, 2, 5))
    sql = athena.started[-1]
    assert "\"billing_period\" IN ('2025-02')" in sql
    assert "TIMESTAMP '2025-02-05 00:00:00'" in sql and "GROUP BY" in sql
    assert aws.stats.bytes_scanned == exports["cur2"]["2025-02"].stat().st_size  # January is not read
    provider("legacy").fetch(date(2025, 1, 30), date(2025, 2, 2))
    assert "\"month\" IN ('1', '01')" in athena.started[-1] and "\"month\" IN ('2', '02')" in athena.started[-1]


def test_resources_and_tag_keys_are_the_only_extra_group_keys(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    lean = provider("cur2", tag_keys=["team"]).fetch(date(2025, 1, 1), date(2025, 1, 8))
    wide = provider("cur2", tag_keys=["team", "env"], resources=True).fetch(date(2025, 1, 1), date(2025, 1, 8))
    assert lean["ResourceId"].isna().all() and wide["ResourceId"].notna().any()
    assert len(wide) >= len(lean) and wide["ResourceId"].nunique() > 1
    assert {k for tags in wide["Tags"] for k in tags} == {"team", "env"}
    assert round(wide["BilledCost"].sum(), 2) == round(lean["BilledCost"].sum(), 2)


def test_an_answer_of_one_page_is_read_from_that_page_alone(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    aws = provider("cur2")
    aws.fetch(date(2025, 1, 1), date(2025, 1, 3))
    assert athena.calls.count("GetQueryResults") == 1
    assert aws.requests_by_service["s3"] == 1, "the scan estimate's listing only: no result file read"


def test_an_answer_of_several_pages_is_read_from_the_result_file(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    whole = provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 15))
    athena.page_size = 7
    aws = provider("cur2")
    from_file = aws.fetch(date(2025, 1, 1), date(2025, 1, 15))
    assert len(from_file) > 7 * 3
    assert athena.calls.count("GetQueryResults") == 2, "one first page per query, none after it"
    assert aws.requests_by_service["s3"] == 2, "the listing and one GetObject of the result file"
    pd.testing.assert_frame_equal(from_file, whole)


def test_without_a_result_file_the_pages_are_read_to_the_end(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    whole = provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 15))
    athena.page_size = 7
    athena.managed_results.add("primary")  # Athena managed query results: no OutputLocation to read
    paged = provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 15))
    assert athena.calls.count("GetQueryResults") > 3
    pd.testing.assert_frame_equal(paged, whole)


@pytest.mark.parametrize("table", ["cur2", "legacy"])
def test_the_result_file_and_the_pages_give_the_same_records_to_the_cent(s3: Any, athena: FakeAthena,
                                                                         exports: dict, table: str) -> None:
    put_cur2(s3, athena, exports) if table == "cur2" else put_legacy(s3, athena, exports)
    athena.page_size = 50
    start, end = date(2025, 1, 1), date(2025, 3, 1)
    from_file = provider(table, tag_keys=["team", "env"], resources=True).fetch(start, end)
    assert athena.calls.count("GetQueryResults") == 1
    athena.managed_results.add("primary")
    paged = provider(table, tag_keys=["team", "env"], resources=True).fetch(start, end)
    assert athena.calls.count("GetQueryResults") > 10
    pd.testing.assert_frame_equal(from_file, paged)
    assert {k for tags in from_file["Tags"] for k in tags} == {"team", "env"}
    assert from_file["ResourceId"].notna().any() and from_file["ResourceId"].isna().any()
    expected = files_path(list(exports[table].values()), start, end)
    for column in ("BilledCost", "EffectiveCost"):
        assert round(from_file[column].sum(), 2) == round(expected[column].sum(), 2)


def test_max_scan_gb_refuses_before_any_query(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    with pytest.raises(ProviderError) as caught:
        provider("cur2", max_scan_gb=1e-6).fetch(date(2025, 1, 1), date(2025, 2, 1))
    assert "athena.max_scan_gb" in str(caught.value) and "\n" not in str(caught.value)
    assert athena.started == []


@pytest.mark.parametrize("case,expected", [
    ("workgroup", "athena.workgroup"),
    ("output", "athena.output_location"),
    ("table", "athena.database and athena.table"),
    ("column", "line_item_unblended_cost"),
])
def test_errors_are_one_line_naming_the_fix(s3: Any, athena: FakeAthena, exports: dict, case: str,
                                            expected: str) -> None:
    put_cur2(s3, athena, exports)
    settings: dict[str, Any] = {}
    table = "cur2"
    if case == "workgroup":
        settings["workgroup"] = "finops"
    elif case == "output":
        athena.denied_outputs.add("locked")
        settings["output_location"] = "s3://locked/results/"
    elif case == "table":
        table = "nope"
    else:
        columns = {c: glue_type(t) for c, t in exports["schema"].items() if c != "line_item_unblended_cost"}
        athena.add_table("cur", "cur2", columns, {"billing_period": "string"}, f"s3://{BUCKET}/cur2/data/", "parquet")
    with pytest.raises(ProviderError) as caught:
        provider(table, **settings).fetch(date(2025, 1, 1), date(2025, 1, 3))
    message = str(caught.value)
    assert expected in message and "\n" not in message and "Traceback" not in message


def test_a_query_that_fails_in_the_engine_is_one_line(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    s3.put_object(Bucket=BUCKET, Key="cur2/data/BILLING_PERIOD=2025-01/part-0.snappy.parquet", Body=b"not parquet")
    with pytest.raises(ProviderError) as caught:
        provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 3))
    assert "FAILED" in str(caught.value) and "\n" not in str(caught.value)


def test_a_query_still_running_at_max_query_time_is_stopped(s3: Any, athena: FakeAthena, exports: dict) -> None:
    put_cur2(s3, athena, exports)
    athena.running_polls = 10**6
    with pytest.raises(ProviderError) as caught:
        provider("cur2", max_query_time=0.3).fetch(date(2025, 1, 1), date(2025, 1, 3))
    assert "athena.max_query_time" in str(caught.value)
    assert "StopQueryExecution" in athena.calls
    assert next(iter(athena.queries.values()))["state"] == "CANCELLED"


def test_a_malformed_query_state_is_a_failed_fetch(s3: Any, athena: FakeAthena, exports: dict,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from costctl.providers.answers import BadAnswer

    put_cur2(s3, athena, exports)
    original = athena.op_GetQueryExecution
    answers = iter([lambda a: a["QueryExecution"]["Status"].update(State="DONE"),
                    lambda a: a["QueryExecution"].pop("Statistics")])

    def damaged(body: dict[str, Any]) -> dict[str, Any]:
        answer = original(body)
        if answer["QueryExecution"]["Status"]["State"] == "SUCCEEDED":
            damage(answer)
        return answer

    monkeypatch.setattr(athena, "op_GetQueryExecution", damaged)
    for expected in ("not one of QUEUED", "no QueryExecution.Statistics"):
        damage = next(answers)
        with pytest.raises(BadAnswer, match=expected):
            provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 3))


@pytest.mark.parametrize("damage,expected", [
    ("columns", "expected"),
    ("count", "stated"),
    ("amount", "not a finite amount"),
])
def test_a_malformed_answer_is_a_failed_fetch(s3: Any, athena: FakeAthena, exports: dict, damage: str,
                                              expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from costctl.providers.answers import BadAnswer

    put_cur2(s3, athena, exports)
    original = athena.op_GetQueryResults

    def damaged(body: dict[str, Any]) -> dict[str, Any]:
        answer = original(body)
        rows = answer["ResultSet"]["Rows"]
        if damage == "columns":
            answer["ResultSet"]["ResultSetMetadata"]["ColumnInfo"].pop()
        elif damage == "count":
            rows.pop()
        else:
            rows[1]["Data"][-4] = {"VarCharValue": "NaN"}
        return answer

    monkeypatch.setattr(athena, "op_GetQueryResults", damaged)
    with pytest.raises(BadAnswer) as caught:
        provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 3))
    assert expected in str(caught.value)


def athena_csv(rows: list[list[str | None]]) -> bytes:
    """Rows written as Athena writes its result file (every value quoted, NULL an empty field)."""
    return "".join(",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in row) + "\n"
                   for row in rows).encode()


def read_athena_csv(data: bytes) -> list[list[str | None]]:
    import csv
    import io

    return [[v if v != "" else None for v in row] for row in csv.reader(io.StringIO(data.decode()))]


def cut_mid_row(data: bytes) -> bytes:
    return data[:-15]


def cut_at_a_row(data: bytes) -> bytes:
    return data[:data.rstrip(b"\n").rindex(b"\n") + 1]


def renamed_column(data: bytes) -> bytes:
    return data.replace(b'"billed_cost"', b'"billed"', 1)


def nan_amount(data: bytes) -> bytes:
    rows = read_athena_csv(data)
    rows[3][rows[0].index("billed_cost")] = "NaN"
    return athena_csv(rows)


def text_day(data: bytes) -> bytes:
    rows = read_athena_csv(data)
    rows[2][0] = "2025-01-01 00:00:00.000"
    return athena_csv(rows)


@pytest.mark.parametrize("damage,expected", [
    (cut_mid_row, "a CSV row that does not parse (CSV Error on Line: "),
    (cut_at_a_row, "where it stated"),
    (renamed_column, "columns ['usage_day'"),
    (nan_amount, "row 3: billed_cost = 'NaN', not a finite amount"),
    (text_day, "row 2: usage_day = '2025-01-01 00:00:00.000', not a date"),
])
def test_a_damaged_result_file_is_one_line_naming_the_file(s3: Any, athena: FakeAthena, exports: dict,
                                                           damage: Any, expected: str) -> None:
    from costctl.providers.answers import BadAnswer

    put_cur2(s3, athena, exports)
    athena.page_size = 7
    athena.result_filter = damage
    with pytest.raises(BadAnswer) as caught:
        provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 15))
    message = str(caught.value)
    assert expected in message, message
    assert "Athena result file s3://primary-results/q-0001.csv" in message
    assert "\n" not in message and "nothing was cached" in message


def test_a_damaged_result_file_caches_nothing(s3: Any, athena: FakeAthena, exports: dict, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from costctl.context import Env
    from costctl.loader import load

    put_cur2(s3, athena, exports)
    monkeypatch.setattr(AwsProvider, "today", lambda self: date(2025, 2, 20))
    config = write_config(tmp_path)
    athena.page_size = 7
    athena.result_filter = nan_amount
    with pytest.raises(ProviderError, match="answer rejected|not a finite amount"):
        load(Env(config_path=str(config)), ["cur"], date(2025, 1, 1), date(2025, 1, 15))
    athena.result_filter = None
    data, statuses = load(Env(config_path=str(config)), ["cur"], date(2025, 1, 1), date(2025, 1, 15))
    assert statuses[0].ok and statuses[0].fetched == [(date(2025, 1, 1), date(2025, 1, 15))], "nothing was cached"
    assert len(athena.started) == 2 and data.count() > 0


def test_access_denied_on_the_result_file_falls_back_to_the_pages(s3: Any, athena: FakeAthena, exports: dict,
                                                                  moto: str, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    from fault_proxy import Fault, FaultProxy

    put_cur2(s3, athena, exports)
    whole = provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 15))
    proxy = FaultProxy(moto).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
        denied = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
                  b"<Message>Access Denied</Message></Error>")
        proxy.add(Fault("GET /primary-results/", denied, status=403, headers={"Content-Type": "application/xml"},
                        times=None))
        athena.page_size = 7
        with caplog.at_level("INFO", logger="costctl.clouds.aws.athena"):
            paged = provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 15))
    finally:
        proxy.stop()
    assert any(line.startswith("GET /primary-results/q-0002.csv") for line in proxy.seen)
    assert athena.calls.count("GetQueryResults") > 3
    pd.testing.assert_frame_equal(paged, whole)
    assert "grant s3:GetObject on s3://primary-results/q-0002.csv" in caplog.text


def test_a_large_answer_is_read_in_a_few_requests(s3: Any, athena: FakeAthena, tmp_path: Path) -> None:
    """50,000+ rows (resources and two tag keys over 59 days): one GetQueryResults page, one GetObject."""
    import duckdb
    import gen_exports

    whole = gen_exports.generate("cur2", 120_000, tmp_path / "big.parquet", days=59)
    con = duckdb.connect()
    relation = con.sql(f"SELECT * FROM '{whole}'")
    schema = {c: str(t) for c, t in zip(relation.columns, relation.dtypes, strict=True)}
    for month in (1, 2):
        path = tmp_path / f"big-{month}.parquet"
        con.execute(f"COPY (SELECT * FROM '{whole}' WHERE month(bill_billing_period_start_date) = {month}) "
                    f"TO '{path}' (FORMAT parquet)")
        s3.put_object(Bucket=BUCKET, Key=f"big/billing_period=2025-{month:02d}/part-0.parquet",
                      Body=path.read_bytes())
    athena.add_table("cur", "big", {c: glue_type(t) for c, t in schema.items()}, {"billing_period": "string"},
                     f"s3://{BUCKET}/big/", "parquet")
    aws = provider("big", tag_keys=["team", "env"], resources=True)
    frame = aws.fetch(date(2025, 1, 1), date(2025, 3, 1))
    assert len(frame) >= 50_000
    assert athena.calls.count("GetQueryResults") == 1
    assert aws.stats.requests <= 8, dict(aws.requests_by_service)
    expected = con.execute(f"SELECT sum(line_item_unblended_cost) FROM '{whole}' "
                           "WHERE line_item_usage_start_date < TIMESTAMP '2025-03-01'").fetchone()[0]
    assert round(float(frame["BilledCost"].sum()), 2) == round(float(expected), 2)


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="athena"):
        AwsProvider("a", {"type": "aws", "athena": {"database": "cur", "table": "t; DROP"}}, store={})
    with pytest.raises(ConfigError, match="cur_s3_uri"):
        AwsProvider("a", {"type": "aws", "cur_s3_uri": "s3://b/p", "athena": {"database": "c", "table": "t"}},
                    store={})
    with pytest.raises(ConfigError, match="max_scan_gb"):
        AwsProvider("a", {"type": "aws", "athena": {"database": "c", "table": "t", "max_scan_gb": -1}}, store={})
    ok = AwsProvider("a", {"type": "aws", "tag_keys": ["a", "b", "c"], "athena": {"database": "c", "table": "t"}},
                     store={})
    assert ok.settings["athena"]["workgroup"] == "primary" and ok.settings["athena"]["catalog"] == "AwsDataCatalog"


def test_the_cache_fingerprint_follows_the_table_not_the_workgroup_or_limits() -> None:
    def fp(**athena: Any) -> str:
        settings = {"database": "cur", "table": "cur2", **athena}
        return AwsProvider("a", {"type": "aws", "athena": settings}, store={}).fingerprint()

    base = fp()
    assert fp(workgroup="finops", max_scan_gb=5, max_query_time="1m", output_location="s3://r/x/") == base
    assert fp(table="other") != base and fp(resources=True) != base and fp(database="x") != base


def test_test_auth_checks_the_table_and_workgroup(s3: Any, athena: FakeAthena, exports: dict, moto: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", moto)
    put_cur2(s3, athena, exports)
    result = provider("cur2").test_auth()
    assert result.ok, result.checks
    assert "cur.cur2 (cur2" in result.checks[1][2]
    assert athena.started == [], "test-auth runs no (billed) query"


# --- through the loader and the CLI: the cache decides what is asked for ----------------------------------

def write_config(tmp_path: Path, **athena_settings: Any) -> Path:
    import yaml

    path = tmp_path / "config.yaml"
    settings = {"type": "aws", "tag_keys": ["team"], "restatement_days": 3, "ttl": "1h",
                "athena": {"database": "cur", "table": "cur2", **athena_settings}}
    path.write_text(yaml.safe_dump({"providers": {"cur": settings}, "cache": {"path": str(tmp_path / "cache")}}))
    return path


def test_a_second_run_inside_the_ttl_starts_no_query_and_after_it_only_the_restatement_window(
        s3: Any, athena: FakeAthena, exports: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from costctl.context import Env
    from costctl.loader import load

    put_cur2(s3, athena, exports)
    today = date(2025, 2, 20)
    monkeypatch.setattr(AwsProvider, "today", lambda self: today)

    def no_pandas(self: AwsProvider, *args: Any) -> None:
        raise AssertionError("the loader reads athena answers through fetch_sql, never as a pandas frame")

    monkeypatch.setattr(AwsProvider, "fetch", no_pandas)
    config = write_config(tmp_path)
    noon = datetime(2025, 2, 20, 12, tzinfo=UTC)
    start = date(2025, 1, 1)

    def run(when: datetime) -> pd.DataFrame:
        data, statuses = load(Env(config_path=str(config), clock=lambda: when), ["cur"], start, today)
        assert statuses[0].ok, statuses[0].error
        return data.frame()

    first = run(noon)
    assert len(athena.started) == 1
    run(noon + timedelta(minutes=30))
    assert len(athena.started) == 1, "inside the TTL the cache answers"
    again = run(noon + timedelta(hours=2))
    assert len(athena.started) == 2
    sql = athena.started[1]
    assert "TIMESTAMP '2025-02-17 00:00:00'" in sql and "TIMESTAMP '2025-02-20 00:00:00'" in sql
    assert "\"billing_period\" IN ('2025-02')" in sql
    expected = files_path(list(exports["cur2"].values()), start, today)
    for frame in (first, again):
        assert round(float(frame["BilledCost"].sum()), 2) == round(float(expected["BilledCost"].sum()), 2)


def test_costs_with_verbose_reports_the_bytes_scanned(s3: Any, athena: FakeAthena, exports: dict, tmp_path: Path,
                                                       run: Any) -> None:
    put_cur2(s3, athena, exports)
    config = write_config(tmp_path)
    result = run("--config", str(config), "-v", "costs", "--provider", "cur", "--start", "2025-02-01", "--end",
                 "2025-02-03", "--metric", "billed", "--granularity", "total", "--format", "json")
    assert result.exit_code == 0, result.stderr
    scanned = exports["cur2"]["2025-02"].stat().st_size
    assert f"{scanned} bytes scanned" in result.stderr
    expected = files_path(list(exports["cur2"].values()), date(2025, 2, 1), date(2025, 2, 4))
    assert abs(sum(r["cost"] for r in result.json()) - float(expected["BilledCost"].sum())) < 0.005


def test_the_command_deadline_bounds_the_wait_for_a_query(s3: Any, athena: FakeAthena, exports: dict,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from costctl import deadline
    from costctl.clouds.aws import athena as aws_athena

    put_cur2(s3, athena, exports)
    athena.running_polls = 10**6
    wait = aws_athena._wait

    def late_deadline(*args: Any) -> Any:
        deadline.start(3.0)  # set once the query runs: the stand-in's own work does not eat into it
        return wait(*args)

    monkeypatch.setattr(aws_athena, "_wait", late_deadline)
    try:
        with pytest.raises(ProviderError, match="stopped"):
            provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 3))
    finally:
        deadline.start(None)
    assert "StopQueryExecution" in athena.calls


def test_a_query_cut_short_by_the_deadline_watch_is_stopped(s3: Any, athena: FakeAthena, exports: dict,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from costctl import deadline
    from costctl.clouds.aws import athena as aws_athena

    put_cur2(s3, athena, exports)

    def cut(*args: Any) -> None:
        raise deadline.DeadlineExceeded(5)

    monkeypatch.setattr(aws_athena, "_wait", cut)
    with pytest.raises(deadline.DeadlineExceeded):
        provider("cur2").fetch(date(2025, 1, 1), date(2025, 1, 3))
    assert athena.calls[-1] == "StopQueryExecution"
