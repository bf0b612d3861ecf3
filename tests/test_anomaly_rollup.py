"""Attribution upward: ancestor levels, the dominant parent of a group, and folding into rollups."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from costctl.analysis.anomalies import Anomaly
from costctl.analysis.anomaly_rollup import ancestor_keys, ancestors, rollups

DAY = date(2026, 3, 3)


def anomaly(resource: str, service: str, impact: float, kind: str = "spike", severity: str = "low") -> Anomaly:
    return Anomaly(id=resource, date=DAY, kind=kind, group={"resource": resource}, currency="USD", cost=100 + impact,
                   expected=100.0, impact=impact, score=5.0, severity=severity, method="robust",
                   rollup={"account": "111", "service": service})


def test_the_levels_above_are_those_not_grouped_by() -> None:
    assert ancestor_keys(["resource"]) == ["provider", "account", "service"]
    assert ancestor_keys(["service"]) == ["provider", "account"]
    assert ancestor_keys(["provider", "account", "service"]) == []
    assert ancestor_keys(["tag:team"]) == []


def test_a_group_billed_under_two_parents_takes_the_one_with_most_cost() -> None:
    rows = pd.DataFrame({"day": [DAY, DAY, DAY], "cost": [5.0, 90.0, -1.0], "service": ["S3", "EC2", "S3"],
                         "account": ["111", "111", ""]})
    assert ancestors(rows, ["service", "account"], DAY) == {"service": "EC2", "account": "111"}


def test_rollups_fold_a_day_of_members_into_their_parent_largest_first() -> None:
    found = [anomaly("i-1", "EC2", 20.0), anomaly("i-2", "EC2", -80.0, "drop", "high"), anomaly("b-1", "S3", 50.0)]
    ec2, s3 = rollups(found, ["service"])
    assert (ec2.group, ec2.count, ec2.impact, ec2.severity) == ({"service": "EC2"}, 2, pytest.approx(-60.0), "high")
    assert [m["resource"] for m in ec2.members] == ["i-2", "i-1"] and ec2.kinds == ["drop", "spike"]
    assert (s3.group, s3.count) == ({"service": "S3"}, 1)
    assert [r.group for r in rollups(found, ["account"])] == [{"account": "111"}]
