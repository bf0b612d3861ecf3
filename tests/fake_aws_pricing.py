"""A local AWS Pricing API (``AWSPriceListService.GetProducts``, JSON 1.1) for the idle pricing tests.

In mode ``ok`` it answers the products of its table whose attributes match every TERM_MATCH filter
(``regionCode`` included), each as the JSON string the real API sends, with one on-demand price
dimension; in mode ``error`` every request gets a 500 as from a failing service; in mode ``hang``
it reads the request and never answers (until ``stop``), like a black-holed endpoint. ``requests``
keeps every request body, so tests can count what was asked.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from local_http import JsonHandler, LocalHttp

# (attributes, USD per unit): us-east-1 public prices of the EBS products the idle scan asks for,
# in the units the real Price List uses (gp3 throughput per GiBps-month: 40.96 = 0.04 per MiB/s).
EBS_US_EAST_1: list[tuple[dict[str, str], float]] = [
    *[({"productFamily": "Storage", "volumeApiName": t}, usd)
      for t, usd in (("gp2", 0.10), ("gp3", 0.08), ("io1", 0.125), ("io2", 0.125))],
    ({"productFamily": "System Operation", "group": "EBS IOPS", "volumeApiName": "io1"}, 0.065),
    ({"productFamily": "System Operation", "group": "EBS IOPS", "volumeApiName": "io2"}, 0.065),
    ({"productFamily": "System Operation", "group": "EBS IOPS", "volumeApiName": "io2"}, 0.0455),
    ({"productFamily": "System Operation", "group": "EBS IOPS", "volumeApiName": "io2"}, 0.03185),
    ({"productFamily": "System Operation", "group": "EBS IOPS", "volumeApiName": "gp3"}, 0.005),
    ({"productFamily": "Provisioned Throughput", "group": "EBS Throughput", "volumeApiName": "gp3"}, 40.96),
]
UNITS = {"Storage": "GB-Mo", "System Operation": "IOPS-Mo", "Provisioned Throughput": "GiBps-mo"}


class _Handler(JsonHandler):
    fake: AwsPricing
    content_type = "application/x-amz-json-1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.headers["X-Amz-Target"] == "AWSPriceListService.GetProducts"
        with self.fake.lock:
            self.fake.requests.append(body)
        if self.fake.mode == "hang":
            self.fake.stopped.wait(60)
            return
        if self.fake.mode == "error":
            self._send(500, {"__type": "InternalErrorException", "message": "the price list is unavailable"})
            return
        filters = {f["Field"]: f["Value"] for f in body["Filters"]}
        self._send(200, {"FormatVersion": "aws_v1", "PriceList": [
            json.dumps({"product": {"attributes": attributes}, "terms": {"OnDemand": {"T": {"priceDimensions": {
                "D": {"unit": UNITS.get(attributes.get("productFamily", ""), "Hrs"),
                      "pricePerUnit": {"USD": f"{usd:.10f}"}}}}}}})
            for attributes, usd in self.fake.products
            if all({**attributes, "regionCode": self.fake.region}.get(k) == v for k, v in filters.items())]})


class AwsPricing(LocalHttp):
    """``AwsPricing(mode).start()``; ``url`` goes to ``idle.pricing_endpoint_url``."""

    def __init__(self, mode: str = "ok", products: list[tuple[dict[str, str], float]] | None = None,
                 region: str = "us-east-1") -> None:
        self.mode = mode
        self.products = EBS_US_EAST_1 if products is None else products
        self.region = region
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self._serve(_Handler)

    def stop(self) -> None:
        self.stopped.set()
        super().stop()
