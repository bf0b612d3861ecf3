"""Configuration of notification channels: the keys each type takes, validated like providers.

Called by ``costctl.config.build`` for every entry of ``notifications:``; the cleaned settings
are what ``webhook.send`` and ``email.send`` receive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from costctl.errors import ConfigError
from costctl.schema import Field, at_least, check

SEVERITIES = ("low", "medium", "high", "critical")


_KNOWN_SCHEMES = frozenset({"file", "ftp", "ftps", "sftp", "ws", "wss", "mailto", "data", "javascript", "smtp",
                            "smtps", "ssh", "git", "gopher", "ldap", "unix", "hxxp", "hxxps"})


def _control(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def webhook_url(value: str) -> str:
    """An http(s) URL with a host that urllib can POST to.

    The URL is a credential: messages say what is wrong with it, never echo it (nor any part of
    it but a short scheme word).
    """
    from urllib.parse import urlsplit

    wanted = "expected an http(s) URL with a host"
    if not value.strip():
        # `url: ${SLACK_WEBHOOK_URL:-}` makes a channel optional per machine: an empty URL is
        # refused only when the channel is used (``dispatch.check_names``), so a host without
        # the variable still runs its checks and reports.
        return ""
    if any(c.isspace() for c in value) or _control(value):
        raise ValueError(f"{wanted}; the value contains whitespace or a control character (check the quoting)")
    if not value.isascii():
        raise ValueError(f"{wanted}; the value contains a non-ASCII character (percent-encode it)")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0..65535
    except ValueError:
        raise ValueError(f"{wanted}; the value does not parse as a URL (check brackets and the port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            raise ValueError(f"{wanted}; the value has no scheme (start it with https://)")
        shown = f"scheme {scheme!r}" if scheme in _KNOWN_SCHEMES else "its scheme"  # others may be token text
        raise ValueError(f"{wanted}; {shown} is not allowed")
    if not parts.hostname:
        raise ValueError(f"{wanted}; the value has no host")
    if "@" in parts.netloc:
        raise ValueError(f"{wanted}; user:password@ in the URL is not supported (put the token in the path)")
    return value


def _text(what: str, empty_ok: bool = False) -> Callable[[str], str]:
    """A validator for a one-line string (a header value, a host): not empty, no control characters."""
    def validate(value: str) -> str:
        if not value.strip() and not empty_ok:
            raise ValueError(f"expected {what}; got an empty value")
        if _control(value):
            raise ValueError(f"expected {what}; the value contains a line break or control character")
        return value
    return validate


def _host(value: str) -> str:
    value = _text("an SMTP server host name")(value)
    if any(c.isspace() for c in value) or "/" in value:
        raise ValueError("expected an SMTP server host name (no scheme, path or spaces); "
                         "put the port under 'port'")
    return value


def _address(value: str) -> str:
    value = _text("an email address")(value)
    if "@" not in value:
        raise ValueError(f"expected an email address like costctl@example.com, got {value!r}")
    return value


def _recipients(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("expected at least one recipient address")
    for n, item in enumerate(value, 1):
        try:
            _address(item)
        except ValueError as exc:
            raise ValueError(f"recipient {n}: {exc}") from None
    return value

def _env_name(value: str) -> str:
    """The name of an environment variable (the routing key itself never goes in the config)."""
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value or ""):
        raise ValueError("expected the name of an environment variable like PAGERDUTY_ROUTING_KEY (the variable "
                         "holds the routing key; the key itself never goes in the config)")
    return value


TYPES = ("slack", "webhook", "email", "pagerduty")

COMMON_FIELDS: dict[str, Field] = {
    "type": Field("str", required=True, choices=TYPES, help="slack, webhook, email or pagerduty"),
    "min_severity": Field("str", default="low", choices=SEVERITIES, help="send only anomalies at least this severe"),
    "include_acknowledged": Field("bool", default=False, help="also send acknowledged anomalies"),
    "timeout": Field("duration", default=10.0, help="network timeout of one attempt"),
}

WEBHOOK_FIELDS: dict[str, Field] = {
    "url": Field("str", required=True, secret=True, help="incoming webhook URL (a secret: use ${VAR})",
                 validator=webhook_url),
    "retries": Field("int", default=3, help="attempts on connection errors, 429 and 5xx answers",
                     validator=at_least(1)),
    "username": Field("str", default=None, help="Slack display name of the message"),
    "channel": Field("str", default=None, help="Slack channel override (legacy webhooks only)"),
}

EMAIL_FIELDS: dict[str, Field] = {
    "host": Field("str", required=True, help="SMTP server", validator=_host),
    "port": Field("int", default=587, validator=at_least(1, 65535)),
    "starttls": Field("bool", default=True, help="upgrade the connection with STARTTLS before login"),
    "ssl": Field("bool", default=False, help="implicit TLS (port 465) instead of STARTTLS"),
    "verify": Field("bool", default=True, help="verify the server certificate"),
    "ca_file": Field("str", default=None, help="CA bundle for a private SMTP server",
                     validator=_text("a file path")),
    "username": Field("str", default=None),
    "password": Field("str", default=None, secret=True, help="a secret: use ${VAR}"),
    "sender": Field("str", required=True, help="From address", validator=_address),
    "to": Field("list", required=True, items="str", help="recipient addresses", validator=_recipients),
    "subject": Field("str", default="costctl: {count} new cost anomal{ies}", help="subject template of anomaly mail",
                     validator=_text("a one-line subject", empty_ok=True)),
}


PAGERDUTY_FIELDS: dict[str, Field] = {
    "routing_key_env": Field("str", default="PAGERDUTY_ROUTING_KEY", validator=_env_name,
                             help="environment variable holding the Events API v2 routing (integration) key"),
    "url": Field("str", default="https://events.pagerduty.com/v2/enqueue", validator=webhook_url,
                 help="Events API v2 endpoint (a proxy or a local stand-in in tests)"),
    "retries": Field("int", default=3, help="attempts on connection errors, 429 and 5xx answers",
                     validator=at_least(1)),
    "source": Field("str", default="costctl", validator=_text("a one-line source name"),
                    help="payload.source of every event (e.g. the host running costctl)"),
}


def fields_for(type_name: str) -> dict[str, Field]:
    extra = {"email": EMAIL_FIELDS, "pagerduty": PAGERDUTY_FIELDS}.get(type_name, WEBHOOK_FIELDS)
    return {**COMMON_FIELDS, **extra}


def check_channels(raw: Any) -> dict[str, dict[str, Any]]:
    """Validate the ``notifications`` section: name -> channel settings."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("notifications: expected a mapping of channel name -> settings")
    out = {}
    for name, settings in raw.items():
        where = f"notifications.{name}"
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: expected a mapping with at least 'type'")
        type_name = settings.get("type")
        if type_name not in COMMON_FIELDS["type"].choices:  # type: ignore[operator]
            raise ConfigError(f"{where}.type: expected one of {', '.join(TYPES)}, got {type_name!r}")
        out[str(name)] = check(settings, fields_for(type_name), where)
    return out


def redact(channels: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Channels with every secret value replaced by ``***`` (for ``config show``)."""
    out = {}
    for name, settings in channels.items():
        fields = fields_for(settings["type"])
        out[name] = {k: ("***" if k in fields and fields[k].secret and v else v) for k, v in settings.items()}
    return out
