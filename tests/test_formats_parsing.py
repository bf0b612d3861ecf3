"""Units of the export parsers: detection, tags, dates, daily splitting, cost rules per format."""

from __future__ import annotations

import pandas as pd
import pytest

from costctl.errors import ExportFormatError
from costctl.formats import detect_format, map_frame, parse_export
from costctl.formats.categories import service_category
from costctl.formats.common import parse_tags


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["BilledCost", "ChargePeriodStart", "ProviderName"], "focus"),
        (["BilledCost", "ChargePeriodStart", "ServiceProviderName"], "focus"),
        (["lineItem/UnblendedCost", "lineItem/UsageStartDate"], "aws_cur"),
        (["line_item_unblended_cost", "line_item_usage_start_date"], "aws_cur2"),
        (["Date", "CostInBillingCurrency", "MeterCategory", "BillingAccountId"], "azure"),
        (["usageDateTime", "preTaxCost", "subscriptionGuid"], "azure"),
        (["date", "costInBillingCurrency", "meterCategory", "subscriptionId"], "azure"),
        (["cost", "usage_start_time", "service.description"], "gcp"),
        (["cost", "usage_start_time", "service", "credits"], "gcp"),
    ],
)
def test_detect_format_recognizes_each_signature(columns, expected):
    assert detect_format(columns) == expected


def test_detect_format_refuses_unknown_columns_listing_the_signatures():
    with pytest.raises(ExportFormatError, match="costctl reads FOCUS .*AWS CUR .*Azure .*GCP"):
        detect_format(["amount", "day"])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('{"team": "web", "env": "prod"}', {"team": "web", "env": "prod"}),
        ('"tagA": "valueA","tagB": "valueB"', {"tagA": "valueA", "tagB": "valueB"}),
        ("[{'key': 'goog-resource-type', 'value': 'bigquery_dataset'}]", {"goog-resource-type": "bigquery_dataset"}),
        ([{"key": "a", "value": None}], {"a": ""}),
        ([("user_team", "web")], {"user_team": "web"}),
        ({"n": 1}, {"n": "1"}),
        ("NULL", {}),
        ("", {}),
        (None, {}),
        (float("nan"), {}),
        ("not tags at all", {}),
        ("__import__('os').system('false')", {}),
    ],
)
def test_parse_tags_reads_every_tag_spelling(cell, expected):
    assert parse_tags(cell) == expected


def cur_rows(columns: dict[str, list[str]]) -> pd.DataFrame:
    """A legacy CUR with one hourly row per list entry, parsed through the SQL mapper, in file order."""
    n = len(next(iter(columns.values())))
    raw = pd.DataFrame({"lineItem/LineItemDescription": [str(i) for i in range(n)],
                        "lineItem/UsageStartDate": "2024-01-01T00:00:00Z",
                        "lineItem/UsageEndDate": "2024-01-01T01:00:00Z", **columns})
    frame = parse_export(raw.to_csv(index=False).encode(), "cur.csv")
    return frame.sort_values("ChargeDescription", key=lambda s: s.astype(int)).reset_index(drop=True)


def test_cur_effective_cost_follows_the_aws_amortization_rules():
    frame = cur_rows({
        "lineItem/LineItemType": ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "RIFee",
                                  "SavingsPlanRecurringFee", "SavingsPlanNegation", "Fee", "Fee", "Tax"],
        "lineItem/UnblendedCost": ["1", "2", "3", "40", "50", "-3", "100", "7", "0.5"],
        "reservation/EffectiveCost": ["", "1.2", "", "", "", "", "", "", ""],
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": ["", "", "", "4", "", "", "", "", ""],
        "reservation/UnusedRecurringFee": ["", "", "", "1", "", "", "", "", ""],
        "reservation/ReservationARN": ["", "arn", "", "arn", "", "", "arn", "", ""],
        "savingsPlan/SavingsPlanEffectiveCost": ["", "", "2.5", "", "", "", "", "", ""],
        "savingsPlan/TotalCommitmentToDate": ["", "", "", "", "50", "", "", "", ""],
        "savingsPlan/UsedCommitment": ["", "", "", "", "45", "", "", "", ""],
    })
    assert list(frame["EffectiveCost"]) == pytest.approx([1, 1.2, 2.5, 5, 5, 0, 0, 7, 0.5])


def test_cur_without_amortization_columns_uses_unblended_cost():
    frame = cur_rows({"lineItem/LineItemType": ["RIFee"], "lineItem/UnblendedCost": ["40"]})
    assert list(frame["EffectiveCost"]) == [40.0]


def test_cur_line_item_types_map_to_focus_charge_categories():
    types = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "Tax", "Credit", "Refund", "RIFee", "Fee",
             "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee", "SomethingNew"]
    raw = pd.DataFrame({
        "lineItem/UsageStartDate": "2024-01-01T00:00:00Z", "lineItem/UsageEndDate": "2024-01-01T01:00:00Z",
        "lineItem/LineItemType": types, "lineItem/UnblendedCost": "1", "resourceTags/user:team": "web",
        "resourceTags/aws:createdBy": "",
    })
    frame = map_frame(raw, "cur.csv")
    assert list(frame["ChargeCategory"]) == ["Usage", "Usage", "Usage", "Tax", "Credit", "Credit", "Purchase",
                                             "Purchase", "Purchase", "Purchase", "Adjustment"]
    assert frame["Tags"].iloc[0] == {"team": "web"}
    assert set(frame["BillingCurrency"]) == {"USD"}


def test_azure_costs_are_split_between_billed_and_effective_by_commitment():
    data = (b"Date,MeterCategory,SubscriptionId,Cost,BillingCurrency,ChargeType,PricingModel\n"
            b"2024-01-01,Virtual Machines,s1,10,USD,Purchase,Reservation\n"
            b"2024-01-01,Virtual Machines,s1,3,USD,Usage,Reservation\n"
            b"2024-01-01,Virtual Machines,s1,2,USD,Usage,OnDemand\n"
            b"2024-01-01,Virtual Machines,s1,1,USD,UnusedReservation,Reservation\n")
    frame = parse_export(data, "azure.csv")
    assert list(frame["BilledCost"]) == [10.0, 0.0, 2.0, 0.0]
    assert list(frame["EffectiveCost"]) == [0.0, 3.0, 2.0, 1.0]


def test_azure_mca_export_with_lowercase_names_maps_region_and_category():
    raw = pd.DataFrame({
        "date": ["2024-03-05"], "costInBillingCurrency": ["2.5"], "billingCurrency": ["EUR"],
        "meterCategory": ["Virtual Machines"], "subscriptionId": ["s1"], "resourceLocation": ["West Europe"],
        "consumedService": ["Microsoft.Compute"], "chargeType": ["Usage"], "instanceId": ["/subscriptions/s1/vm"],
        "tags": ['"env": "prod"'],
    })
    frame = map_frame(raw, "mca.csv")
    row = frame.iloc[0]
    assert (row["BillingCurrency"], row["RegionId"], row["ServiceCategory"]) == ("EUR", "westeurope", "Compute")
    assert row["ResourceId"] == "/subscriptions/s1/vm"
    assert row["Tags"] == {"env": "prod"}
    assert row["ChargePeriodEnd"] - row["ChargePeriodStart"] == pd.Timedelta(days=1)


def test_focus_1_3_service_provider_name_fills_provider_name():
    raw = pd.DataFrame({
        "BilledCost": ["1"], "EffectiveCost": ["0.8"], "BillingCurrency": ["USD"], "ServiceProviderName": ["AWS"],
        "ChargePeriodStart": ["2025-01-01T00:00:00Z"], "ChargePeriodEnd": ["2025-01-02T00:00:00Z"],
        "ChargeCategory": ["Usage"], "ServiceName": ["Amazon Simple Storage Service"], "Tags": ['{"a": "b"}'],
    })
    frame = map_frame(raw, "focus13.csv")
    assert frame["ProviderName"].iloc[0] == "AWS"
    assert frame["ServiceCategory"].iloc[0] == "Storage"
    assert frame["Tags"].iloc[0] == {"a": "b"}


GCP_CSV_HEADER = b"usage_start_time,usage_end_time,cost,currency,credits\n"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (b"\"[{'amount': -1.5, 'name': None}, {'amount': -0.5}]\"", -2.0),
        (b'"[{""amount"": -1.0}]"', -1.0),
        (b"[]", 0.0),
        (b"", 0.0),
        (b"\"[{'name': \"\"Bob's credit\"\", 'amount': -2.25}]\"", -2.25),  # literal with quotes: the UDF
        (b"\"[{'amount': '-3'}, {'amount': None}, {'amount': ''}]\"", -3.0),
        (b"\"[{'name': 'None of them', 'amount': -4}]\"", -4.0),
        (b'"{""amount"": 1}"', 0.0),  # a record, not a list: no credits
    ],
)
def test_gcp_credits_are_summed_from_literal_and_json_text(cell, expected):
    data = GCP_CSV_HEADER + b"2020-11-01T00:00:00Z,2020-11-01T01:00:00Z,10.0,USD," + cell + b"\n"
    frame = parse_export(data, "gcp.csv")
    assert frame["BilledCost"].iloc[0] == pytest.approx(10.0 + expected)


def test_gcp_credits_are_summed_from_a_real_list():
    data = b'{"usage_start_time": "2020-11-01T00:00:00Z", "usage_end_time": "2020-11-01T01:00:00Z", "cost": 5, ' \
           b'"currency": "USD", "credits": [{"amount": -3}, {"name": "no amount"}]}\n'
    assert parse_export(data, "gcp.jsonl")["BilledCost"].iloc[0] == pytest.approx(2.0)


def test_gcp_tax_cost_type_and_labels_over_project_labels():
    raw = pd.DataFrame({
        "usage_start_time": ["2020-11-01T00:00:00Z"] * 2, "usage_end_time": ["2020-11-01T01:00:00Z"] * 2,
        "cost": ["2.0", "0.3"], "currency": ["USD"] * 2, "cost_type": ["regular", "tax"],
        "credits": ["[{'amount': -0.5}]", "[]"], "invoice.month": ["202011"] * 2,
        "labels": ["[{'key': 'team', 'value': 'web'}]", "[]"],
        "project.labels": ["[{'key': 'team', 'value': 'ops'}, {'key': 'cc', 'value': '42'}]", "[]"],
        "service.description": ["Compute Engine", "Invoice"],
    })
    frame = map_frame(raw, "gcp.csv")
    assert list(frame["BilledCost"]) == pytest.approx([1.5, 0.3])
    assert list(frame["ChargeCategory"]) == ["Usage", "Tax"]
    assert frame["Tags"].iloc[0] == {"team": "web", "cc": "42"}


@pytest.mark.parametrize(
    ("name", "consumed", "expected"),
    [
        ("Virtual Machines", "Microsoft.Compute", "Compute"),
        ("Storage", "Microsoft.Storage", "Storage"),
        ("Amazon Elastic Compute Cloud", None, "Compute"),
        ("Amazon Relational Database Service", None, "Databases"),
        ("BigQuery", None, "Analytics"),
        ("AWS Key Management Service", None, "Security"),
        ("Something Unheard Of", None, "Other"),
        (None, None, "Other"),
    ],
)
def test_service_category_maps_names_to_focus_categories(name, consumed, expected):
    assert service_category(name, consumed) == expected
