"""Base of the local HTTP stand-ins (Azure Resource Manager, Cost Management): a threaded server on
127.0.0.1 at a free port whose handler class reaches the stand-in as ``self.fake``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


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
