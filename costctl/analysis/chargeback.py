"""Allocation and chargeback: every cent of a month's cost put on an owner, reconciled exactly.

Pure Python over plain rows, in ``Decimal`` then integer cents, because a chargeback is an
invoice between teams: the lines must add up to the month's total to the cent, which float sums
and per-line rounding do not guarantee. The month's exact total is rounded once; every split is
then rounded with the largest-remainder method to a total that is already in cents, so the sum
of the lines is the total by construction (``Chargeback.reconciles`` checks it anyway).

Cost classes:
* direct: rows whose owner key has a value (``tag:team=data`` -> owner ``data``);
* shared: rows selected by the ``--shared`` scopes, whatever their owner, distributed over the
  owners ``proportional`` to their direct cost (negative directs weigh nothing) or ``even``ly;
* unowned ("untagged"): rows without an owner, kept as their own line or spread like shared cost.
With no owner at all, shared cost stays on a ``(shared)`` line: there is nobody to charge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costctl.budgets.scope import Scope
    from costctl.records import Block

SPLITS = ("proportional", "even")
UNTAGGED_MODES = ("line", "spread")
UNTAGGED = "(untagged)"
SHARED = "(shared)"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One owner's charge, in integer cents."""

    owner: str
    direct: int
    shared: int
    untagged: int

    @property
    def total(self) -> int:
        return self.direct + self.shared + self.untagged


@dataclass(frozen=True)
class Chargeback:
    """The allocation of one currency's cost."""

    currency: str | None
    lines: tuple[Line, ...]
    total: int  # cents: the exact sum of every record, rounded once
    records: int

    @property
    def reconciles(self) -> bool:
        return sum(line.total for line in self.lines) == self.total


def to_cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def round_to_total(values: Sequence[Decimal], total_cents: int) -> list[int]:
    """Integer cents for each exact amount, summing to ``total_cents`` (largest remainder).

    Each result is the floor or the ceiling of its exact value in cents whenever
    ``total_cents`` lies between the sum of the floors and the sum of the ceilings, which holds
    for a rounded sum of the same values; the largest fractional parts get the extra cents.
    """
    if not values:
        if total_cents:
            raise ValueError(f"cannot spread {total_cents} cents over no values")
        return []
    exact = [v * 100 for v in values]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    extra = total_cents - sum(floors)
    if not 0 <= extra <= len(values):
        raise ValueError(f"{total_cents} cents is not a rounding of the values' sum")
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:extra]:
        floors[i] += 1
    return floors


def weights(direct: dict[str, Decimal], split: str) -> dict[str, Decimal]:
    """Share of each owner in distributed costs (sums to 1); even when no owner has positive direct cost."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (known: {', '.join(SPLITS)})")
    raw = {o: max(v, Decimal(0)) for o, v in direct.items()} if split == "proportional" else {}
    if not raw or sum(raw.values()) == 0:
        raw = {o: Decimal(1) for o in direct}
    total = sum(raw.values())
    return {o: w / total for o, w in raw.items()}


def allocate(rows: Iterable[tuple[str | None, Decimal, bool]], *, split: str = "proportional",
             untagged: str = "line", currency: str | None = None) -> Chargeback:
    """Allocate ``(owner or None, exact cost, is shared)`` rows into lines that reconcile to the cent."""
    if untagged not in UNTAGGED_MODES:
        raise ValueError(f"unknown untagged mode {untagged!r} (known: {', '.join(UNTAGGED_MODES)})")
    direct: dict[str, Decimal] = {}
    shared_total = unowned_total = Decimal(0)
    count = 0
    for owner, cost, is_shared in rows:
        count += 1
        if is_shared:
            shared_total += cost
        elif owner is None:
            unowned_total += cost
        else:
            direct[owner] = direct.get(owner, Decimal(0)) + cost
    exact_total = sum(direct.values(), Decimal(0)) + shared_total + unowned_total
    total = to_cents(exact_total)

    owners = sorted(direct, key=lambda o: (-direct[o], o))
    share = weights(direct, split) if owners else {}
    # Exact components per line: (direct, shared, unowned) for each owner, then the extra lines.
    names = list(owners)
    parts = [[direct[o], shared_total * share[o], unowned_total * share[o] if untagged == "spread" else Decimal(0)]
             for o in owners]
    if unowned_total and (untagged == "line" or not owners):
        names.append(UNTAGGED)
        parts.append([Decimal(0), Decimal(0), unowned_total])
    if shared_total and not owners:
        names.append(SHARED)
        parts.append([Decimal(0), shared_total, Decimal(0)])

    column_totals = round_to_total([sum((p[c] for p in parts), Decimal(0)) for c in range(3)], total)
    columns = [round_to_total([p[c] for p in parts], column_totals[c]) for c in range(3)]
    lines = tuple(Line(name, columns[0][i], columns[1][i], columns[2][i]) for i, name in enumerate(names))
    return Chargeback(currency=currency, lines=lines, total=total, records=count)


def owner_of(row: dict[str, object], key: str) -> str | None:
    """The owner a record belongs to under ``key`` (``tag:team``, ``account``...), None when unset."""
    from costctl.model import GROUP_KEYS

    if key.startswith("tag:"):
        tags = row.get("Tags")
        value = tags.get(key[4:]) if isinstance(tags, dict) else None
    else:
        value = row.get(GROUP_KEYS[key])
    return value if isinstance(value, str) and value != "" else None


def from_block(block: Block, *, key: str, shared: Sequence[Scope] = (), metric: str = "effective",
               split: str = "proportional", untagged: str = "line") -> list[Chargeback]:
    """One reconciled chargeback per billing currency of the records (amounts are never converted)."""
    from costctl.budgets.scope import COLUMNS_READ
    from costctl.model import METRICS

    names = tuple(dict.fromkeys(("BillingCurrency", METRICS[metric], *COLUMNS_READ)))
    by_currency: dict[str | None, list[tuple[str | None, Decimal, bool]]] = {}
    for values in block.rows(*names):
        row = dict(zip(names, values, strict=True))
        # repr() is the shortest text that reads back as the same float: the export's own digits.
        cost = Decimal(repr(row[METRICS[metric]] or 0.0))
        is_shared = any(scope.matches(row) for scope in shared)
        by_currency.setdefault(row["BillingCurrency"], []).append((owner_of(row, key), cost, is_shared))
    return [allocate(rows, split=split, untagged=untagged, currency=currency)
            for currency, rows in sorted(by_currency.items(), key=lambda kv: kv[0] or "")]
