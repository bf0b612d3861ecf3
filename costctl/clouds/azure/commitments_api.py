"""Commitment utilization and purchase recommendations from Azure's benefit and reservation APIs.

The ``azure`` provider's ``commitment_source``. GET list APIs on Resource Manager, sent through
the provider's own ``CostManagementClient`` (its credential, ``endpoint`` override and the
``QueryRunner`` retries: 429 waits for the retry-after headers, every attempt counted):

- ``{benefit scope}/providers/Microsoft.CostManagement/benefitUtilizationSummaries`` (daily grain):
  each benefit's average hourly utilization per day. The benefit scope is a billing account,
  a billing profile, or a savings plan order (``benefit_scope``, else the provider's ``scope`` when
  it is a billing scope). The API states percentages only, so used and unused amounts stay empty
  here: the amortized billing figures (an amortized export) carry them.
- ``{scope}/providers/Microsoft.CostManagement/benefitRecommendations``: what savings plan
  commitment Azure recommends for the lookback, with its cost and savings over that window,
  scaled here to a month.

- ``{benefit scope}/providers/Microsoft.Consumption/reservationSummaries`` (daily grain): per
  reservation its reserved and used hours a day. Summed over the range they give the reservation's
  used and unused amounts (in **hours**: the API states no money) and an hours-weighted
  utilization, which replace the percentage-only benefit figure of the same reservation.
- ``{scope}/providers/Microsoft.Consumption/reservationRecommendations``: what reservations to buy
  (quantity, size, region), with ``netSavings`` over the lookback, scaled here to a month.

Azure states no coverage figure through these APIs; ``coverage`` returns nothing and the billing
figure stands. Every answer is shape-checked; a broken one is a ``BadAnswer`` and is not cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from costctl.analysis.commitment_api import ApiCommitment, ApiCoverage, ApiRecommendation
from costctl.errors import ProviderError
from costctl.providers.answers import amount, bad, field

UTILIZATION_API = "Azure benefitUtilizationSummaries"
RESERVATION_UTILIZATION_API = "Azure reservationSummaries"
RESERVATION_RECOMMENDATION_API = "Azure reservationRecommendations"
CONSUMPTION_API_VERSION = "2023-05-01"
RECOMMENDATION_API = "Azure benefitRecommendations"
API_VERSION = "2023-11-01"  # the first GA version of both benefit APIs
LOOKBACKS = {7: "Last7Days", 30: "Last30Days", 60: "Last60Days"}
TERMS = {"1y": "P1Y", "3y": "P3Y"}
HOURS_A_MONTH = 730.0
KINDS = {"savingsplan": "Savings Plan", "reservation": "Reservation"}


def _number(mapping: dict[str, Any], key: str, source: str, where: str) -> float:
    """A required number (ARM sends numbers, some proxies strings): present and finite, else BadAnswer."""
    if key not in mapping:
        raise bad(source, f"no {where}.{key}")
    return amount(mapping[key], source, f"{where}.{key}")


def benefit_scope(settings: dict[str, Any]) -> str:
    """Where utilization summaries are asked: ``benefit_scope``, else a billing ``scope``."""
    scope = (settings.get("benefit_scope") or settings.get("scope") or "").strip("/")
    lowered = scope.lower()
    if lowered.startswith(("providers/microsoft.billing/billingaccounts/",
                           "providers/microsoft.billingbenefits/savingsplanorders/")) \
            and "/invoicesections/" not in lowered and "/departments/" not in lowered:
        return scope
    raise ProviderError(
        "benefit utilization is answered for a billing account, billing profile or savings plan order, "
        f"not {scope or 'an empty scope'}; set benefit_scope (e.g. providers/Microsoft.Billing/billingAccounts/ID)")


class AzureCommitments:
    """``CommitmentSource`` of one ``azure`` provider instance."""

    def __init__(self, make_runner: Callable[[], Any], endpoint: str, utilization_scope: str | None,
                 scope_error: str | None, recommendation_scope: str, term: str) -> None:
        self.make_runner = make_runner  # the provider's QueryRunner, built on first use (it imports the SDK)
        self._runner: Any = None
        self.endpoint = endpoint.rstrip("/")
        self.utilization_scope = utilization_scope
        self.scope_error = scope_error
        self.recommendation_scope = recommendation_scope
        self.term = term

    @property
    def runner(self) -> Any:
        if self._runner is None:
            self._runner = self.make_runner()
        return self._runner

    def _url(self, scope: str, api: str, params: dict[str, str], namespace: str = "Microsoft.CostManagement",
             version: str = API_VERSION) -> str:
        query = "&".join(f"{k}={quote(v, safe='/')}" for k, v in {"api-version": version, **params}.items())
        return f"{self.endpoint}/{scope.strip('/')}/providers/{namespace}/{api}?{query}"

    def utilization(self, start: date, end: date) -> list[ApiCommitment]:
        """Per benefit: the mean of its daily average utilization over ``[start, end)``."""
        if self.utilization_scope is None:
            raise ProviderError(str(self.scope_error))
        last = end - timedelta(days=1)
        flt = f"properties/usageDate ge '{start.isoformat()}' and properties/usageDate le '{last.isoformat()}'"
        url = self._url(self.utilization_scope, "benefitUtilizationSummaries",
                        {"grainParameter": "Daily", "$filter": flt})
        self.runner.reader_role = "Reader (Billing Reader) on the billing scope, or Savings Plan Reader"
        days: dict[str, list[float]] = defaultdict(list)
        kinds: dict[str, str] = {}
        orders: dict[str, str | None] = {}
        for i, item in enumerate(self.runner.get_values(url, UTILIZATION_API)):
            where = f"value[{i}]"
            props = field(item, "properties", dict, UTILIZATION_API, where)
            benefit = field(props, "benefitId", str, UTILIZATION_API, f"{where}.properties")
            day = field(props, "usageDate", str, UTILIZATION_API, f"{where}.properties")
            if not start.isoformat() <= day[:10] < end.isoformat():
                continue  # the filter is the API's; a day outside the range is not ours to count
            pct = _number(props, "avgUtilizationPercentage", UTILIZATION_API, f"{where}.properties")
            days[benefit].append(pct)
            kind = str(item.get("kind") or props.get("benefitType") or "SavingsPlan")
            kinds[benefit] = KINDS.get(kind.lower(), kind)
            orders[benefit] = props.get("benefitOrderId")
        found = [ApiCommitment(provider="", commitment_id=benefit, type=kinds[benefit], account=None, used=None,
                               unused=None, on_demand=None, net_savings=None, start=None, end=None, term=None,
                               payment=None, currency="", utilization_pct=sum(values) / len(values))
                 for benefit, values in sorted(days.items())]
        if "/savingsplanorders/" in self.utilization_scope.lower():
            return found  # a savings plan order holds no reservation
        reservations = self._reservation_hours(start, end)
        # A reservation the summaries measured in hours is shown once, with its amounts: the
        # benefit API's percentage of the same reservation (matched by order or reservation id) goes.
        measured = {part.lower() for r in reservations for part in _guids(r.commitment_id)}
        kept = [c for c in found if not (c.type == "Reservation" and measured & set(_guids(c.commitment_id)))]
        return sorted(kept + reservations, key=lambda c: c.commitment_id)

    def _reservation_hours(self, start: date, end: date) -> list[ApiCommitment]:
        """Per reservation: reserved and used hours over ``[start, end)`` from the daily summaries."""
        last = end - timedelta(days=1)
        if "/billingprofiles/" in self.utilization_scope.lower():  # MCA: dates as parameters, not a filter
            params = {"grain": "daily", "startDate": start.isoformat(), "endDate": last.isoformat()}
        else:
            params = {"grain": "daily", "$filter": f"properties/UsageDate ge '{start.isoformat()}' and "
                                                  f"properties/UsageDate le '{last.isoformat()}'"}
        url = self._url(self.utilization_scope, "reservationSummaries", params, "Microsoft.Consumption",
                        CONSUMPTION_API_VERSION)
        self.runner.reader_role = "Reservations Reader (or Billing Reader) on the billing scope"
        hours: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for i, item in enumerate(self.runner.get_values(url, RESERVATION_UTILIZATION_API)):
            where = f"value[{i}].properties"
            props = field(item, "properties", dict, RESERVATION_UTILIZATION_API, f"value[{i}]")
            order = field(props, "reservationOrderId", str, RESERVATION_UTILIZATION_API, where)
            reservation = field(props, "reservationId", str, RESERVATION_UTILIZATION_API, where)
            day = field(props, "usageDate", str, RESERVATION_UTILIZATION_API, where)
            if not start.isoformat() <= day[:10] < end.isoformat():
                continue
            reserved = _number(props, "reservedHours", RESERVATION_UTILIZATION_API, where)
            used = _number(props, "usedHours", RESERVATION_UTILIZATION_API, where)
            if reserved < 0 or used < 0 or used > reserved * 1.0001:
                raise bad(RESERVATION_UTILIZATION_API,
                          f"{where}: usedHours {used:g} of reservedHours {reserved:g}, not a share of them")
            acc = hours[(order.rstrip("/").rsplit("/", 1)[-1], reservation.rstrip("/").rsplit("/", 1)[-1])]
            acc[0] += reserved
            acc[1] += used
        return [ApiCommitment(provider="", commitment_id=f"/providers/Microsoft.Capacity/reservationOrders/{order}"
                              f"/reservations/{reservation}", type="Reservation", account=None, used=used,
                              unused=max(reserved - used, 0.0), on_demand=None, net_savings=None, start=None,
                              end=None, term=None, payment=None, currency="hours",
                              utilization_pct=100.0 * used / reserved if reserved > 0 else None)
                for (order, reservation), (reserved, used) in sorted(hours.items())]

    def coverage(self, start: date, end: date) -> list[ApiCoverage]:
        """Azure's benefit APIs state no coverage; the billing figure stands."""
        return []

    def recommendations(self, lookback_days: int) -> list[ApiRecommendation]:
        if not self.recommendation_scope:
            raise ProviderError("benefit recommendations need a scope (a subscription or billing scope); set scope")
        flt = f"properties/lookBackPeriod eq '{LOOKBACKS[lookback_days]}' and properties/term eq '{TERMS[self.term]}'"
        url = self._url(self.recommendation_scope, "benefitRecommendations",
                        {"$filter": flt, "$expand": "properties/usage,properties/allRecommendationDetails"})
        self.runner.reader_role = "Reader (Billing Reader) on the billing scope, or Cost Management Reader"
        out = []
        for i, item in enumerate(self.runner.get_values(url, RECOMMENDATION_API)):
            where = f"value[{i}].properties"
            props = field(item, "properties", dict, RECOMMENDATION_API, f"value[{i}]")
            details = field(props, "recommendationDetails", dict, RECOMMENDATION_API, where)
            hours = _number(props, "totalHours", RECOMMENDATION_API, where)
            if hours <= 0:
                raise bad(RECOMMENDATION_API, f"{where}.totalHours = {hours:g}, not a number of hours")
            at = f"{where}.recommendationDetails"
            hourly = _number(details, "commitmentAmount", RECOMMENDATION_API, at)
            saved = _number(details, "savingsAmount", RECOMMENDATION_API, at)
            scope = str(props.get("scope") or item.get("kind") or "")
            target = props.get("subscriptionId") or props.get("resourceGroup")
            # Amounts cover the lookback's totalHours; a month is 730 h. Savings plans bill monthly, no upfront.
            out.append(ApiRecommendation(
                provider="", type="Savings Plan",
                what=f"Compute savings plan {hourly:.3f}/h" + (f" ({scope.lower()} scope)" if scope else ""),
                account=target, term=self.term, payment="monthly", upfront=0.0,
                monthly_cost=hourly * HOURS_A_MONTH, monthly_savings=saved / hours * HOURS_A_MONTH,
                break_even_months=0.0, currency=str(props.get("currencyCode") or ""), lookback_days=lookback_days))
        return out + self._reservation_recommendations(lookback_days)

    def _reservation_recommendations(self, lookback_days: int) -> list[ApiRecommendation]:
        """Reservations Azure recommends for the lookback and term: quantity, size, region, savings.

        ``netSavings`` (and the costs) cover the lookback period's usage, so a month's savings is
        netSavings / (lookback days x 24 h) x 730 h. Azure bills a reservation bought with monthly
        payments at the same total as one paid upfront, so no upfront is needed: break-even at once.
        """
        url = self._url(self.recommendation_scope, "reservationRecommendations",
                        {"$filter": f"properties/lookBackPeriod eq '{LOOKBACKS[lookback_days]}'"},
                        "Microsoft.Consumption", CONSUMPTION_API_VERSION)
        self.runner.reader_role = "Reader (or Cost Management Reader) on the scope"
        out = []
        api = RESERVATION_RECOMMENDATION_API
        for i, item in enumerate(self.runner.get_values(url, api)):
            where = f"value[{i}].properties"
            props = field(item, "properties", dict, api, f"value[{i}]")
            if str(props.get("term") or TERMS[self.term]) != TERMS[self.term]:
                continue  # the filter names the lookback; the term is chosen here
            saved, currency = _money_of(props, "netSavings", api, where)
            without, _ = _money_of(props, "costWithNoReservedInstances", api, where)
            with_ri, _ = _money_of(props, "totalCostWithReservedInstances", api, where)
            quantity = _number(props, "recommendedQuantity", api, where)
            size = str(props.get("normalizedSize") or item.get("sku") or _sku_name(props) or "reservation")
            region = str(item.get("location") or props.get("location") or "")
            scale = HOURS_A_MONTH / (lookback_days * 24.0)
            out.append(ApiRecommendation(
                provider="", type="Reservation",
                what=f"{quantity:g} x {size}" + (f" {region}" if region else "")
                     + (f" ({str(props['scope']).lower()} scope)" if props.get("scope") else ""),
                account=props.get("subscriptionId"), term=self.term, payment="monthly", upfront=0.0,
                monthly_cost=with_ri * scale if with_ri <= without else None, monthly_savings=saved * scale,
                break_even_months=0.0 if saved > 0 else None, currency=currency or str(props.get("currencyCode") or ""),
                lookback_days=lookback_days))
        return out


def _guids(commitment_id: str) -> list[str]:
    """The path segments of an id, lower-cased (an order id, a reservation id): what two APIs share."""
    return [part.lower() for part in commitment_id.strip("/").split("/") if len(part) >= 32]


def _money_of(props: dict[str, Any], key: str, source: str, where: str) -> tuple[float, str]:
    """An amount that is a number (EA, ``kind: legacy``) or ``{"value", "currency"}`` (MCA, ``modern``)."""
    value = props.get(key)
    if isinstance(value, dict):
        return _number(value, "value", source, f"{where}.{key}"), str(value.get("currency") or "")
    return _number(props, key, source, where), ""


def _sku_name(props: dict[str, Any]) -> str | None:
    """The ``SkuName`` entry of ``skuProperties`` ([{"name", "value"}]), where the answer has one."""
    for entry in props.get("skuProperties") or []:
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == "skuname":
            return str(entry.get("value"))
    return None
