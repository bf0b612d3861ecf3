"""What PagerDuty hears from ``anomalies`` and ``idle``: open conditions as ``Alert`` and when they clear.

Each source says which of a channel's open incidents (its remembered keys) it can judge: a run
filtered to some providers, accounts or kinds never resolves what it did not look at. Budget
alerts live with the budgets (``costctl.budgets.alerts.alert_source``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from costctl.notify.pagerduty import Alert, Cleared

if TYPE_CHECKING:
    from costctl.analysis.anomalies import Anomaly
    from costctl.idle.findings import Finding
    from costctl.notify.dispatch import AlertSource

ANOMALY = "anomaly:"
IDLE = "idle:"


def anomaly_alert(a: Anomaly) -> Alert:
    from costctl.notify.message import KIND_WORDS, line

    values = [v or "(none)" for v in a.group.values()]
    return Alert(key=f"{ANOMALY}{a.id}", summary=f"costctl: {line(a)}", severity=a.severity,
                 component=values[-1] if values else "(all)", group=" / ".join(values[:-1]) or "(all)",
                 kind=f"cost {KIND_WORDS.get(a.kind, a.kind)}", day=a.date.isoformat(), details=a.record())


def anomaly_source(shown: list[Anomaly], acknowledged: set[str], lo: date, hi: date, scoped: bool) -> AlertSource:
    """Anomalies of a run over the window ``[lo, hi)``.

    An open anomaly incident resolves once the anomaly is acknowledged, once its day has left the
    window (the spike is history), or, in an unfiltered run, when its day is judged again and it
    is no longer flagged.
    """
    from costctl.analysis.anomaly_severity import at_least

    def source(settings: dict[str, Any]) -> tuple[list[Alert], Cleared]:
        todo = [a for a in shown if at_least(a.severity, settings["min_severity"])
                and (settings["include_acknowledged"] or not a.acknowledged)]
        still = {a.id for a in todo}

        def cleared(key: str, day: str) -> bool:
            if not key.startswith(ANOMALY):
                return False
            ident = key[len(ANOMALY):]
            if ident in acknowledged and not settings["include_acknowledged"]:
                return True
            if day < lo.isoformat():
                return True
            return not scoped and day < hi.isoformat() and ident not in still

        return [anomaly_alert(a) for a in todo], cleared

    return source


def idle_key(f: Finding) -> str:
    return f"{IDLE}{f.provider}:{f.check}:{f.id}"


def idle_alert(f: Finding, today: date) -> Alert:
    saving = f"{f.estimated_monthly_savings or 0.0:,.2f} {f.currency}"
    summary = (f"costctl: idle {f.check} {f.resource_id} ({f.provider} {f.region or '-'}): {f.detail}; saves "
               f"{saving} a month; {f.recommendation}")
    return Alert(key=idle_key(f), summary=summary, severity=f.severity, component=f.resource_type,
                 group=f"{f.provider} {f.account}".strip(), kind=f"idle {f.check}", day=today.isoformat(),
                 details={**_rounded(f.row()), "tags": f.tags})


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    """Money as ``--format json`` shows it (6 decimals), so both say the same amount."""
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}


def idle_source(findings: list[Finding], scanned: list[str], checks: set[str], today: date) -> AlertSource:
    """Idle findings of a scan; an incident resolves when a scan of its provider and check no longer
    reports it (deleted, fixed, ignored with `idle ignore` or excluded by tag)."""
    from costctl.analysis.anomaly_severity import at_least

    def source(settings: dict[str, Any]) -> tuple[list[Alert], Cleared]:
        todo = [f for f in findings if at_least(f.severity, settings["min_severity"])]
        current = {idle_key(f) for f in todo}

        def cleared(key: str, _day: str) -> bool:
            if not key.startswith(IDLE) or key in current:
                return False
            provider, check, _ = key[len(IDLE):].rsplit(":", 2)
            return provider in scanned and check in checks

        return [idle_alert(f, today) for f in todo], cleared

    return source
