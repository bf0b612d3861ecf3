"""A real ``moto_server`` process on a free loopback port, for tests that talk to AWS APIs.

Tests use a separate process (not ``mock_aws``) so boto3 goes through real HTTP with
``endpoint_url``, exactly as a user pointing costctl at an AWS-compatible endpoint would. Use
``running()`` as a context manager, or the session-wide ``moto`` fixture of conftest.py, and call
``reset()`` between tests that need a clean state.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _executable() -> str:
    candidate = Path(sys.executable).with_name("moto_server")
    return str(candidate) if candidate.exists() else "moto_server"


@contextlib.contextmanager
def running(env: dict[str, str] | None = None) -> Iterator[str]:
    """Start moto_server, wait until it answers, yield its endpoint URL, stop it by PID.

    ``env`` adds environment variables, e.g. ``INITIAL_NO_AUTH_ACTION_COUNT`` to make moto enforce
    IAM policies after that many requests (for least-privilege tests).
    """
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # A file, not a pipe: moto logs every request to stderr, and once an unread pipe is full the
    # server blocks mid-request (a session-wide server gets there after a few thousand requests).
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, after the server stops
    proc = subprocess.Popen(
        [_executable(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise RuntimeError(f"moto_server exited with {proc.returncode}: {err[-500:]}")
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not answer on {endpoint} within {READY_TIMEOUT:g} s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def post(endpoint: str, path: str, payload: Any = None) -> int:
    """POST JSON to moto's control API (``/moto-api/...``); returns the HTTP status."""
    data = json.dumps(payload if payload is not None else {}).encode()
    req = urllib.request.Request(f"{endpoint}{path}", data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return answer.status


def reset(endpoint: str) -> None:
    """Clear every moto backend (and the static Cost Explorer queue)."""
    post(endpoint, "/moto-api/reset")


def inject_ce_results(endpoint: str, results: list[dict[str, Any]], account_id: str | None = None) -> None:
    """Queue GetCostAndUsage answers: each new distinct request takes the next one, in order."""
    payload: dict[str, Any] = {"results": results}
    if account_id:
        payload["account_id"] = account_id
    status = post(endpoint, "/moto-api/static/ce/cost-and-usage-results", payload)
    assert status == 201, status


def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and no host AWS config, so tests never reach a real account."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(key, raising=False)


def fresh_bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch, bucket: str) -> Any:
    """An S3 client on a reset moto with ``bucket`` created and dummy credentials set; the client's
    ``endpoint`` attribute names the server, for configs that point costctl at it."""
    import boto3

    aws_env(monkeypatch)
    reset(endpoint)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    client.endpoint = endpoint
    return client
