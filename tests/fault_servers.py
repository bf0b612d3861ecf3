"""Upstreams that misbehave on loopback, for the deadline tests: a Cost Explorer that throttles,
and servers that drip their answer one byte at a time.

``CostExplorer`` speaks the JSON 1.1 protocol boto3 uses (``POST /`` with ``X-Amz-Target:
AWSInsightsIndexService.GetCostAndUsage``): in mode ``ok`` it answers every day of the asked
``TimePeriod`` with one group of ``cost`` per metric asked; in mode ``throttle`` it answers 400
``ThrottlingException`` as the real service does; in mode ``drip`` it sends a 200 whose body comes
one byte every ``interval`` seconds. Organizations calls (account names) answer
``AWSOrganizationsNotInUseException``, so ids are shown.

It also answers the commitment operations (``GetReservationUtilization``,
``GetSavingsPlansUtilizationDetails``, the coverage and purchase-recommendation ones) from
``commitment_pages``: operation -> list of answer pages, chained by the token the operation uses
(``NextPageToken``, or ``NextToken`` for the Savings Plans details and coverage), so a test sees
real pagination. ``throttle[op] = n`` answers the next n requests of ``op`` with
``ThrottlingException``; ``raw[op]`` is a body sent as is with status 200 (a malformed answer);
an operation in ``deny`` answers ``AccessDeniedException``.

``Drip`` answers any request with a JSON body dripped the same way, except the managed-identity
token endpoint of ``fake_costmanagement`` (so the real Azure credential gets its token and the
Cost Management query is the call that drips). ``dripping_bigquery`` serves the BigQuery fake
with its result pages dripped. A drip stops after ``limit`` bytes or when the
server stops, so no test can hang on it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from fake_costmanagement import IDENTITY_HEADER, TOKEN

from local_http import JsonHandler, LocalHttp


def _quiet(*_args: Any) -> None:
    """A client that hung up mid-answer: what these servers provoke, not worth a traceback."""


class _Dripping(JsonHandler):
    fake: Any

    def _drip(self, status: int, body: bytes) -> None:
        """Headers at once, then the body one byte per interval (Content-Length says it all comes)."""
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for byte in body[: self.fake.limit]:
            if self.fake.stopped.wait(self.fake.interval):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up: what the tests want
                return

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class _DripServer(LocalHttp):
    def __init__(self, handler: type[_Dripping], interval: float, limit: int) -> None:
        self.interval = interval
        self.limit = limit
        self.stopped = threading.Event()
        self.requests: list[str] = []
        self._serve(handler)
        self.server.daemon_threads = True
        self.server.handle_error = _quiet  # type: ignore[method-assign]  # a client that gave up is expected

    def stop(self) -> None:
        self.stopped.set()
        super().stop()


class _CeHandler(_Dripping):
    content_type = "application/x-amz-json-1.1"
    fake: CostExplorer

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        target = self.headers.get("X-Amz-Target", "")
        raw = self._body()
        self.fake.requests.append(target)
        if self.fake.mode == "drip" and target != "AWSInsightsIndexService.GetCostAndUsage":
            self._drip(200, b" " * 400)  # any other call (STS for test-auth) drips too
            return
        if target.startswith("AWSOrganizations"):
            self._send(400, {"__type": "AWSOrganizationsNotInUseException",
                             "Message": "Your account is not a member of an organization."})
            return
        operation = target.removeprefix("AWSInsightsIndexService.")
        if operation in self.fake.commitment_pages or operation in self.fake.raw:
            self._commitment(operation, json.loads(raw or b"{}"))
            return
        if target != "AWSInsightsIndexService.GetCostAndUsage":
            self._send(400, {"__type": "UnknownOperationException", "Message": target})
            return
        if self.fake.mode == "throttle":
            self._send(400, {"__type": "ThrottlingException", "Message": "Rate exceeded"})
            return
        answer = json.dumps(self.fake.answer(json.loads(raw or b"{}"))).encode()
        if self.fake.mode == "drip":
            self._drip(200, answer)
            return
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


    def _commitment(self, operation: str, request: dict[str, Any]) -> None:
        fake = self.fake
        fake.bodies.append((operation, request))
        if operation in fake.deny:
            self._send(400, {"__type": "AccessDeniedException",
                             "Message": f"User: arn:aws:iam::111122223333:user/ci is not authorized to perform: "
                                        f"ce:{operation}"})
            return
        if fake.throttle.get(operation, 0) > 0:
            fake.throttle[operation] -= 1
            self._send(400, {"__type": "ThrottlingException", "Message": "Rate exceeded"})
            return
        if operation in fake.raw:
            body = fake.raw[operation]
            self.send_response(200)
            self.send_header("Content-Type", self.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        key = "NextToken" if operation in TOKEN_NEXT else "NextPageToken"
        token = request.get(key)
        index = int(token.removeprefix("page-")) if token else 0
        pages = fake.commitment_pages[operation]
        answer = dict(pages[index])
        if index + 1 < len(pages):
            answer[key] = f"page-{index + 1}"
        self._send(200, answer)


# Commitment operations whose paging token is ``NextToken``, not ``NextPageToken`` (botocore's ce model).
TOKEN_NEXT = frozenset({"GetSavingsPlansUtilizationDetails", "GetSavingsPlansCoverage"})


class CostExplorer(_DripServer):
    """A Cost Explorer whose ``mode`` (ok, throttle, drip) tests switch between runs."""

    def __init__(self, cost: float = 10.0, interval: float = 0.5, limit: int = 120) -> None:
        self.mode = "ok"
        self.cost = cost
        self.commitment_pages: dict[str, list[dict[str, Any]]] = {}
        self.throttle: dict[str, int] = {}
        self.raw: dict[str, bytes] = {}
        self.deny: set[str] = set()  # operations answered with AccessDeniedException
        self.bodies: list[tuple[str, dict[str, Any]]] = []  # (operation, request) of each commitment call
        super().__init__(_CeHandler, interval, limit)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        period = request["TimePeriod"]
        day, end = date.fromisoformat(period["Start"][:10]), date.fromisoformat(period["End"][:10])
        metrics = {name: {"Amount": f"{self.cost:.2f}", "Unit": "USD"} for name in request.get("Metrics", [])}
        results = []
        while day < end:
            results.append({
                "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
                "Total": {}, "Estimated": False,
                "Groups": [{"Keys": ["Amazon EC2", "111122223333"], "Metrics": metrics}],
            })
            day += timedelta(days=1)
        return {"ResultsByTime": results, "DimensionValueAttributes": [],
                "GroupDefinitions": request.get("GroupBy", [])}


class _AnyDripHandler(_Dripping):
    fake: Drip

    def _any(self) -> None:
        self._body()
        path = urlsplit(self.path).path
        self.fake.requests.append(f"{self.command} {path}")
        if path == "/msi/token" and self.headers.get("X-IDENTITY-HEADER") == IDENTITY_HEADER:
            self._send(200, {"access_token": TOKEN, "expires_on": str(int(time.time()) + 3600),
                             "resource": "https://management.azure.com", "token_type": "Bearer"})
            return
        self._drip(200, json.dumps({"padding": "x" * 400}).encode())

    do_GET = do_POST = _any  # noqa: N815 - http.server naming


class Drip(_DripServer):
    """Every answer (but a managed-identity token) dripped one byte per ``interval`` seconds."""

    def __init__(self, interval: float = 0.5, limit: int = 120) -> None:
        super().__init__(_AnyDripHandler, interval, limit)


@contextlib.contextmanager
def dripping_bigquery(fake: Any, interval: float = 0.5, limit: int = 120) -> Iterator[str]:
    """Serve ``fake_bigquery.FakeBigQuery`` with its query results (``GET .../queries/JOB``)
    dripped: the job is created normally, its rows then come one byte per ``interval``."""
    from http.server import ThreadingHTTPServer

    from fake_bigquery import Handler

    stopped = threading.Event()

    class Dripped(Handler):
        def _send(self, status: int, answer: Any) -> None:
            if self.command != "GET" or "/queries/" not in self.path:
                super()._send(status, answer)
                return
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", self.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body[:limit]:
                if stopped.wait(interval):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return

    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Bound", (Dripped,), {"fake": fake}))
    server.daemon_threads = True
    server.handle_error = _quiet  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
