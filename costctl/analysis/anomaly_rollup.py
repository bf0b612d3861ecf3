"""Hierarchy: attribute anomalies found at one level to the levels above it.

Detection runs at the level asked (``--by resource``); an operator may want to start at the
service or the account. Each anomaly carries its group's ancestors (``rollup``: the provider,
account and service a resource bills under, the dominant one when the rows disagree), and
``rollups`` folds the anomalies of one day into their ancestor: how many members moved, by how
much together, and the members that drive it, largest |impact| first. Going down needs nothing
new: a service anomaly's contributors already name its resources (``anomaly_rootcause``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.analysis.anomaly_rootcause import DEPTH, LOOKBACK_DAYS
from costctl.analysis.anomaly_series import NONE
from costctl.analysis.anomaly_severity import RANK
from costctl.analysis.costs import output_name

if TYPE_CHECKING:
    import pandas as pd

    from costctl.analysis.anomalies import Anomaly

ROLLUP_LEVELS: tuple[str, ...] = ("provider", "account", "service")  # the levels operators start from


def ancestor_keys(keys: list[str]) -> list[str]:
    """The rollup levels above the deepest of ``keys`` that are not grouped by already."""
    ranked = [k for k in keys if k in DEPTH]
    if not ranked:
        return []
    deepest = DEPTH.index(max(ranked, key=DEPTH.index))
    return [k for k in ROLLUP_LEVELS if DEPTH.index(k) < deepest and k not in keys]


def recent(rows: pd.DataFrame, day: date) -> pd.DataFrame:
    """The rows of the ``LOOKBACK_DAYS`` up to ``day``: what ``ancestors`` weighs when there are any."""
    return rows[(rows["day"] >= day - timedelta(days=LOOKBACK_DAYS)) & (rows["day"] <= day)]


def ancestors(rows: pd.DataFrame, keys: list[str], day: date) -> dict[str, str | None]:
    """Output name -> the value of each of ``keys`` that carries most of the group's cost up to ``day``.

    A resource has one service and account; a service grouped across accounts gets the one that
    bills most of it over the trailing weeks.
    """
    if not keys:
        return {}
    near = recent(rows, day)
    recent_rows = near if len(near) else rows
    found: dict[str, str | None] = {}
    for key in keys:
        if not len(recent_rows):
            found[output_name(key)] = None
            continue
        weight = recent_rows["cost"].abs().groupby(recent_rows[key], sort=True).sum()
        top = str(weight.idxmax())
        found[output_name(key)] = None if top == NONE else top
    return found


@dataclass
class Rollup:
    """The anomalies of one day under one ancestor."""

    date: date
    group: dict[str, str | None]
    currency: str | None
    count: int
    kinds: list[str]
    severity: str
    cost: float
    expected: float
    impact: float
    members: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), **self.group, "currency": self.currency, "anomalies": self.count,
                "kinds": self.kinds, "severity": self.severity, "cost": self.cost, "expected": self.expected,
                "impact": self.impact, "members": self.members}


def rollups(found: list[Anomaly], level: list[str], top: int = 3) -> list[Rollup]:
    """``found`` folded into ``level`` (output names, each a group key or a rollup key of the anomalies).

    Sums cover the flagged members only (what moved), so ``impact`` is the part of the
    ancestor's change its anomalous members explain. Sorted like anomalies: by date, then by
    |impact| descending.
    """
    buckets: dict[tuple[Any, ...], list[Anomaly]] = {}
    for a in found:
        labels = tuple((a.group | a.rollup).get(k) for k in level)
        buckets.setdefault((a.date, labels, a.currency), []).append(a)
    out = []
    for (day, labels, currency), members in buckets.items():
        members.sort(key=lambda a: -abs(a.impact))
        out.append(Rollup(day, dict(zip(level, labels, strict=True)), currency, len(members),
                          sorted({a.kind for a in members}), max((a.severity for a in members), key=RANK.__getitem__),
                          sum(a.cost for a in members), sum(a.expected for a in members),
                          sum(a.impact for a in members),
                          [{**{k: v for k, v in a.group.items() if k not in level}, "kind": a.kind, "impact": a.impact,
                            "id": a.id} for a in members[:top]]))
    out.sort(key=lambda r: (r.date, -abs(r.impact)))
    return out
