"""AWS list prices for findings the cost records do not price: the Pricing API, cached on disk.

``GetProducts`` answers are kept in the run's store (``env.cache.store_view``) for ``pricing_ttl``
(days by default): prices change rarely and each lookup is a request. When the Pricing API cannot
answer (no permission, an endpoint without it, an unknown product), ``LIST`` gives public us-east-1
on-demand prices for the flat-rate resources; an instance type missing from both stays unpriced.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from costctl.errors import ProviderError
from costctl.idle.list_prices import LIST

log = logging.getLogger(__name__)

PRICING_REGION = "us-east-1"  # the Pricing API answers from us-east-1 (and ap-south-1, eu-central-1)

_PLATFORMS = {"Linux/UNIX": "Linux", "Windows": "Windows", "Red Hat Enterprise Linux": "RHEL",
              "SUSE Linux": "SUSE"}
_ENGINES = {"postgres": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "aurora-postgresql": "Aurora PostgreSQL",
            "aurora-mysql": "Aurora MySQL", "oracle-ee": "Oracle", "sqlserver-se": "SQL Server"}


class Pricer:
    """Hourly and per-GB prices by region, from the Pricing API (cached) or ``LIST``."""

    def __init__(self, call: Callable[..., dict[str, Any]] | None, store: MutableMapping[str, Any] | None,
                 ttl: float) -> None:
        self.call = call  # Api("us-east-1").call, or None to use LIST only
        self.store = store
        self.ttl = ttl
        self._lock = threading.Lock()
        self._broken: str | None = None

    def ec2_hourly(self, instance_type: str, region: str, platform: str = "Linux/UNIX") -> float | None:
        return self._products("AmazonEC2", region, instanceType=instance_type, tenancy="Shared",
                              operatingSystem=_PLATFORMS.get(platform, "Linux"), preInstalledSw="NA",
                              capacitystatus="Used", licenseModel="No License required")

    def rds_hourly(self, instance_class: str, region: str, engine: str, multi_az: bool) -> float | None:
        return self._products("AmazonRDS", region, instanceType=instance_class,
                              databaseEngine=_ENGINES.get(engine, engine),
                              deploymentOption="Multi-AZ" if multi_az else "Single-AZ")

    def ebs_gb_month(self, volume_type: str, region: str) -> tuple[float | None, str]:
        price = self._products("AmazonEC2", region, productFamily="Storage", volumeApiName=volume_type)
        if price is not None:
            return price, "pricing"
        listed = LIST.get(f"ebs:{volume_type}")
        return listed, "list" if listed is not None else ""

    def _products(self, service: str, region: str, **attributes: str) -> float | None:
        key = f"idle-price:{service}:{region}:" + ",".join(f"{k}={v}" for k, v in sorted(attributes.items()))
        now = time.time()
        if self.store is not None:
            hit = self.store.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        with self._lock:
            if self.call is None or self._broken:
                return None
            try:
                answer = self.call("pricing", "GetProducts", ServiceCode=service, MaxResults=10, Filters=[
                    {"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {"regionCode": region,
                                                                                **attributes}.items()])
            except ProviderError as exc:
                self._broken = str(exc)
                log.warning("AWS Pricing API unavailable, using list prices (%s)", exc)
                return None
        price = cheapest_on_demand(answer.get("PriceList", []))
        if self.store is not None:
            self.store[key] = (now + self.ttl, price)
        return price


def cheapest_on_demand(price_list: list[Any]) -> float | None:
    """The lowest non-zero on-demand USD price among the products (each a JSON string)."""
    prices = []
    for item in price_list:
        product = json.loads(item) if isinstance(item, str) else item
        for term in (product.get("terms", {}).get("OnDemand") or {}).values():
            for dim in (term.get("priceDimensions") or {}).values():
                usd = float(dim.get("pricePerUnit", {}).get("USD", 0) or 0)
                if usd > 0:
                    prices.append(usd)
    return min(prices) if prices else None
