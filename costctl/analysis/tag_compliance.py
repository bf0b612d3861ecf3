"""Tag compliance: how much cost, and how many resources, carry each required tag.

Pure Python over plain rows. A resource (``ResourceId``) counts as tagged with KEY when any of
its records in the range carries a non-empty KEY: providers attach tags to usage rows, and a
resource tagged mid-month should not be reported as untagged. Records without a resource id
(support, tax, marketplace fees) count in cost but in no resource count. "Allocated" cost is
the cost of records carrying every required tag: what a chargeback by those tags can place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from costctl.model import METRICS

if TYPE_CHECKING:
    from costctl.records import Block

ALL = "(all required)"


@dataclass
class Compliance:
    """Cost and resources with and without one required tag (or all of them) in one group."""

    group: str | None
    tag: str
    currency: str | None
    cost_with: float = 0.0
    cost_without: float = 0.0
    resources_with: set[str] = field(default_factory=set)
    resources_without: set[str] = field(default_factory=set)

    @property
    def pct_allocated(self) -> float | None:
        total = self.cost_with + self.cost_without
        return self.cost_with / total * 100 if total else None


@dataclass
class UntaggedResource:
    resource: str
    name: str | None
    provider: str | None
    account: str | None
    service: str | None
    currency: str | None
    cost: float = 0.0
    missing: set[str] = field(default_factory=set)


def _has(tags: object, key: str) -> bool:
    return isinstance(tags, dict) and isinstance(tags.get(key), str) and tags[key] != ""


def report(block: Block, required: Sequence[str], *, by: str | None = None, metric: str = "effective",
           top: int = 10) -> tuple[list[Compliance], list[UntaggedResource]]:
    """Compliance rows per (group, required tag, currency) and the costliest resources missing a tag."""
    from costctl.analysis.chargeback import owner_of
    from costctl.budgets.scope import COLUMNS_READ

    names = tuple(dict.fromkeys(("ResourceName", "BillingCurrency", METRICS[metric], *COLUMNS_READ)))
    # First pass: which resources carry which tag on any of their records.
    tagged: dict[str, set[str]] = {}
    for resource, tags in block.rows("ResourceId", "Tags"):
        if resource:
            have = tagged.setdefault(resource, set())
            have.update(k for k in required if _has(tags, k))
    rows: dict[tuple[str | None, str, str | None], Compliance] = {}
    untagged: dict[tuple[str, str | None], UntaggedResource] = {}
    for values in block.rows(*names):
        row = dict(zip(names, values, strict=True))
        group = (owner_of(row, by) or "(none)") if by else None
        currency, cost, resource = row["BillingCurrency"], row[METRICS[metric]] or 0.0, row["ResourceId"]
        present = {k for k in required if _has(row["Tags"], k)}
        have = tagged.get(resource, present) if resource else present
        for tag in (*required, ALL):
            line = rows.setdefault((group, tag, currency), Compliance(group, tag, currency))
            ok = present >= set(required) if tag == ALL else tag in present
            resource_ok = have >= set(required) if tag == ALL else tag in have
            if ok:
                line.cost_with += cost
            else:
                line.cost_without += cost
            if resource:
                (line.resources_with if resource_ok else line.resources_without).add(resource)
        if resource and not have >= set(required):
            item = untagged.setdefault((resource, currency), UntaggedResource(
                resource, row["ResourceName"], row["ProviderName"], row["SubAccountName"] or row["SubAccountId"],
                row["ServiceName"], currency))
            item.cost += cost
            item.missing = set(required) - have
    order = {t: i for i, t in enumerate((*required, ALL))}
    compliance = sorted(rows.values(), key=lambda c: (c.group or "", c.currency or "", order[c.tag]))
    worst = sorted(untagged.values(), key=lambda u: (-u.cost, u.resource))[:max(top, 0)]
    return compliance, worst
