"""The AWS CUR mapper in SQL: amortization, tags, maps and both spellings, checked against totals done by hand.

Every expected figure below is written out from the rows themselves (AWS's amortized-cost formula
applied by hand in the comments), never computed through costctl.formats.
"""

from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costctl.errors import ExportFormatError
from costctl.formats import parse_export, read_export

HOUR = ("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
MONTH = ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z")

# (id, type, period, unblended, extra columns) -> expected EffectiveCost, worked out by hand per AWS's formula.
LEGACY_ROWS = [
    ("usage", "Usage", HOUR, "1.00", {}, 1.00),  # unblended
    ("ri-usage", "DiscountedUsage", HOUR, "0", {"reservation/EffectiveCost": "0.60",
                                                 "reservation/ReservationARN": "arn:ri"}, 0.60),  # RI effective cost
    ("ri-fee", "RIFee", MONTH, "30.00", {"reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "2.00",
                                         "reservation/UnusedRecurringFee": "1.50",
                                         "reservation/ReservationARN": "arn:ri"}, 3.50),  # unused share 2.00 + 1.50
    ("ri-upfront", "Fee", HOUR, "100.00", {"reservation/ReservationARN": "arn:ri"}, 0.0),  # amortized elsewhere
    ("support", "Fee", HOUR, "5.00", {}, 5.00),  # a fee without reservation is a plain fee
    ("sp-usage", "SavingsPlanCoveredUsage", HOUR, "2.00", {"savingsPlan/SavingsPlanEffectiveCost": "1.20"}, 1.20),
    ("sp-negation", "SavingsPlanNegation", HOUR, "-2.00", {}, 0.0),
    ("sp-fee", "SavingsPlanRecurringFee", HOUR, "10.00", {"savingsPlan/TotalCommitmentToDate": "10.00",
                                                         "savingsPlan/UsedCommitment": "8.25"}, 1.75),  # 10 - 8.25
    ("sp-upfront", "SavingsPlanUpfrontFee", HOUR, "50.00", {}, 0.0),
    ("tax", "Tax", MONTH, "0.75", {}, 0.75),
    ("credit", "Credit", HOUR, "-0.50", {}, -0.50),
]
LEGACY_BILLED = 196.25  # 1 + 0 + 30 + 100 + 5 + 2 - 2 + 10 + 50 + 0.75 - 0.50
LEGACY_EFFECTIVE = 13.30  # 1 + 0.60 + 3.50 + 0 + 5 + 1.20 + 0 + 1.75 + 0 + 0.75 - 0.50
AMORTIZATION = ["reservation/EffectiveCost", "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
                "reservation/UnusedRecurringFee", "reservation/ReservationARN", "savingsPlan/SavingsPlanEffectiveCost",
                "savingsPlan/TotalCommitmentToDate", "savingsPlan/UsedCommitment"]


def legacy_csv(rows=LEGACY_ROWS, extra_columns: tuple[str, ...] = ()) -> bytes:
    header = ["lineItem/ResourceId", "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/UsageEndDate",
              "lineItem/UnblendedCost", "bill/InvoiceId", *AMORTIZATION, *extra_columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    for rid, kind, (start, end), cost, extra, _ in rows:
        writer.writerow({"lineItem/ResourceId": rid, "lineItem/LineItemType": kind, "lineItem/UsageStartDate": start,
                         "lineItem/UsageEndDate": end, "lineItem/UnblendedCost": cost, "bill/InvoiceId": "INV-1",
                         **extra})
    return out.getvalue().encode()


def by_resource(frame, column: str) -> dict[str, float]:
    return {k: round(v, 6) for k, v in frame.groupby("ResourceId")[column].sum().items()}


def test_legacy_csv_with_amortization_lines_gives_the_totals_worked_out_by_hand():
    frame = parse_export(legacy_csv(), "cur.csv")
    assert frame["BilledCost"].sum() == pytest.approx(LEGACY_BILLED, abs=1e-9)
    assert frame["EffectiveCost"].sum() == pytest.approx(LEGACY_EFFECTIVE, abs=1e-9)
    assert by_resource(frame, "EffectiveCost") == pytest.approx({r[0]: r[5] for r in LEGACY_ROWS})
    fee = frame[frame["ResourceId"] == "ri-fee"]
    assert len(fee) == 31 and fee["BilledCost"].sum() == pytest.approx(30.0)  # monthly fee spread over January
    assert not frame["x_Estimated"].any()


def test_without_amortization_columns_every_line_costs_its_unblended_cost():
    data = b"lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost\n" \
           b"RIFee,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,40\nSavingsPlanNegation,2024-01-01T00:00:00Z," \
           b"2024-01-01T01:00:00Z,-3\n"
    frame = parse_export(data, "cur.csv")
    assert sorted(frame["EffectiveCost"]) == [-3.0, 40.0]


def test_with_only_savings_plan_columns_an_ri_fee_costs_its_unused_share_zero():
    data = b"lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost," \
           b"savingsPlan/SavingsPlanEffectiveCost\nRIFee,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,40,\n"
    assert list(parse_export(data, "cur.csv")["EffectiveCost"]) == [0.0]


def test_line_item_types_map_to_focus_charge_categories_and_user_prefix_is_dropped():
    types = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "SavingsPlanNegation", "Tax", "Credit", "Refund",
             "BundledDiscount", "EdpDiscount", "RIFee", "Fee", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee",
             "SomethingNew", ""]
    expected = ["Usage", "Usage", "Usage", "Usage", "Tax", "Credit", "Credit", "Credit", "Credit", "Purchase",
                "Purchase", "Purchase", "Purchase", "Adjustment", "Usage"]
    lines = ["lineItem/LineItemDescription,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,"
             "lineItem/UnblendedCost,resourceTags/user:team,resourceTags/aws:createdBy"]
    lines += [f"{i},{t},{HOUR[0]},{HOUR[1]},1,web," for i, t in enumerate(types)]
    frame = parse_export("\n".join(lines).encode(), "cur.csv").sort_values("ChargeDescription", key=lambda s:
                                                                           s.astype(int))
    assert list(frame["ChargeCategory"]) == expected
    assert frame["Tags"].iloc[0] == {"team": "web"}
    assert set(frame["BillingCurrency"]) == {"USD"}
    assert set(frame["ProviderName"]) == {"AWS"}


def test_invoice_id_column_present_but_empty_marks_rows_estimated():
    data = legacy_csv().replace(b"INV-1", b"")
    assert parse_export(data, "cur.csv")["x_Estimated"].all()


# --- CUR 2.0 Parquet with MAP columns -------------------------------------------------------------------------------

CUR2_SCHEMA = pa.schema([
    ("line_item_usage_start_date", pa.timestamp("ms")), ("line_item_usage_end_date", pa.timestamp("ms")),
    ("line_item_line_item_type", pa.string()), ("line_item_unblended_cost", pa.float64()),
    ("line_item_usage_account_id", pa.string()), ("line_item_product_code", pa.string()),
    ("line_item_resource_id", pa.string()), ("bill_invoice_id", pa.string()),
    ("reservation_effective_cost", pa.float64()), ("savings_plan_savings_plan_effective_cost", pa.float64()),
    ("savings_plan_total_commitment_to_date", pa.float64()), ("savings_plan_used_commitment", pa.float64()),
    ("resource_tags", pa.map_(pa.string(), pa.string())), ("product", pa.map_(pa.string(), pa.string())),
])


def cur2_rows():
    from datetime import datetime

    start, end = datetime(2024, 5, 1), datetime(2024, 5, 1, 1)
    base = {"line_item_usage_start_date": start, "line_item_usage_end_date": end, "line_item_usage_account_id": "1111",
            "line_item_product_code": "AmazonEC2", "bill_invoice_id": "", "resource_tags": [], "product": []}
    return [
        {**base, "line_item_resource_id": "usage", "line_item_line_item_type": "Usage",
         "line_item_unblended_cost": 1.25,
         "resource_tags": [("user_team", "web"), ("user:env", "prod"), ("aws_created_by", "me")],
         "product": [("product_name", "Amazon Elastic Compute Cloud"), ("region", "us-east-1")]},
        {**base, "line_item_resource_id": "sp-usage", "line_item_line_item_type": "SavingsPlanCoveredUsage",
         "line_item_unblended_cost": 2.0, "savings_plan_savings_plan_effective_cost": 1.5},  # -> 1.50
        {**base, "line_item_resource_id": "sp-fee", "line_item_line_item_type": "SavingsPlanRecurringFee",
         "line_item_unblended_cost": 7.0, "savings_plan_total_commitment_to_date": 7.0,
         "savings_plan_used_commitment": 6.4},  # -> 7.00 - 6.40 = 0.60
        {**base, "line_item_resource_id": "sp-negation", "line_item_line_item_type": "SavingsPlanNegation",
         "line_item_unblended_cost": -2.0},  # -> 0
        {**base, "line_item_resource_id": "ri-usage", "line_item_line_item_type": "DiscountedUsage",
         "line_item_unblended_cost": 0.0, "reservation_effective_cost": 0.33, "resource_tags": None,
         "product": None},  # -> 0.33
    ]


CUR2_BILLED = 8.25  # 1.25 + 2 + 7 - 2 + 0
CUR2_EFFECTIVE = 3.68  # 1.25 + 1.50 + 0.60 + 0 + 0.33


def test_cur2_parquet_with_map_tags_gives_the_totals_worked_out_by_hand(tmp_path):
    target = tmp_path / "cur2-00001.snappy.parquet"
    pq.write_table(pa.Table.from_pylist(cur2_rows(), schema=CUR2_SCHEMA), target)
    frame = read_export(target)
    assert frame["BilledCost"].sum() == pytest.approx(CUR2_BILLED, abs=1e-9)
    assert frame["EffectiveCost"].sum() == pytest.approx(CUR2_EFFECTIVE, abs=1e-9)
    assert by_resource(frame, "EffectiveCost") == pytest.approx(
        {"usage": 1.25, "sp-usage": 1.5, "sp-fee": 0.6, "sp-negation": 0.0, "ri-usage": 0.33})
    usage = frame[frame["ResourceId"] == "usage"].iloc[0]
    assert usage["Tags"] == {"team": "web", "env": "prod", "aws_created_by": "me"}
    assert (usage["ServiceName"], usage["RegionId"], usage["ServiceCategory"]) == (
        "Amazon Elastic Compute Cloud", "us-east-1", "Compute")
    other = frame[frame["ResourceId"] != "usage"]
    assert set(other["ServiceName"]) == {"AmazonEC2"}  # no product map entry: the product code
    assert all(tags == {} for tags in other["Tags"])
    assert frame["x_Estimated"].all()  # empty invoice id: not invoiced yet
    assert set(frame["ChargePeriodStart"].astype(str)) == {"2024-05-01 00:00:00+00:00"}


def test_cur2_csv_tag_columns_win_over_the_map_and_empty_ones_add_nothing(tmp_path):
    data = ("line_item_usage_start_date,line_item_usage_end_date,line_item_unblended_cost,resource_tags,"
            "resource_tags_user_team,resource_tags_user_cost_center,product,line_item_product_code\n"
            f'{HOUR[0]},{HOUR[1]},1,"{{""user_team"": ""old"", ""user_owner"": ""ann"", ""x"": ""a,\\""user:b""}}",'
            'web,,"{""product_name"": ""Amazon Simple Storage Service"", ""region"": ""eu-west-1""}",AmazonS3\n')
    frame = parse_export(data.encode(), "cur2.csv")
    assert frame["Tags"].iloc[0] == {"team": "web", "owner": "ann", "x": 'a,"user:b'}  # values keep their text
    row = frame.iloc[0]
    assert (row["ServiceName"], row["RegionId"], row["ServiceCategory"]) == ("Amazon Simple Storage Service",
                                                                              "eu-west-1", "Storage")


def test_cur2_without_cost_column_names_the_cur2_column():
    data = f"line_item_usage_start_date,line_item_usage_end_date\n{HOUR[0]},{HOUR[1]}\n".encode()
    with pytest.raises(ExportFormatError, match="missing cost column line_item_unblended_cost"):
        parse_export(data, "cur2.csv")


@pytest.mark.parametrize("kind", ["DiscountedUsage", "Usage"])
def test_non_numeric_amortization_cost_names_column_and_row(kind):
    """Text in a cost cell is an error even on a line type whose EffectiveCost does not read that column."""
    rows = [LEGACY_ROWS[0], ("bad", kind, HOUR, "0", {"reservation/EffectiveCost": "n/a"}, 0.0)]
    with pytest.raises(ExportFormatError, match=r"column reservation/EffectiveCost row 2: cost 'n/a' is not a number"):
        parse_export(legacy_csv(rows), "cur.csv")


# --- the same mapping for a table known only by its schema (Athena over Glue, issue #16) ---------------------------

ATHENA_CUR_COLUMNS = {  # a CUR table as Glue describes it (types in DuckDB's spelling); no file is read
    "line_item_usage_start_date": "TIMESTAMP", "line_item_usage_end_date": "TIMESTAMP",
    "line_item_unblended_cost": "DOUBLE", "line_item_line_item_type": "VARCHAR", "line_item_product_code": "VARCHAR",
    "reservation_effective_cost": "DOUBLE", "reservation_reservation_a_r_n": "VARCHAR",
    "savings_plan_savings_plan_effective_cost": "DOUBLE", "savings_plan_total_commitment_to_date": "DOUBLE",
    "savings_plan_used_commitment": "DOUBLE", "bill_invoice_id": "VARCHAR", "bill_billing_period_start_date":
    "TIMESTAMP", "product_region": "VARCHAR", "product": "MAP(VARCHAR, VARCHAR)",
    "resource_tags": "MAP(VARCHAR, VARCHAR)", "resource_tags_user_team": "VARCHAR",
}
# What the mapper's own SQL may use: CASE, COALESCE, CAST, AND/OR (sqlglot's names); all ANSI and Trino.
ANSI = {"Case", "If", "Coalesce", "Cast", "And", "Or"}


def test_the_mapping_from_a_glue_schema_writes_only_ansi_sql_around_the_sqlexpr_helpers(monkeypatch):
    """Everything dialect-specific comes from sqlexpr (replaced here by opaque columns); the rest must be ANSI."""
    import sqlglot
    from sqlglot import exp

    from costctl.clouds.aws import cur_sql as aws_cur_sql
    from costctl.formats.sqlexpr import Raw, ident

    class Opaque(Raw):
        def text(self, name):
            return "CAST(NULL AS VARCHAR)" if name is None else ident(f"text {name}")

        def money(self, name, default=0.0):
            return "0.0" if name is None else ident(f"money {name}")

        def number(self, name):
            return "CAST(NULL AS DOUBLE)" if name is None else ident(f"number {name}")

        def timestamp(self, name, if_empty=None):
            return ident(f"timestamp {name}") if if_empty is None else f"COALESCE({ident(f'ts {name}')}, {if_empty})"

        def usage_month(self, usage_start):
            return ident("usage_month")

        def tags(self, name):
            return ident(f"tags {name}")

        def merge_tags(self, *objects):
            return ident("merge_tags")

        def tag_object(self, pairs):
            return ident("tag_object")

        def strip_tag_prefixes(self, tags_sql, prefixes):
            return ident("strip_tag_prefixes")

        def tag_value(self, tags_sql, key):
            return ident("tag_value")

        def map_value(self, name, key):
            return ident(f"map_value {name} {key}")

    monkeypatch.setattr(aws_cur_sql, "service_category", lambda *args: ident("service_category"))
    mapping = aws_cur_sql.columns(Opaque(ATHENA_CUR_COLUMNS, "athena:cur"))
    used = set()
    for expression in mapping.values():
        tree = sqlglot.parse_one(expression, read="trino")
        used |= {type(node).__name__ for node in tree.walk() if isinstance(node, exp.Func)}
        used |= {f"anonymous {node.name}" for node in tree.walk() if isinstance(node, exp.Anonymous)}
    assert used <= ANSI, f"dialect-specific SQL outside sqlexpr: {used - ANSI}"
    assert mapping["RegionId"].startswith("COALESCE(" + ident("text product_region"))
    assert "money reservation_effective_cost" in mapping["EffectiveCost"]
    assert {"BillingPeriodStart", "x_Estimated"} <= set(mapping)


def test_the_mapping_from_a_glue_schema_runs_on_a_table_of_those_types():
    """The real helpers over a DuckDB table typed like the Glue schema: the Athena-shaped CUR maps as a file does."""
    import duckdb

    from costctl.clouds.aws import cur_sql as aws_cur_sql
    from costctl.formats import sqlexpr

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    sqlexpr.register_functions(con)
    con.execute("CREATE TABLE cur (" + ", ".join(f"{sqlexpr.ident(k)} {v}" for k, v in ATHENA_CUR_COLUMNS.items())
                + ")")
    con.execute("INSERT INTO cur VALUES ('2024-05-01 00:00', '2024-05-01 01:00', 2.0, 'SavingsPlanCoveredUsage', "
                "'AmazonEC2', NULL, NULL, 1.5, NULL, NULL, NULL, '2024-05-01', 'eu-west-1', "
                "MAP {'product_name': 'Amazon Elastic Compute Cloud'}, MAP {'user_env': 'prod', 'user_team': 'old'}, "
                "'web')")
    mapping = aws_cur_sql.columns(sqlexpr.Raw(ATHENA_CUR_COLUMNS, "athena:cur"))
    select = ", ".join(f"{expression} AS {sqlexpr.ident(name)}" for name, expression in mapping.items())
    row = dict(zip(mapping, con.execute(f"SELECT {select} FROM cur").fetchone(), strict=True))
    assert (row["BilledCost"], row["EffectiveCost"], row["ChargeCategory"]) == (2.0, 1.5, "Usage")
    assert (row["ServiceName"], row["RegionId"], row["x_Estimated"]) == ("Amazon Elastic Compute Cloud", "eu-west-1",
                                                                          True)
    assert json.loads(row["Tags"]) == {"env": "prod", "team": "web"}


# --- the tag-set helpers this mapper added to sqlexpr ----------------------------------------------------------------

@pytest.mark.parametrize(("tags", "expected"), [
    ({"user:team": "web", "user_env": "prod", "aws:createdBy": "me"}, {"team": "web", "env": "prod",
                                                                        "aws:createdBy": "me"}),
    ({"a": 'x,"user:b', '{"user:c': "z", "notuser:d": "1"}, {"a": 'x,"user:b', '{"user:c': "z", "notuser:d": "1"}),
    ({}, {}),
])
def test_strip_tag_prefixes_cuts_only_keys(tags, expected):
    import duckdb

    from costctl.formats.sqlexpr import lit, strip_tag_prefixes

    text = json.dumps(tags, separators=(",", ":"))  # the compact form Raw.tags gives
    result = duckdb.sql(f"SELECT {strip_tag_prefixes(lit(text), ('user:', 'user_'))}").fetchall()[0][0]
    assert json.loads(result) == expected


def test_tag_object_leaves_out_null_values_and_merge_tags_lets_the_later_set_win():
    import duckdb

    from costctl.formats.sqlexpr import merge_tags, tag_object, tag_value

    columns = tag_object([("team", "'web'"), ("env", "CAST(NULL AS VARCHAR)"), ("quote", "'a\"b'")])
    merged = merge_tags("'{\"team\":\"old\",\"env\":\"prod\"}'", columns)
    query = f"SELECT {columns}, {merged}, {tag_value(merged, 'env')}, {tag_value(merged, 'none')}"
    got = duckdb.sql(query).fetchall()[0]
    assert json.loads(got[0]) == {"team": "web", "quote": 'a"b'}
    assert json.loads(got[1]) == {"team": "web", "env": "prod", "quote": 'a"b'}
    assert got[2:] == ("prod", None)
    assert tag_object([]) == "'{}'" and merge_tags(None, None) == "'{}'"
