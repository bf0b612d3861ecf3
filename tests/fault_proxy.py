"""A loopback HTTP proxy in front of a local stand-in (moto_server, the BigQuery fake...) that can
replace chosen answers with broken ones: a 200 whose body is truncated, unparseable, of the wrong
shape or full of NaN amounts, or a page that fails.

Clients talk to it exactly as to the real service (same paths, headers and bodies are forwarded
unchanged), so the SDK under test parses the broken answer itself. Faults are matched by a
substring of the request line, the ``X-Amz-Target`` header or the body, and served ``times``
times (or forever with ``times=None``) before requests go through again.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from local_http import LocalHttp


@dataclass
class Fault:
    """Answer requests matching ``match`` with this status and body instead of the upstream's."""

    match: str  # substring of "METHOD path", the X-Amz-Target header, or the request body
    body: bytes | Callable[[bytes], bytes] = b""  # or a function of the upstream's real body
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/x-amz-json-1.1"})
    times: int | None = 1
    served: int = 0

    def matches(self, line: str, target: str, body: bytes) -> bool:
        if self.times is not None and self.served >= self.times:
            return False
        return self.match in line or self.match in target or self.match.encode() in body


class FaultProxy(LocalHttp):
    """``FaultProxy(upstream_url).start()``; ``url`` is what the client is pointed at."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self._serve(_Handler)

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def take(self, line: str, target: str, body: bytes) -> Fault | None:
        with self.lock:
            self.seen.append(f"{line} {target}".strip())
            for fault in self.faults:
                if fault.matches(line, target, body):
                    fault.served += 1
                    return fault
        return None

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            answer = conn.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            conn.close()


# Upstream headers that describe the original body and would betray the replaced one.
BODY_HEADERS = ("content-type", "content-md5", "x-ms-content-crc64", "content-range", "etag")


def _fault_headers(upstream: list[tuple[str, str]], fault: dict[str, str], length: int) -> list[tuple[str, str]]:
    """The upstream's headers (SDKs check some, e.g. Content-Range of a blob download) fitted to the
    replaced body, with the fault's own (Content-Type) on top."""
    kept = [(k, v) for k, v in upstream if k.lower() not in BODY_HEADERS and not k.lower().startswith("x-amz-checksum")]
    if any(k.lower() == "content-range" for k, _ in upstream):
        kept.append(("Content-Range", f"bytes 0-{max(length - 1, 0)}/{length}"))
    return kept + list(fault.items())


class _Handler(BaseHTTPRequestHandler):
    fake: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        line = f"{self.command} {self.path}"
        fault = self.fake.take(line, self.headers.get("X-Amz-Target", ""), body)
        status, headers, payload = self.fake.forward(self.command, self.path, dict(self.headers), body)
        if fault is not None:
            status = fault.status
            payload = fault.body(payload) if callable(fault.body) else fault.body
            headers = _fault_headers(headers, fault.headers, len(payload))
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any  # noqa: N815 - http.server naming
