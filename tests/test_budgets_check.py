"""Budget results for ``check --period budget``: states by percent, exact perfdata, fault handling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from costctl.budgets.check import budget_outcome, budget_result
from costctl.budgets.scope import Scope
from costctl.budgets.spec import BudgetSpec
from costctl.budgets.status import evaluate
from costctl.context import Env
from costctl.monitoring.evaluate import Policy
from costctl.monitoring.perfdata import render
from costctl.monitoring.state import State

TODAY = date(2026, 4, 11)


def status(spent: float, **kw: object):
    spec = BudgetSpec(name="team-data", amount=3000.0, currency="USD", period="monthly", scope=Scope(), **kw)
    return evaluate(spec, {date(2026, 4, 1): spent}, TODAY, TODAY - timedelta(days=1))


@pytest.mark.parametrize(("spent", "state"), [(2000.0, State.OK), (2400.0, State.WARNING),
                                              (3000.0, State.CRITICAL)])
def test_the_state_follows_the_budgets_percentages(spent: float, state: State) -> None:
    assert budget_result(status(spent)).state is state


def test_perfdata_is_exact_with_money_thresholds_and_a_percent() -> None:
    # 2400 on April 1 then nothing: the ten-day mean (240/day) is projected over the 20 remaining days.
    result = budget_result(status(2400.0, warning=75.0))
    assert render(result.perfdata) == (
        "team-data_spend=2400.00;2250.00;3000.00;0.00;3000.00 "
        "team-data_forecast=7200.00;;;0.00;3000.00 "
        "team-data_used=80.00%;75;100;0.00")
    assert result.text == "team-data spend 80% of 3,000 USD (warning at 75%)"  # a non-OK state says why
    assert result.details == ["team-data: monthly 2026-04-01..2026-04-30: spend 2400.00/3000.00 USD, "
                              "33% of the period elapsed, forecast 7200.00 (240%), runs out 2026-04-13"]


def test_the_demo_budgets_give_one_result_each_and_the_worst_state_wins() -> None:
    env = Env(demo=True)
    outcome = budget_outcome(env, (), (), (), Policy())
    assert outcome.text.startswith(f"budget {date.today() - timedelta(days=1)}: ")
    labels = [p.label for p in outcome.perfdata]
    assert labels[:3] == ["all-clouds_spend", "all-clouds_forecast", "all-clouds_used"]
    assert len(labels) == 15
    single = budget_outcome(env, ("platform",), (), (), Policy())
    assert [p.label for p in single.perfdata] == ["platform_spend", "platform_forecast", "platform_used"]
    assert outcome.state.severity >= single.state.severity


@pytest.mark.parametrize(("spent", "text"), [
    (2000.0, "team-data 67% (2000.00/3000.00 USD)"),
    (2400.0, "team-data spend 80% of 3,000 USD (warning at 80%)"),
    (3000.0, "team-data spend 100% of 3,000 USD (critical at 100%)"),
])
def test_a_non_ok_budget_says_why_in_the_status_line(spent: float, text: str) -> None:
    assert budget_result(status(spent)).text == text


def test_a_forecast_warning_names_the_forecast() -> None:
    from dataclasses import replace

    early = replace(status(300.0), forecast_alerts=True, forecast=3360.0)
    result = budget_result(early)
    assert result.state is State.WARNING
    assert result.text == "team-data forecast 112% of 3,000 USD (warning at 100%)"
