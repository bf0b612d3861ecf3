"""Send each named channel the anomalies it has not been sent yet, then remember them."""

from __future__ import annotations

from datetime import date
from typing import Any

from costctl.analysis.anomalies import Anomaly
from costctl.analysis.anomaly_severity import at_least
from costctl.errors import UsageError
from costctl.notify import NotifyError
from costctl.notify.state import NotifiedState


def pending(settings: dict[str, Any], anomalies: list[Anomaly], sent: set[str]) -> list[Anomaly]:
    """What one channel still has to hear about."""
    return [a for a in anomalies if a.id not in sent and at_least(a.severity, settings["min_severity"])
            and (settings["include_acknowledged"] or not a.acknowledged)]


def dispatch(channels: dict[str, dict[str, Any]], names: list[str], anomalies: list[Anomaly],
             state: NotifiedState, today: date) -> dict[str, int]:
    """Notify every channel in ``names``; returns how many anomalies each was sent.

    A failing channel does not stop the others; the first failure is raised at the end, and only
    delivered anomalies are recorded, so the next run retries the rest.
    """
    from costctl.notify import email, webhook

    unknown = [n for n in names if n not in channels]
    if unknown:
        known = ", ".join(channels) or "none configured"
        raise UsageError(f"--notify: unknown channel {unknown[0]!r} (notifications: {known})")
    counts: dict[str, int] = {}
    failure: NotifyError | None = None
    for name in dict.fromkeys(names):
        settings = channels[name]
        todo = pending(settings, anomalies, state.sent(name))
        counts[name] = 0
        if not todo:
            continue
        sender = email.send if settings["type"] == "email" else webhook.send
        try:
            sender(name, settings, todo)
        except NotifyError as exc:
            failure = failure or exc
            continue
        state.record(name, {a.id: a.date.isoformat() for a in todo}, today)
        counts[name] = len(todo)
    if failure is not None:
        raise failure
    return counts
