"""Recognize an export's format from its column names alone.

Detection looks at the header only, before the body is parsed, so the reader can then load just
the columns the chosen mapper needs. The checks run from the most specific signature to the
least, because FOCUS exports from AWS and Azure may carry provider columns as ``x_`` extras.
"""

from __future__ import annotations

from collections.abc import Iterable

from costctl.errors import ExportFormatError

FORMAT_NAMES = ("focus", "aws_cur", "aws_cur2", "azure", "gcp")

# Human-readable signatures, used in the error when nothing matches.
SIGNATURES = {
    "focus": "FOCUS (BilledCost, ChargePeriodStart, ProviderName/ServiceProviderName)",
    "aws_cur": "AWS CUR (lineItem/UnblendedCost, lineItem/UsageStartDate)",
    "aws_cur2": "AWS CUR 2.0 (line_item_unblended_cost, line_item_usage_start_date)",
    "azure": "Azure cost export (Date/usageDateTime, CostInBillingCurrency/Cost/PreTaxCost, MeterCategory)",
    "gcp": "GCP billing export (cost, usage_start_time, service.description)",
}

# Columns every AWS CUR (legacy, slash-separated) file has, at least one of which must be present:
# other clouds borrow the ``lineItem/`` prefix (an OCI cost report has lineItem/referenceNo,
# lineItem/tenantId, cost/myCost...), and calling such a file a broken CUR sends the user
# re-exporting from AWS for a file AWS never wrote.
AWS_CUR_MARKERS = frozenset({
    "lineItem/UnblendedCost", "lineItem/UsageStartDate", "lineItem/UsageAccountId", "lineItem/LineItemType",
    "lineItem/ProductCode", "identity/LineItemId", "bill/PayerAccountId", "bill/BillingPeriodStartDate",
})

# Columns that only FOCUS (0.5 through 1.3) uses; two of them are enough to call a file FOCUS, so
# a FOCUS file that lacks its cost column is reported as such rather than as unknown.
FOCUS_MARKERS = frozenset({
    "BilledCost", "EffectiveCost", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeType",
    "ProviderName", "ServiceProviderName", "InvoiceIssuer", "InvoiceIssuerName", "ContractedCost",
})


def detect_format(columns: Iterable[str], source: str = "export") -> str:
    """The format name of a frame with these columns; ExportFormatError listing the signatures if none fits."""
    names = {str(c).strip() for c in columns}
    lower = {n.lower() for n in names}
    if names & AWS_CUR_MARKERS:
        return "aws_cur"
    if "line_item_unblended_cost" in lower or "line_item_usage_start_date" in lower:
        return "aws_cur2"
    if "usage_start_time" in lower and ("cost" in lower or "service.description" in lower or "service" in lower):
        return "gcp"
    has_date = bool(lower & {"date", "usagedatetime", "usagedate"})
    has_azure = bool(lower & {"metercategory", "subscriptionid", "subscriptionguid", "meterid", "consumedservice"})
    if has_date and has_azure:
        return "azure"
    if len(names & FOCUS_MARKERS) >= 2:
        return "focus"
    if any(_has_control(n) for n in names):  # never echo control bytes into a Nagios status line
        raise ExportFormatError(
            f"{source}: not a text cost export (binary data in the header row); give the CSV, CSV.gz, "
            "JSON or Parquet file the cloud exported, not a copy damaged in transfer"
        )
    readable = "; ".join(SIGNATURES.values())
    shown = ", ".join(sorted(names)[:6]) + (", ..." if len(names) > 6 else "")
    raise ExportFormatError(
        f"{source}: unknown cost export format, not one costctl reads (columns: {shown or 'none'}); costctl reads "
        f"{readable}; export one of these (most clouds, OCI included, can export FOCUS)"
    )


def _has_control(name: str) -> bool:
    """Control characters other than tab (a tab-separated header is text, just not CSV)."""
    return any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in name)
