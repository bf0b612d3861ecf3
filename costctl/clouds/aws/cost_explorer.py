"""Cost Explorer ``GetCostAndUsage``: the request plan and the mapping to normalized rows.

Cost Explorer allows two GroupBy keys per request and bills USD 0.01 per request, so the plan
decides how service, linked account, region and tag keys all land in one record with exact totals
and as few requests as possible (docs/aws.md explains the trade-offs):

* ``service_account``: one paged request grouped by SERVICE x LINKED_ACCOUNT. Region stays empty.
* ``service_account_region`` without tag keys: one *discovery* request grouped by LINKED_ACCOUNT x
  REGION, then one request per value of whichever of the two has fewer distinct values (the
  *pivot*), filtered to that value and grouped by SERVICE x the other. Each pivot value's rows
  are disjoint, so the sum over all requests equals Cost Explorer's total exactly.
* with tag keys: SERVICE x LINKED_ACCOUNT is grouped, and region (if asked) plus each tag key are
  filters, enumerated from one discovery request grouped by them (hence at most two of them).

Nothing is allocated or estimated: every cell comes from a Cost Explorer answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from costctl.clouds.aws import answers as aws_answers

log = logging.getLogger(__name__)

GRANULARITY = {"daily": "DAILY", "monthly": "MONTHLY", "hourly": "HOURLY"}
METRIC_NAMES = {"amortized": "AmortizedCost", "net_amortized": "NetAmortizedCost"}
BILLED_METRIC = "UnblendedCost"
NO_REGION = {"NoRegion", ""}


@dataclass(frozen=True)
class Dim:
    """One thing Cost Explorer can group by: a dimension (SERVICE...) or a tag key."""

    key: str  # SERVICE, LINKED_ACCOUNT, REGION, or the tag key
    tag: bool = False

    @property
    def name(self) -> str:
        """Key of this dim in row dicts; tag keys are prefixed so a tag named REGION cannot clash."""
        return f"tag:{self.key}" if self.tag else self.key

    @property
    def group(self) -> dict[str, str]:
        return {"Type": "TAG" if self.tag else "DIMENSION", "Key": self.key}

    def value(self, raw: str) -> str:
        """The value in a group key; CE writes tag groups as ``key$value`` (``key$`` = untagged)."""
        if self.tag:
            return raw.split("$", 1)[1] if "$" in raw else raw
        return raw

    def filter(self, value: str) -> dict[str, Any]:
        """A Filter expression selecting exactly this value (untagged for an empty tag value)."""
        if self.tag:
            if value == "":
                return {"Tags": {"Key": self.key, "MatchOptions": ["ABSENT"]}}
            return {"Tags": {"Key": self.key, "Values": [value], "MatchOptions": ["EQUALS"]}}
        return {"Dimensions": {"Key": self.key, "Values": [value], "MatchOptions": ["EQUALS"]}}


SERVICE = Dim("SERVICE")
ACCOUNT = Dim("LINKED_ACCOUNT")
REGION = Dim("REGION")


@dataclass(frozen=True)
class Plan:
    """Which requests to make: an optional discovery, the pivot dims to filter on, the GroupBy pair."""

    discovery: tuple[Dim, ...]  # group keys of the discovery request; empty = no discovery
    choose_pivot: bool  # adaptive: pivot on the discovery dim with fewer distinct values
    pivots: tuple[Dim, ...]  # filter dims (when not adaptive)
    groups: tuple[Dim, Dim]


def make_plan(group_plan: str, tag_keys: Iterable[str]) -> Plan:
    """The request plan for a provider's settings; ValueError when Cost Explorer cannot serve it."""
    tags = tuple(Dim(k, tag=True) for k in tag_keys)
    filters = ((REGION,) if group_plan == "service_account_region" else ()) + tags
    if len(filters) > 2:
        raise ValueError(
            f"{len(filters)} filter dimensions ({', '.join(d.key for d in filters)}): Cost Explorer can enumerate "
            "at most two per request; configure at most 2 tag_keys (1 with group_plan service_account_region)"
        )
    if group_plan == "service_account_region" and not tags:
        return Plan(discovery=(ACCOUNT, REGION), choose_pivot=True, pivots=(), groups=(SERVICE, ACCOUNT))
    return Plan(discovery=filters, choose_pivot=False, pivots=filters, groups=(SERVICE, ACCOUNT))


def time_period(start: date, end: date, granularity: str) -> dict[str, str]:
    """CE's TimePeriod; hourly wants full timestamps, the others plain dates. End is exclusive."""
    if granularity == "hourly":
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return {
            "Start": datetime.combine(start, time()).strftime(fmt),
            "End": datetime.combine(end, time()).strftime(fmt),
        }
    return {"Start": start.isoformat(), "End": end.isoformat()}


Caller = Callable[..., dict[str, Any]]


def pages(call: Caller, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of one GetCostAndUsage request, following NextPageToken until it is absent.

    Each page's shape is checked first (``aws_answers``): a page that fails or is malformed fails
    the whole request rather than making the answer shorter.
    """
    results: list[dict[str, Any]] = []
    token = None
    while True:
        params = dict(request)
        if token:
            params["NextPageToken"] = token
        answer = call("ce", "GetCostAndUsage", **params)
        # A 200 with a broken body reaches us as {}: that is a failed fetch, never "no cost".
        aws_answers.cost_and_usage(answer, list(request["Metrics"]), len(request.get("GroupBy", [])))
        results.append(answer)
        token = answer.get("NextPageToken")
        if not token:
            if request["Granularity"] == "DAILY":
                aws_answers.every_day(results, request["TimePeriod"]["Start"], request["TimePeriod"]["End"])
            return results


def base_request(start: date, end: date, granularity: str, metric: str) -> dict[str, Any]:
    return {
        "TimePeriod": time_period(start, end, granularity),
        "Granularity": GRANULARITY[granularity],
        "Metrics": [BILLED_METRIC, METRIC_NAMES[metric]],
    }


def fetch_rows(call: Caller, plan: Plan, start: date, end: date, granularity: str, metric: str) -> list[dict[str, Any]]:
    """Plain row dicts (one per period and group) for ``[start, end)`` following ``plan``."""
    base = base_request(start, end, granularity, metric)
    if not plan.discovery:
        return _grouped(call, base, plan.groups, {})
    found = _rows(pages(call, {**base, "GroupBy": [d.group for d in plan.discovery]}), plan.discovery, metric)
    pivots = plan.pivots
    groups = plan.groups
    if plan.choose_pivot:
        # Filter on the dimension with fewer values: fewer requests for the same exact answer.
        counts = {d: len({r[d.name] for r in found}) for d in plan.discovery}
        pivot = min(plan.discovery, key=lambda d: (counts[d], d is not REGION))
        pivots = (pivot,)
        groups = (SERVICE, next(d for d in plan.discovery if d is not pivot))
    combos = sorted({tuple(r[d.name] for d in pivots) for r in found})
    log.debug("Cost Explorer plan: pivot on %s, %d value(s)", "/".join(d.key for d in pivots), len(combos))
    rows: list[dict[str, Any]] = []
    for combo in combos:
        fixed = dict(zip((d.name for d in pivots), combo, strict=True))
        exprs = [d.filter(v) for d, v in zip(pivots, combo, strict=True)]
        request = {**base, "Filter": exprs[0] if len(exprs) == 1 else {"And": exprs}}
        rows.extend(_grouped(call, request, groups, fixed))
    _check_totals(found, rows)
    return rows


def _grouped(call: Caller, request: dict[str, Any], groups: tuple[Dim, ...], fixed: dict[str, str]) -> list[dict]:
    rows = _rows(pages(call, {**request, "GroupBy": [d.group for d in groups]}), groups, None)
    for row in rows:
        row.update(fixed)
    return rows


def _rows(answers: list[dict[str, Any]], dims: tuple[Dim, ...], metric: str | None) -> list[dict[str, Any]]:
    """Flatten ResultsByTime groups into dicts keyed by dim key plus period, costs and flags."""
    out: list[dict[str, Any]] = []
    for answer in answers:
        for period in answer.get("ResultsByTime", []):
            for group in period.get("Groups", []):
                row: dict[str, Any] = {
                    "start": period["TimePeriod"]["Start"],
                    "end": period["TimePeriod"]["End"],
                    "estimated": bool(period.get("Estimated", False)),
                    "metrics": group.get("Metrics", {}),
                }
                for dim, raw in zip(dims, group.get("Keys", []), strict=False):
                    row[dim.name] = dim.value(raw)
                out.append(row)
    return out


def _amount(metrics: dict[str, Any], name: str) -> float:
    return float(metrics.get(name, {}).get("Amount", 0) or 0)


def _check_totals(found: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Warn when the per-pivot answers do not add up to the discovery answer (data changed mid-run)."""
    expected = sum(_amount(r["metrics"], BILLED_METRIC) for r in found)
    got = sum(_amount(r["metrics"], BILLED_METRIC) for r in rows)
    if abs(expected - got) > 0.005 + 1e-9 * abs(expected):
        log.warning(
            "Cost Explorer totals moved during the run (%.2f in discovery, %.2f in detail); run again to refresh",
            expected, got,
        )


def to_frame(rows: list[dict[str, Any]], metric: str, tag_keys: Iterable[str], names: dict[str, str]) -> Any:
    """The normalized frame for CE rows; ``names`` maps account ids to display names."""
    import pandas as pd

    from costctl import model

    tag_keys = list(tag_keys)
    effective = METRIC_NAMES[metric]
    records = []
    for row in rows:
        metrics = row["metrics"]
        billed = metrics.get(BILLED_METRIC, {})
        service = row.get(SERVICE.name)
        account = row.get(ACCOUNT.name)
        region = row.get(REGION.name)
        records.append({
            "ChargePeriodStart": row["start"],
            "ChargePeriodEnd": row["end"],
            "BillingPeriodStart": str(row["start"])[:7] + "-01",
            "BilledCost": _amount(metrics, BILLED_METRIC),
            "EffectiveCost": _amount(metrics, effective),
            "BillingCurrency": billed.get("Unit") or metrics.get(effective, {}).get("Unit") or "USD",
            "ProviderName": "AWS",
            "SubAccountId": account,
            "SubAccountName": names.get(account, account) if account else None,
            "ServiceName": service,
            "RegionId": None if region in NO_REGION else region,
            "ChargeCategory": "Tax" if service == "Tax" else "Usage",
            "Tags": {k: row[f"tag:{k}"] for k in tag_keys if row.get(f"tag:{k}")},
            "x_Estimated": row["estimated"],
        })
    if not records:
        return model.empty_frame()
    return model.normalize(pd.DataFrame.from_records(records))

