"""SMTP email: one message per run, STARTTLS (or implicit TLS) before login.

Uses smtplib from the standard library. Errors name the channel and the SMTP stage that
failed, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from costctl.notify import NotifyError
from costctl.notify.message import Notice


def build_message(settings: dict[str, Any], notice: Notice) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings["sender"]
    msg["To"] = ", ".join(settings["to"])
    msg["Subject"] = notice.title
    msg.set_content(notice.text)
    if notice.html is not None:  # clients that show HTML show the page, the others the text
        msg.add_alternative(notice.html, subtype="html")
    return msg


def tls_context(settings: dict[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.get("ca_file"))
    if not settings["verify"]:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send(name: str, settings: dict[str, Any], notice: Notice) -> None:
    """Deliver one message to every recipient of the channel."""
    stage = "build"
    try:
        msg = build_message(settings, notice)
        stage = "connect"
        from costctl.deadline import read_timeout

        timeout = read_timeout(settings["timeout"])  # no longer than the command's deadline leaves
        if settings["ssl"]:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings["host"], settings["port"], timeout=timeout,
                                                   context=tls_context(settings))
        else:
            client = smtplib.SMTP(settings["host"], settings["port"], timeout=timeout)
        with client:
            client.ehlo()
            if settings["starttls"] and not settings["ssl"]:
                stage = "STARTTLS"
                client.starttls(context=tls_context(settings))
                client.ehlo()
            if settings.get("username"):
                stage = "login"
                client.login(settings["username"], settings.get("password") or "")
            stage = "send"
            client.send_message(msg)
    except (smtplib.SMTPException, OSError, ValueError) as exc:  # ValueError: a header the config let through
        detail = f"SMTP {exc.smtp_code}" if isinstance(exc, smtplib.SMTPResponseException) else type(exc).__name__
        raise NotifyError(f"notification {name}: email failed at {stage} ({detail})") from None
