"""costctl's own commitment recommendation from billing data, where no cloud API is asked.

For each provider instance, currency and service in which a commitment already covers usage (so
the data shows what discount a commitment gets there), the *steady base* is a low percentile
(P10) of the daily eligible usage that no commitment covered, at on-demand prices, over the
range: the amount that ran on nine days out of ten. Committing to that base would have cost
``base x (1 - discount)`` a day and saved ``base x discount`` on every day the usage reached it.

The discount is the one observed: 1 - (amortized cost of covered usage / its on-demand cost).
Existing commitments that already go unused in the service come first: their idle capacity, in
on-demand terms (unused amortized cost / (1 - discount) a day), is taken off the base, since
that usage could have been moved under them before anything new is bought.
Services without a commitment get no recommendation (the data cannot say what a commitment
would cost there). The figure is back-tested on the same range: each day's uncovered usage up to
the base is covered (saving the discount), the rest of the base is waste (costing the commitment
price); the net over the range says whether the base would have paid. No upfront payment is
assumed (a no-upfront commitment breaks even in its first month), so there is no break-even
column here; the cloud APIs' recommendations (a later part of issue #18) carry upfront options.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from costctl.analysis.commitments import COMMITTED, ELIGIBLE, ON_DEMAND, USED
from costctl.duck import literal

if TYPE_CHECKING:
    from costctl.query import Dataset

PERCENTILE = 0.10  # the steady base: the daily uncovered usage exceeded on 9 days out of 10
MONTH_DAYS = 30.4


@dataclass(frozen=True)
class Advice:
    """One recommendation: commit to ``base`` a day of on-demand usage in ``service``."""

    source: str
    service: str
    currency: str
    discount: float  # observed, 0-1
    base: float  # daily on-demand usage to commit to
    days: int
    backtest_net: float  # what the base would have saved over the range, waste deducted
    backtest_utilization: float  # percent of the base the range's usage would have used

    @property
    def hourly_commitment(self) -> float:
        """What the commitment costs per hour (a spend-based commitment is bought per hour)."""
        return self.base * (1.0 - self.discount) / 24.0

    @property
    def monthly_savings(self) -> float:
        """Savings per month when the base is fully used."""
        return self.base * self.discount * MONTH_DAYS

    @property
    def break_even_months(self) -> float:
        """Months until the commitment pays back what was paid ahead: the estimate assumes no
        upfront (a spend-based commitment billed hourly), so it saves from its first hour: 0.

        Stated as a figure, not left out, so every recommendation row answers "when does it pay
        off" the same way the clouds' rows do (``commitment_api.break_even`` of no upfront is 0 too).
        """
        return 0.0

    def row(self) -> dict[str, Any]:
        return {"provider": self.source, "service": self.service, "discount": 100.0 * self.discount,
                "daily_on_demand": self.base, "hourly_commitment": self.hourly_commitment,
                "monthly_savings": self.monthly_savings, "break_even_months": self.break_even_months,
                "backtest_net": self.backtest_net,
                "backtest_utilization": self.backtest_utilization, "days": self.days, "currency": self.currency}


def recommend(data: Dataset, start: date, end: date) -> list[Advice]:
    """Recommendations over ``[start, end)``, largest monthly savings first."""
    if data.source is None or end <= start:
        return []
    basis = f"coalesce({ON_DEMAND}, EffectiveCost)"
    covered = f"({USED} AND {COMMITTED})"
    days = (end - start).days
    query = (
        f"WITH r AS (SELECT * FROM ({data.sql()})), "
        f"seen AS (SELECT coalesce(x_Source, ProviderName) AS src, BillingCurrency AS cur, ServiceName AS svc, "
        f"  1.0 - fsum(EffectiveCost) / fsum({ON_DEMAND}) AS discount FROM r "
        f"  WHERE {covered} AND {ON_DEMAND} > 0 GROUP BY ALL HAVING fsum({ON_DEMAND}) > 0), "
        f"cal AS (SELECT CAST(d AS DATE) AS day FROM range(DATE {literal(start.isoformat())}, "
        f"  DATE {literal(end.isoformat())}, INTERVAL 1 DAY) t(d)), "
        f"daily AS (SELECT coalesce(x_Source, ProviderName) AS src, BillingCurrency AS cur, ServiceName AS svc, "
        f"  CAST(ChargePeriodStart AS DATE) AS day, fsum({basis}) AS uncovered FROM r "
        f"  WHERE {ELIGIBLE} AND NOT {covered} GROUP BY ALL), "
        f"grid AS (SELECT seen.*, cal.day, coalesce(daily.uncovered, 0.0) AS uncovered FROM seen CROSS JOIN cal "
        f"  LEFT JOIN daily ON daily.src = seen.src AND daily.cur = seen.cur "
        f"  AND daily.svc IS NOT DISTINCT FROM seen.svc AND daily.day = cal.day), "
        f"idle AS (SELECT coalesce(x_Source, ProviderName) AS src, BillingCurrency AS cur, ServiceName AS svc, "
        f"  fsum(EffectiveCost) AS unused FROM r WHERE {COMMITTED} AND NOT {USED} GROUP BY ALL), "
        f"p10 AS (SELECT src, cur, svc, any_value(discount) AS discount, "
        f"  quantile_disc(uncovered, {PERCENTILE}) AS p10 FROM grid GROUP BY ALL), "
        f"base AS (SELECT p10.src, p10.cur, p10.svc, p10.discount, greatest(p10.p10 - coalesce(idle.unused, 0.0) "
        f"  / {days} / (1.0 - p10.discount), 0.0) AS base FROM p10 LEFT JOIN idle ON idle.src = p10.src "
        f"  AND idle.cur = p10.cur AND idle.svc IS NOT DISTINCT FROM p10.svc) "
        f"SELECT base.src, base.cur, base.svc, base.discount, base.base, "
        f"  fsum(least(grid.uncovered, base.base) * base.discount "
        f"       - (base.base - least(grid.uncovered, base.base)) * (1.0 - base.discount)) AS net, "
        f"  fsum(least(grid.uncovered, base.base)) AS used "
        f"FROM base JOIN grid ON grid.src = base.src AND grid.cur = base.cur "
        f"AND grid.svc IS NOT DISTINCT FROM base.svc WHERE base.base > 0 AND base.discount > 0 GROUP BY ALL"
    )
    out = []
    for r in data.arrow(query).to_pylist():
        base = float(r["base"])
        out.append(Advice(r["src"], r["svc"] or "", r["cur"], float(r["discount"]), base, days, float(r["net"]),
                          100.0 * float(r["used"]) / (base * days)))
    return sorted(out, key=lambda a: (-a.monthly_savings, a.source, a.service))
