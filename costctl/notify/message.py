"""The text of a notification, and ``Notice``: what a channel sends, whatever it is about.

Senders (webhook, email) take a ``Notice`` (title, lines, severity and, for ``type: webhook``,
machine-readable records), so anomalies and budget alerts share the channels without the
senders knowing either. The anomaly text is built here: one line per anomaly, its main cause,
and nothing secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costctl.analysis.anomalies import Anomaly

KIND_WORDS = {"spike": "spike", "drop": "drop", "level_shift": "new level", "new": "new spend"}


@dataclass(frozen=True)
class Notice:
    """One message for one channel."""

    title: str  # the email subject
    lines: list[str]  # the body, one line each
    severity: str = "low"  # the most severe item: low, medium, high, critical
    records: dict[str, Any] = field(default_factory=dict)  # e.g. {"anomalies": [...]}
    html: str | None = None  # a page email sends as the HTML alternative of the text (the report digest)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def money(amount: float, currency: str | None) -> str:
    return f"{amount:,.2f} {currency or ''}".rstrip()


def line(a: Anomaly) -> str:
    """``2026-11-20 CRITICAL spike Google Cloud / acme-data / BigQuery: 732.69 USD (expected 104.10, +628.59)``."""
    from costctl.analysis.anomaly_rootcause import main_cause

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


def anomaly_notice(settings: dict[str, Any], anomalies: list[Anomaly]) -> Notice:
    """The notice of new anomalies for one channel (its subject template applies)."""
    from costctl.analysis.anomaly_severity import RANK

    worst = max((a.severity for a in anomalies), key=RANK.__getitem__, default="low")
    return Notice(subject(settings.get("subject") or "costctl: {count} new cost anomal{ies}", anomalies),
                  body(anomalies).split("\n"), worst, {"anomalies": [a.record() for a in anomalies]})
