"""Azure prices for findings the cost records do not price: bundled list prices and the Retail Prices API.

Managed disks bill by tier, not by GB: a disk costs the price of the smallest tier of its SKU that
holds its size (a 300 GiB Premium SSD is a P20, 512 GiB). Public IPs bill by the hour. These are
the public list prices at the time of writing, rounded to the cent; the records (``ResourceId``)
win whenever they know the resource, and docs/idle.md says where these come from (USD, East US,
pay-as-you-go).

VM compute has too many sizes and regions to bundle, so ``RetailPrices`` asks Microsoft's public,
unauthenticated Retail Prices API (one filtered, paged query per size, region and OS) and keeps each
answer in the run's disk store for ``pricing_ttl``. A lookup that fails raises ``PriceUnavailable``
with the reason, so the caller leaves that VM unpriced with a warning instead of failing the scan.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from bisect import bisect_left
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from costctl.deadline import read_timeout

HOURS_PER_MONTH = 730.0
RETAIL_ENDPOINT = "https://prices.azure.com/api/retail/prices"
TIMEOUT = 30.0  # seconds per page; the API answers a narrow filter in well under that
MAX_PAGES = 20  # a filter naming one SKU in one region yields a handful of meters; more means a bad filter

# Tier sizes in GiB, shared by the three tiered SKU families.
TIER_GIB = (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767)
# Monthly price of each tier above (P1..P80, E1..E80, S4 from 32 GiB down, ..S80).
DISK_TIERS: dict[str, tuple[float, ...]] = {
    "Premium": (0.77, 1.54, 3.08, 5.28, 10.21, 19.71, 38.02, 73.22, 135.17, 259.05, 495.57, 946.08, 1802.24,
                3604.48),
    "StandardSSD": (0.30, 0.60, 1.20, 2.40, 4.80, 9.60, 19.20, 38.40, 76.80, 153.60, 307.20, 614.40, 1228.80,
                    2457.60),
    "Standard": (1.54, 1.54, 1.54, 1.54, 3.01, 5.89, 11.33, 21.76, 40.96, 77.83, 143.36, 262.14, 524.29,
                 1048.58),
}
ZRS_FACTOR = 1.5  # zone-redundant disks list at about 1.5 times their LRS tier
PUBLIC_IP_HOURLY = {"standard": 0.005, "basic": 0.0036}


@dataclass(frozen=True)
class Provisioned:
    """A disk SKU billed by provisioned capacity and performance (Premium SSD v2, Ultra Disk):
    USD per GiB-month, per IOPS-month above ``free_iops``, per MB/s-month above ``free_mbps``."""

    gib: float
    iops: float
    mbps: float
    free_iops: int = 0
    free_mbps: int = 0


# East US pay-as-you-go (the hourly meters x 730). Premium SSD v2 includes 3,000 IOPS and 125 MB/s;
# an Ultra Disk bills every provisioned IOPS and MB/s, and its size rounds up to ``ULTRA_GIB``.
PROVISIONED: dict[str, Provisioned] = {
    "PremiumV2": Provisioned(gib=0.0812, iops=0.00497, mbps=0.0397, free_iops=3000, free_mbps=125),
    "UltraSSD": Provisioned(gib=0.11972, iops=0.04964, mbps=0.34967),
}
ULTRA_GIB = (4, 8, 16, 32, 64, 128, 256, 512)  # then whole TiB


def disk_month(sku: str, size_gib: int, iops: int = 0, mbps: int = 0) -> float | None:
    """Monthly list price of a managed disk of ``sku`` (e.g. ``Premium_LRS``), size and provisioned
    IOPS / MB/s (``diskIOPSReadWrite`` / ``diskMBpsReadWrite``, which only Premium SSD v2 and Ultra
    Disk bill); None when unknown."""
    family, _, redundancy = (sku or "").partition("_")
    if family in PROVISIONED:
        rates = PROVISIONED[family]
        billed_gib = size_gib if family == "PremiumV2" else ultra_billed_gib(size_gib)
        return round(rates.gib * billed_gib + rates.iops * max(0, iops - rates.free_iops)
                     + rates.mbps * max(0, mbps - rates.free_mbps), 2)
    prices = DISK_TIERS.get(family)
    if prices is None or size_gib <= 0:
        return None  # unknown SKUs: leave to the records
    tier = min(bisect_left(TIER_GIB, size_gib), len(TIER_GIB) - 1)
    return round(prices[tier] * (ZRS_FACTOR if redundancy == "ZRS" else 1.0), 2)


def ultra_billed_gib(size_gib: int) -> int:
    """The provisioned size an Ultra Disk bills: the next of 4..512 GiB, then whole TiB."""
    for step in ULTRA_GIB:
        if size_gib <= step:
            return step
    return -(-size_gib // 1024) * 1024


def public_ip_month(sku: str) -> float:
    """Monthly price of a static public IPv4 address of SKU ``Basic`` or ``Standard``."""
    return PUBLIC_IP_HOURLY.get((sku or "standard").lower(), PUBLIC_IP_HOURLY["standard"]) * HOURS_PER_MONTH


class PriceUnavailable(Exception):
    """No hourly price for a VM: the message says why (unreachable API, no matching meter...)."""


def vm_filter(size: str, region: str) -> str:
    """The OData ``$filter`` for the pay-as-you-go meters of one VM size in one region."""
    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return (f"serviceName eq 'Virtual Machines' and armRegionName eq {quoted(region)} "
            f"and armSkuName eq {quoted(size)} and priceType eq 'Consumption'")


def pick_hourly(items: list[dict[str, Any]], os_type: str) -> float | None:
    """The hourly USD price among a size's meters for ``Linux`` or ``Windows``.

    The filter already keeps Consumption meters; Spot and Low Priority share them and are told apart
    only by name, and Windows meters only by their product name (``... Series Windows``). When a
    price change leaves two meters, the latest ``effectiveStartDate`` wins.
    """
    windows = os_type.lower() == "windows"
    chosen: list[tuple[str, float]] = []
    for item in items:
        names = f"{item.get('skuName', '')} {item.get('meterName', '')}"
        if "Spot" in names or "Low Priority" in names:
            continue
        if item.get("unitOfMeasure") != "1 Hour" or item.get("type", "Consumption") != "Consumption":
            continue
        if ("Windows" in str(item.get("productName", ""))) != windows:
            continue
        price = float(item.get("retailPrice") or 0)
        if price > 0:
            chosen.append((str(item.get("effectiveStartDate", "")), price))
    return max(chosen)[1] if chosen else None


class RetailPrices:
    """Hourly pay-as-you-go VM prices from the Retail Prices API, kept in ``store`` for ``ttl`` seconds."""

    def __init__(self, endpoint: str | None, store: MutableMapping[str, Any] | None, ttl: float) -> None:
        self.endpoint = (endpoint or RETAIL_ENDPOINT).rstrip("/")
        self.store: MutableMapping[str, Any] = store if store is not None else {}
        self.ttl = ttl
        self._lock = threading.Lock()
        self._broken: str | None = None  # after one connection failure, do not wait on every VM again

    def vm_hourly(self, size: str, region: str, os_type: str) -> float:
        """USD per hour of ``size`` in ``region`` running ``os_type``; PriceUnavailable says why not."""
        price = self._size_prices(size, region).get(os_type)
        if price is None:
            raise PriceUnavailable(f"the Retail Prices API lists no pay-as-you-go {os_type} price for {size} "
                                   f"in {region}")
        return float(price)

    def _size_prices(self, size: str, region: str) -> dict[str, float | None]:
        """{``Linux``: price, ``Windows``: price} of one size and region: one query serves both."""
        key = f"azure-retail:{region.lower()}:{size.lower()}"
        with self._lock:
            hit = self.store.get(key)
            if hit is not None and hit[0] > time.time():
                return hit[1]
            if self._broken:
                raise PriceUnavailable(self._broken)
            items = self._items(vm_filter(size, region))
            prices = {os_type: pick_hourly(items, os_type) for os_type in ("Linux", "Windows")}
            self.store[key] = (time.time() + self.ttl, prices)
            return prices

    def _items(self, odata_filter: str) -> list[dict[str, Any]]:
        """Every ``Items`` entry of the filtered query, across ``NextPageLink`` pages."""
        url: str | None = f"{self.endpoint}?{urllib.parse.urlencode({'$filter': odata_filter})}"
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if not url:
                return items
            page = self._get(url)
            items.extend(page.get("Items") or [])
            url = page.get("NextPageLink")
        raise PriceUnavailable(f"the Retail Prices API kept paging past {MAX_PAGES} pages")

    def _get(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "costctl"})
        try:
            with urllib.request.urlopen(request, timeout=read_timeout(TIMEOUT)) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise PriceUnavailable(f"the Retail Prices API answered HTTP {exc.code} ({_message(exc)})") from None
        except (urllib.error.URLError, OSError) as exc:
            self._broken = f"the Retail Prices API is unreachable ({getattr(exc, 'reason', exc)})"
            raise PriceUnavailable(self._broken) from None
        except ValueError as exc:
            raise PriceUnavailable(f"the Retail Prices API answered something other than JSON ({exc})") from None


def _message(exc: urllib.error.HTTPError) -> str:
    """The service's own error text (``{"Error": {"Message": ...}}``), else the HTTP reason."""
    try:
        body = json.loads(exc.read() or b"{}")
        error = body.get("Error") or body.get("error") or {}
        text = error.get("Message") or error.get("message") or exc.reason
    except (ValueError, AttributeError, OSError):
        text = exc.reason
    return " ".join(str(text).split())[:200]
