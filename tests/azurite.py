"""A real Azurite blob service on a free loopback port, for tests that read exports from Blob Storage.

Azurite (npm ``azurite``, the Azure Storage emulator) is started with a temporary ``--location``,
``--skipApiVersionCheck`` (the current azure-storage-blob speaks a newer API version than
Azurite knows) and ``--disableTelemetry`` (otherwise it tries the network), and stopped by PID.
When ``azurite-blob`` is not installed the tests fail under CI (``$CI`` set) and skip elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

READY_TIMEOUT = 30.0
ACCOUNT = "devstoreaccount1"
# The emulator's well-known development key (public, the same in every Azurite install).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
INSTALL_HINT = "install it with `npm install -g azurite` (or run .ci/setup.d/20-azurite.sh) so azurite-blob is on PATH"


def executable() -> str:
    """Path of azurite-blob; fail (CI) or skip (elsewhere) when it is missing."""
    # .ci/setup.d/20-azurite.sh installs globally as root, else into $AZURITE_PREFIX or ~/.local.
    prefix = os.environ.get("AZURITE_PREFIX") or os.path.expanduser("~/.local")
    found = shutil.which("azurite-blob") or shutil.which("azurite-blob", path=os.path.join(prefix, "bin"))
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"azurite-blob not found on PATH; {INSTALL_HINT}")
    pytest.skip(f"azurite-blob not found: {INSTALL_HINT}")
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connection_string(port: int) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")


@contextlib.contextmanager
def running() -> Iterator[str]:
    """Start azurite-blob, wait until its port accepts connections, yield a connection string, stop it."""
    binary = executable()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="azurite-") as location:
        proc = subprocess.Popen(
            [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", location,
             "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise RuntimeError(f"azurite-blob exited with {proc.returncode}: {err[-500:]}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"azurite-blob did not listen on port {port} within {READY_TIMEOUT:.0f}s")
                time.sleep(0.1)
            yield connection_string(port)
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[Any]) -> None:
    """Stop the process group we started (node may fork), by its PID; never by name."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()


@pytest.fixture(scope="module")
def azurite() -> Iterator[str]:
    """A running Azurite for the module; yields its connection string."""
    with running() as conn:
        yield conn
