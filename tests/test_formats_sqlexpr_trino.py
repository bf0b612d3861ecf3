"""TrinoRaw: the CUR mapper's helpers in Trino SQL give what sqlexpr.Raw gives in DuckDB.

Each case builds one small table, maps it with ``aws_cur_sql`` twice (``Raw`` in DuckDB, ``TrinoRaw``
parsed as Trino and translated to DuckDB by sqlglot) and compares values cell by cell.
"""

from __future__ import annotations

import json

import pytest

from costctl.clouds.aws import cur_sql as aws_cur_sql
from costctl.formats.sqlexpr import Raw, register_functions
from costctl.formats.sqlexpr_trino import TrinoRaw, glue_type

ROWS = [
    # (line type, cost text, start text, tags map, team column, createdBy column)
    ("Usage", "1.5", "2025-01-02T03:00:00Z", {"user_team": "core", "user_env": "prod"}, None, "alice"),
    ("Credit", " -0.25 ", "2025-01-02T00:00:00.000Z", {"user_team": "core"}, "web", None),
    ("Tax", "", "1/3/2025", {}, "", None),
    ("SavingsPlanNegation", "NULL", "2025-01-04 00:00:00", {"user:team": "ops", "aws:createdBy": "bob"}, None, None),
]


def table(con, with_map: bool) -> dict[str, str]:
    con.execute("CREATE OR REPLACE TABLE cur (line_item_line_item_type VARCHAR, line_item_unblended_cost VARCHAR, "
                "line_item_usage_start_date VARCHAR, line_item_usage_end_date VARCHAR, "
                "line_item_usage_account_id VARCHAR, resource_tags MAP(VARCHAR, VARCHAR), "
                "resource_tags_user_team VARCHAR, \"resource_tags_aws_created_by\" VARCHAR)")
    for kind, cost, start, tags, team, created in ROWS:
        con.execute("INSERT INTO cur VALUES (?, ?, ?, ?, '1', MAP(?::VARCHAR[], ?::VARCHAR[]), ?, ?)",
                    [kind, cost, start, start, list(tags), list(tags.values()), team, created])
    columns = {"line_item_line_item_type": "VARCHAR", "line_item_unblended_cost": "VARCHAR",
               "line_item_usage_start_date": "VARCHAR", "line_item_usage_end_date": "VARCHAR",
               "line_item_usage_account_id": "VARCHAR", "resource_tags_user_team": "VARCHAR",
               "resource_tags_aws_created_by": "VARCHAR"}
    if with_map:
        columns["resource_tags"] = "MAP(VARCHAR, VARCHAR)"
    return columns


@pytest.mark.parametrize("with_map", [True, False])
def test_trino_mapping_equals_the_duckdb_mapping(with_map: bool) -> None:
    import duckdb
    import sqlglot

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    register_functions(con)
    columns = table(con, with_map)
    duck = aws_cur_sql.columns(Raw(columns, "cur"))
    trino_raw = TrinoRaw(columns, "cur")
    trino = aws_cur_sql.columns(trino_raw)
    keys = ["team", "env", "aws_created_by", "aws:createdBy", "absent"]

    def run(select: str) -> list[tuple]:
        return con.sql(f"SELECT {select} FROM cur").fetchall()

    for name in ("BilledCost", "EffectiveCost", "ChargeCategory", "SubAccountId"):
        translated = sqlglot.transpile(trino[name], read="trino", write="duckdb")[0]
        assert run(translated) == run(duck[name]), name
    start = sqlglot.transpile(trino["ChargePeriodStart"], read="trino", write="duckdb")[0]
    got = [row[0].replace(tzinfo=None) for row in run(start)]
    want = [row[0].replace(tzinfo=None) for row in run(duck["ChargePeriodStart"])]
    assert got == want
    duck_tags = [json.loads(row[0]) for row in run(duck["Tags"])]
    for key in keys:
        sql = sqlglot.transpile(trino_raw.tag_value(trino["Tags"], key), read="trino", write="duckdb")[0]
        assert [row[0] for row in run(sql)] == [t.get(key) or None for t in duck_tags], key


def test_trino_sql_parses_as_trino() -> None:
    import sqlglot

    columns = {"line_item_unblended_cost": "DOUBLE", "line_item_usage_start_date": "TIMESTAMP",
               "line_item_usage_end_date": "TIMESTAMP", "resource_tags": "MAP(VARCHAR, VARCHAR)",
               "product": "MAP(VARCHAR, VARCHAR)", "reservation_effective_cost": "DOUBLE"}
    raw = TrinoRaw(columns, "t")
    mapping = aws_cur_sql.columns(raw)
    for name, sql in mapping.items():
        if name in ("Tags", "ServiceCategory"):  # a TagSet, and the Python category rule (computed in costctl)
            continue
        sqlglot.parse_one(sql, read="trino")
    assert "error(" not in mapping["BilledCost"] and "list_contains" not in mapping["SubAccountId"]


@pytest.mark.parametrize("glue,raw", [
    ("string", "VARCHAR"), ("double", "DOUBLE"), ("decimal(18,9)", "DECIMAL(18,9)"), ("timestamp", "TIMESTAMP"),
    ("map<string,string>", "MAP(VARCHAR, VARCHAR)"), ("bigint", "BIGINT"), ("array<string>", "VARCHAR[]"),
    ("struct<a:int>", "STRUCT"), ("varchar(64)", "VARCHAR"), ("unheard", "VARCHAR"),
])
def test_glue_types_become_the_names_raw_expects(glue: str, raw: str) -> None:
    assert glue_type(glue) == raw
