"""costctl's own commitment recommendation, against a computation over the demo file done by hand."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from costctl.analysis.commitment_advice import MONTH_DAYS, recommend
from costctl.demo import ANCHOR, data_path
from costctl.loader import open_files

EC2 = "Amazon Elastic Compute Cloud"


def test_the_aws_recommendation_equals_a_hand_computation_over_the_demo_file() -> None:
    first = ANCHOR - timedelta(days=29)
    days = [(first + timedelta(days=i)).isoformat() for i in range(30)]
    uncovered = dict.fromkeys(days, Decimal(0))
    used_eff = used_list = unused = Decimal(0)
    with gzip.open(data_path("aws"), "rt", newline="") as fh:
        for r in csv.DictReader(fh):
            day = r["ChargePeriodStart"][:10]
            if day not in uncovered or r["ServiceName"] != EC2 or r["ChargeCategory"] != "Usage":
                continue
            status = r["CommitmentDiscountStatus"]
            if status == "Used":
                used_eff += Decimal(r["EffectiveCost"])
                used_list += Decimal(r["ListCost"])
            elif status == "Unused":
                unused += Decimal(r["EffectiveCost"])
            else:
                uncovered[day] += Decimal(r["ListCost"])
    discount = float(1 - used_eff / used_list)
    ordered = sorted(uncovered.values())
    p10 = float(ordered[int(0.1 * (len(ordered) - 1))])  # the lower nearest rank, as quantile_disc
    base = p10 - float(unused) / 30 / (1 - discount)  # idle capacity of the existing commitments first
    net = sum(min(float(u), base) * discount - (base - min(float(u), base)) * (1 - discount)
              for u in uncovered.values())
    data = open_files((str(data_path("aws")),))
    (advice,) = recommend(data.between(first, ANCHOR + timedelta(days=1)), first, ANCHOR + timedelta(days=1))
    assert advice.service == EC2 and advice.days == 30
    assert advice.discount == pytest.approx(discount, abs=1e-9)
    assert round(advice.base, 2) == round(base, 2) and base > 0
    assert round(advice.monthly_savings, 2) == round(base * discount * MONTH_DAYS, 2)
    assert round(advice.hourly_commitment, 4) == round(base * (1 - discount) / 24, 4)
    assert round(advice.backtest_net, 2) == round(net, 2) and advice.backtest_net > 0


@pytest.mark.usefixtures("warm_demo")
def test_the_command_recommends_for_every_cloud_and_refuses_utilization_options(run) -> None:
    result = run("--demo", "commitments", "--show", "recommendations", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["provider"] for r in rows} == {"aws", "azure", "gcp"}
    assert all(r["monthly_savings"] > 0 and r["backtest_net"] > 0 for r in rows)
    assert [r["monthly_savings"] for r in rows] == sorted((r["monthly_savings"] for r in rows), reverse=True)
    refused = run("--demo", "commitments", "--show", "recommendations", "--type", "ri")
    assert refused.exit_code == 2 and "--type applies to --show utilization" in refused.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_every_cloud_has_savings_and_a_break_even_month_in_every_format(run, monkeypatch, fmt: str) -> None:
    """The issue's Done-when: one recommendation per cloud, each with savings and break-even, visibly.

    No upfront is assumed, so break-even is month 0 (pays from the first hour), stated as a figure.
    """
    monkeypatch.setenv("COLUMNS", "200")
    result = run("--demo", "commitments", "--show", "recommendations", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        rows = json.loads(result.stdout)
    elif fmt == "csv":
        rows = list(csv.DictReader(result.stdout.splitlines()))
    else:
        lines = [line for line in result.stdout.splitlines() if line.startswith("│")]
        header = next(line for line in result.stdout.splitlines() if "Break-even mo" in line)
        names = [c.strip() for c in header.strip("┃").split("┃")]
        rows = [dict(zip(names, (c.strip() for c in line.strip("│").split("│")), strict=True)) for line in lines]
        rows = [{"provider": r["Provider"], "monthly_savings": r["Savings/mo"].replace(",", ""),
                 "break_even_months": r["Break-even mo"]} for r in rows]
    assert sorted(r["provider"] for r in rows) == ["aws", "azure", "gcp"]
    assert all(float(r["monthly_savings"]) > 0 for r in rows)
    assert [float(r["break_even_months"]) for r in rows] == [0.0, 0.0, 0.0]
