"""Commitment figures from the clouds' own APIs, next to those costctl computes from billing data.

Billing data says what covered usage cost and what was left unused; it cannot say what a
commitment was bought for (term, payment option, start) nor what the cloud itself recommends
buying. A provider that can ask its cloud offers the ``commitment_source()`` capability: an object
with the three methods of ``CommitmentSource`` returning the normalized figures below. This module
names no cloud: it defines the figures, caches each answer per (provider instance, figure,
range) for ``API_TTL`` (Cost Explorer bills every request), and turns the figures into the rows
``costctl commitments`` prints with ``source: api`` beside its ``source: billing`` rows.

What is cached is the validated, normalized list: a cloud answer that fails its shape check
raises ``BadAnswer`` inside ``compute`` and nothing is stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from costctl.analysis.commitments import Commitment
    from costctl.context import Env
    from costctl.providers.base import Provider

# A day: the clouds refresh utilization and recommendations about daily, and each Cost Explorer
# request costs USD 0.01, so a check every 5 minutes must not ask again.
API_TTL = 86400.0
# Lookback windows the recommendation APIs accept; ``--days`` is rounded up to the next one.
LOOKBACKS = (7, 30, 60)


@dataclass(frozen=True)
class ApiCommitment:
    """One commitment's utilization over a range, as its cloud reports it (amounts in ``currency``)."""

    provider: str  # the provider instance
    commitment_id: str
    type: str  # Reserved Instance, Savings Plan, Reservation, Committed Use Discount
    account: str | None
    used: float | None  # amortized commitment the covered usage consumed (None: the API states only a percent)
    unused: float | None  # amortized commitment paid for nothing
    on_demand: float | None  # what the covered usage would have cost on demand
    net_savings: float | None  # on_demand - used - unused, as the cloud states it
    start: date | None
    end: date | None
    term: str | None  # 1y, 3y
    payment: str | None  # no upfront, partial upfront, all upfront, monthly
    currency: str
    utilization_pct: float | None = None  # the cloud's own figure where it gives one (hours-based for RIs)

    @property
    def utilization(self) -> float | None:
        """used / (used + unused) in percent (the billing figure's definition), else the cloud's."""
        if self.used is not None and self.unused is not None and self.used + self.unused > 0:
            return 100.0 * self.used / (self.used + self.unused)
        return self.utilization_pct


@dataclass(frozen=True)
class ApiCoverage:
    """Coverage of one (service, account, region) cell as the cloud reports it, in ``unit``."""

    provider: str
    type: str
    service: str | None
    account: str | None
    region: str | None
    covered: float
    total: float
    unit: str  # a currency, or "hours" (Reserved Instance coverage is in hours)

    @property
    def uncovered(self) -> float:
        return self.total - self.covered


@dataclass(frozen=True)
class ApiRecommendation:
    """One purchase the cloud recommends, with its cost and expected savings."""

    provider: str
    type: str
    what: str  # what to buy: "3 x m5.large us-east-1 Linux/UNIX", "Compute Savings Plan 2.500/h"
    account: str | None
    term: str | None
    payment: str | None
    upfront: float
    monthly_cost: float | None  # the recurring monthly payment (without the upfront); None: not stated
    monthly_savings: float  # the cloud's estimate, net of the upfront's monthly share
    break_even_months: float | None
    currency: str
    lookback_days: int | None


class CommitmentSource(Protocol):
    """What ``Provider.commitment_source()`` returns. Each method asks the cloud (no caching: this
    module caches) and raises ``ProviderError`` with one line when it cannot, ``BadAnswer`` when an
    answer fails its shape check."""

    def utilization(self, start: date, end: date) -> list[ApiCommitment]: ...

    def coverage(self, start: date, end: date) -> list[ApiCoverage]: ...

    def recommendations(self, lookback_days: int) -> list[ApiRecommendation]: ...


FIGURES: dict[str, type] = {"utilization": ApiCommitment, "coverage": ApiCoverage, "recommendations": ApiRecommendation}


def lookback(days: int) -> int:
    """The recommendation APIs' lookback for a range of ``days``: the shortest one covering it (max 60)."""
    return next((n for n in LOOKBACKS if days <= n), LOOKBACKS[-1])


def fetch(provider: Provider, source: CommitmentSource, show: str, start: date, end: date) -> list[Any]:
    """The figures ``show`` asks for over ``[start, end)``, from the provider's cache or its cloud.

    Cached per (instance, settings fingerprint, figure, range) for ``API_TTL``; recommendations are
    keyed by their lookback, not the range, since that is all the cloud is asked.
    """
    cls = FIGURES[show]
    if show == "recommendations":
        days = lookback((end - start).days)
        key = f"commitments-api:recommendations:{days}"

        def compute() -> list[Any]:
            return source.recommendations(days)
    else:
        key = f"commitments-api:{show}:{start.isoformat()}:{end.isoformat()}"

        def compute() -> list[Any]:
            return getattr(source, show)(start, end)

    # The cloud's module does not know the instance's name; it is stamped here, before caching.
    stored = provider.remember(key, API_TTL,
                               lambda: [_plain(replace(item, provider=provider.name)) for item in compute()])
    return [_revive(cls, item) for item in stored]


def _plain(item: Any) -> dict[str, Any]:
    """A figure as a dict of plain values (dates as ISO text): what the disk cache keeps."""
    out = asdict(item)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items()}


def _revive(cls: type, item: dict[str, Any]) -> Any:
    dated = {f.name for f in fields(cls) if "date" in str(f.type)}
    return cls(**{k: date.fromisoformat(v) if k in dated and v else v for k, v in item.items()})


# --- rows for ``costctl commitments`` -----------------------------------------------------------


def label(commitment_id: str) -> str:
    """The short handle the billing rows use: a uuid's first 8 hex digits, else the id's last segment."""
    import re

    tail = commitment_id.rstrip("/").replace(":", "/").rsplit("/", 1)[-1] or commitment_id
    return tail[:8] if re.match(r"^[0-9a-fA-F]{8}-", tail) else tail[:24]


def utilization_row(c: ApiCommitment, today: date) -> dict[str, Any]:
    """An ``ApiCommitment`` in the keys of the billing utilization rows, plus term, payment, start."""
    return {
        "provider": c.provider, "source": "api", "commitment": label(c.commitment_id),
        "commitment_id": c.commitment_id, "name": None, "type": c.type, "category": None, "account": c.account,
        "used": c.used, "unused": c.unused, "utilization": c.utilization, "on_demand": c.on_demand,
        "savings": c.net_savings, "start": c.start.isoformat() if c.start else None,
        "end": c.end.isoformat() if c.end else None,
        "days_left": (c.end - today).days if c.end else None, "term": c.term, "payment": c.payment,
        "currency": c.currency,
    }


def coverage_rows(found: list[ApiCoverage], keys: list[str]) -> list[dict[str, Any]]:
    """API coverage summed to the ``--group-by`` keys (per provider, type and unit), in the keys of
    the billing coverage rows: eligible = total, covered, on_demand = the uncovered part."""
    sums: dict[tuple, list[float]] = {}
    for cell in found:
        key = (cell.provider, cell.type, *(getattr(cell, k) for k in keys), cell.unit)
        acc = sums.setdefault(key, [0.0, 0.0])
        acc[0] += cell.total
        acc[1] += cell.covered
    out = []
    for key, (total, covered) in sorted(sums.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        row: dict[str, Any] = {"provider": key[0], "source": "api", "type": key[1]}
        row.update(dict(zip(keys, key[2:-1], strict=True)))
        row.update({"eligible": total, "covered": covered, "on_demand": total - covered,
                    "coverage": 100.0 * covered / total if total > 0 else None, "currency": key[-1]})
        out.append(row)
    return out


def recommendation_row(r: ApiRecommendation) -> dict[str, Any]:
    """An ``ApiRecommendation`` as an output row (its own columns: upfront, monthly cost, break-even)."""
    return {"provider": r.provider, "source": "api", "type": r.type, "what": r.what, "account": r.account,
            "term": r.term, "payment": r.payment, "upfront": r.upfront, "monthly_cost": r.monthly_cost,
            "monthly_savings": r.monthly_savings, "break_even_months": r.break_even_months,
            "lookback_days": r.lookback_days, "currency": r.currency}


def break_even(upfront: float, monthly_savings: float, term_months: int) -> float | None:
    """Months until the cash saved pays back the upfront, for clouds that do not state it.

    The stated monthly savings are net of the upfront's monthly share (upfront / term), so the cash
    a month saves against on demand is that plus the share back. No upfront: 0; savings that never
    pay it back: None.
    """
    if upfront <= 0:
        return 0.0
    cash = monthly_savings + upfront / term_months
    return round(upfront / cash, 1) if cash > 0 else None


# --- the API figures judged by ``check`` and exported by ``export-prometheus`` -------------------

COMMITMENT_SOURCES = ("billing", "api", "both")


def as_commitment(c: ApiCommitment, start: date, end: date) -> Commitment:
    """An ``ApiCommitment`` in the shape the check and the exporter judge (origin ``api``).

    Amounts the cloud did not state are 0 with ``amounts`` False, so a sum over commitments stays a
    number while the outputs can say "unknown" instead of printing a 0 that was never measured.
    """
    from costctl.analysis.commitments import Commitment

    amounts = c.used is not None and c.unused is not None
    return Commitment(source=c.provider, provider=c.provider, commitment_id=c.commitment_id, name=None,
                      type=c.type, category=None, account=c.account, currency=c.currency,
                      used=c.used or 0.0, unused=c.unused or 0.0, on_demand=c.on_demand, end=c.end,
                      first_day=start, last_day=end - timedelta(days=1), origin="api",
                      api_utilization=c.utilization, amounts=amounts)


def merge(billing: list[Commitment], api: list[ApiCommitment], mode: str, start: date, end: date) -> list[Commitment]:
    """The commitments a check judges under ``mode`` (``billing``, ``api``, ``both``).

    ``both``: a billing commitment the API also reports (same short label, the handle both sides
    share) takes the API's utilization, amounts where stated and end date (billing data of Azure
    and GCP has none); the billing id, name and type stay, so perfdata labels do not change when
    the API is switched on. Amounts in another unit than the billing's (Azure's reservation
    hours) are not mixed in: the row keeps its billing amounts and takes the API's utilization.
    Commitments only one side knows are kept as that side has them.
    """
    from dataclasses import replace as copy

    if mode == "billing":
        return billing
    found = [as_commitment(c, start, end) for c in api]
    if mode == "api":
        return found
    by_label = {label(c.commitment_id).lower(): c for c in found}  # Azure ids come in either case
    out = []
    for b in billing:
        a = by_label.pop(b.label.lower(), None)
        if a is None:
            out.append(b)
            continue
        out.append(copy(b, origin="both", api_utilization=a.api_utilization, end=a.end or b.end,
                        **({"used": a.used, "unused": a.unused,
                            "on_demand": a.on_demand if a.on_demand is not None else b.on_demand}
                           if a.amounts and a.currency == b.currency else {})))
    return out + list(by_label.values())


def provider_figures(env: Env, name: str, start: date, end: date, mode: str,
                     accounts: tuple[str, ...] = ()) -> list[ApiCommitment] | None:
    """Utilization of instance ``name`` from its cloud (cached a day), or None when ``mode`` is
    ``both`` and its provider has no commitment API (billing alone then, as ``commitments`` does).

    ``mode`` ``api`` on a provider without the API raises its one-line refusal; a failed or
    malformed answer raises the provider's ``CostctlError`` (nothing cached).
    """
    from costctl import loader
    from costctl.providers import registry

    if mode == "billing":
        return None
    provider = loader.make_provider(env, name)
    try:
        if mode == "both" and provider.commitment_source() is None:
            return None
        source = registry.capability(provider, "commitment_source")
        found = fetch(provider, source, "utilization", start, end)
    finally:
        provider.close()
    env.verbose(f"{name}: commitment utilization from the API, {provider.stats.requests} request(s)")
    return [c for c in found if not accounts or c.account is None or c.account in accounts]
