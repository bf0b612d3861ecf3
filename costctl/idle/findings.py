"""The ``Finding`` record every idle check produces, and the totals the CLI and ``check`` show.

A finding is the unit of the JSON/CSV contract (see docs/idle.md): one resource, one check, the
measured figure and what acting on it would save per month. Scanners fill in what they measured;
``savings`` fills in the money afterwards, so a check never has to know where prices come from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("low", "medium", "high")

# The columns of the JSON/CSV contract, in order.
CONTRACT = ("id", "provider", "account", "region", "resource_id", "resource_type", "check", "detail", "monthly_cost",
            "estimated_monthly_savings", "currency", "severity", "recommendation")
# Added to the contract when the clouds' recommenders were asked (``--recommenders``), so a run
# without them (and the demo) keeps the columns it always had.
SOURCE_COLUMNS = ("source", "cloud_estimated_monthly_savings")


@dataclass
class Finding:
    """One resource that one check flags."""

    provider: str  # configured provider instance name
    account: str  # AWS account, Azure subscription, GCP project
    region: str
    resource_id: str
    resource_type: str
    check: str
    detail: str  # the measured figure, e.g. "avg CPU 1.3 % over 7 d"
    recommendation: str  # delete, stop, downsize to X...
    action: str = "delete"  # delete | stop | downsize | modify: how savings relate to the monthly cost
    monthly_cost: float | None = None
    estimated_monthly_savings: float | None = None
    currency: str = "USD"
    severity: str = "medium"
    # What pricing needs when the records do not know the resource (instance type, size in GB...).
    price_hints: dict[str, Any] = field(default_factory=dict)
    cost_source: str = ""  # records | pricing | list | "" (unknown)
    # Resource ids whose recorded cost is this finding's monthly cost (default: resource_id itself);
    # a stopped instance costs what its volumes cost.
    cost_ids: list[str] = field(default_factory=list)
    # The resource's tags (from the cost records), for ``idle.exclude_tags``.
    tags: dict[str, str] = field(default_factory=dict)
    # Who flagged the resource: "costctl" (its own checks) and/or a cloud's recommender
    # ("compute-optimizer", "advisor", "recommender"); merged by ``idle.recommendations.merge``.
    sources: list[str] = field(default_factory=lambda: ["costctl"])
    # The cloud recommender's own monthly saving estimate, shown beside costctl's figure.
    cloud_savings: float | None = None

    @property
    def id(self) -> str:
        """Stable id (provider, resource, check) that ``costctl idle ignore`` takes."""
        from costctl.idle.ignores import finding_id

        return finding_id(self.provider, self.resource_id, self.check)

    def row(self) -> dict[str, Any]:
        """The finding as the renderer takes it (contract columns plus ``cost_source``)."""
        data = {**asdict(self), "id": self.id}
        return {key: data[key] for key in (*CONTRACT, "cost_source")}

    def source_row(self) -> dict[str, Any]:
        """The ``source`` columns (shown when the clouds' recommenders were asked): who flagged the
        resource and the cloud's own saving estimate."""
        return {"source": "+".join(self.sources), "cloud_estimated_monthly_savings": self.cloud_savings}


@dataclass(frozen=True)
class Total:
    """Money and count of findings for one provider or one check."""

    key: str
    count: int
    monthly_cost: float
    estimated_monthly_savings: float
    currency: str


def totals(findings: list[Finding], by: str) -> list[Total]:
    """Totals per ``provider`` or per ``check`` (and currency), largest savings first."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for f in findings:
        entry = sums[(getattr(f, by), f.currency)]
        entry[0] += 1
        entry[1] += f.monthly_cost or 0.0
        entry[2] += f.estimated_monthly_savings or 0.0
    out = [Total(key, int(n), cost, save, cur) for (key, cur), (n, cost, save) in sums.items()]
    return sorted(out, key=lambda t: (-t.estimated_monthly_savings, t.key))


def severity_for(savings: float | None) -> str:
    """high from USD 100 a month, medium from 10, low below (or unpriced): sorts attention by money."""
    if savings is None:
        return "low"
    return "high" if savings >= 100 else "medium" if savings >= 10 else "low"
