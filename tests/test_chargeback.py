"""Chargeback allocation: reconciliation to the cent under both splits, with and without untagged cost."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from costctl.analysis.chargeback import SHARED, UNTAGGED, allocate, from_block, round_to_total, weights
from costctl.budgets.scope import Scope
from costctl.records import Block

D = Decimal


def rows(*items: tuple[str | None, str, bool]) -> list[tuple[str | None, Decimal, bool]]:
    return [(owner, D(cost), shared) for owner, cost, shared in items]


def by_owner(result) -> dict[str, tuple[int, int, int, int]]:
    return {li.owner: (li.direct, li.shared, li.untagged, li.total) for li in result.lines}


def test_proportional_split_follows_direct_cost() -> None:
    result = allocate(rows(("a", "300", False), ("b", "100", False), (None, "50", False), ("x", "40", True)))
    assert by_owner(result) == {"a": (30000, 3000, 0, 33000), "b": (10000, 1000, 0, 11000),
                                UNTAGGED: (0, 0, 5000, 5000)}
    assert result.total == 49000 and result.reconciles


def test_even_split_gives_each_owner_the_same_share() -> None:
    result = allocate(rows(("a", "300", False), ("b", "100", False), ("x", "40", True)), split="even")
    assert by_owner(result) == {"a": (30000, 2000, 0, 32000), "b": (10000, 2000, 0, 12000)}


def test_spread_untagged_cost_goes_to_the_owners_and_leaves_no_untagged_line() -> None:
    result = allocate(rows(("a", "300", False), ("b", "100", False), (None, "80", False)), untagged="spread")
    assert by_owner(result) == {"a": (30000, 0, 6000, 36000), "b": (10000, 0, 2000, 12000)}


def test_thirds_are_rounded_so_the_lines_still_sum_to_the_total() -> None:
    result = allocate(rows(("a", "1", False), ("b", "1", False), ("c", "1", False), ("s", "1.00", True)),
                      split="even")
    assert sorted(li.shared for li in result.lines) == [33, 33, 34]
    assert result.reconciles and result.total == 400


def test_shared_cost_with_nobody_to_charge_stays_on_its_own_line() -> None:
    result = allocate(rows((None, "10", False), ("x", "5.555", True)))
    assert by_owner(result) == {UNTAGGED: (0, 0, 1000, 1000), SHARED: (0, 556, 0, 556)}


def test_proportional_falls_back_to_even_when_no_owner_has_positive_cost() -> None:
    assert weights({"a": D("-5"), "b": D("0")}, "proportional") == {"a": D("0.5"), "b": D("0.5")}
    assert weights({"a": D("-5"), "b": D("10")}, "proportional") == {"a": D(0), "b": D(1)}


@pytest.mark.parametrize("split", ["proportional", "even"])
@pytest.mark.parametrize("untagged", ["line", "spread"])
@pytest.mark.parametrize("with_untagged", [True, False])
def test_random_months_always_reconcile_to_the_cent(split: str, untagged: str, with_untagged: bool) -> None:
    rng = random.Random(f"{split}{untagged}{with_untagged}")
    for _ in range(50):
        items = []
        for _ in range(rng.randint(1, 300)):
            owner = rng.choice(["api", "data", "web", "ml", None if with_untagged else "ops"])
            cost = D(repr(rng.uniform(-2, 40) * rng.choice([1, 0.001, 1.37])))
            items.append((owner, cost, rng.random() < 0.15))
        result = allocate(items, split=split, untagged=untagged)
        exact = sum((c for _, c, _ in items), D(0))
        assert result.total == int((exact * 100).quantize(D(1), rounding="ROUND_HALF_UP"))
        assert sum(li.total for li in result.lines) == result.total
        assert (UNTAGGED in {li.owner for li in result.lines}) == (
            with_untagged and any(o is None and not s for o, _, s in items) and untagged == "line")


def test_round_to_total_moves_at_most_one_cent_per_value() -> None:
    values = [D("0.333"), D("0.333"), D("0.334"), D("-1.005")]
    cents = round_to_total(values, -1)
    assert sum(cents) == -1
    assert all(abs(c - v * 100) < 1 for c, v in zip(cents, values, strict=True))
    with pytest.raises(ValueError):
        round_to_total([D("1")], 500)


def _block(records: list[tuple[str | None, float, str, str]]) -> Block:
    block = Block()
    epoch = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    for team, cost, service, currency in records:
        values = {"ChargePeriodStart": epoch, "ChargePeriodEnd": epoch + 86400, "EffectiveCost": cost,
                  "BilledCost": cost, "BillingCurrency": currency, "ServiceName": service, "ProviderName": "AWS",
                  "Tags": {"team": team} if team else {}, "x_Estimated": False, "ChargeCategory": "Usage"}
        for name, column in block.columns.items():
            column.append(values.get(name))
    return block


def test_from_block_reads_owners_shared_scopes_and_keeps_currencies_apart() -> None:
    block = _block([("api", 0.1, "EC2", "USD"), ("api", 0.2, "EC2", "USD"), ("data", 0.3, "S3", "USD"),
                    (None, 0.7, "EC2", "USD"), ("api", 1.0, "AWS Support", "USD"), ("api", 9.99, "EC2", "EUR")])
    results = from_block(block, key="tag:team", shared=[Scope.from_pairs([("service", "aws support")])])
    eur, usd = results
    assert eur.currency == "EUR" and by_owner(eur) == {"api": (999, 0, 0, 999)}
    # 0.1 + 0.2 is 0.30000000000000004 in floats; in Decimal it is 0.3 and the line is exactly 30 cents.
    assert by_owner(usd) == {"api": (30, 50, 0, 80), "data": (30, 50, 0, 80), UNTAGGED: (0, 0, 70, 70)}
    assert usd.total == 230 and usd.records == 5


def test_from_block_by_a_column_key() -> None:
    block = _block([("api", 1.0, "EC2", "USD"), ("data", 2.0, "S3", "USD")])
    (result,) = from_block(block, key="service", untagged="spread")
    assert by_owner(result) == {"S3": (200, 0, 0, 200), "EC2": (100, 0, 0, 100)}
