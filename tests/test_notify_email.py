"""Email notifications against a small SMTP server on 127.0.0.1 (STARTTLS and AUTH PLAIN)."""

from __future__ import annotations

import base64
import datetime as dt
import socketserver
import ssl
import threading
from email import message_from_bytes
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.usefixtures("warm_demo_tmp")  # the demo starts cached, in tmp_path/cache too (conftest)


def self_signed(directory: Path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1 (cryptography ships with the Azure SDK)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class SMTPServer:
    """Just enough SMTP: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT. Records what it got."""

    def __init__(self, cert: str, key: str, password: str) -> None:
        self.messages: list[dict] = []
        self.events: list[str] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                tls, authed, mail = False, False, {"rcpt": []}
                self.reply("220 localhost test SMTP")
                while line := self.rfile.readline().decode().rstrip("\r\n"):
                    verb = line.split(" ", 1)[0].upper()
                    smtp.events.append(verb)
                    if verb == "EHLO":
                        self.reply("250-localhost\r\n" + ("250 AUTH PLAIN" if tls else "250 STARTTLS"))
                    elif verb == "STARTTLS":
                        self.reply("220 go ahead")
                        self.request = context.wrap_socket(self.request, server_side=True)
                        self.rfile, self.wfile = self.request.makefile("rb"), self.request.makefile("wb")
                        tls = True
                    elif verb == "AUTH":
                        _, user, secret = base64.b64decode(line.split()[2]).split(b"\0")
                        authed = tls and secret.decode() == password
                        self.reply("235 ok" if authed else "535 bad credentials")
                    elif verb == "MAIL":
                        if not authed:
                            self.reply("530 authentication required")
                            continue
                        mail["from"] = line
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        mail["rcpt"].append(line.split(":", 1)[1].strip("<> "))
                        self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 go")
                        data = b""
                        while (chunk := self.rfile.readline()) != b".\r\n":
                            data += chunk
                        smtp.messages.append({**mail, "message": message_from_bytes(data)})
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


PASSWORD = "hunter2-smtp-secret"


@pytest.fixture
def smtp(tmp_path_factory):
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    server = SMTPServer(cert, key, PASSWORD)
    server.cert = cert
    yield server
    server.close()


def config(tmp_path: Path, smtp: SMTPServer, **extra) -> str:
    channel = {"type": "email", "host": "127.0.0.1", "port": smtp.port, "ca_file": smtp.cert,
               "username": "costctl", "password": "${SMTP_PASSWORD}", "sender": "costctl@example.com",
               "to": ["finops@example.com", "ops@example.com"], **extra}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"cache": {"path": str(tmp_path / "cache")}, "notifications": {"mail": channel}}))
    return str(path)


def test_email_goes_out_over_starttls_once(run, tmp_path, smtp, monkeypatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    cfg = config(tmp_path, smtp)
    first = run("--config", cfg, "--demo", "anomalies", "--notify", "mail", "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert smtp.events[:4] == ["EHLO", "STARTTLS", "EHLO", "AUTH"]
    (sent,) = smtp.messages
    assert sent["rcpt"] == ["finops@example.com", "ops@example.com"]
    msg = sent["message"]
    assert msg["Subject"] == "costctl: 2 new cost anomalies" and msg["From"] == "costctl@example.com"
    body = msg.get_payload(decode=True).decode()
    assert all(a["id"] in body for a in first.json()) and "BigQuery" in body and "costctl anomalies ack" in body
    second = run("--config", cfg, "--demo", "anomalies", "--notify", "mail", "--format", "json")
    assert second.exit_code == 0 and len(smtp.messages) == 1
    assert PASSWORD not in first.stdout + first.stderr + second.stderr


def test_a_wrong_password_fails_at_login_without_showing_it(run, tmp_path, smtp, monkeypatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-" + PASSWORD)
    result = run("--config", config(tmp_path, smtp), "--demo", "anomalies", "--notify", "mail", "--format", "json")
    assert result.exit_code == 1 and "email failed at login (SMTP 535)" in result.stderr
    assert PASSWORD not in result.stderr and smtp.messages == []


def test_an_untrusted_certificate_is_refused_unless_verify_is_off(run, tmp_path, smtp, monkeypatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    refused = run("--config", config(tmp_path, smtp, ca_file=None), "--demo", "anomalies", "--notify", "mail")
    assert refused.exit_code == 1 and "at STARTTLS" in refused.stderr
    allowed = run("--config", config(tmp_path, smtp, ca_file=None, verify=False), "--demo", "anomalies",
                  "--notify", "mail")
    assert allowed.exit_code == 0 and len(smtp.messages) == 1
