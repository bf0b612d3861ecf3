"""Day summaries: what ``check`` needs of one cached day, without the day's rows.

A summary is a plain dict stored in the cache beside the day's rows (``CostCache`` keeps one
entry per provider instance and month): when the day was fetched, how many rows it has, the
newest ChargePeriodEnd, and BilledCost/EffectiveCost summed per (currency, account id, account
name, service). A warm ``check --period forecast`` then reads three small entries instead of 84
entries of full rows, and on a large account (thousands of rows a day) a month-to-date check
sums a few hundred numbers instead of unpickling a month of line items.

Only builtins are stored, so reading needs no costctl class and survives refactoring. Region
and tag filters need the rows: checks with them read the days themselves.
"""

from __future__ import annotations

from typing import Any

# One summed line: (currency, account id, account name, service, billed cost, effective cost).
SumLine = tuple[str | None, str | None, str | None, str | None, float, float]


def summarize(columns: dict[str, list[Any]], fetched_at: float) -> dict[str, Any]:
    """The summary of one day's rows (normalized record columns, as the cache stores them)."""
    sums: dict[tuple[Any, Any, Any, Any], list[float]] = {}
    for currency, account_id, account_name, service, billed, effective in zip(
            columns["BillingCurrency"], columns["SubAccountId"], columns["SubAccountName"], columns["ServiceName"],
            columns["BilledCost"], columns["EffectiveCost"], strict=True):
        key = (currency, account_id, account_name, service)
        acc = sums.get(key)
        if acc is None:
            sums[key] = [billed or 0.0, effective or 0.0]
        else:
            acc[0] += billed or 0.0
            acc[1] += effective or 0.0
    ends = [end for end in columns["ChargePeriodEnd"] if end is not None]
    return {"fetched_at": float(fetched_at), "rows": len(columns["ChargePeriodStart"]),
            "end": max(ends, default=None), "sums": [(*key, b, e) for key, (b, e) in sums.items()]}


def from_sums(rows: int, end: int | None, sums: list[list[Any]], fetched_at: float) -> dict[str, Any]:
    """A summary from figures already summed (the day store sums while it writes)."""
    return {"fetched_at": float(fetched_at), "rows": int(rows), "end": end, "sums": sums}


def is_summary(value: Any) -> bool:
    """True for a value ``summarize`` made (anything else in the cache is treated as absent)."""
    return (isinstance(value, dict) and isinstance(value.get("fetched_at"), int | float)
            and isinstance(value.get("sums"), list) and isinstance(value.get("rows"), int))
