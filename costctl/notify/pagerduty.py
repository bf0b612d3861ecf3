"""PagerDuty Events API v2: one ``trigger`` per open condition, one ``resolve`` when it clears.

Unlike the webhook and email channels (one message per run), PagerDuty gets one event per item:
each anomaly, budget threshold crossing or idle finding is an ``Alert`` with a stable state key,
sent as ``dedup_key`` ``costctl:<key>`` so PagerDuty folds repeats into one incident. The
channel's ``NotifiedState`` entries are its open incidents: a key is triggered once, and when the
source says its condition has cleared (``Cleared``) a ``resolve`` goes out and the key is
forgotten. The routing key is read from the environment variable the config names
(``routing_key_env``), never from the config, and never appears in messages. Transient failures
(connection errors, 429, 5xx) are retried as the webhook channel does.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from costctl.notify import NotifyError

if TYPE_CHECKING:
    from costctl.notify.state import NotifiedState

ENDPOINT = "https://events.pagerduty.com/v2/enqueue"
SEVERITY = {"low": "info", "medium": "warning", "high": "error", "critical": "critical"}
SUMMARY_MAX = 1024  # the Events API truncates longer summaries; we cut them ourselves, visibly
DEDUP_MAX = 255


@dataclass(frozen=True)
class Alert:
    """One open condition as PagerDuty sees it."""

    key: str  # state key: anomaly:ID, budget:NAME:START:KIND:PCT, idle:PROVIDER:CHECK:ID
    summary: str
    severity: str  # costctl severity: low, medium, high, critical
    component: str
    group: str
    kind: str  # the event's ``class``
    day: str  # ISO day remembered with the key (the anomaly's day, the budget period's start...)
    details: dict[str, Any] = field(default_factory=dict)


# (state key, its remembered day) -> whether its condition is over and it should be resolved
Cleared = Callable[[str, str], bool]


def dedup_key(key: str) -> str:
    """``costctl:<key>``; a key too long for PagerDuty (255) is shortened with a hash of the whole."""
    text = f"costctl:{key}"
    if len(text) <= DEDUP_MAX:
        return text
    return text[:DEDUP_MAX - 13] + ":" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def routing_key(name: str, settings: dict[str, Any]) -> str:
    variable = settings["routing_key_env"]
    value = os.environ.get(variable, "").strip()
    if not value:
        raise NotifyError(f"notification {name}: ${variable} (notifications.{name}.routing_key_env) is not set; "
                          "export the Events API v2 integration key there")
    return value


def trigger_event(routing: str, settings: dict[str, Any], alert: Alert, now: datetime) -> dict[str, Any]:
    """The Events API v2 trigger body (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/)."""
    summary = alert.summary if len(alert.summary) <= SUMMARY_MAX else alert.summary[:SUMMARY_MAX - 3] + "..."
    return {
        "routing_key": routing,
        "event_action": "trigger",
        "dedup_key": dedup_key(alert.key),
        "payload": {
            "summary": summary,
            "source": settings["source"],
            "severity": SEVERITY.get(alert.severity, "warning"),
            "timestamp": now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "component": alert.component,
            "group": alert.group,
            "class": alert.kind,
            "custom_details": alert.details,
        },
    }


def resolve_event(routing: str, key: str) -> dict[str, Any]:
    return {"routing_key": routing, "event_action": "resolve", "dedup_key": dedup_key(key)}


def post(name: str, settings: dict[str, Any], body: dict[str, Any], wait_max: float = 8.0) -> None:
    """POST one event, retried like a webhook (``retries`` attempts on transient failures)."""
    from costctl.notify.webhook import post_json

    post_json(name, settings["url"], json.dumps(body).encode("utf-8"), settings["timeout"], settings["retries"],
              service="PagerDuty", wait_max=wait_max)


def sync(name: str, settings: dict[str, Any], alerts: list[Alert], cleared: Cleared, state: NotifiedState,
         today: date, now: datetime | None = None) -> tuple[int, int]:
    """Trigger what is new, resolve what cleared; returns (triggered, resolved).

    Only delivered events change the state, so a failed one is retried on the next run; the
    first failure is raised after the others were tried.
    """
    now = now or datetime.now(UTC)
    routing = routing_key(name, settings)
    open_keys = state.entries(name)
    opened: dict[str, str] = {}
    closed: list[str] = []
    failure: NotifyError | None = None
    for alert in alerts:
        if alert.key in open_keys or alert.key in opened:
            continue
        try:
            post(name, settings, trigger_event(routing, settings, alert, now))
        except NotifyError as exc:
            failure = failure or exc
            continue
        opened[alert.key] = alert.day
    current = {a.key for a in alerts}
    for key, day in sorted(open_keys.items()):
        if key in current or not cleared(key, day):
            continue
        try:
            post(name, settings, resolve_event(routing, key))
        except NotifyError as exc:
            failure = failure or exc
            continue
        closed.append(key)
    if opened or closed:
        state.update(name, opened, closed, today)
    if failure is not None:
        raise failure
    return len(opened), len(closed)
