"""The text of a notification: one line per anomaly, its main cause, and nothing secret."""

from __future__ import annotations

from costctl.analysis.anomalies import Anomaly
from costctl.analysis.anomaly_rootcause import main_cause

KIND_WORDS = {"spike": "spike", "drop": "drop", "level_shift": "new level", "new": "new spend"}


def money(amount: float, currency: str | None) -> str:
    return f"{amount:,.2f} {currency or ''}".rstrip()


def line(a: Anomaly) -> str:
    """``2026-11-20 CRITICAL spike Google Cloud / acme-data / BigQuery: 732.69 USD (expected 104.10, +628.59)``."""
    where = " / ".join(v or "(none)" for v in a.group.values())
    text = (f"{a.date} {a.severity.upper()} {KIND_WORDS.get(a.kind, a.kind)} {where}: {money(a.cost, a.currency)} "
            f"(expected {a.expected:,.2f}, {a.impact:+,.2f})")
    cause = main_cause(a.contributors)
    if cause is not None:
        (key, value), = cause.keys.items()
        text += f"; mostly {key} {value or '(none)'} ({cause.share:.0%})"
    return text + f" [id {a.id}]"


def subject(template: str, anomalies: list[Anomaly]) -> str:
    n = len(anomalies)
    return template.replace("{count}", str(n)).replace("{ies}", "y" if n == 1 else "ies")


def body(anomalies: list[Anomaly]) -> str:
    head = f"costctl found {len(anomalies)} new cost anomal{'y' if len(anomalies) == 1 else 'ies'}:"
    tail = "Acknowledge an accepted change with: costctl anomalies ack ID [--until DATE] [--note TEXT]"
    return "\n".join([head, *(f"- {line(a)}" for a in anomalies), "", tail])
