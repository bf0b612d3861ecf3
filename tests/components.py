"""Finding and running the Debian-packaged components the monitoring tests use.

A missing binary fails the test when ``CI`` is set (``.ci/setup.d/10-monitoring.sh`` installs
them there) and skips it with the reason elsewhere. Processes are started on a free loopback
port and stopped by their own PID, never by name.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")


def binary(name: str, package: str) -> str:
    """Absolute path of ``name``, or fail (CI) / skip (elsewhere) naming the Debian package."""
    found = shutil.which(name) or next((f"{d}/{name}" for d in SBIN if os.access(f"{d}/{name}", os.X_OK)), None)
    if found:
        return found
    message = f"{name} not installed (Debian package {package}; .ci/setup.d/10-monitoring.sh installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback test server
        return response.read().decode("utf-8")


@contextmanager
def serving(argv: Sequence[str], port: int, ready_path: str = "/metrics", wait: float = 10.0) -> Iterator[str]:
    """Run ``argv`` until the body ends; yields its base URL once ``ready_path`` answers."""
    # A file, not a pipe: a chatty server must never block on a full pipe.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=log)
        yield from _until_stopped(proc, log, f"http://127.0.0.1:{port}", argv[0], ready_path, wait)


def _until_stopped(proc: subprocess.Popen, log: Any, base: str, name: str, ready_path: str,
                   wait: float) -> Iterator[str]:
    try:
        deadline = time.monotonic() + wait
        while True:
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise RuntimeError(f"{name} exited with {proc.returncode}: {err[-2000:]}")
            try:
                http_get(base + ready_path, timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer on {base} within {wait}s") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
