"""Azure Cost Management Query API -> normalized records (the ``query`` mode of the azure provider).

Flow: one QueryDefinition per cost type (``ActualCost`` gives BilledCost, ``AmortizedCost`` gives
EffectiveCost), both with the same daily grouping; each is sent with the real SDK's
``query.usage``; its ``nextLink`` pages (which the SDK does not follow) are POSTed with the same
body through ``client.send_request``. Every answer is read by column NAME, never by position:
the service orders columns as it likes. The two answers are then outer-joined on the grouping
keys, a key missing from one side costing 0 there (a reservation purchase exists only in
ActualCost; its amortized shares exist only in AmortizedCost).

Cost Management throttles hard (HTTP 429 with ``x-ms-ratelimit-microsoft.costmanagement-*-retry-after``
headers). The SDK's own retry policy is switched off so that every HTTP attempt is counted here and
the total wait is bounded by ``max_retry_time`` through tenacity.
"""

from __future__ import annotations

import email.utils
import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import ProviderError
from costctl.providers.answers import amount

if TYPE_CHECKING:
    import pandas as pd

    from costctl.providers.base import FetchStats

# Dimensions every query groups by, then the record column each one fills.
DIMENSIONS: dict[str, str] = {
    "ServiceName": "ServiceName",
    "SubscriptionId": "SubAccountId",
    "SubscriptionName": "SubAccountName",
    "ResourceLocation": "RegionId",
    "ChargeType": "ChargeCategory",
}
COST_TYPES: dict[str, str] = {"ActualCost": "BilledCost", "AmortizedCost": "EffectiveCost"}
COST_ALIAS = "totalCost"
COST_NAME = "Cost"
# The cost column is named after the aggregated column; older api-versions and some scopes answer
# PreTaxCost, and a few clients have seen the alias itself.
COST_COLUMNS = (COST_NAME, "PreTaxCost", COST_ALIAS)
CURRENCY_COLUMNS = ("Currency", "BillingCurrency", "BillingCurrencyCode")
MAX_DAYS_PER_QUERY = 365  # "The time period for pulling the data cannot exceed 1 year"
RETRY_AFTER_PREFIX = "x-ms-ratelimit-microsoft.costmanagement-"


def windows(start: date, end: date, days: int = MAX_DAYS_PER_QUERY) -> Iterator[tuple[date, date]]:
    """Split ``[start, end)`` into consecutive ``[lo, hi)`` windows of at most ``days`` days."""
    lo = start
    while lo < end:
        hi = min(end, lo + timedelta(days=days))
        yield lo, hi
        lo = hi


def query_body(cost_type: str, start: date, end: date, tag_key: str | None = None) -> dict[str, Any]:
    """The QueryDefinition JSON for one cost type over ``[start, end)``.

    The API's ``to`` is inclusive, so the last second of the day before ``end`` is sent.
    """
    grouping: list[dict[str, str]] = [{"type": "Dimension", "name": name} for name in DIMENSIONS]
    if tag_key:
        grouping.append({"type": "TagKey", "name": tag_key})
    last = end - timedelta(days=1)
    return {
        "type": cost_type,
        "timeframe": "Custom",
        "timePeriod": {"from": f"{start.isoformat()}T00:00:00Z", "to": f"{last.isoformat()}T23:59:59Z"},
        "dataset": {
            "granularity": "Daily",
            "aggregation": {COST_ALIAS: {"name": COST_NAME, "function": "Sum"}},
            "grouping": grouping,
        },
    }


class _Retryable(Exception):
    """A throttled (429) or transient (5xx, connection) failure; ``retry_after`` in seconds if told."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The longest wait any Cost Management rate-limit header (or Retry-After) asks for, or None."""
    waits: list[float] = []
    for key, value in headers.items():
        lower = key.lower()
        if lower == "retry-after" or (lower.startswith(RETRY_AFTER_PREFIX) and lower.endswith("-retry-after")):
            seconds = _parse_retry_after(str(value))
            if seconds is not None:
                waits.append(seconds)
    return max(waits) if waits else None


def _parse_retry_after(value: str) -> float | None:
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _error_message(body: str) -> str:
    """The ``error.message`` of an ARM error body, else the body itself, on one line."""
    try:
        payload = json.loads(body)
        return _one_line(payload["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return _one_line(body or "no details")


@dataclass
class QueryRunner:
    """Sends queries for one provider instance, follows pages, retries throttled requests."""

    client: Any  # azure.mgmt.costmanagement.CostManagementClient
    scope: str
    stats: FetchStats
    where: str  # "Azure": the start of every error message, after the instance name callers put first
    max_retry_time: float = 300.0
    enforce_https: bool = True
    sleep: Callable[[float], None] = time.sleep
    log: logging.Logger = logging.getLogger(__name__)
    reader_role: str = "the Cost Management Reader role"  # what a 403 tells the operator to grant

    def rows(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row of every page of the answer to ``body``, as column-name -> value dicts."""
        out: list[dict[str, Any]] = []
        payload = self._retrying(lambda: self._first_page(body))
        pages = 1
        while True:
            page_rows, next_link = parse_page(payload, self.where)
            out.extend(page_rows)
            if not next_link:
                return out
            pages += 1
            if pages > 10000:
                raise ProviderError(f"{self.where}: the Query API kept sending nextLink pages; stopped after 10000")
            payload = self._retrying(functools.partial(self._next_page, next_link, body))

    def _first_page(self, body: dict[str, Any]) -> Any:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        self.stats.requests += 1
        try:
            return self.client.query.usage(
                self.scope, body, enforce_https=self.enforce_https,
                cls=lambda pipeline_response, _deserialized, _headers: pipeline_response.http_response.json(),
            )
        except DecodeError as exc:
            response = getattr(exc, "response", None)
            if response is not None and response.status_code != 200:  # an error answer whose body is not JSON
                self._raise_for_status(response.status_code, response.headers, response.text())
            raise self._malformed(exc) from None
        except HttpResponseError as exc:
            if exc.response is None:
                if isinstance(exc, ClientAuthenticationError):  # the credential itself failed, no HTTP answer
                    raise credential_error(self.where, exc) from None
                raise ProviderError(f"{self.where}: {_one_line(str(exc))}") from None
            self._raise_for_status(exc.response.status_code, exc.response.headers, exc.response.text())
            raise
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise _Retryable(f"cannot reach Cost Management: {_one_line(str(exc))}") from None
        except ValueError as exc:
            raise self._malformed(exc) from None

    def _next_page(self, link: str, body: dict[str, Any]) -> Any:
        return self._send("POST", link, body, self._malformed)

    def get_values(self, url: str, what: str) -> list[Any]:
        """Every item of ``value`` across the ``nextLink`` pages of a GET list API (the benefit
        utilization and recommendation APIs), with the same retries and messages as queries.

        ``what`` names the API in a malformed-answer error; a page without a ``value`` list is one.
        """
        from costctl.providers.answers import bad

        out: list[Any] = []
        link: str | None = url
        for _ in range(10000):
            payload = self._retrying(functools.partial(self._get, link, what))
            values = payload.get("value") if isinstance(payload, dict) else None
            if not isinstance(values, list):
                raise bad(what, "no value list")
            out.extend(values)
            link = payload.get("nextLink") or None
            if link is not None and not isinstance(link, str):
                raise bad(what, "a nextLink that is not a string")
            if not link:
                return out
        raise ProviderError(f"{self.where}: {what} kept sending nextLink pages; stopped after 10000")

    def _get(self, link: str, what: str) -> Any:
        from costctl.providers.answers import bad

        return self._send("GET", link, None, lambda _exc: bad(what, "a body that is not JSON"))

    def _send(self, method: str, link: str, body: dict[str, Any] | None,
              malformed: Callable[[Exception], Exception]) -> Any:
        """One request of a paged answer (a query's next page, a GET list API's page) and its JSON;
        ``malformed`` words the error for a body that is not JSON."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            ServiceRequestError,
            ServiceResponseError,
        )
        from azure.core.rest import HttpRequest

        self.stats.requests += 1
        request = HttpRequest(method, link, json=body) if body is not None else HttpRequest(method, link)
        try:
            response = self.client.send_request(request, enforce_https=self.enforce_https)
            text = response.text()
        except ClientAuthenticationError as exc:
            raise credential_error(self.where, exc) from None
        except DecodeError as exc:  # a JSON content type whose body is not JSON
            raise malformed(exc) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise _Retryable(f"cannot reach Cost Management: {_one_line(str(exc))}") from None
        if response.status_code != 200:
            self._raise_for_status(response.status_code, response.headers, text)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise malformed(exc) from None

    def _malformed(self, exc: Exception) -> ProviderError:
        return ProviderError(f"{self.where}: the Query API answered with a malformed body ({_one_line(str(exc), 80)})"
                             "; try again later")

    def _raise_for_status(self, status: int, headers: Mapping[str, str], text: str) -> None:
        detail = _error_message(text)
        if status == 429:
            raise _Retryable(f"throttled by Cost Management (429): {detail}", retry_after_seconds(headers))
        if status >= 500:
            raise _Retryable(f"Cost Management failed ({status}): {detail}", retry_after_seconds(headers))
        if status == 401:
            raise ProviderError(f"{self.where}: Cost Management rejected the credential (401: {detail}); "
                                "check tenant_id/client_id/client_secret or run `az login`")
        if status == 403:
            raise ProviderError(f"{self.where}: no read access to {self.scope} (403: {detail}); "
                                f"grant {self.reader_role} at that scope")
        if status == 404:
            raise ProviderError(f"{self.where}: scope {self.scope} not found (404: {detail}); check its scope setting")
        raise ProviderError(f"{self.where}: the Query API refused the request ({status}: {detail})")

    def _retrying(self, call: Callable[[], Any]) -> Any:
        from tenacity import Retrying, retry_if_exception_type, stop_before_delay, wait_exponential

        backoff = wait_exponential(multiplier=1, min=1, max=60)

        def wait(state: Any) -> float:
            exc = state.outcome.exception()
            told = getattr(exc, "retry_after", None)
            return told if told is not None else backoff(state)

        def before_sleep(state: Any) -> None:
            self.stats.retries += 1
            self.log.info("%s; retrying in %.0f s", state.outcome.exception(), state.upcoming_sleep)

        from costctl.deadline import retry_budget
        from costctl.providers.retry import give_up_hint

        budget = retry_budget(self.max_retry_time)  # no longer than the command's deadline leaves
        began = time.monotonic()
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable), wait=wait, stop=stop_before_delay(budget),
            before_sleep=before_sleep, sleep=self.sleep, reraise=True,
        )
        try:
            return retrying(call)
        except _Retryable as exc:
            raise ProviderError(
                f"{self.where}: {exc} for {time.monotonic() - began:.0f} s; "
                f"{give_up_hint(self.max_retry_time, budget)}"
            ) from None


def credential_error(where: str, exc: Exception) -> ProviderError:
    """One line for a credential that could not get a token at all."""
    message = getattr(exc, "message", None) or str(exc)
    return ProviderError(f"{where}: no Azure credential could get a token ({_one_line(message, 160)}); "
                         "run `az login`, or set credential and its settings (see docs/azure.md)")


def parse_page(payload: Any, where: str) -> tuple[list[dict[str, Any]], str | None]:
    """Rows of one QueryResult page keyed by column name, and its ``nextLink``."""
    props = payload.get("properties") if isinstance(payload, dict) else None
    if not isinstance(props, dict) or not isinstance(props.get("columns"), list) \
            or not isinstance(props.get("rows"), list):
        raise ProviderError(f"{where}: the Query API answer has no properties.columns/rows; "
                            "the API may have changed, report it")
    try:
        names = [str(col["name"]) for col in props["columns"]]
    except (KeyError, TypeError):
        raise ProviderError(f"{where}: the Query API answer has a column without a name") from None
    rows = []
    for row in props["rows"]:
        if not isinstance(row, list) or len(row) != len(names):
            raise ProviderError(f"{where}: the Query API answer has a row of {_one_line(str(row), 60)} "
                                f"that does not match its {len(names)} columns")
        rows.append(dict(zip(names, row, strict=True)))
    next_link = props.get("nextLink") or None
    return rows, next_link


def usage_date(value: Any, where: str) -> date:
    """``UsageDate`` is an integer yyyymmdd (20240131); tolerate its float and ISO string forms."""
    try:
        if isinstance(value, str) and "-" in value:
            return date.fromisoformat(value[:10])
        number = int(float(value))
        if float(value) != number:
            raise ValueError(value)
        return date(number // 10000, number // 100 % 100, number % 100)
    except (TypeError, ValueError):
        raise ProviderError(f"{where}: column UsageDate holds {value!r}, expected an integer like 20240131") from None


def _pick(columns: set[str], candidates: tuple[str, ...], where: str, label: str) -> str:
    for name in candidates:
        if name in columns:
            return name
    raise ProviderError(f"{where}: the Query API answer has no {label} column {candidates[0]!r} "
                        f"(columns: {', '.join(sorted(columns)) or 'none'})")


def keyed_costs(rows: list[dict[str, Any]], tag_key: str | None, where: str) -> dict[tuple, float]:
    """Sum the cost of each grouping key: (day, currency, dimensions..., tag value)."""
    totals: dict[tuple, float] = {}
    if not rows:
        return totals
    columns = set(rows[0])
    cost_col = _pick(columns, COST_COLUMNS, where, "cost")
    currency_col = _pick(columns, CURRENCY_COLUMNS, where, "currency")
    _pick(columns, ("UsageDate",), where, "date")
    for dim in DIMENSIONS:
        _pick(columns, (dim,), where, "grouping")
    tag_col = None
    if tag_key:
        # A TagKey grouping answers TagKey + TagValue columns (by design, says the service team);
        # accept a column named after the key too.
        tag_col = tag_key if tag_key in columns else _pick(columns, ("TagValue",), where, "tag")
    for number, row in enumerate(rows, start=1):
        # A NaN or infinite cost (JSON allows neither, parsers accept both) is a bad answer, not a number.
        cost = amount(row[cost_col], f"{where}: the Query API", f"row {number} column {cost_col}")
        tag_value = None
        if tag_col is not None:
            tag_value = row.get(tag_col) or None
            if tag_col == "TagValue" and row.get("TagKey") not in (None, "", tag_key):
                tag_value = None
        key = (usage_date(row["UsageDate"], where), str(row[currency_col] or ""),
               *(str(row[dim] or "") for dim in DIMENSIONS), tag_value)
        totals[key] = totals.get(key, 0.0) + cost
    return totals


def charge_category(charge_type: str) -> str:
    """FOCUS ChargeCategory of a Cost Management ChargeType (the export mapper's table: one definition)."""
    from costctl.clouds.azure.export_sql import CHARGE_CATEGORY  # lazy: costctl.formats loads pandas

    return CHARGE_CATEGORY.get(charge_type.replace(" ", "").lower(), "Usage" if not charge_type else "Adjustment")


def to_frame(actual: dict[tuple, float], amortized: dict[tuple, float], *, tag_key: str | None,
             billing_account: str | None, estimated_from: date, start: date, end: date) -> pd.DataFrame:
    """Join the two cost types on their keys and build the normalized record for ``[start, end)``."""
    import pandas as pd

    from costctl import model

    records = []
    for key in sorted(set(actual) | set(amortized), key=lambda k: tuple("" if v is None else str(v) for v in k)):
        day, currency, *dims, tag_value = key
        if not start <= day < end:
            continue
        values = dict(zip(DIMENSIONS, dims, strict=True))
        records.append({
            "ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
            "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
            "BillingPeriodStart": pd.Timestamp(day.replace(day=1), tz="UTC"),
            "BilledCost": actual.get(key, 0.0),
            "EffectiveCost": amortized.get(key, 0.0),
            "BillingCurrency": currency,
            "ProviderName": "Microsoft",
            "BillingAccountId": billing_account,
            "SubAccountId": values["SubscriptionId"],
            "SubAccountName": values["SubscriptionName"],
            "ServiceName": values["ServiceName"],
            "RegionId": values["ResourceLocation"].replace(" ", "").lower(),
            "ChargeCategory": charge_category(values["ChargeType"]),
            "Tags": {tag_key: str(tag_value)} if tag_key and tag_value is not None else {},
            "x_Estimated": day >= estimated_from,
        })
    if not records:
        return model.empty_frame()
    return model.normalize(pd.DataFrame.from_records(records))
