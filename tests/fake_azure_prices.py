"""A local stand-in for the Azure Retail Prices API (``GET https://prices.azure.com/api/retail/prices``).

It speaks the documented wire format: ``$filter`` is an OData expression of ``field eq 'value'``
terms joined by ``and`` (anything else answers 400 like the service does for a filter it cannot
parse); the answer is ``{"BillingCurrency", "CustomerEntityId", "CustomerEntityType", "Items",
"NextPageLink", "Count"}`` with ``page_size`` items a page and ``NextPageLink`` an absolute URL that
repeats the filter and adds ``$skip``. The filter field ``priceType`` matches an item's ``type``
(the service names the two differently). No authentication, like the real API. ``fail_with``
makes every request answer that HTTP status.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from local_http import JsonHandler, LocalHttp

SPOT_START = "2025-11-01T00:00:00Z"
TERM = re.compile(r"^(\w+) eq '((?:[^']|'')*)'$")


def meter(size: str, region: str, price: float, *, product: str, sku: str, price_type: str = "Consumption",
          unit: str = "1 Hour", start: str = "2024-05-01T00:00:00Z") -> dict[str, Any]:
    """One ``Items`` entry for a VM meter."""
    return {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": price, "unitPrice": price,
            "armRegionName": region, "location": region, "effectiveStartDate": start,
            "meterId": f"m-{abs(hash((size, region, product, sku, price_type))) % 10**8}", "meterName": sku,
            "productId": "DZH318Z0BQ4L", "skuId": "DZH318Z0BQ4L/00FH", "productName": product, "skuName": sku,
            "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8", "serviceFamily": "Compute",
            "unitOfMeasure": unit, "type": price_type, "isPrimaryMeterRegion": True, "armSkuName": size}


def vm_meters(size: str, region: str, linux: float, windows: float, series: str) -> list[dict[str, Any]]:
    """What the service lists for one size and region: Linux and Windows, each also Spot, Low Priority
    and a one-year reservation, so a client has to tell them apart."""
    short = size.removeprefix("Standard_").replace("_", " ")
    out = []
    for product, price in ((f"Virtual Machines {series} Series", linux),
                           (f"Virtual Machines {series} Series Windows", windows)):
        # Spot prices move often: their meters carry a later effectiveStartDate than pay-as-you-go.
        out += [meter(size, region, price, product=product, sku=short),
                meter(size, region, round(price * 0.2, 4), product=product, sku=f"{short} Spot", start=SPOT_START),
                meter(size, region, round(price * 0.25, 4), product=product, sku=f"{short} Low Priority",
                      start=SPOT_START),
                meter(size, region, round(price * 0.6 * 8760, 2), product=product, sku=short,
                      price_type="Reservation", unit="1 Hour")]
    return out


@dataclass
class FakeRetailPrices(LocalHttp):
    """The meters served and every query seen (the decoded query string of each request)."""

    page_size: int = 3
    items: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    seen: list[dict[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._serve(_Handler)

    @property
    def prices_url(self) -> str:
        return f"{self.url}/api/retail/prices"

    def filters(self) -> list[str]:
        """The ``$filter`` of each first-page request (follow-up pages repeat it with ``$skip``)."""
        return [q["$filter"][0] for q in self.seen if "$skip" not in q]

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        terms = parse_filter(query.get("$filter", [""])[0])
        matching = [i for i in self.items if all(str(i.get("type" if k == "priceType" else k)) == v
                                                 for k, v in terms.items())]
        skip = int(query.get("$skip", ["0"])[0])
        chunk = matching[skip:skip + self.page_size]
        link = None
        if skip + self.page_size < len(matching):
            link = f"{self.prices_url}?{urlencode({'$filter': query['$filter'][0], '$skip': skip + self.page_size})}"
        return {"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail",
                "Items": chunk, "NextPageLink": link, "Count": len(chunk)}


def parse_filter(text: str) -> dict[str, str]:
    """``a eq 'x' and b eq 'y'`` -> {a: x, b: y}; ValueError for any other shape."""
    terms = {}
    for part in text.split(" and "):
        match = TERM.match(part.strip())
        if not match:
            raise ValueError(f"Invalid OData filter term {part!r}")
        terms[match.group(1)] = match.group(2).replace("''", "'")
    return terms


class _Handler(JsonHandler):
    fake: FakeRetailPrices

    content_type = "application/json; charset=utf-8"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.fake.lock:
            self.fake.seen.append(query)
        if parts.path != "/api/retail/prices":
            self._send(404, {"Error": {"Code": "NotFound", "Message": f"no route {parts.path}"}})
            return
        if self.fake.fail_with:
            self._send(self.fake.fail_with, {"Error": {"Code": "ServiceUnavailable",
                                                       "Message": "The service is temporarily unavailable."}})
            return
        try:
            answer = self.fake.page(query)
        except ValueError as exc:
            self._send(400, {"Error": {"Code": "BadRequest", "Message": str(exc)}})
            return
        self._send(200, answer)
