"""Format detection: a file of another cloud that borrows CUR-like column names is an unknown
format (listing what costctl reads), not a broken AWS CUR."""

from __future__ import annotations

import pytest

from costctl.errors import ExportFormatError
from costctl.formats import detect_format, parse_export

OCI_COLUMNS = [
    "lineItem/referenceNo", "lineItem/tenantId", "lineItem/intervalUsageStart", "lineItem/intervalUsageEnd",
    "product/service", "product/compartmentId", "product/compartmentName", "product/region", "product/resourceId",
    "usage/billedQuantity", "cost/subscriptionId", "cost/productSku", "product/Description", "cost/unitPrice",
    "cost/myCost", "cost/currencyCode", "cost/overageFlag", "lineItem/isCorrection", "lineItem/backreferenceNo",
]


def test_an_oci_cost_report_is_an_unknown_format_listing_what_costctl_reads():
    with pytest.raises(ExportFormatError) as info:
        detect_format(OCI_COLUMNS, "reports_cost-csv_0001.csv")
    message = str(info.value)
    assert message.startswith("reports_cost-csv_0001.csv: unknown cost export format, not one costctl reads")
    for name in ("FOCUS", "AWS CUR (", "AWS CUR 2.0", "Azure cost export", "GCP billing export"):
        assert name in message
    assert "re-export" not in message and "\n" not in message


def test_an_oci_report_file_end_to_end_is_not_called_a_broken_cur():
    row = ["R1", "ocid1.tenancy", "2026-03-01T00:00Z", "2026-03-01T01:00Z", "COMPUTE", "ocid1.compartment", "prod",
           "eu-frankfurt-1", "ocid1.instance", "1", "123", "B88514", "VM", "0.1", "0.1", "EUR", "", "false", ""]
    data = (",".join(OCI_COLUMNS) + "\n" + ",".join(row) + "\n").encode()
    with pytest.raises(ExportFormatError, match="unknown cost export format") as info:
        parse_export(data, "oci.csv")
    assert "lineItem/UnblendedCost" not in str(info.value).split("costctl reads")[0]


@pytest.mark.parametrize("present", ["lineItem/UnblendedCost", "lineItem/UsageStartDate", "identity/LineItemId"])
def test_a_cur_missing_some_columns_is_still_a_cur(present: str):
    assert detect_format([present, "lineItem/ProductCode" if present != "lineItem/ProductCode" else "x"]) == "aws_cur"
    assert detect_format([present, "product/region"]) == "aws_cur"


def test_a_cur_without_its_cost_column_still_asks_for_it():
    data = b"identity/LineItemId,lineItem/UsageStartDate,lineItem/ProductCode\nx,2026-03-01T00:00:00Z,AmazonEC2\n"
    with pytest.raises(ExportFormatError, match="lineItem/UnblendedCost"):
        parse_export(data, "cur.csv")
