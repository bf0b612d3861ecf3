"""Writes the bundled demo exports (``aws.csv.gz``, ``azure.csv.gz``, ``gcp.csv.gz``) in FOCUS 1.2.

Run ``python -m costctl.demo.generate [DIR]`` to rewrite them (default: next to this module).
The output is byte-for-byte deterministic: a fixed seed per cloud, only ``random.random()``
(whose sequence Python keeps stable across versions), plain float arithmetic, fixed-precision
number formatting and gzip with mtime 0 and no file name. A test regenerates the files and
compares them with the committed ones, so editing the catalog means rerunning this module.

Each ``LineItem`` of the catalog bills one row a day; the anomalies of ``FEATURES`` scale the
items that name them. Nothing here reads the clock: the data ends on ``ANCHOR`` and the files
provider shifts it to yesterday at run time.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from costctl.demo import ANCHOR, CLOUDS, DATA_DIR, DAYS, FEATURES
from costctl.demo.catalog import Account, LineItem
from costctl.demo.catalog_aws import AWS_PROD, aws_items
from costctl.demo.catalog_azure import azure_items
from costctl.demo.catalog_gcp import gcp_items

PROVIDER_NAMES = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud"}
CATALOGS: dict[str, Callable[[], list[LineItem]]] = {"aws": aws_items, "azure": azure_items, "gcp": gcp_items}
SEEDS = {"aws": 20261031, "azure": 20261032, "gcp": 20261033}
TAX_RATE = 0.015  # AWS bills tax on the 1st, on the past 30 days of usage

COLUMNS: tuple[str, ...] = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SubAccountId",
    "SubAccountName", "SubAccountType", "Tags",
)


def num(value: float, places: int = 6) -> str:
    """Fixed precision without trailing zeros: short, and the same text on every platform."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


def feature_factor(item: LineItem, offset: int) -> float:
    """How much the item's FEATURES entry scales its usage on the day ``offset`` days before the end (0 = no row)."""
    if not item.feature:
        return 1.0
    feature = FEATURES[item.feature]
    if feature["SubAccountId"] not in (None, item.account.sub_id):
        return 1.0
    kind = feature["kind"]
    if kind == "spike":
        return float(feature["factor"]) if offset in feature["offsets"] else 1.0
    if kind == "level_shift":
        return float(feature["factor"]) if offset <= feature["start_offset"] else 1.0
    if kind == "new_service":
        return 1.0 if offset <= feature["start_offset"] else 0.0
    raise ValueError(f"unknown feature kind {kind!r}")


def clone(item: LineItem, k: int) -> LineItem:
    """The k-th extra copy of an instance that a spike launches: its own id, on demand, same tags."""
    head, tail = item.resource_id[:-3], item.resource_id[-3:]
    new_id = f"{head}{(int(tail, 16) + 0x3b1 * k) % 0x1000:03x}"
    return replace(item, resource_id=new_id, resource_name=f"{item.resource_name}-scaleout-{k}", discount=0.0,
                   commitment="")


def base_row(cloud: str, account: Account, day: date) -> dict[str, str]:
    """The columns every row of one cloud, account and day shares."""
    period_start, period_end = month_bounds(day)
    name = PROVIDER_NAMES[cloud]
    return {
        "BillingAccountId": account.billing_id, "BillingAccountName": account.billing_name,
        "BillingAccountType": account.billing_type, "BillingCurrency": "USD",
        "BillingPeriodStart": stamp(period_start), "BillingPeriodEnd": stamp(period_end),
        "ChargePeriodStart": stamp(day), "ChargePeriodEnd": stamp(day + timedelta(days=1)),
        "InvoiceIssuerName": name, "ProviderName": name, "PublisherName": name,
        "SubAccountId": account.sub_id, "SubAccountName": account.sub_name, "SubAccountType": account.sub_type,
    }


def usage_row(cloud: str, item: LineItem, day: date, quantity: float) -> dict[str, str]:
    cost = quantity * item.price
    effective = cost * (1.0 - item.discount)
    row = base_row(cloud, item.account, day)
    row.update({
        "BilledCost": num(cost), "EffectiveCost": num(effective), "ListCost": num(cost), "ContractedCost": num(cost),
        "ListUnitPrice": num(item.price, 10), "ContractedUnitPrice": num(item.price, 10),
        "ChargeCategory": "Usage", "ChargeClass": "", "ChargeDescription": item.description,
        "ChargeFrequency": "Usage-Based", "ConsumedQuantity": num(quantity), "ConsumedUnit": item.unit,
        "PricingQuantity": num(quantity), "PricingUnit": item.unit,
        "PricingCategory": "Committed" if item.commitment else "Standard",
        "CommitmentDiscountId": item.commitment,
        "CommitmentDiscountCategory": "Spend" if item.commitment else "",
        "CommitmentDiscountStatus": "Used" if item.commitment else "",
        # A spend-based commitment is measured in money: the commitment a covered row uses is its effective cost.
        "CommitmentDiscountQuantity": num(effective) if item.commitment else "",
        "CommitmentDiscountUnit": "USD" if item.commitment else "",
        "CommitmentDiscountType": ("Savings Plan" if cloud == "aws" else "Reservation") if item.commitment else "",
        "RegionId": item.region[0], "RegionName": item.region[1], "ResourceId": item.resource_id,
        "ResourceName": item.resource_name, "ResourceType": item.resource_type, "ServiceCategory": item.category,
        "ServiceName": item.service, "ServiceSubcategory": item.subcategory, "SkuId": item.sku_id,
        "Tags": json.dumps(item.tags, sort_keys=True, separators=(",", ":")),
    })
    return row


def tax_row(day: date, amount: float) -> dict[str, str]:
    row = base_row("aws", AWS_PROD, day)
    row.update({
        "BilledCost": num(amount), "EffectiveCost": num(amount), "ListCost": num(amount), "ContractedCost": num(amount),
        "ChargeCategory": "Tax", "ChargeDescription": "Tax for usage of the past 30 days",
        "ChargeFrequency": "Recurring", "ServiceCategory": "Other", "ServiceName": "Tax", "Tags": "{}",
    })
    return row


def rows(cloud: str) -> Iterator[dict[str, str]]:
    """Every row of one cloud's export, oldest day first, in catalog order within a day."""
    items = CATALOGS[cloud]()
    rng = random.Random(SEEDS[cloud])
    first = ANCHOR - timedelta(days=DAYS - 1)
    daily_usage: list[float] = []
    for index in range(DAYS):
        day, offset = first + timedelta(days=index), DAYS - 1 - index
        if cloud == "aws" and day.day == 1 and daily_usage:
            yield tax_row(day, TAX_RATE * sum(daily_usage[-30:]))
        total = 0.0
        for item in items:
            # Draw for every item every day, so changing one item never reshuffles the others' noise.
            jitter = 1.0 + item.noise * (rng.random() + rng.random() - 1.0)
            factor = feature_factor(item, offset)
            if factor == 0.0:
                continue
            weekend = item.weekend if day.weekday() >= 5 else 1.0
            trend = 1.0 + item.growth * index / (DAYS - 1)
            quantity = item.quantity * weekend * trend * jitter
            if item.capped:
                quantity = min(quantity, item.quantity)
            copies = [item]
            if item.clone_on_spike and factor > 1.0:
                copies += [clone(item, k) for k in range(1, int(factor))]
            else:
                quantity *= factor
            for copy in copies:
                row = usage_row(cloud, copy, day, quantity)
                total += float(row["BilledCost"])
                yield row
        daily_usage.append(total)


def render(cloud: str) -> bytes:
    """One cloud's export as gzip bytes, identical on every run."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows(cloud))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def generate(out_dir: Path = Path(DATA_DIR)) -> dict[str, Path]:
    """Write ``<cloud>.csv.gz`` for every cloud into ``out_dir``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for cloud in CLOUDS:
        path = out_dir / f"{cloud}.csv.gz"
        path.write_bytes(render(cloud))
        written[cloud] = path
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path(DATA_DIR)
    for cloud, path in generate(out_dir).items():
        print(f"{cloud}: {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
