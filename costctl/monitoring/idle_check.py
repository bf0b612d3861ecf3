"""``check --period idle``: idle, orphaned and oversized resources as one Nagios result.

Runs the same scan as ``costctl idle`` (``costctl.idle.run``; the demo inventory with ``--demo``)
and checks one number against ``-w``/``-c``: the total estimated monthly savings
(``--idle-metric savings``, the default: money left on the table is what matters) or the number
of findings (``--idle-metric count``). Perfdata has both totals and, per selected idle check,
its savings and count, zeros included, so graphs keep a line per check. A provider that could
not be scanned adds ``--error-state``: its waste is unknown, not zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State, worst
from costctl.monitoring.summary import Outcome
from costctl.monitoring.thresholds import Thresholds

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.idle.findings import Finding

IDLE_METRICS = ("savings", "count")


def idle_outcome(env: Env, thresholds: Thresholds, metric: str, providers: tuple[str, ...], checks: str | None,
                 regions: tuple[str, ...], error_state: State, accounts: tuple[str, ...] = ()) -> Outcome:
    """Scan (or read the demo inventory) and judge the findings."""
    return judge(idle_facts(env, providers, checks, regions, accounts), thresholds, metric, error_state)


def idle_facts(env: Env, providers: tuple[str, ...], checks: str | None, regions: tuple[str, ...],
               accounts: tuple[str, ...] = ()) -> dict[str, Any]:
    """Scan and silence; the findings as facts (builtins), independent of ``-w``/``-c`` and
    ``--idle-metric``, so stored facts (``costctl.monitoring.precomputed``) serve any of them."""
    from costctl.idle import run as idle_run
    from costctl.idle.ignores import IgnoreStore
    from costctl.idle.report import Reporter
    from costctl.idle.thresholds import CHECKS
    from costctl.statedir import state_dir

    IgnoreStore(state_dir(env)).ignores()  # a damaged file is UNKNOWN before the scan, never rewritten
    wanted = idle_run.parse_checks(checks, idle_run.limits_of(env))
    reporter = Reporter()
    result = idle_run.run(env, providers, wanted, list(regions), None, reporter,
                          [a.strip() for a in accounts if a.strip()] or None)
    checks = [c for c in CHECKS if c in wanted]
    # Findings only a cloud's recommender made get perfdata of their own, like a check.
    checks += sorted({f.check for f in result.findings} - set(CHECKS))
    return {"findings": [_fact(f) for f in result.findings], "checks": checks,
            "failed": list(result.failed), "warnings": list(reporter.warnings), "silenced": len(result.silenced)}


def _fact(f: Finding) -> dict[str, Any]:
    return {"check": f.check, "currency": f.currency, "savings": float(f.estimated_monthly_savings or 0.0),
            "line": f"{f.provider} {f.region or '-'} {f.resource_id} {f.check}: {f.detail}; saves "
                    f"{f.estimated_monthly_savings or 0.0:,.2f} {f.currency} a month; {f.recommendation}"}


def judge(facts: dict[str, Any], thresholds: Thresholds, metric: str, error_state: State = State.UNKNOWN) -> Outcome:
    """The Outcome of a scan's facts (``idle_facts``), its selected checks in a stable order."""
    findings, checks, failed = facts["findings"], facts["checks"], facts["failed"]
    currencies = sorted({f["currency"] for f in findings})
    savings = sum(f["savings"] for f in findings)
    warn, crit = thresholds.perf_fields()
    money = f"{savings:,.2f} {'/'.join(currencies) or 'USD'}"
    text = f"idle: {len(findings)} finding(s), savings {money} a month"
    if metric == "savings" and len(currencies) > 1:
        # A sum over currencies is no amount at all: say so rather than compare it with a range.
        state, why = State.UNKNOWN, f"findings in several currencies ({', '.join(currencies)}); use --idle-metric count"
    else:
        state, why = thresholds.evaluate(savings if metric == "savings" else float(len(findings)))
    by_check = {c: [f for f in findings if f["check"] == c] for c in checks}
    busiest = sorted((c for c in checks if by_check[c]), key=lambda c: -len(by_check[c]))[:3]
    if busiest:
        text += " (" + ", ".join(f"{c} {len(by_check[c])}" for c in busiest) + ")"
    if why:
        text += f" ({why})"
    states = [state]
    if failed:
        states.append(error_state)
        text += "; not scanned: " + "; ".join(failed)
    perfdata = [
        Perfdata("idle_savings", savings, warn=warn if metric == "savings" else "",
                 crit=crit if metric == "savings" else "", min=0),
        Perfdata("idle_findings", len(findings), warn=warn if metric == "count" else "",
                 crit=crit if metric == "count" else "", min=0, decimals=0),
    ]
    for c in checks:
        perfdata.append(Perfdata(f"{c}_savings", sum(f["savings"] for f in by_check[c]), min=0))
        perfdata.append(Perfdata(f"{c}_count", len(by_check[c]), min=0, decimals=0))
    details = [f["line"] for f in findings] + [f"warning: {w}" for w in facts["warnings"]]
    if facts["silenced"]:
        details.append(f"{facts['silenced']} finding(s) silenced (costctl idle ignored; idle.exclude_tags)")
    return Outcome(worst(states), text, perfdata, details)
