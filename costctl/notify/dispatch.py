"""Send each named channel what it has not been sent yet, then remember it.

``deliver`` is the loop every notification source shares (anomalies, budget alerts): per channel
it asks the source for a ``Notice`` and the keys it covers, sends it, and records the keys only
once delivered. ``dispatch`` is the anomaly source.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from costctl.analysis.anomalies import Anomaly
from costctl.analysis.anomaly_severity import at_least
from costctl.errors import UsageError
from costctl.notify import NotifyError
from costctl.notify.message import Notice, anomaly_notice
from costctl.notify.state import NotifiedState

if TYPE_CHECKING:
    from costctl.notify.pagerduty import Alert, Cleared

# channel name, its settings, keys it was already sent -> (notice, {key: ISO day to remember}) or None
Source = Callable[[str, dict[str, Any], set[str]], tuple[Notice, dict[str, str]] | None]
# channel settings -> (every open condition at its min_severity, which remembered keys have cleared)
AlertSource = Callable[[dict[str, Any]], "tuple[list[Alert], Cleared]"]


def pending(settings: dict[str, Any], anomalies: list[Anomaly], sent: set[str]) -> list[Anomaly]:
    """What one channel still has to hear about."""
    return [a for a in anomalies if a.id not in sent and at_least(a.severity, settings["min_severity"])
            and (settings["include_acknowledged"] or not a.acknowledged)]


def check_names(channels: dict[str, dict[str, Any]], names: list[str] | tuple[str, ...]) -> None:
    """UsageError for a ``--notify`` name that is not a configured channel.

    Commands call it (and ``NotifiedState.check``) before printing anything, so a typo in a cron
    line fails at once with nothing on stdout instead of after the report.
    """
    unknown = [n for n in names if n not in channels]
    if unknown:
        known = ", ".join(channels) or "none configured"
        raise UsageError(f"--notify: unknown channel {unknown[0]!r} (notifications: {known})")
    unset = [n for n in names if channels[n]["type"] in ("slack", "webhook", "pagerduty") and not channels[n]["url"]]
    if unset:
        raise UsageError(f"--notify {unset[0]}: notifications.{unset[0]}.url is empty (is the ${{VAR}} it comes "
                         "from set?); set it, or leave this channel out of --notify")
    keyless = [n for n in names if channels[n]["type"] == "pagerduty"
               and not os.environ.get(channels[n]["routing_key_env"], "").strip()]
    if keyless:
        variable = channels[keyless[0]]["routing_key_env"]
        raise UsageError(f"--notify {keyless[0]}: ${variable} is not set; export the PagerDuty Events API v2 "
                         f"routing key in it (notifications.{keyless[0]}.routing_key_env names the variable)")


def deliver(channels: dict[str, dict[str, Any]], names: list[str], source: Source, state: NotifiedState,
            today: date, alerts: AlertSource | None = None, now: datetime | None = None,
            resolved: dict[str, int] | None = None) -> dict[str, int]:
    """Notify every channel in ``names``; returns how many items (recorded keys) each was sent.

    A ``pagerduty`` channel gets one event per item from ``alerts`` and resolves what cleared
    (counted in ``resolved`` when given). A failing channel does not stop the others; the first
    failure is raised at the end, and only delivered items are recorded, so the next run retries
    the rest.
    """
    from costctl.notify import email, pagerduty, webhook

    check_names(channels, names)
    counts: dict[str, int] = {}
    failure: NotifyError | None = None
    for name in dict.fromkeys(names):
        settings = channels[name]
        counts[name] = 0
        if settings["type"] == "pagerduty":
            if alerts is None:
                continue
            current, cleared = alerts(settings)
            try:
                counts[name], closed = pagerduty.sync(name, settings, current, cleared, state, today, now)
            except NotifyError as exc:
                failure = failure or exc
                continue
            if resolved is not None:
                resolved[name] = closed
            continue
        todo = source(name, settings, state.sent(name))
        if todo is None:
            continue
        notice, keys = todo
        sender = email.send if settings["type"] == "email" else webhook.send
        try:
            sender(name, settings, notice)
        except NotifyError as exc:
            failure = failure or exc
            continue
        state.record(name, keys, today)
        counts[name] = len(keys)
    if failure is not None:
        raise failure
    return counts


def dispatch(channels: dict[str, dict[str, Any]], names: list[str], anomalies: list[Anomaly],
             state: NotifiedState, today: date, alerts: AlertSource | None = None, now: datetime | None = None,
             resolved: dict[str, int] | None = None) -> dict[str, int]:
    """Send each channel the anomalies it has not been sent; returns how many each was sent."""
    def source(_name: str, settings: dict[str, Any], sent: set[str]) -> tuple[Notice, dict[str, str]] | None:
        todo = pending(settings, anomalies, sent)
        if not todo:
            return None
        return anomaly_notice(settings, todo), {a.id: a.date.isoformat() for a in todo}

    return deliver(channels, names, source, state, today, alerts, now, resolved)
