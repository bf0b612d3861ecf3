"""AWS list prices for findings the cost records do not price: the Pricing API, cached on disk.

``GetProducts`` answers are kept in the run's store (``env.cache.store_view``) for ``pricing_ttl``
(days by default): prices change rarely and each lookup is a request. When the Pricing API cannot
answer (no permission, an endpoint without it, an unknown product), ``LIST`` gives public us-east-1
on-demand prices for the flat-rate resources; an instance type missing from both stays unpriced.

A price is never worth missing the command's deadline: bundled list prices are a fine answer. So
the Pricing API gets its own short connect/read timeouts and retry budget (``PricingSession``),
capped by what the deadline leaves, and the first failure in a run is remembered in the run's
shared state: no later lookup of that run (of any ``aws`` instance using the same endpoint) asks
again, and one warning says so.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from costctl import deadline
from costctl.clouds.aws.idle.api import RegionSession
from costctl.errors import ProviderError
from costctl.idle.list_prices import LIST, TIERS, Tiers, tiered

PRICING_REGION = "us-east-1"  # the Pricing API answers from us-east-1 (and ap-south-1, eu-central-1)
PRICING_CONNECT_TIMEOUT = 2.0  # seconds: the API answers in well under one; list prices beat waiting
PRICING_READ_TIMEOUT = 3.0
PRICING_RETRY_TIME = 4.0  # seconds of retries (5xx, throttling) before falling back to list prices
MIN_PRICING_TIME = 1.0  # below this much of the deadline left, list prices without asking

_PLATFORMS = {"Linux/UNIX": "Linux", "Windows": "Windows", "Red Hat Enterprise Linux": "RHEL",
              "SUSE Linux": "SUSE"}
_ENGINES = {"postgres": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "aurora-postgresql": "Aurora PostgreSQL",
            "aurora-mysql": "Aurora MySQL", "oracle-ee": "Oracle", "sqlserver-se": "SQL Server"}
# Product filters of the provisioned-performance prices of an EBS volume type (with volumeApiName).
_PERFORMANCE = {"iops": {"productFamily": "System Operation", "group": "EBS IOPS"},
                "throughput": {"productFamily": "Provisioned Throughput", "group": "EBS Throughput"}}


class PricingSession(RegionSession):
    """The Pricing API's session: short timeouts and a retry budget that ends in time for the
    command to answer with list prices (``PRICING_*``, and never past the deadline's reserve)."""

    connect_timeout = PRICING_CONNECT_TIMEOUT
    read_timeout = PRICING_READ_TIMEOUT

    @property
    def max_time(self) -> float:
        return deadline.budget(PRICING_RETRY_TIME)


class Pricer:
    """Hourly and per-GB prices by region, from the Pricing API (cached) or ``LIST``."""

    def __init__(self, call: Callable[..., dict[str, Any]] | None, store: MutableMapping[str, Any] | None,
                 ttl: float, run_state: MutableMapping[str, Any] | None = None,
                 warn: Callable[[str], None] | None = None, endpoint: str = "") -> None:
        self.call = call  # Api(PricingSession).call, or None to use LIST only
        self.store = store
        self.ttl = ttl
        # Shared by every scan of one run: "this Pricing API endpoint failed" is asked here.
        self.run_state: MutableMapping[str, Any] = {} if run_state is None else run_state
        self.warn = warn or (lambda _message: None)
        self._failed_key = f"aws-pricing-failed:{endpoint or 'aws'}"
        self._lock = threading.Lock()
        self._memo: dict[str, list[float]] = {}  # this scan's answers, when there is no store to keep them

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

    def ebs_volume_month(self, volume: Mapping[str, Any], region: str) -> tuple[float | None, str]:
        """Monthly price of one volume (``{"type", "gb", "iops", "throughput"}``): capacity plus the
        provisioned IOPS and throughput its type bills above any free baseline; the source is
        ``pricing`` only when every part came from the Pricing API."""
        vtype = str(volume["type"])
        per_gb, source = self.ebs_gb_month(vtype, region)
        if per_gb is None:
            return None, ""
        total, sources = per_gb * float(volume.get("gb") or 0), {source}
        for what in ("iops", "throughput"):
            listed = TIERS.get(f"ebs:{vtype}:{what}")
            amount = float(volume.get(what) or 0)
            if not listed or tiered(listed, amount) == 0:
                continue  # nothing billed (within the free baseline): no request
            tiers, source = self.ebs_tiers(vtype, what, region, listed)
            total += tiered(tiers, amount)
            sources.add(source)
        return total, "pricing" if sources == {"pricing"} else "list"

    def ebs_tiers(self, volume_type: str, what: str, region: str, listed: Tiers) -> tuple[Tiers, str]:
        """The tiers of ``listed`` at the Pricing API's rates for ``what`` (iops/throughput).

        The API lists one product per paid tier (io2: three; io1 and gp3: one) but not where the
        tiers end nor the free baseline, so the bounds stay the documented ones and the rates,
        highest first, fill the paid tiers in order; any other number of rates means list prices.
        """
        rates = self._prices("AmazonEC2", region, volumeApiName=volume_type, **_PERFORMANCE[what])
        paid = [i for i, (_upper, rate) in enumerate(listed) if rate > 0]
        if not rates or len(rates) != len(paid):
            return listed, "list"
        by_tier = dict(zip(paid, sorted(rates, reverse=True), strict=True))
        return tuple((upper, by_tier.get(i, rate)) for i, (upper, rate) in enumerate(listed)), "pricing"

    def _products(self, service: str, region: str, **attributes: str) -> float | None:
        prices = self._prices(service, region, **attributes)
        return min(prices) if prices else None

    def _prices(self, service: str, region: str, **attributes: str) -> list[float] | None:
        """The distinct non-zero on-demand USD prices of the matching products (cached); None when
        the Pricing API is not asked or cannot answer."""
        key = f"idle-prices:{service}:{region}:" + ",".join(f"{k}={v}" for k, v in sorted(attributes.items()))
        now = time.time()
        if key in self._memo:
            return self._memo[key]
        if self.store is not None:
            hit = self.store.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        with self._lock:
            if self.call is None or self.run_state.get(self._failed_key):
                return None
            if deadline.budget(PRICING_RETRY_TIME) < MIN_PRICING_TIME:
                self._give_up("no time left before the deadline (--timeout)")
                return None
            try:
                answer = self.call("pricing", "GetProducts", ServiceCode=service, MaxResults=10, Filters=[
                    {"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {"regionCode": region,
                                                                                **attributes}.items()])
            except ProviderError as exc:
                # The cause without the retry layer's advice (raise max_retry_time...): a price
                # lookup is not worth retrying longer, list prices are the answer.
                self._give_up(" ".join(str(exc).split()).split("; ")[0])
                return None
        prices = self._memo[key] = on_demand_prices(answer.get("PriceList", []))
        if self.store is not None:
            self.store[key] = (now + self.ttl, prices)
        return prices

    def _give_up(self, reason: str) -> None:
        """Remember for the run that the Pricing API failed, and say so once."""
        self.run_state[self._failed_key] = reason
        self.warn(f"AWS Pricing API unavailable, prices come from the bundled list prices for the rest "
                  f"of the run ({reason})")


# Units the Price List quotes in a multiple of the unit costctl prices by: gp3 throughput is listed
# per GiBps-month (40.96 in us-east-1), i.e. 1,024 times the price per MiB/s-month (0.04).
_UNIT_SCALE = {"gibps-mo": 1 / 1024}


def on_demand_prices(price_list: list[Any]) -> list[float]:
    """The distinct non-zero on-demand USD prices among the products (each a JSON string), ascending,
    per the unit costctl prices by (``_UNIT_SCALE``)."""
    prices = set()
    for item in price_list:
        product = json.loads(item) if isinstance(item, str) else item
        for term in (product.get("terms", {}).get("OnDemand") or {}).values():
            for dim in (term.get("priceDimensions") or {}).values():
                usd = float(dim.get("pricePerUnit", {}).get("USD", 0) or 0)
                if usd > 0:
                    prices.add(usd * _UNIT_SCALE.get(str(dim.get("unit", "")).lower(), 1.0))
    return sorted(prices)


def cheapest_on_demand(price_list: list[Any]) -> float | None:
    """The lowest non-zero on-demand USD price among the products (each a JSON string)."""
    prices = on_demand_prices(price_list)
    return prices[0] if prices else None
