"""An optional column's empty cells never reject a file (#17 point 13).

An Azure MCA export (camelCase, version 2) leaves ``billingPeriodStartDate`` empty on some rows;
those rows bill in the month of their usage date, as the Query API path does. The same holds for
the other formats' optional billing period columns. Required columns stay strict.
"""

from __future__ import annotations

import pandas as pd
import pytest

from costctl.errors import ExportFormatError
from costctl.formats import parse_export

MCA_HEADER = ("invoiceSectionName,subscriptionId,subscriptionName,date,meterCategory,consumedService,"
              "costInBillingCurrency,billingCurrency,chargeType,pricingModel,resourceLocation,"
              "billingPeriodStartDate,billingPeriodEndDate,tags")


def _months(frame: pd.DataFrame) -> list[str]:
    return [t.strftime("%Y-%m-%d") for t in pd.to_datetime(frame["BillingPeriodStart"], utc=True)]


def test_an_mca_export_with_empty_billing_periods_bills_them_in_the_usage_month():
    rows = [
        "s,sub1,Sub,10/30/2024,Virtual Machines,Microsoft.Compute,4.5,USD,Usage,OnDemand,westeurope,"
        "10/01/2024,10/31/2024,",
        "s,sub1,Sub,10/31/2024,Storage,Microsoft.Storage,1.25,USD,Usage,OnDemand,westeurope,,,",
        "s,sub1,Sub,11/01/2024,Storage,Microsoft.Storage,2.00,USD,Usage,OnDemand,westeurope,,,",
    ]
    frame = parse_export(("\n".join([MCA_HEADER, *rows]) + "\n").encode(), "mca.csv")
    assert len(frame) == 3
    assert _months(frame) == ["2024-10-01", "2024-10-01", "2024-11-01"]
    assert frame["BilledCost"].sum() == pytest.approx(7.75)


def test_an_empty_required_date_still_rejects_the_file_naming_the_column():
    rows = ["s,sub1,Sub,,Storage,Microsoft.Storage,1.25,USD,Usage,OnDemand,westeurope,10/01/2024,10/31/2024,"]
    with pytest.raises(ExportFormatError, match=r"column date row 1: empty date"):
        parse_export(("\n".join([MCA_HEADER, *rows]) + "\n").encode(), "mca.csv")


def test_a_focus_export_with_an_empty_billing_period_start_is_read():
    header = ("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ServiceName,ProviderName,"
              "BillingAccountId,SubAccountId,RegionId,ChargeCategory,BillingPeriodStart")
    rows = ["2024-09-03T00:00:00Z,2024-09-04T00:00:00Z,3.5,3.5,USD,EC2,AWS,1,2,us-east-1,Usage,",
            "2024-09-04T00:00:00Z,2024-09-05T00:00:00Z,3.5,3.5,USD,EC2,AWS,1,2,us-east-1,Usage,2024-09-01T00:00:00Z"]
    frame = parse_export(("\n".join([header, *rows]) + "\n").encode(), "focus.csv")
    assert _months(frame) == ["2024-09-01", "2024-09-01"]


def test_a_cur_with_an_empty_billing_period_start_is_read():
    header = ("identity/LineItemId,bill/BillingPeriodStartDate,bill/PayerAccountId,lineItem/LineItemType,"
              "lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,"
              "lineItem/UnblendedCost,lineItem/CurrencyCode")
    rows = ["a,,111,Usage,222,2024-09-03T00:00:00Z,2024-09-04T00:00:00Z,AmazonEC2,1.5,USD",
            "b,2024-09-01T00:00:00Z,111,Usage,222,2024-09-04T00:00:00Z,2024-09-05T00:00:00Z,AmazonEC2,2.5,USD"]
    frame = parse_export(("\n".join([header, *rows]) + "\n").encode(), "cur.csv")
    assert _months(frame) == ["2024-09-01", "2024-09-01"]
