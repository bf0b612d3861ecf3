"""Judging ``check --period anomalies`` from its facts: plain data, no pandas, no Anomaly class.

Detection (``costctl.monitoring.anomaly_check``) reduces what it found to *facts*, builtins only
(the window, per anomaly its severity, impact, kind, innermost group value, currency,
acknowledgement and long-output line, the lagging providers), so the same facts can be stored
in the cache (``costctl.monitoring.precomputed``) and judged by a later check against its own
``-w``/``-c`` without importing anything heavy. Both paths call ``judge``: the answer read from
stored facts is the answer computing them gives.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from costctl.monitoring.anomaly_rule import SEVERITIES, AnomalyRule
from costctl.monitoring.evaluate import Policy
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State, worst
from costctl.monitoring.summary import Outcome


def judge(facts: dict[str, Any], rule: AnomalyRule, policy: Policy) -> Outcome:
    """The Outcome of a window's facts (``anomaly_check.anomaly_facts``) under ``rule``."""
    if facts.get("no_rows"):  # worded as the other periods word it
        return Outcome(policy.stale_state, "anomalies: no cost rows in the file(s)")
    lo, hi = date.fromisoformat(facts["lo"]), date.fromisoformat(facts["hi"])
    failed = list(facts["failed"])
    if facts.get("gap"):
        return no_data(facts["gap"], rule, lo, hi, failed, policy, bool(facts.get("all_failed")))
    outcome = judge_found(facts["anomalies"], rule, lo, hi, failed, policy.error_state)
    outcome.long_output = [*outcome.long_output, *facts["lagging"]]
    return outcome


def no_data(gap: str, rule: AnomalyRule, lo: date, hi: date, failed: list[str], policy: Policy,
            all_failed: bool = False) -> Outcome:
    """No provider reported a day of the window: ``--stale-state``, ``--error-state`` when failures are why."""
    states = [policy.error_state] if failed else []
    if not all_failed:
        states.append(policy.stale_state)
    text = f"anomalies {lo}..{hi - timedelta(days=1)}: {gap}" + "".join(f"; {f}" for f in failed)
    warn, crit = rule.impact_fields()
    perfdata = [Perfdata(f"anomalies_{s}", None, decimals=0, min=0) for s in reversed(SEVERITIES)]
    perfdata += [Perfdata("anomalies_acknowledged", None, decimals=0, min=0),
                 Perfdata("anomalies_max_impact", None, warn=warn, crit=crit, min=0)]
    return Outcome(worst(states), text, perfdata)


def judge_found(found: list[dict[str, Any]], rule: AnomalyRule, lo: date, hi: date, failed: list[str] | None = None,
                error_state: State = State.UNKNOWN) -> Outcome:
    """The Outcome of detected (and ack-marked) anomalies' facts; ``failed`` providers add ``error_state``."""
    open_ = [a for a in found if not a["acknowledged"]]
    counts = {s: sum(1 for a in open_ if a["severity"] == s) for s in SEVERITIES}
    max_impact = max((abs(a["impact"]) for a in open_), default=0.0)
    state, why = rule.evaluate([a["severity"] for a in open_], max_impact)
    headline = f"anomalies {lo}..{hi - timedelta(days=1)}"
    if open_:
        top = max(open_, key=lambda a: (SEVERITIES.index(a["severity"]), abs(a["impact"])))
        listed = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts[s])
        text = (f"{headline}: {len(open_)} open ({listed}), worst {top['kind']} {top['where']} "
                f"{top['impact']:+,.2f} {top['currency'] or ''}").rstrip()
    else:
        text = f"{headline}: no unacknowledged anomalies"
    acked = len(found) - len(open_)
    if acked:
        text += f", {acked} acknowledged"
    if why:
        text += f" ({why})"
    states = [state]
    if failed:
        # Anomalies computed without a provider's data may miss its spike: say so with --error-state.
        states.append(error_state)
        text += "; " + "; ".join(failed)
    warn, crit = rule.impact_fields()
    perfdata = [Perfdata(f"anomalies_{s}", counts[s], decimals=0, min=0) for s in reversed(SEVERITIES)]
    perfdata += [Perfdata("anomalies_acknowledged", acked, decimals=0, min=0),
                 Perfdata("anomalies_max_impact", max_impact, warn=warn, crit=crit, min=0)]
    return Outcome(worst(states), text, perfdata, [a["line"] for a in open_])
