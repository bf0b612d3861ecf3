"""Monthly cost and estimated monthly saving of each finding.

Order of sources (``Finding.cost_source`` says which one priced it):

1. ``records``: the resource's own cost in the cached cost records (``ResourceId`` matched in full,
   or by its last path segment so ``i-0abc`` finds ``arn:aws:ec2:...:instance/i-0abc``): the mean
   daily cost over the days it billed in the window, times 30.4.
2. ``pricing``: the AWS Pricing API (``clouds/aws/idle/pricing.Pricer``) or, for Azure VMs, the Azure Retail
   Prices API (``clouds/azure/idle/pricing.RetailPrices``), both cached on disk.
3. ``list``: public list prices bundled with costctl (flat-rate resources, GCP machine families).

The saving follows the action: delete/stop saves the whole monthly cost, downsize the difference
to the smaller size, gp2 -> gp3 the price difference per GB.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from costctl.idle.findings import Finding, severity_for
from costctl.idle.list_prices import HOURS_PER_MONTH, LIST, volume_month

if TYPE_CHECKING:
    import pandas as pd

DAYS_PER_MONTH = 30.4


class Pricer(Protocol):
    """What ``price`` asks a cloud's price source (the AWS scanner passes its Pricing API client).

    A protocol rather than the AWS class, so this cross-cloud module imports no cloud's code.
    """

    def ec2_hourly(self, instance_type: str, region: str, platform: str = ...) -> float | None: ...

    def rds_hourly(self, instance_class: str, region: str, engine: str, multi_az: bool) -> float | None: ...

    def ebs_gb_month(self, volume_type: str, region: str) -> tuple[float | None, str]: ...

    def ebs_volume_month(self, volume: dict[str, Any], region: str) -> tuple[float | None, str]: ...


def _keys(resource_id: str) -> list[str]:
    rid = resource_id.strip().lower()
    tail = rid.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return [rid, tail] if tail and tail != rid else [rid]


def record_costs(frame: pd.DataFrame, metric: str = "effective") -> dict[str, tuple[float, str]]:
    """ResourceId key -> (monthly cost, currency) from normalized records."""
    column = "EffectiveCost" if metric == "effective" else "BilledCost"
    if frame is None or len(frame) == 0:
        return {}
    rows = frame.loc[frame["ResourceId"].notna() & (frame["ResourceId"] != ""),
                     ["ResourceId", "ChargePeriodStart", column, "BillingCurrency"]]
    # One grouped pass for all resources (a per-resource groupby cost ~4 ms each: seconds for an
    # organisation's thousands): the cost per resource, currency and day, then its mean over the
    # days it billed.
    day = rows["ChargePeriodStart"].dt.floor("D").rename("day")
    daily = rows.groupby([rows["ResourceId"], rows["BillingCurrency"], day])[column].sum()
    means = daily.groupby(level=[0, 1], sort=False).mean()
    out: dict[str, tuple[float, str]] = {}
    for (rid, currency), mean in means.items():
        monthly = float(mean) * DAYS_PER_MONTH
        for key in _keys(str(rid)):
            previous = out.get(key)
            out[key] = (monthly + (previous[0] if previous else 0.0), str(currency))
    return out


def price(findings: Iterable[Finding], costs: dict[str, tuple[float, str]], pricer: Pricer | None) -> list[Finding]:
    """Fill ``monthly_cost``, ``estimated_monthly_savings``, ``currency``, ``severity`` and ``cost_source``."""
    out = []
    for f in findings:
        recorded = _recorded(f, costs)
        if recorded is not None:
            f.monthly_cost, f.currency = recorded
            f.cost_source = "records"
        else:
            f.monthly_cost, f.cost_source = _listed(f, pricer)
        f.estimated_monthly_savings = _saving(f, pricer)
        f.severity = severity_for(f.estimated_monthly_savings)
        out.append(f)
    return out


def _recorded(f: Finding, costs: dict[str, tuple[float, str]]) -> tuple[float, str] | None:
    total, currency, found = 0.0, "USD", False
    for rid in f.cost_ids or [f.resource_id]:
        for key in _keys(rid):
            if key in costs:
                total, currency, found = total + costs[key][0], costs[key][1], True
                break
    return (total, currency) if found else None


def _listed(f: Finding, pricer: Pricer | None) -> tuple[float | None, str]:
    """Monthly cost from a price list, for the hint kinds the scanners produce."""
    hints: dict[str, Any] = f.price_hints
    kind = hints.get("kind")
    if kind == "ec2_instance" and pricer is not None:
        hourly = pricer.ec2_hourly(hints["instance_type"], f.region, hints.get("platform", "Linux/UNIX"))
        return (hourly * HOURS_PER_MONTH, "pricing") if hourly is not None else (None, "")
    if kind == "rds_instance" and pricer is not None:
        hourly = pricer.rds_hourly(hints["instance_class"], f.region, hints.get("engine", ""), hints["multi_az"])
        return (hourly * HOURS_PER_MONTH, "pricing") if hourly is not None else (None, "")
    if kind == "ebs_volumes":  # capacity plus provisioned IOPS/throughput (list_prices.TIERS)
        total, sources = 0.0, set()
        for volume in hints["volumes"]:
            cost, source = pricer.ebs_volume_month(volume, f.region) if pricer else (volume_month("ebs", volume),
                                                                                     "list")
            if cost is None:
                return None, ""
            total += cost
            sources.add(source)
        return total, "pricing" if sources == {"pricing"} else "list"
    if kind == "ebs_snapshot":
        return hints["gb"] * LIST["ebs:snapshot"], "list"
    if kind == "hourly":
        return LIST[hints["what"]] * HOURS_PER_MONTH, "list"
    if kind == "monthly":  # a price already known: Azure/GCP list prices, or an Azure Retail Prices answer
        return hints["amount"], hints.get("source", "list")
    return None, ""


def _saving(f: Finding, pricer: Pricer | None) -> float | None:
    cost = f.monthly_cost
    if cost is None:
        return None
    hints = f.price_hints
    if f.action == "downsize":
        share = hints.get("ratio", 0.5)
        if pricer is not None and hints.get("kind") == "ec2_instance":
            now = pricer.ec2_hourly(hints["instance_type"], f.region, hints.get("platform", "Linux/UNIX"))
            then = pricer.ec2_hourly(hints["target_type"], f.region, hints.get("platform", "Linux/UNIX"))
            if now and then is not None:
                share = then / now
        return cost * (1 - share)
    if f.action == "modify" and hints.get("target"):
        vtype, target = hints["volumes"][0]["type"], hints["target"]
        if pricer is not None:
            old, _ = pricer.ebs_gb_month(vtype, f.region)
            new, _ = pricer.ebs_gb_month(target, f.region)
        else:
            old, new = LIST.get(f"ebs:{vtype}"), LIST.get(f"ebs:{target}")
        return cost * (1 - new / old) if old and new is not None else None
    return cost
