"""Tag compliance: cost and resource counts with and without each required tag, and untagged resources."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from costctl.analysis.tag_compliance import ALL, report
from costctl.records import Block


def _block(records: list[tuple[str | None, dict, float, str]]) -> Block:
    block = Block()
    epoch = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    for resource, tags, cost, provider in records:
        values = {"ChargePeriodStart": epoch, "ChargePeriodEnd": epoch + 86400, "EffectiveCost": cost,
                  "BilledCost": cost, "BillingCurrency": "USD", "ProviderName": provider, "ResourceId": resource,
                  "ResourceName": resource and resource.upper(), "Tags": tags, "x_Estimated": False,
                  "ChargeCategory": "Usage"}
        for name, column in block.columns.items():
            column.append(values.get(name))
    return block


BLOCK = _block([
    ("vm-1", {"team": "api", "env": "prod"}, 10.0, "AWS"),
    ("vm-1", {}, 2.0, "AWS"),  # a record of a tagged resource without its tags (tagged later in the month)
    ("vm-2", {"team": "data"}, 5.0, "AWS"),
    ("disk-1", {"team": ""}, 7.0, "Google Cloud"),  # an empty value is no tag
    (None, {}, 1.0, "AWS"),  # support fee: cost, no resource
])


def test_cost_and_resources_with_and_without_each_required_tag() -> None:
    summary, _ = report(BLOCK, ["team", "env"])
    lines = {c.tag: c for c in summary}
    assert [c.tag for c in summary] == ["team", "env", ALL]
    assert (lines["team"].cost_with, lines["team"].cost_without) == (15.0, 10.0)
    assert (lines["team"].resources_with, lines["team"].resources_without) == ({"vm-1", "vm-2"}, {"disk-1"})
    assert (lines["env"].cost_with, lines["env"].cost_without) == (10.0, 15.0)
    assert lines["env"].resources_with == {"vm-1"}
    assert lines[ALL].cost_with == 10.0
    assert lines[ALL].pct_allocated == pytest.approx(40.0)


def test_the_costliest_resources_missing_a_tag_come_first_with_what_they_miss() -> None:
    _, worst = report(BLOCK, ["team", "env"], top=2)
    assert [(u.resource, u.cost, u.missing) for u in worst] == [("disk-1", 7.0, {"team", "env"}),
                                                                ("vm-2", 5.0, {"env"})]
    assert worst[0].name == "DISK-1" and worst[0].provider == "Google Cloud"


def test_one_summary_per_group_value() -> None:
    summary, _ = report(BLOCK, ["team"], by="provider")
    assert {(c.group, c.tag): round(c.pct_allocated, 4) for c in summary} == {
        ("AWS", "team"): round(15 / 18 * 100, 4), ("AWS", ALL): round(15 / 18 * 100, 4),
        ("Google Cloud", "team"): 0.0, ("Google Cloud", ALL): 0.0}


def test_no_records_means_no_lines() -> None:
    assert report(Block(), ["team"]) == ([], [])
