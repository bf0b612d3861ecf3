"""Slack-compatible incoming webhooks: one JSON POST per run, retried on transient failures.

``type: slack`` posts ``{"text": ...}`` (what Slack, Mattermost, Rocket.Chat and Teams'
Slack-compatible connectors accept); ``type: webhook`` adds the notice's records (``anomalies``,
the same records as ``--format json``, or ``budgets``) and ``severity``, for a receiver of your
own. Error messages name the channel and the HTTP status but never the URL: an incoming-webhook
URL is a credential.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from costctl.notify import NotifyError
from costctl.notify.message import Notice

log = logging.getLogger("costctl.notify")


class _Transient(Exception):
    """A failure worth another attempt (connection error, 429, 5xx)."""


def payload(settings: dict[str, Any], notice: Notice) -> dict[str, Any]:
    data: dict[str, Any] = {"text": notice.text}
    for key in ("username", "channel"):
        if settings.get(key):
            data[key] = settings[key]
    if settings["type"] == "webhook":
        data["severity"] = notice.severity
        data.update(notice.records)
    return data


def _post(url: str, data: bytes, timeout: float, name: str, service: str = "webhook") -> None:
    """One attempt. The config already checked the URL (``channels.webhook_url``); what urllib or
    http.client still rejects is a NotifyError naming the exception type only (their messages
    quote the URL)."""
    try:
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "costctl"})
        from costctl.deadline import read_timeout

        with urllib.request.urlopen(request, timeout=read_timeout(timeout)) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise _Transient(f"HTTP {exc.code}") from None
        fix = "check the URL" if service == "webhook" else "check the routing key and notifications." + name
        raise NotifyError(f"notification {name}: the {service} answered HTTP {exc.code}; {fix}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Transient(type(reason).__name__ if isinstance(reason, BaseException) else "connection error") \
            from None
    except http.client.InvalidURL:
        raise NotifyError(f"notification {name}: the {service} URL is not usable (InvalidURL); "
                          f"check notifications.{name}.url") from None
    except http.client.HTTPException as exc:  # a garbled answer (BadStatusLine, IncompleteRead...)
        raise _Transient(type(exc).__name__) from None
    except ValueError as exc:  # UnicodeError of a host name, "unknown url type"...
        raise NotifyError(f"notification {name}: the {service} URL is not usable ({type(exc).__name__}); "
                          f"check notifications.{name}.url") from None


def post_json(name: str, url: str, data: bytes, timeout: float, retries: int, service: str = "webhook",
              wait_max: float = 8.0) -> None:
    """POST ``data``; retry transient failures ``retries`` times with exponential backoff."""
    retrying = Retrying(stop=stop_after_attempt(max(1, retries)),
                        wait=wait_exponential(multiplier=0.5, max=wait_max),
                        retry=retry_if_exception(lambda e: isinstance(e, _Transient)), reraise=False)
    try:
        for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    log.info("notification %s: attempt %d", name, attempt.retry_state.attempt_number)
                _post(url, data, timeout, name, service)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise NotifyError(f"notification {name}: {service} failed after {retries} attempt(s): {last}") from None


def send(name: str, settings: dict[str, Any], notice: Notice, wait_max: float = 8.0) -> None:
    """POST the notice; retry transient failures ``retries`` times with exponential backoff."""
    data = json.dumps(payload(settings, notice)).encode("utf-8")
    post_json(name, settings["url"], data, settings["timeout"], settings["retries"], wait_max=wait_max)
