"""The SQL building blocks give the same answers as the rules they port (common, categories)."""

from __future__ import annotations

import json

import duckdb
import pytest

from costctl.formats import duck
from costctl.formats.categories import AZURE_CONSUMED_SERVICES, KEYWORDS, service_category
from costctl.formats.common import NULL_STRINGS, parse_tags
from costctl.formats.sqlexpr import Raw, check_key, lit
from costctl.formats.sqlexpr import service_category as service_category_sql


def evaluate(build, values: list, sql_type: str = "VARCHAR") -> list:
    """Apply ``build(raw)`` (SQL over column v) to each value, one row each, in order."""
    con = duck.connect().cursor()
    rows = ", ".join(f"({i}, CAST({'NULL' if v is None else v if sql_type != 'VARCHAR' else lit(v)} AS {sql_type}))"
                     for i, v in enumerate(values))
    raw = Raw({"v": sql_type}, "x.csv")
    return [r[0] for r in con.sql(f"SELECT {build(raw)} FROM (VALUES {rows}) AS t(i, v) ORDER BY i").fetchall()]


TAG_CELLS = ['{"team": "web", "env": "prod"}', '"tagA": "valueA","tagB": "valueB"',
             "[{'key': 'goog-resource-type', 'value': 'bigquery_dataset'}]", '[{"key": "a", "value": null}]',
             '{"n": 1, "f": 1.5, "none": null}', "NULL", "", " {} ", "[]", "not tags at all",
             "__import__('os').system('false')", '{"k": "ü€"}']


def test_tags_text_follows_parse_tags():
    results = evaluate(lambda raw: raw.tags("v"), [*TAG_CELLS, None])
    assert [json.loads(r) for r in results] == [parse_tags(c) for c in TAG_CELLS] + [{}]


def test_tags_from_map_and_list_of_struct_columns():
    con = duck.connect().cursor()
    raw = Raw({"m": "MAP(VARCHAR, VARCHAR)", "l": "STRUCT(key VARCHAR, value VARCHAR)[]"}, "x.parquet")
    row = con.sql(f"SELECT {raw.tags('m')}, {raw.tags('l')} FROM (SELECT MAP {{'user_team': 'web', 'x': NULL}} AS m, "
                  "[{'key': 'a', 'value': 'b'}, {'key': 'c', 'value': NULL}] AS l)").fetchall()[0]
    assert [json.loads(r) for r in row] == [{"user_team": "web", "x": ""}, {"a": "b", "c": ""}]


def test_map_value_reads_a_string_map_as_its_tag_value_would():
    """The direct MAP read gives exactly what going through the tag set's JSON gives, key by key."""
    con = duck.connect().cursor()
    raw = Raw({"m": "MAP(VARCHAR, VARCHAR)", "n": "MAP(VARCHAR, BIGINT)"}, "x.parquet")
    maps = ["MAP {'product_name': ' Amazon EC2 ', 'region': '', 'x': NULL}", "MAP {'product_name': 'None'}",
            "MAP {'product_name': '\t'}", "CAST(NULL AS MAP(VARCHAR, VARCHAR))", "MAP {'region': 'us-east-1'}"]
    keys = ["product_name", "region", "x", "absent"]
    direct = ", ".join(raw.map_value("m", k) for k in keys)
    via_tags = ", ".join(raw.tag_value(raw.tags("m"), k) for k in keys)
    for value in maps:
        got = con.sql(f"SELECT {direct}, {via_tags} FROM (SELECT {value} AS m)").fetchall()[0]
        assert got[:len(keys)] == got[len(keys):], value
    assert raw.map_value("n", "a") is None  # a non-text map keeps the tag path (values as JSON text)
    assert raw.map_value("absent", "a") is None


TRICKY_MAPS = [{"team": "web", "env": "prod"}, {}, {"k": None, "j": "x"}, {"url": "https://a/b?c=d"},
               {"q": 'say "hi"'}, {"back": "a\\b"}, {"ctl": "a\tb\nc\x01"}, {"ü€": "日本語 \u2028 \u2029 \x7f 😀"},
               {"user_team": " spaced ", "": "empty key"}, {"a": ""}]


@pytest.mark.parametrize("tags", TRICKY_MAPS, ids=range(len(TRICKY_MAPS)))
def test_text_map_tags_are_the_json_the_tags_rule_writes(tags):
    """The SQL path for MAP(VARCHAR, VARCHAR) gives the exact text the UDF (``parse_tags``) gives."""
    con = duck.connect().cursor()
    raw = Raw({"m": "MAP(VARCHAR, VARCHAR)"}, "x.parquet")
    keys = [lit(k) for k in tags]
    values = ["CAST(NULL AS VARCHAR)" if v is None else lit(v) for v in tags.values()]
    value = (f"MAP([{', '.join(keys)}]::VARCHAR[], [{', '.join(values)}]::VARCHAR[])" if tags
             else "MAP(CAST([] AS VARCHAR[]), CAST([] AS VARCHAR[]))")
    got = con.sql(f"SELECT {raw.tags('m')} FROM (SELECT {value} AS m)").fetchall()[0][0]
    assert got == json.dumps(parse_tags(tags), ensure_ascii=False, separators=(",", ":"))
    assert con.sql(f"SELECT {raw.tags('m')} FROM (SELECT CAST(NULL AS MAP(VARCHAR, VARCHAR)) AS m)").fetchall() \
        == [("{}",)]


def test_absent_tags_column_is_an_empty_object():
    assert evaluate(lambda raw: raw.tags("missing"), ["x"]) == ["{}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09/21/2023", "2023-09-21 00:00:00+00:00"),
        ("9/2/2023", "2023-09-02 00:00:00+00:00"),
        ("2020-09-22", "2020-09-22 00:00:00+00:00"),
        ("2024-09-18 22:00:00", "2024-09-18 22:00:00+00:00"),
        ("2023-11-01T00:00:00.000Z", "2023-11-01 00:00:00+00:00"),
        ("2023-11-01T00:00:00.0000000Z", "2023-11-01 00:00:00+00:00"),
        ("2020-11-09 23:00:00+00:00", "2020-11-09 23:00:00+00:00"),
        ("2020-11-09T23:00:00-02:00", "2020-11-10 01:00:00+00:00"),
        ("2020-11-09 23:00:00 UTC", "2020-11-09 23:00:00+00:00"),
        (" 2020-11-09 ", "2020-11-09 00:00:00+00:00"),
    ],
)
def test_timestamps_are_utc_with_slash_dates_month_first(text, expected):
    assert str(evaluate(lambda raw: raw.timestamp("v"), [text])[0]) == expected


@pytest.mark.parametrize(("cell", "kind"), [("13/45/2023", "bad_date"), ("soon", "bad_date"),
                                            ("infinity", "bad_date"), ("", "empty_date"), ("NULL", "empty_date")])
def test_bad_and_empty_dates_raise_their_check(cell, kind):
    raw_of: list[Raw] = []

    def build(raw: Raw) -> str:
        raw_of.append(raw)
        return raw.timestamp("v")

    with pytest.raises(duckdb.Error) as info:
        evaluate(build, [cell])
    assert raw_of[0].checks[check_key(str(info.value))].kind == kind


def test_mixed_slash_and_iso_dates_in_one_column_are_both_read():
    assert [d.day for d in evaluate(lambda raw: raw.timestamp("v"), ["12/01/2023", "2023-12-02"])] == [1, 2]


def test_typed_timestamps_naive_is_utc():
    assert str(evaluate(lambda raw: raw.timestamp("v"), ["TIMESTAMP '2024-01-01 05:00'"], "TIMESTAMP")[0]) \
        == "2024-01-01 05:00:00+00:00"


def test_money_rules():
    cells = ["1.5", " 2.5 ", "\t3\t", "-0.25", "1e3", *sorted(NULL_STRINGS), " NULL "]
    assert evaluate(lambda raw: raw.money("v"), cells) == [1.5, 2.5, 3.0, -0.25, 1000.0] + [0.0] * (len(NULL_STRINGS)
                                                                                                      + 1)
    assert evaluate(lambda raw: raw.money("v", default=7.0), [""]) == [7.0]
    assert evaluate(lambda raw: raw.money("missing"), ["1"]) == [0.0]
    assert evaluate(lambda raw: raw.money("v"), ["1.5", "'nan'", None], "DOUBLE") == [1.5, 0.0, 0.0]


@pytest.mark.parametrize(("cell", "sql_type", "kind"), [
    ("abc", "VARCHAR", "not_number"), ("NAN", "VARCHAR", "not_number"), ("1e16", "VARCHAR", "not_finite"),
    ("-inf", "VARCHAR", "not_finite"), ("'inf'", "DOUBLE", "not_finite"),
])
def test_money_that_is_not_a_bounded_number_raises_its_check(cell, sql_type, kind):
    raws: list[Raw] = []

    def build(raw: Raw) -> str:
        raws.append(raw)
        return raw.money("v")

    with pytest.raises(duckdb.Error) as info:
        evaluate(build, [cell], sql_type)
    assert raws[0].checks[check_key(str(info.value))].kind == kind


def test_number_and_text_rules():
    assert evaluate(lambda raw: raw.number("v"), ["2", "abc", "nan", "", None]) == [2.0, None, None, None, None]
    assert evaluate(lambda raw: raw.text("v"), [" x ", "NULL", "\tNone\n", "a b", ""]) == ["x", None, None, "a b", None]
    assert evaluate(lambda raw: raw.text("v"), ["1.5"], "DOUBLE") == ["1.5"]


def test_service_category_sql_matches_python_for_every_table_entry():
    names = [k for k, _ in KEYWORDS] + [f"Some {k.upper()} thing" for k, _ in KEYWORDS] + ["", "   ", "Unheard Of"]
    consumed = [None, *AZURE_CONSUMED_SERVICES, " Microsoft.Compute ", "microsoft.unknown"]
    pairs = [(n, None) for n in names] + [("Virtual Machines", c) for c in consumed] + [(None, None)]
    con = duck.connect().cursor()
    rows = ", ".join(f"({i}, {'NULL' if n is None else lit(n)}, {'NULL' if c is None else lit(c)})"
                     for i, (n, c) in enumerate(pairs))
    sql = service_category_sql("s", "c")
    got = [r[0] for r in con.sql(f"SELECT {sql} FROM (VALUES {rows}) AS t(i, s, c) ORDER BY i").fetchall()]
    assert got == [service_category(n, c) for n, c in pairs]


def test_require_names_the_candidates():
    from costctl.errors import ExportFormatError

    raw = Raw({"cost": "VARCHAR", "Date": "VARCHAR"}, "x.csv")
    assert raw.resolve("COST") == "cost" and raw.resolve("nope", "date") == "Date" and raw.resolve("nope") is None
    with pytest.raises(ExportFormatError, match="x.csv: missing cost column A or B; re-export with that column"):
        raw.require("cost", "A", "B")


def test_tags_and_categories_are_parsed_once_per_distinct_value(monkeypatch):
    from costctl.formats import categories, sqlexpr

    calls: list[str] = []
    monkeypatch.setattr(sqlexpr, "parse_tags", lambda value: calls.append(value) or parse_tags(value))
    monkeypatch.setattr(categories, "service_category",
                        lambda name, consumed=None: calls.append(name) or service_category(name, consumed))
    monkeypatch.setattr(sqlexpr, "_TAG_CACHE", {})
    monkeypatch.setattr(sqlexpr, "_CATEGORY_CACHE", {})
    con = duck.connect().cursor()
    raw = Raw({"t": "VARCHAR", "s": "VARCHAR"}, "x.csv")
    rows = con.sql(f"SELECT {raw.tags('t')} AS tags, {service_category_sql(raw.text('s'))} AS category FROM "
                   "(SELECT '\"team\": \"t' || (i % 3) || '\"' AS t, 'Amazon S' || (i % 2) AS s FROM range(50000) r(i))"
                   ).fetchall()
    assert len(rows) == 50000 and {r[0] for r in rows} == {'{"team":"t0"}', '{"team":"t1"}', '{"team":"t2"}'}
    assert sorted(calls) == ['"team": "t0"', '"team": "t1"', '"team": "t2"', "Amazon S0", "Amazon S1"]
