"""Commitment figures from billing data: utilization, savings and expiry per commitment, and coverage.

Every figure is a sum over the record's FOCUS commitment columns, computed in DuckDB; only the
aggregated rows (one per commitment, or per coverage group) reach Python. The definitions (also
in docs/commitments.md):

- a row is **used** commitment when it is usage priced by the commitment: ChargeCategory Usage
  and CommitmentDiscountStatus Used (or, when the source leaves the status empty, PricingCategory
  Committed). Its EffectiveCost is the share of the commitment that usage consumed.
- every other row that names the commitment is **unused** commitment: FOCUS's Unused rows,
  Azure's UnusedReservation / UnusedSavingsPlan, and CUR's RIFee / SavingsPlanRecurringFee lines,
  whose EffectiveCost is exactly the unused share (AWS's amortization). Purchases carry
  EffectiveCost 0 in FOCUS and Azure, so adding them changes nothing: one rule serves every source.
- **utilization** = used / (used + unused), None when both are 0 (an actual-cost export, where
  commitment rows cost 0, cannot say).
- **on-demand equivalent** = ListCost (else ContractedCost) of the used rows, only when every
  used row that costs something has one; **net savings** = on-demand equivalent - used - unused.
- **coverage** = covered eligible usage / all eligible usage, both at on-demand prices (ListCost,
  else ContractedCost, else EffectiveCost). Eligible usage is usage (not Unused rows, not Spot /
  Dynamic pricing) of a service in which some commitment covered usage in the range: a service no
  commitment can cover would only dilute the figure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from costctl.duck import literal
from costctl.errors import UsageError

if TYPE_CHECKING:
    from costctl.query import Dataset

NO_ID = "(no id)"  # covered usage whose source names no commitment (e.g. CUR lines without the ARN)
# SQL predicates over one record row.
COMMITTED = "(CommitmentDiscountId IS NOT NULL OR PricingCategory = 'Committed')"
USED = ("(ChargeCategory = 'Usage' AND (CommitmentDiscountStatus = 'Used' OR "
        "(CommitmentDiscountStatus IS NULL AND PricingCategory = 'Committed')))")
ON_DEMAND = "coalesce(ListCost, ContractedCost)"
# Used rows that cost something but have no on-demand price: the equivalent would be short, so it is None.
# (CUR's SavingsPlanNegation lines cost 0 and have none: they do not count.)
UNPRICED = f"({USED} AND {ON_DEMAND} IS NULL AND EffectiveCost <> 0)"
ELIGIBLE = ("(ChargeCategory = 'Usage' AND coalesce(CommitmentDiscountStatus, '') <> 'Unused' "
            "AND coalesce(PricingCategory, '') <> 'Dynamic')")
COVERAGE_KEYS: dict[str, str] = {"service": "ServiceName", "account": "SubAccountId", "region": "RegionId"}


@dataclass(frozen=True)
class Commitment:
    """One commitment's figures over the range, in its billing currency."""

    source: str
    provider: str
    commitment_id: str
    name: str | None
    type: str | None
    category: str | None
    account: str | None
    currency: str
    used: float
    unused: float
    on_demand: float | None
    end: date | None
    first_day: date
    last_day: date
    # Where the figures come from: billing, api (the cloud's own figures only) or both (a billing
    # commitment whose utilization and end the cloud's API answered). ``api_utilization`` is the
    # cloud's percentage, which wins over the billing amounts; ``amounts`` is False when used and
    # unused are not known (Azure's benefit summaries state a percentage only: they are then 0).
    origin: str = "billing"
    api_utilization: float | None = None
    amounts: bool = True

    @property
    def utilization(self) -> float | None:
        """used / (used + unused) in percent (the cloud's figure when it gave one); None when the
        data holds no amortized amount."""
        if self.api_utilization is not None:
            return self.api_utilization
        total = self.used + self.unused
        return None if total <= 0 or math.isclose(total, 0.0, abs_tol=1e-9) else 100.0 * self.used / total

    @property
    def savings(self) -> float | None:
        """On-demand equivalent minus what the commitment cost over the range (None when either is unknown)."""
        if self.on_demand is None or self.utilization is None or not self.amounts:
            return None
        return self.on_demand - self.used - self.unused

    def days_left(self, today: date) -> int | None:
        return None if self.end is None else (self.end - today).days

    @property
    def short_id(self) -> str:
        """The id's last segment (an ARN's or Azure id's uuid): readable in a status line or label."""
        tail = self.commitment_id.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]
        return tail or self.commitment_id

    @property
    def label(self) -> str:
        """A short stable handle for perfdata labels and status lines: a uuid's first 8 hex digits,
        else the id's last segment (a GCP commitment's name), at most 24 characters."""
        tail = self.short_id
        if re.match(r"^[0-9a-fA-F]{8}-", tail):
            return tail[:8]
        return tail[:24]

    def row(self, today: date) -> dict[str, Any]:
        """The command's output row (keys are the JSON/CSV field names)."""
        return {
            "provider": self.source, "commitment": self.label, "commitment_id": self.commitment_id,
            "name": self.name, "type": self.type,
            "category": self.category, "account": self.account, "used": self.used, "unused": self.unused,
            "utilization": self.utilization, "on_demand": self.on_demand, "savings": self.savings,
            "end": self.end.isoformat() if self.end else None, "days_left": self.days_left(today),
            "currency": self.currency,
        }


# The abbreviations people use for the types (``--type cud``), as the text they stand for.
TYPE_ALIASES = {"cud": "committed use discount", "ri": "reserved instance", "sp": "savings plan"}


def type_matches(wanted: str, actual: str | None) -> bool:
    """``--type``: case, spaces and a trailing 's' do not matter (``savings plan`` finds
    ``ComputeSavingsPlans``; ``reserv`` finds Reserved Instance and Reservation); ``cud``, ``ri``
    and ``sp`` stand for committed use discount, reserved instance and savings plan."""
    def norm(text: str) -> str:
        return "".join(text.lower().split())

    text = wanted.strip().lower()
    want = norm(TYPE_ALIASES.get(text, text)).rstrip("s")
    return bool(want) and actual is not None and want in norm(actual)


def commitments(data: Dataset) -> list[Commitment]:
    """Figures per (provider instance, currency, commitment) over the dataset's rows."""
    query = data.narrowed(COMMITTED).sql(
        "x_Source, ProviderName, BillingCurrency, "
        f"coalesce(CommitmentDiscountId, {literal(NO_ID)}) AS id, "
        "max(CommitmentDiscountName) AS name, max(CommitmentDiscountType) AS type, "
        "max(CommitmentDiscountCategory) AS category, "
        "CASE WHEN count(DISTINCT SubAccountId) = 1 THEN min(SubAccountId) "
        "WHEN count(DISTINCT SubAccountId) > 1 THEN count(DISTINCT SubAccountId) || ' accounts' END AS account, "
        f"coalesce(fsum(EffectiveCost) FILTER (WHERE {USED}), 0.0) AS used, "
        f"coalesce(fsum(EffectiveCost) FILTER (WHERE NOT {USED}), 0.0) AS unused, "
        f"CASE WHEN count({ON_DEMAND}) FILTER (WHERE {USED}) > 0 AND count(*) FILTER (WHERE {UNPRICED}) = 0 "
        f"THEN fsum({ON_DEMAND}) FILTER (WHERE {USED}) END AS on_demand, "
        "max(x_CommitmentDiscountEnd) AS term_end, "
        "min(ChargePeriodStart) AS first, max(ChargePeriodStart) AS last"
    )
    table = data.arrow(f"{query} GROUP BY ALL ORDER BY x_Source, ProviderName, id, BillingCurrency")
    out = []
    for r in table.to_pylist():
        out.append(Commitment(
            source=r["x_Source"] or r["ProviderName"], provider=r["ProviderName"], commitment_id=r["id"],
            name=r["name"], type=r["type"], category=r["category"], account=r["account"],
            currency=r["BillingCurrency"], used=float(r["used"]), unused=float(r["unused"]),
            on_demand=None if r["on_demand"] is None else float(r["on_demand"]),
            end=r["term_end"].date() if r["term_end"] is not None else None,
            first_day=r["first"].date(), last_day=r["last"].date()))
    return out


def select(found: list[Commitment], types: tuple[str, ...] = (), expiring_within: int | None = None,
           today: date | None = None) -> list[Commitment]:
    """``--type`` (any of) and ``--expiring-within DAYS`` (a known end within that many days)."""
    kept = [c for c in found if not types or any(type_matches(t, c.type) for t in types)]
    if expiring_within is not None:
        if today is None:
            raise ValueError("expiring_within needs today")
        kept = [c for c in kept if (d := c.days_left(today)) is not None and d <= expiring_within]
    return kept


def parse_coverage_keys(value: str | None) -> list[str]:
    """``--group-by`` of ``--show coverage``: service, account, region (default service)."""
    keys = [k.strip() for k in (value or "service").split(",") if k.strip()]
    unknown = [k for k in keys if k not in COVERAGE_KEYS]
    if unknown:
        raise UsageError(f"--group-by: unknown key {unknown[0]!r} for coverage (known: {', '.join(COVERAGE_KEYS)})")
    if len(set(keys)) != len(keys):
        raise UsageError("--group-by: a key is repeated")
    return keys


def coverage(data: Dataset, keys: list[str]) -> list[dict[str, Any]]:
    """Coverage rows per provider instance, currency and ``keys``: eligible, covered, on demand, percent."""
    columns = [COVERAGE_KEYS[k] for k in keys]
    dims = ", ".join(["x_Source", "ProviderName", "BillingCurrency", *columns])
    basis = f"coalesce({ON_DEMAND}, EffectiveCost)"
    rows = f"({data.sql()})"
    query = (
        f"WITH r AS (SELECT * FROM {rows}), "
        f"svc AS (SELECT DISTINCT x_Source, ProviderName, ServiceName FROM r WHERE {USED} AND {COMMITTED}) "
        f"SELECT {', '.join('r.' + d for d in dims.split(', '))}, "
        f"fsum({basis}) AS eligible, coalesce(fsum({basis}) FILTER (WHERE {USED} AND {COMMITTED}), 0.0) AS covered "
        f"FROM r JOIN svc ON r.x_Source IS NOT DISTINCT FROM svc.x_Source "
        "AND r.ProviderName = svc.ProviderName AND r.ServiceName IS NOT DISTINCT FROM svc.ServiceName "
        f"WHERE {ELIGIBLE} GROUP BY ALL ORDER BY ALL"
    )
    out = []
    for r in data.arrow(query).to_pylist():
        eligible, covered = float(r["eligible"]), float(r["covered"])
        row = {"provider": r["x_Source"] or r["ProviderName"]}
        row.update({k: r[c] for k, c in zip(keys, columns, strict=True)})
        row.update({"eligible": eligible, "covered": covered, "on_demand": eligible - covered,
                    "coverage": 100.0 * covered / eligible if eligible > 0 else None,
                    "currency": r["BillingCurrency"]})
        out.append(row)
    return out
