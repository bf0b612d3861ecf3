"""Bases of the local HTTP stand-ins (Azure Resource Manager and Retail Prices, Cost Management,
BigQuery, Compute Engine): a threaded server on 127.0.0.1 at a free port whose handler class
reaches the stand-in as ``self.fake``, and a quiet handler that answers JSON."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


class JsonHandler(BaseHTTPRequestHandler):
    """Answers JSON with the Content-Type the real service sends, and keeps pytest output clean."""

    content_type: ClassVar[str] = "application/json"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, answer: Any) -> None:
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LocalHttp:
    """``_serve(handler)`` in ``__init__``; then ``start()``, ``url``, ``token_url``, ``stop()``."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (handler,), {"fake": self}))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        """The managed-identity token endpoint the stand-ins serve (so the real credential runs)."""
        return f"{self.url}/msi/token"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
