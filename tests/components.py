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


def query(base: str, expr: str) -> list[dict]:
    """The result of an instant query through Prometheus's HTTP API (``/api/v1/query``)."""
    import json
    import urllib.parse

    body = json.loads(http_get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
    if body.get("status") != "success":
        raise RuntimeError(f"query {expr!r} failed: {body}")
    return list(body["data"]["result"])


@contextmanager
def prometheus_scraping_textfiles(directory: str, workdir: str, rule_files: Sequence[str] = (),
                                  wait: float = 30.0) -> Iterator[str]:
    """A real node_exporter serving the ``.prom`` files of ``directory`` (textfile collector only) and
    a real Prometheus on loopback scraping it every second; yields Prometheus's base URL once the
    first scrape has landed (``up{job="node"} == 1``). Both are stopped by PID when the body ends."""
    import yaml

    exporter = binary("prometheus-node-exporter", "prometheus-node-exporter")
    server = binary("prometheus", "prometheus")
    node_port, prom_port = free_port(), free_port()
    node_argv = [exporter, f"--web.listen-address=127.0.0.1:{node_port}", "--collector.disable-defaults",
                 "--collector.textfile", f"--collector.textfile.directory={directory}"]
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as fh:
        yaml.safe_dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                        "rule_files": list(rule_files),
                        "scrape_configs": [{"job_name": "node",
                                            "static_configs": [{"targets": [f"127.0.0.1:{node_port}"]}]}]}, fh)
    prom_argv = [server, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
                 f"--web.listen-address=127.0.0.1:{prom_port}"]
    with serving(node_argv, node_port), serving(prom_argv, prom_port, ready_path="/-/ready", wait=wait) as base:
        deadline = time.monotonic() + wait
        while not query(base, 'up{job="node"} == 1'):
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not scrape node_exporter within {wait}s")
            time.sleep(0.2)
        yield base
