"""Bad notification settings and channel names fail early, in one line, without leaking the URL.

Webhook URLs and email settings are checked when the config loads (``config validate`` included);
``--notify NAME`` is checked before anything is printed; what urllib or smtplib still rejects
when sending is a NotifyError naming the channel, never an internal error.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import yaml

from costctl.notify import NotifyError, email, webhook
from costctl.notify.message import Notice

pytestmark = pytest.mark.usefixtures("warm_demo_tmp")  # the demo starts cached, in tmp_path/cache too (conftest)

SECRET = "s3cr3t-T0KEN"


def config(tmp_path: Path, **channels: dict) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"cache": {"path": str(tmp_path / "cache")}, "notifications": channels}))
    return str(path)


def one_line_error(result, exit_code: int = 2) -> str:
    assert result.exit_code == exit_code, result.stderr
    assert result.stdout == ""
    assert "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(("url", "says"), [
    (f"not a url {SECRET}", "whitespace"),
    (f"https://hooks.example/{SECRET} x", "whitespace"),
    (f"https://hooks.example/{SECRET}\t", "whitespace"),
    (f"http://[::1/{SECRET}", "does not parse"),
    (f"http://hooks.example:99999/{SECRET}", "does not parse"),
    (f"http://hooks.example:port/{SECRET}", "does not parse"),
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    (f"ftp://hooks.example/{SECRET}", "scheme 'ftp' is not allowed"),
    (f"{SECRET}:rest/of/it", "its scheme is not allowed"),
    (f"hooks.example/services/{SECRET}", "no scheme"),
    (f"https:///services/{SECRET}", "no host"),
    (f"https://user:{SECRET}@hooks.example/x", "user:password@"),
    (f"https://hooks.example/{SECRET}/\u00e9", "non-ASCII"),
])
def test_a_bad_webhook_url_fails_config_validate_without_echoing_it(run, tmp_path, url: str, says: str) -> None:
    cfg = config(tmp_path, s={"type": "slack", "url": url})
    line = one_line_error(run("--config", cfg, "config", "validate"))
    assert line.startswith("costctl: error: notifications.s.url: expected an http(s) URL with a host")
    assert says in line and SECRET.lower() not in line.lower() and "passwd" not in line


@pytest.mark.parametrize("url", ["https://hooks.slack.com/services/T0/B0/x", "http://127.0.0.1:8080/hook?a=b",
                                 "http://[::1]:8080/hook", "HTTPS://hooks.example/x"])
def test_good_webhook_urls_pass(run, tmp_path, url: str) -> None:
    result = run("--config", config(tmp_path, s={"type": "webhook", "url": url}), "config", "validate")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("url", ["${COSTCTL_TEST_HOOK:-}", "   "])
def test_an_empty_url_leaves_the_channel_unusable_but_the_config_valid(run, tmp_path, monkeypatch, url) -> None:
    """`url: ${SLACK_WEBHOOK_URL:-}` makes a channel optional: a host without the variable still
    validates and runs checks; only --notify with that channel fails, before the listing."""
    monkeypatch.delenv("COSTCTL_TEST_HOOK", raising=False)
    cfg = config(tmp_path, s={"type": "slack", "url": url})
    assert run("--config", cfg, "config", "validate").exit_code == 0
    assert run("--config", cfg, "--demo", "check").exit_code == 0
    line = one_line_error(run("--config", cfg, "--demo", "anomalies", "--notify", "s"))
    assert "--notify s: notifications.s.url is empty (is the ${VAR} it comes from set?)" in line
    line = one_line_error(run("--config", cfg, "--demo", "budgets", "--notify", "s"))
    assert "notifications.s.url is empty" in line


def test_a_file_url_is_refused_and_nothing_is_marked_sent(run, tmp_path) -> None:
    cfg = config(tmp_path, s={"type": "slack", "url": "file:///etc/passwd"})
    line = one_line_error(run("--config", cfg, "--demo", "anomalies", "--notify", "s"))
    assert "scheme 'file' is not allowed" in line
    assert not (tmp_path / "cache" / "anomalies" / "notified.json").exists()


@pytest.mark.parametrize(("settings", "key", "says"), [
    ({"host": ""}, "host", "got an empty value"),
    ({"host": "smtp.example.com/x"}, "host", "no scheme, path or spaces"),
    ({"sender": ""}, "sender", "got an empty value"),
    ({"sender": "costctl"}, "sender", "like costctl@example.com"),
    ({"sender": "a@example.com\nBcc: evil@example.com"}, "sender", "line break"),
    ({"to": []}, "to", "at least one recipient"),
    ({"to": ["ops@example.com", ""]}, "to", "recipient 2"),
    ({"subject": "new\r\nBcc: evil@example.com"}, "subject", "line break"),
    ({"ca_file": ""}, "ca_file", "got an empty value"),
])
def test_bad_email_settings_fail_config_validate(run, tmp_path, settings: dict, key: str, says: str) -> None:
    channel = {"type": "email", "host": "smtp.example.com", "sender": "costctl@example.com",
               "to": ["ops@example.com"], **settings}
    line = one_line_error(run("--config", config(tmp_path, m=channel), "config", "validate"))
    assert f"notifications.m.{key}: " in line and says in line


NOTICE = Notice("costctl: 1 new cost anomaly", ["one line"])


@pytest.mark.parametrize("url", ["not a url", f"http://hooks.example:x/{SECRET}", f"http://127.0.0.1:9/{SECRET} x",
                                 f"http://127.0.0.1:9/{SECRET}\u00e9"])
def test_a_url_urllib_rejects_at_send_time_is_a_notify_error(url: str) -> None:
    settings = {"type": "slack", "url": url, "retries": 1, "timeout": 2.0}
    with pytest.raises(NotifyError) as caught:
        webhook.send("s", settings, NOTICE, wait_max=0)
    message = str(caught.value)
    assert message.startswith("notification s: ") and "notifications.s.url" in message
    assert url not in message and SECRET not in message and "\n" not in message


def test_a_garbled_http_answer_is_retried_then_a_notify_error() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    answered = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"garbage\r\n\r\n")
                answered.append(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/{SECRET}"
        with pytest.raises(NotifyError) as caught:
            webhook.send("s", {"type": "slack", "url": url, "retries": 2, "timeout": 5.0}, NOTICE, wait_max=0)
    finally:
        thread.join(5)
        server.close()
    assert len(answered) == 2
    assert "after 2 attempt(s)" in str(caught.value) and SECRET not in str(caught.value)


def test_an_email_header_smtplib_rejects_is_a_notify_error() -> None:
    settings = {"type": "email", "host": "127.0.0.1", "port": 9, "ssl": False, "starttls": True, "verify": True,
                "ca_file": None, "username": None, "password": None, "timeout": 2.0,
                "sender": "a@example.com\nBcc: evil@example.com", "to": ["ops@example.com"]}
    with pytest.raises(NotifyError, match=r"^notification m: email failed at build \(ValueError\)$"):
        email.send("m", settings, NOTICE)


def test_an_unknown_channel_fails_before_the_anomaly_listing(run, tmp_path) -> None:
    cfg = config(tmp_path, ops={"type": "slack", "url": "http://127.0.0.1:9/x"})
    line = one_line_error(run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--notify", "nope"))
    assert "--notify: unknown channel 'nope' (notifications: ops)" in line
    assert not (tmp_path / "cache" / "anomalies" / "seen.json").exists()


def test_an_unknown_channel_fails_before_the_budget_table(run, tmp_path) -> None:
    line = one_line_error(run("--demo", "budgets", "--notify", "nope"))
    assert "--notify: unknown channel 'nope' (notifications: none configured)" in line
