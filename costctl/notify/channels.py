"""Configuration of notification channels: the keys each type takes, validated like providers.

Called by ``costctl.config.build`` for every entry of ``notifications:``; the cleaned settings
are what ``webhook.send`` and ``email.send`` receive.
"""

from __future__ import annotations

from typing import Any

from costctl.errors import ConfigError
from costctl.schema import Field, at_least, check

SEVERITIES = ("low", "medium", "high", "critical")

COMMON_FIELDS: dict[str, Field] = {
    "type": Field("str", required=True, choices=("slack", "webhook", "email"), help="slack, webhook or email"),
    "min_severity": Field("str", default="low", choices=SEVERITIES, help="send only anomalies at least this severe"),
    "include_acknowledged": Field("bool", default=False, help="also send acknowledged anomalies"),
    "timeout": Field("duration", default=10.0, help="network timeout of one attempt"),
}

WEBHOOK_FIELDS: dict[str, Field] = {
    "url": Field("str", required=True, secret=True, help="incoming webhook URL (a secret: use ${VAR})"),
    "retries": Field("int", default=3, help="attempts on connection errors, 429 and 5xx answers",
                     validator=at_least(1)),
    "username": Field("str", default=None, help="Slack display name of the message"),
    "channel": Field("str", default=None, help="Slack channel override (legacy webhooks only)"),
}

EMAIL_FIELDS: dict[str, Field] = {
    "host": Field("str", required=True, help="SMTP server"),
    "port": Field("int", default=587, validator=at_least(1, 65535)),
    "starttls": Field("bool", default=True, help="upgrade the connection with STARTTLS before login"),
    "ssl": Field("bool", default=False, help="implicit TLS (port 465) instead of STARTTLS"),
    "verify": Field("bool", default=True, help="verify the server certificate"),
    "ca_file": Field("str", default=None, help="CA bundle for a private SMTP server"),
    "username": Field("str", default=None),
    "password": Field("str", default=None, secret=True, help="a secret: use ${VAR}"),
    "sender": Field("str", required=True, help="From address"),
    "to": Field("list", required=True, items="str", help="recipient addresses"),
    "subject": Field("str", default="costctl: {count} new cost anomal{ies}", help="subject template of anomaly mail"),
}


def fields_for(type_name: str) -> dict[str, Field]:
    extra = EMAIL_FIELDS if type_name == "email" else WEBHOOK_FIELDS
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
            raise ConfigError(f"{where}.type: expected one of slack, webhook, email, got {type_name!r}")
        out[str(name)] = check(settings, fields_for(type_name), where)
    return out


def redact(channels: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Channels with every secret value replaced by ``***`` (for ``config show``)."""
    out = {}
    for name, settings in channels.items():
        fields = fields_for(settings["type"])
        out[name] = {k: ("***" if k in fields and fields[k].secret and v else v) for k, v in settings.items()}
    return out
