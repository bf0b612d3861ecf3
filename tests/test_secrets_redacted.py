"""No secret reaches output: a distinct fake secret in every secret-bearing setting and URL, many
commands against local servers that refuse everything (and quote the request back, as real error
pages do), and a grep of every stdout and stderr for each secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from local_http import JsonHandler, LocalHttp

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

SECRETS = {
    "aws_external_id": "S3CRET-aws-external-id-0001",
    "aws_endpoint_password": "S3CRET-aws-endpoint-pw-0002",
    "azure_client_secret": "S3CRET-azure-client-secret-0003",
    "azure_endpoint_password": "S3CRET-azure-endpoint-pw-0004",
    "azure_sas_signature": "S3CRET-sas-signature-0005",
    "azure_account_key": "S3CRET-account-key-0006",
    "gcp_endpoint_password": "S3CRET-gcp-endpoint-pw-0007",
    "webhook_url_path": "S3CRET-webhook-path-0008",
    "smtp_password": "S3CRET-smtp-password-0009",
    "env_azure_client_secret": "S3CRET-env-azure-0010",
    "pushgateway_password": "S3CRET-push-pw-0011",
    "env_aws_secret_key": "S3CRET-env-aws-secret-key-0012",
    "gcp_sas_style_token": "S3CRET-gcp-token-param-0013",
}


class Refusing(JsonHandler):
    """Refuses every request with 403 and quotes it back: method, path with query, auth headers."""

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        echo = f"{self.command} {self.path} auth={self.headers.get('Authorization')}"
        self._send(403, {"error": {"code": 403, "message": f"denied: {echo}", "status": "PERMISSION_DENIED"},
                         "Error": {"Code": "AccessDenied", "Message": f"denied: {echo}"}})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _refuse


class RefusingServer(LocalHttp):
    def __init__(self) -> None:
        self._serve(Refusing)


@pytest.fixture(scope="module")
def refusing():
    server = RefusingServer().start()
    yield server.url.removeprefix("http://")
    server.stop()


@pytest.fixture
def secret_config(tmp_path: Path, refusing: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    s = SECRETS
    monkeypatch.setenv("AZURE_CLIENT_SECRET", s["env_azure_client_secret"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s["env_aws_secret_key"])
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    sas = (f"sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00%3A00%3A00Z&st=2020-01-01T00%3A00%3A00Z"
           f"&spr=https,http&sig={s['azure_sas_signature']}")
    config: dict[str, Any] = {
        "cache": {"path": str(tmp_path / "cache")},
        "providers": {
            "aws1": {"type": "aws", "role_arn": "arn:aws:iam::123456789012:role/billing",
                     "external_id": s["aws_external_id"], "max_retry_time": "1s",
                     "endpoint_url": f"http://awsuser:{s['aws_endpoint_password']}@{refusing}"},
            "az1": {"type": "azure", "scope": "subscriptions/00000000-0000-0000-0000-000000000000",
                    "credential": "client_secret", "tenant_id": "tenant", "client_id": "client",
                    "client_secret": s["azure_client_secret"], "max_retry_time": "1s",
                    "endpoint": f"http://azuser:{s['azure_endpoint_password']}@{refusing}"},
            "az2": {"type": "azure", "exports": {"account_url": f"http://{refusing}/devstoreaccount1?{sas}",
                                                 "container": "costs"}},
            "az3": {"type": "azure", "exports": {
                "connection_string": (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                                      f"AccountKey={s['azure_account_key']};"
                                      f"BlobEndpoint=http://{refusing}/devstoreaccount1;"),
                "container": "costs"}},
            "gcp1": {"type": "gcp", "table": "proj.billing.gcp_billing_export_v1_X", "anonymous": True,
                     "max_retry_time": "1s",
                     "api_endpoint": f"http://gcpuser:{s['gcp_endpoint_password']}@{refusing}"
                                     f"/?token={s['gcp_sas_style_token']}"},
        },
        "notifications": {
            "hook": {"type": "webhook", "url": f"https://hooks.example.invalid/services/{s['webhook_url_path']}"},
            "mail": {"type": "email", "host": "smtp.example.invalid", "username": "costctl",
                     "password": s["smtp_password"], "sender": "costctl@example.invalid",
                     "to": ["ops@example.invalid"]},
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _leaks(text: str) -> list[str]:
    return [name for name, secret in SECRETS.items() if secret in text]


LOCAL = ("aws1", "az2", "az3", "gcp1")  # az1 would ask login.microsoftonline.com for a token


def test_no_command_prints_a_secret(run, secret_config: Path, refusing: str):
    cfg = ("--config", str(secret_config))
    push = f"http://pguser:{SECRETS['pushgateway_password']}@{refusing}"
    commands: list[tuple[str, ...]] = [
        ("config", "show"), ("-vvv", "config", "show"), ("config", "validate"), ("providers",),
        ("-vvv", "check", "-w", "1", *[a for p in LOCAL for a in ("-p", p)]),
        ("-vvv", "export-prometheus", "-p", "aws1", "--pushgateway", push),
        ("-vvv", "export-prometheus", "--file", str(Path(__file__).parent / "nonexistent.csv"), "--pushgateway", push),
        ("-vvv", "test-auth", *LOCAL),
    ]
    commands += [("-vvv", "costs", "--days", "2", "-p", p) for p in LOCAL]
    seen = []
    for args in commands:
        result = run(*cfg, *args)
        seen.append((args, result))
        assert not _leaks(result.stdout + result.stderr), (args, result.stdout, result.stderr)
    show = seen[0][1].stdout
    assert "sig=***" in show and "awsuser:***@" in show and "connection_string: '***'" in show
    assert show.count("'***'") >= 5  # external_id, client_secret, connection_string, webhook url, password
    everything = "".join(r.stdout + r.stderr for _, r in seen)
    assert "403" in everything or "denied" in everything.lower()  # the failures really happened


def test_the_pushgateway_error_names_the_gateway_without_its_password(run, refusing: str):
    push = f"http://pguser:{SECRETS['pushgateway_password']}@{refusing}/"
    result = run("--demo", "export-prometheus", "--pushgateway", push)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot push to http://pguser:***@{refusing}/")
    assert "403" in result.stderr and not _leaks(result.stderr)


class Recording(JsonHandler):
    def do_PUT(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.fake.seen.append((self.path, self.headers.get("Authorization")))
        self._send(200, {})


class RecordingServer(LocalHttp):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self._serve(Recording)


def test_a_pushgateway_url_with_userinfo_pushes_with_basic_auth(run):
    import base64

    server = RecordingServer().start()
    try:
        host = server.url.removeprefix("http://")
        result = run("-v", "--demo", "export-prometheus", "--pushgateway", f"http://push%40er:p%3Ass@{host}")
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert server.seen == [("/metrics/job/costctl", "Basic " + base64.b64encode(b"push@er:p:ss").decode())]
    assert "p%3Ass" not in result.stderr and f"pushed to http://push%40er:***@{host}" in result.stderr


@pytest.mark.parametrize("args", [
    ("--debug", "costs", "--days", "2", "-p", "az2"),
    ("--debug", "-vvv", "costs", "--days", "2", "-p", "aws1"),
    ("--debug", "-vvv", "check", "-w", "1", "-p", "az3", "-p", "gcp1"),
])
def test_debug_tracebacks_and_logs_of_the_real_program_carry_no_secret(secret_config: Path, args: tuple[str, ...]):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "costctl", "--config", str(secret_config), *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode != 0
    assert not _leaks(done.stdout + done.stderr), done.stdout + done.stderr
