"""``check --period budget``: each budget's state as a Nagios result, with its perfdata.

The state comes from the budget's own ``warning``/``critical`` percentages (default 80 and 100;
see ``BudgetStatus.state``), so one check covers budgets of different sizes; ``-w/-c`` do not
apply. Perfdata per budget, money without a unit as the guidelines want it:
``'NAME_spend'=SPEND;WARN;CRIT;0;AMOUNT 'NAME_forecast'=FORECAST;;;0;AMOUNT 'NAME_used'=PCT%;W;C;0``,
where WARN/CRIT are the money values of the percentages. Pure Python: no pandas on this path.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from costctl.monitoring.evaluate import Policy, Result
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State
from costctl.monitoring.summary import Outcome, summarize

if TYPE_CHECKING:
    from costctl.budgets.status import BudgetStatus
    from costctl.context import Env

_STATES = {"ok": State.OK, "warning": State.WARNING, "critical": State.CRITICAL}


def budget_result(status: BudgetStatus) -> Result:
    """One budget judged: its phrase of the status line, perfdata and long-output line."""
    from costctl.budgets.status import reason

    money = f"{status.spend:.2f}/{status.amount:.2f} {status.currency}"
    why = reason(status)  # a non-OK state says why, as the other periods' threshold lines do
    text = f"{status.name} {why}" if why else f"{status.name} {status.consumed_pct:.0f}% ({money})"
    warn, crit = status.amount * status.warning / 100, status.amount * status.critical / 100
    perfdata = [
        Perfdata(f"{status.name}_spend", status.spend, warn=f"{warn:.2f}", crit=f"{crit:.2f}", min=0.0,
                 max=status.amount),
        Perfdata(f"{status.name}_forecast", status.forecast, min=0.0, max=status.amount),
        Perfdata(f"{status.name}_used", status.consumed_pct, uom="%", warn=f"{status.warning:g}",
                 crit=f"{status.critical:g}", min=0.0),
    ]
    runs_out = f", runs out {status.exhaustion}" if status.exhaustion else ""
    details = [f"{status.name}: {status.period} {status.start}..{status.end - timedelta(days=1)}: spend {money}, "
               f"{status.elapsed_pct:.0f}% of the period elapsed, forecast {status.forecast:.2f} "
               f"({status.forecast_pct:.0f}%){runs_out}"]
    return Result(status.name, _STATES[status.state()], text, perfdata, details)


def budget_outcome(env: Env, names: tuple[str, ...], providers: tuple[str, ...], files: tuple[str, ...],
                   policy: Policy) -> Outcome:
    """Load what the budgets need (all providers, or the files) and judge every budget."""
    from costctl.budgets.current import current_statuses
    from costctl.budgets.setup import configured_budgets

    specs = list(configured_budgets(env, names).values())
    current = current_statuses(env, specs, providers, files)
    results = [budget_result(s) for s in current.statuses]
    if current.failed:
        # A budget summed over a provider that could not be read is not a number to trust.
        results.append(Result("providers", policy.error_state, "; ".join(current.failed)))
    evaluated = {s.name for s in current.statuses}
    notes = [f"{spec.name}: starts on {spec.start}" for spec in specs if spec.name not in evaluated]
    # Named by the last complete day, the day the spend runs through, as every other period is.
    day = env.today() - timedelta(days=1)
    if not results and notes:  # nothing to judge yet is not a fault to page anyone about
        return Outcome(State.OK, f"budget {day}: no budget has started yet ({'; '.join(notes)})")
    return summarize(f"budget {day}", results, notes)
