"""Reserved Instance and Savings Plans figures from Cost Explorer's own APIs (``commitment_source``).

Billing data (CUR, FOCUS) gives used and unused amortized cost; Cost Explorer also knows each
commitment's start, term and payment option, coverage in hours, and what AWS recommends buying.
Six operations, through the provider's session (profile, role, ``endpoint_url``) and its retry
layer (``aws_retry``: throttling retried, every attempt counted, failures in one line):

- ``GetReservationUtilization`` grouped by ``SUBSCRIPTION_ID`` and ``GetSavingsPlansUtilizationDetails``
  -> ``ApiCommitment`` per RI / Savings Plan;
- ``GetReservationCoverage`` (hours) and ``GetSavingsPlansCoverage`` (spend), grouped by linked
  account and region -> ``ApiCoverage``;
- ``GetReservationPurchaseRecommendation`` (EC2) and ``GetSavingsPlansPurchaseRecommendation``
  (Compute Savings Plans) -> ``ApiRecommendation``.

Every page is shape-checked before use (boto3 reads a broken 200 as ``{}``): a missing list or a
non-numeric amount is a ``BadAnswer``, so ``analysis.commitment_api`` caches nothing. Each request
costs USD 0.01; that module caches the figures for a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from costctl.analysis.commitment_api import ApiCommitment, ApiCoverage, ApiRecommendation, break_even
from costctl.providers.answers import amount, bad, field

Caller = Callable[..., dict[str, Any]]

CURRENCY = "USD"  # Cost Explorer states these figures in USD
RI_SERVICE = "Amazon Elastic Compute Cloud - Compute"  # what RI coverage and recommendations default to
SP_SERVICE = "Savings Plans eligible compute"  # SP coverage spans EC2, Fargate and Lambda
TERMS = {"1y": ("ONE_YEAR", 12), "3y": ("THREE_YEARS", 36)}
PAYMENTS = {"no_upfront": "NO_UPFRONT", "partial_upfront": "PARTIAL_UPFRONT", "all_upfront": "ALL_UPFRONT"}
LOOKBACK_NAMES = {7: "SEVEN_DAYS", 30: "THIRTY_DAYS", 60: "SIXTY_DAYS"}
MAX_PAGES = 1000  # a token that never ends is a broken endpoint, not a big account


def _pages(call: Caller, operation: str, request: dict[str, Any], token_key: str,
           check: Callable[[dict[str, Any]], None]) -> Iterator[dict[str, Any]]:
    """Every page of ``operation``, each checked by ``check`` before it is yielded.

    The request token is ``NextPageToken`` for most operations and ``NextToken`` for the Savings
    Plans utilization details and coverage ones; the answer names it the same way.
    """
    source = f"Cost Explorer {operation}"
    token = None
    for _ in range(MAX_PAGES):
        answer = call("ce", operation, **request, **({token_key: token} if token else {}))
        check(answer)
        yield answer
        token = answer.get(token_key)
        if token is not None and not isinstance(token, str):
            raise bad(source, f"{token_key} = {token!r:.40}, not a string")
        if not token:
            return
    raise bad(source, f"more than {MAX_PAGES} pages")


def _num(mapping: dict[str, Any], key: str, source: str, where: str, default: float | None = None) -> float:
    """An amount field (Cost Explorer sends numbers as strings); ``default`` when absent, if given."""
    if default is not None and mapping.get(key) in (None, ""):
        return default
    return amount(field(mapping, key, str, source, where), source, f"{where}.{key}")


def _attr(attributes: dict[str, Any], *names: str) -> str | None:
    """An attribute by any of ``names``, ignoring case (RI attributes are camelCase, SP ones PascalCase)."""
    lowered = {str(k).lower(): v for k, v in attributes.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, ""):
            return str(value)
    return None


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _term(start: date | None, end: date | None, stated: str | None) -> str | None:
    """``1y`` / ``3y`` from the stated term, else from the start and end dates."""
    if stated:
        text = stated.lower()
        for years in ("1", "3"):
            if text.startswith(years) or ("one" if years == "1" else "three") in text:
                return f"{years}y"
        return stated
    if start and end:
        return f"{round((end - start).days / 365.25)}y"
    return None


def _payment(text: str | None) -> str | None:
    return text.replace("_", " ").lower() if text else None


class AwsCommitments:
    """``CommitmentSource`` for one ``aws`` provider instance (see the module docstring)."""

    def __init__(self, call: Caller, term: str = "1y", payment: str = "no_upfront") -> None:
        self.call = call
        self.term = term
        self.payment = payment

    # -- utilization ------------------------------------------------------------------------

    def utilization(self, start: date, end: date) -> list[ApiCommitment]:
        period = {"Start": start.isoformat(), "End": end.isoformat()}
        return self._reservations(period) + self._savings_plans(period)

    def _reservations(self, period: dict[str, str]) -> list[ApiCommitment]:
        op = "GetReservationUtilization"
        source = f"Cost Explorer {op}"
        sums: dict[str, dict[str, Any]] = {}
        request = {"TimePeriod": period, "GroupBy": [{"Type": "DIMENSION", "Key": "SUBSCRIPTION_ID"}]}
        for page in _pages(self.call, op, request, "NextPageToken", _check_ri_utilization):
            for i, span in enumerate(page["UtilizationsByTime"]):
                for j, group in enumerate(span.get("Groups") or []):
                    where = f"UtilizationsByTime[{i}].Groups[{j}]"
                    figures = field(group, "Utilization", dict, source, where)
                    at = f"{where}.Utilization"
                    key = str(field(group, "Value", str, source, where))
                    acc = sums.setdefault(key, {"fee": 0.0, "unused": 0.0, "od": 0.0, "net": 0.0,
                                                "attrs": group.get("Attributes") or {}})
                    fee = _num(figures, "TotalAmortizedFee", source, at)
                    purchased = _num(figures, "PurchasedHours", source, at)
                    unused_hours = _num(figures, "UnusedHours", source, at)
                    # The amortized fee accrues evenly over purchased hours: the unused hours' share is unused.
                    acc["unused"] += fee * unused_hours / purchased if purchased > 0 else 0.0
                    acc["fee"] += fee
                    acc["od"] += _num(figures, "OnDemandCostOfRIHoursUsed", source, at, 0.0)
                    acc["net"] += _num(figures, "NetRISavings", source, at, 0.0)
        out = []
        for key, acc in sums.items():
            attrs = acc["attrs"]
            begins, ends = _day(_attr(attrs, "startDateTime")), _day(_attr(attrs, "endDateTime"))
            out.append(ApiCommitment(
                provider="", commitment_id=_attr(attrs, "leaseId", "reservationId") or key,
                type="Reserved Instance", account=_attr(attrs, "accountId"),
                used=acc["fee"] - acc["unused"], unused=acc["unused"], on_demand=acc["od"], net_savings=acc["net"],
                start=begins, end=ends, term=_term(begins, ends, _attr(attrs, "term", "purchaseTerm")),
                payment=_payment(_attr(attrs, "subscriptionType", "paymentOption")), currency=CURRENCY))
        return out

    def _savings_plans(self, period: dict[str, str]) -> list[ApiCommitment]:
        op = "GetSavingsPlansUtilizationDetails"
        source = f"Cost Explorer {op}"
        out = []
        for page in _pages(self.call, op, {"TimePeriod": period}, "NextToken", _check_sp_details):
            for i, detail in enumerate(page["SavingsPlansUtilizationDetails"]):
                where = f"SavingsPlansUtilizationDetails[{i}]"
                arn = field(detail, "SavingsPlanArn", str, source, where)
                use = field(detail, "Utilization", dict, source, where)
                savings = detail.get("Savings") or {}
                attrs = detail.get("Attributes") or {}
                begins, ends = _day(_attr(attrs, "StartDateTime")), _day(_attr(attrs, "EndDateTime"))
                out.append(ApiCommitment(
                    provider="", commitment_id=arn, type="Savings Plan", account=_attr(attrs, "AccountId"),
                    used=_num(use, "UsedCommitment", source, f"{where}.Utilization"),
                    unused=_num(use, "UnusedCommitment", source, f"{where}.Utilization"),
                    on_demand=_num(savings, "OnDemandCostEquivalent", source, f"{where}.Savings")
                    if savings.get("OnDemandCostEquivalent") not in (None, "") else None,
                    net_savings=_num(savings, "NetSavings", source, f"{where}.Savings")
                    if savings.get("NetSavings") not in (None, "") else None,
                    start=begins, end=ends, term=_term(begins, ends, _attr(attrs, "PurchaseTerm", "TermLength")),
                    payment=_payment(_attr(attrs, "PaymentOption")), currency=CURRENCY))
        return out

    # -- coverage ---------------------------------------------------------------------------

    def coverage(self, start: date, end: date) -> list[ApiCoverage]:
        period = {"Start": start.isoformat(), "End": end.isoformat()}
        group_by = [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "REGION"}]
        request = {"TimePeriod": period, "Granularity": "MONTHLY", "GroupBy": group_by}
        out: list[ApiCoverage] = []
        op = "GetReservationCoverage"
        source = f"Cost Explorer {op}"
        for page in _pages(self.call, op, request, "NextPageToken", _check_ri_coverage):
            for i, span in enumerate(page["CoveragesByTime"]):
                for j, group in enumerate(span.get("Groups") or []):
                    where = f"CoveragesByTime[{i}].Groups[{j}].Coverage"
                    hours = field(field(group, "Coverage", dict, source, where[:-9]), "CoverageHours", dict,
                                  source, where)
                    attrs = group.get("Attributes") or {}
                    out.append(ApiCoverage(
                        provider="", type="Reserved Instance", service=RI_SERVICE,
                        account=_attr(attrs, "linkedAccount", "LINKED_ACCOUNT", "accountId"),
                        region=_attr(attrs, "region", "REGION"),
                        covered=_num(hours, "ReservedHours", source, f"{where}.CoverageHours"),
                        total=_num(hours, "TotalRunningHours", source, f"{where}.CoverageHours"), unit="hours"))
        op = "GetSavingsPlansCoverage"
        source = f"Cost Explorer {op}"
        for page in _pages(self.call, op, request, "NextToken", _check_sp_coverage):
            for i, item in enumerate(page["SavingsPlansCoverages"]):
                where = f"SavingsPlansCoverages[{i}].Coverage"
                data = field(item, "Coverage", dict, source, where[:-9])
                attrs = item.get("Attributes") or {}
                out.append(ApiCoverage(
                    provider="", type="Savings Plan", service=SP_SERVICE,
                    account=_attr(attrs, "LINKED_ACCOUNT", "linkedAccount", "AccountId"),
                    region=_attr(attrs, "REGION", "region"),
                    covered=_num(data, "SpendCoveredBySavingsPlans", source, where),
                    total=_num(data, "TotalCost", source, where), unit=CURRENCY))
        return out

    # -- recommendations --------------------------------------------------------------------

    def recommendations(self, lookback_days: int) -> list[ApiRecommendation]:
        term, months = TERMS[self.term]
        common = {"TermInYears": term, "PaymentOption": PAYMENTS[self.payment],
                  "LookbackPeriodInDays": LOOKBACK_NAMES[lookback_days]}
        out = self._sp_recommendations(common, months, lookback_days)
        return out + self._ri_recommendations(common, lookback_days)

    def _sp_recommendations(self, common: dict[str, str], months: int, days: int) -> list[ApiRecommendation]:
        op = "GetSavingsPlansPurchaseRecommendation"
        source = f"Cost Explorer {op}"
        out = []
        request = {"SavingsPlansType": "COMPUTE_SP", **common}
        for page in _pages(self.call, op, request, "NextPageToken", _check_sp_recommendation):
            found = page.get("SavingsPlansPurchaseRecommendation") or {}
            for i, d in enumerate(found.get("SavingsPlansPurchaseRecommendationDetails") or []):
                where = f"SavingsPlansPurchaseRecommendationDetails[{i}]"
                hourly = _num(d, "HourlyCommitmentToPurchase", source, where)
                upfront = _num(d, "UpfrontCost", source, where, 0.0)
                savings = _num(d, "EstimatedMonthlySavingsAmount", source, where)
                # The commitment is hourly over 730 h a month; the upfront pays part of it in advance.
                monthly = max(0.0, hourly * 730 - upfront / months)
                region = (d.get("SavingsPlansDetails") or {}).get("Region")
                out.append(ApiRecommendation(
                    provider="", type="Savings Plan",
                    what=f"Compute Savings Plan {hourly:.3f}/h" + (f" ({region})" if region else ""),
                    account=d.get("AccountId") or None, term=self.term, payment=_payment(self.payment),
                    upfront=upfront, monthly_cost=monthly, monthly_savings=savings,
                    break_even_months=break_even(upfront, savings, months),
                    currency=d.get("CurrencyCode") or CURRENCY, lookback_days=days))
        return out

    def _ri_recommendations(self, common: dict[str, str], days: int) -> list[ApiRecommendation]:
        op = "GetReservationPurchaseRecommendation"
        source = f"Cost Explorer {op}"
        out = []
        request = {"Service": RI_SERVICE, **common}
        for page in _pages(self.call, op, request, "NextPageToken", _check_ri_recommendation):
            for i, rec in enumerate(page.get("Recommendations") or []):
                for j, d in enumerate(rec.get("RecommendationDetails") or []):
                    where = f"Recommendations[{i}].RecommendationDetails[{j}]"
                    ec2 = (d.get("InstanceDetails") or {}).get("EC2InstanceDetails") or {}
                    count = _num(d, "RecommendedNumberOfInstancesToPurchase", source, where)
                    what = " ".join(str(x) for x in (f"{count:g} x", ec2.get("InstanceType"), ec2.get("Region"),
                                                     ec2.get("Platform")) if x)
                    stated = d.get("EstimatedBreakEvenInMonths")
                    out.append(ApiRecommendation(
                        provider="", type="Reserved Instance", what=what, account=d.get("AccountId") or None,
                        term=self.term, payment=_payment(self.payment),
                        upfront=_num(d, "UpfrontCost", source, where, 0.0),
                        monthly_cost=_num(d, "RecurringStandardMonthlyCost", source, where, 0.0),
                        monthly_savings=_num(d, "EstimatedMonthlySavingsAmount", source, where),
                        break_even_months=None if stated in (None, "") else
                        _num(d, "EstimatedBreakEvenInMonths", source, where),
                        currency=d.get("CurrencyCode") or CURRENCY, lookback_days=days))
        return out


# -- shape checks: the lists every page must hold (the amounts are checked as they are read) ------


def _check_groups_by_time(answer: Any, spans_key: str, operation: str) -> None:
    """A list of time spans under ``spans_key``, each with a ``Groups`` list (the RI answers)."""
    spans = field(answer, spans_key, list, f"Cost Explorer {operation}")
    for i, span in enumerate(spans):
        field(span, "Groups", list, f"Cost Explorer {operation}", f"{spans_key}[{i}]")


def _check_ri_utilization(answer: Any) -> None:
    _check_groups_by_time(answer, "UtilizationsByTime", "GetReservationUtilization")


def _check_sp_details(answer: Any) -> None:
    field(answer, "SavingsPlansUtilizationDetails", list, "Cost Explorer GetSavingsPlansUtilizationDetails")


def _check_ri_coverage(answer: Any) -> None:
    _check_groups_by_time(answer, "CoveragesByTime", "GetReservationCoverage")


def _check_sp_coverage(answer: Any) -> None:
    field(answer, "SavingsPlansCoverages", list, "Cost Explorer GetSavingsPlansCoverage")


def _check_sp_recommendation(answer: Any) -> None:
    """A page with no recommendation has no ``SavingsPlansPurchaseRecommendation`` details, but it
    has the metadata of the run that made it: an answer with neither is not an answer."""
    source = "Cost Explorer GetSavingsPlansPurchaseRecommendation"
    if not isinstance(answer, dict) or not ("Metadata" in answer or "SavingsPlansPurchaseRecommendation" in answer):
        raise bad(source, "neither Metadata nor SavingsPlansPurchaseRecommendation")
    found = answer.get("SavingsPlansPurchaseRecommendation")
    if found is not None:
        details = field(answer, "SavingsPlansPurchaseRecommendation", dict, source)
        if "SavingsPlansPurchaseRecommendationDetails" in details:
            field(details, "SavingsPlansPurchaseRecommendationDetails", list, source,
                  "SavingsPlansPurchaseRecommendation")


def _check_ri_recommendation(answer: Any) -> None:
    source = "Cost Explorer GetReservationPurchaseRecommendation"
    if not isinstance(answer, dict) or not ("Metadata" in answer or "Recommendations" in answer):
        raise bad(source, "neither Metadata nor Recommendations")
    if "Recommendations" in answer:
        for i, rec in enumerate(field(answer, "Recommendations", list, source)):
            if not isinstance(rec, dict):
                raise bad(source, f"Recommendations[{i}] not being an object")
            if "RecommendationDetails" in rec:
                field(rec, "RecommendationDetails", list, source, f"Recommendations[{i}]")
