"""A local stand-in for the Azure Cost Management Query REST API (and a managed-identity token endpoint).

There is no emulator for Cost Management, so the tests run the real ``CostManagementClient`` against
this ``http.server``. It speaks the documented wire format: ``POST
/{scope}/providers/Microsoft.CostManagement/query?api-version=...`` with a QueryDefinition body,
answered by ``{"properties": {"nextLink", "columns": [{"name", "type"}], "rows"}}``, rows
aggregated by the requested ``grouping`` plus ``UsageDate`` (integer yyyymmdd) and ``Currency``,
``TagKey``/``TagValue`` columns for a TagKey grouping, ``nextLink`` paging with ``$skiptoken``.
Columns come back in a shuffled order so a parser that reads by position fails.

Tests script failures (a 429 with retry-after headers, a 401, a malformed body) by pushing
canned answers onto ``script``; they are served before the normal answer, one per request.

The benefit APIs (``GET /{scope}/providers/Microsoft.CostManagement/benefitUtilizationSummaries``
and ``.../benefitRecommendations``) answer from ``benefits``: API name -> list of pages, each a
list of items, served as ``{"value": [...], "nextLink": ...}`` with ``$skiptoken`` paging.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_http import LocalHttp


def _jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT: clients never verify ARM tokens, costctl only reads who they name."""
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "99999999-8888-7777-6666-555555555555"
TOKEN = _jwt({"appid": APP_ID, "tid": TENANT_ID, "aud": "https://management.azure.com"})
IDENTITY_HEADER = "fake-identity-header"


@dataclass
class Canned:
    """One scripted answer: status, headers, raw body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


def usage_row(day: str, cost: float, amortized: float | None = None, **dims: Any) -> dict[str, Any]:
    """A source row of the fake's dataset: one day's cost for one combination of dimensions.

    ``dims`` may hold ServiceName, SubscriptionId, SubscriptionName, ResourceLocation, ChargeType,
    Currency and ``tags`` (a dict). ``amortized`` defaults to ``cost``.
    """
    row = {
        "UsageDate": int(day.replace("-", "")),
        "ActualCost": cost,
        "AmortizedCost": cost if amortized is None else amortized,
        "Currency": dims.pop("Currency", "EUR"),
        "tags": dims.pop("tags", {}),
    }
    row.update(dims)
    return row


class FakeCostManagement(LocalHttp):
    """Holds the dataset and the script; ``url`` is the ARM base URL to give the client."""

    def __init__(self, rows: list[dict[str, Any]] | None = None, page_size: int = 1000, seed: int = 7) -> None:
        self.rows = list(rows or [])
        self.page_size = page_size
        self.script: list[Canned] = []
        self.seen: list[Seen] = []
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.benefits: dict[str, list[list[dict[str, Any]]]] = {}
        # Microsoft.Consumption list APIs (reservationSummaries, reservationRecommendations), same
        # page shape; an API not set answers one empty page, as a scope without reservations does.
        self.consumption: dict[str, list[list[dict[str, Any]]]] = {}
        self._serve(_Handler)

    def consumption_requests(self) -> list[Seen]:
        return [s for s in self.seen if "/providers/Microsoft.Consumption/" in s.path]

    def benefit_requests(self) -> list[Seen]:
        return [s for s in self.seen if "/providers/Microsoft.CostManagement/benefit" in s.path]

    def queries(self) -> list[Seen]:
        """The query requests received (first pages and nextLink pages), token requests left out."""
        return [s for s in self.seen if s.path.endswith("/providers/Microsoft.CostManagement/query")]

    # --- the answer --------------------------------------------------------------------------

    def answer(self, scope_path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        """The documented QueryResult for ``body``, the page chosen by ``$skiptoken``."""
        cost_type = body["type"]
        dataset = body["dataset"]
        lo = int(body["timePeriod"]["from"][:10].replace("-", ""))
        hi = int(body["timePeriod"]["to"][:10].replace("-", ""))
        alias = next(iter(dataset["aggregation"]))
        cost_name = dataset["aggregation"][alias]["name"]
        groups = dataset.get("grouping") or []
        dims = [g["name"] for g in groups if g["type"] == "Dimension"]
        tag_keys = [g["name"] for g in groups if g["type"] == "TagKey"]
        totals: dict[tuple, float] = defaultdict(float)
        for row in self.rows:
            if not lo <= row["UsageDate"] <= hi:
                continue
            key = tuple(row.get(d, "") for d in dims)
            if tag_keys:
                value = row["tags"].get(tag_keys[0])
                key += (tag_keys[0] if value is not None else "", value or "")
            key += (row["UsageDate"], row["Currency"])
            totals[key] += row[cost_type]
        names = dims + (["TagKey", "TagValue"] if tag_keys else []) + ["UsageDate", "Currency"]
        types = ["String"] * (len(names) - 2) + ["Number", "String"]
        records = [[*key, cost] for key, cost in sorted(totals.items())]
        names.append(cost_name)
        types.append("Number")
        order = list(range(len(names)))
        self.rng.shuffle(order)
        skip = int(query.get("$skiptoken", ["0"])[0])
        page = records[skip:skip + self.page_size]
        next_link = None
        if skip + self.page_size < len(records):
            next_link = (
                f"{self.url}{scope_path}?api-version={query['api-version'][0]}&$skiptoken={skip + self.page_size}"
            )
        return {
            "id": f"{scope_path}/{self.rng.getrandbits(32):08x}",
            "name": "query",
            "type": "Microsoft.CostManagement/query",
            "properties": {
                "nextLink": next_link,
                "columns": [{"name": names[i], "type": types[i]} for i in order],
                "rows": [[r[i] for i in order] for r in page],
            },
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCostManagement

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json", **(headers or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, json.dumps({"error": {"code": code, "message": message}}).encode())

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.fake.lock:
            self.fake.seen.append(Seen("GET", parts.path, query, dict(self.headers), None))
        api = parts.path.rsplit("/", 1)[-1]
        if "/providers/Microsoft.CostManagement/" in parts.path and api in self.fake.benefits:
            self._benefit(parts.path, self.fake.benefits[api], query)
            return
        if "/providers/Microsoft.Consumption/" in parts.path:
            self._benefit(parts.path, self.fake.consumption.get(api, [[]]), query)
            return
        if parts.path != "/msi/token":
            self._error(404, "NotFound", f"no route {parts.path}")
            return
        if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            self._error(401, "Unauthorized", "bad identity header")
            return
        answer = {
            "access_token": TOKEN,
            "expires_on": str(int(time.time()) + 3600),
            "resource": query.get("resource", [""])[0],
            "token_type": "Bearer",
        }
        self._send(200, json.dumps(answer).encode())

    def _benefit(self, path: str, pages: list[list[dict[str, Any]]], query: dict[str, list[str]]) -> None:
        with self.fake.lock:
            canned = self.fake.script.pop(0) if self.fake.script else None
        if canned is not None:
            self._send(canned.status, canned.body, canned.headers)
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._error(401, "AuthenticationFailed", "missing or invalid bearer token")
            return
        if "api-version" not in query:
            self._error(400, "BadRequest", "api-version is required")
            return
        index = int(query.get("$skiptoken", ["0"])[0])
        answer: dict[str, Any] = {"value": pages[index]}
        if index + 1 < len(pages):
            answer["nextLink"] = f"{self.fake.url}{path}?api-version={query['api-version'][0]}&$skiptoken={index + 1}"
        self._send(200, json.dumps(answer).encode())

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = raw
        with self.fake.lock:
            self.fake.seen.append(Seen("POST", parts.path, query, dict(self.headers), body))
            canned = self.fake.script.pop(0) if self.fake.script else None
        if canned is not None:
            self._send(canned.status, canned.body, canned.headers)
            return
        if not parts.path.endswith("/providers/Microsoft.CostManagement/query"):
            self._error(404, "NotFound", f"no route {parts.path}")
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._error(401, "AuthenticationFailed", "missing or invalid bearer token")
            return
        if "api-version" not in query:
            self._error(400, "BadRequest", "api-version is required")
            return
        try:
            answer = self.fake.answer(parts.path, query, body)
        except (KeyError, TypeError, ValueError) as exc:
            self._error(400, "BadRequest", f"Invalid query definition: {exc!r}")
            return
        self._send(200, json.dumps(answer).encode())
