"""Committed use discount recommendations from the GCP Recommender API (``commitment_source``).

``GET {recommender_endpoint}/v1/projects/{project}/locations/{region}/recommenders/
google.compute.commitment.UsageCommitmentRecommender/recommendations`` for each configured project
and region, following ``nextPageToken``. Credentials are the ``gcp`` provider's own (a
``credentials_file``, Application Default Credentials, or ``anonymous`` for local stand-ins),
re-scoped to cloud-platform read; requests go through google-auth's ``AuthorizedSession``.
Rate limits (429) and server errors are retried by ``providers.retry.bounded_retry`` and every
attempt is counted in the provider's ``stats.requests``.

Each recommendation's action adds a Compute Engine commitment: its ``value`` names the plan
(``TWELVE_MONTH`` / ``THIRTY_SIX_MONTH``), the commitment type and the resources (vCPUs, memory in
MB); ``primaryImpact.costProjection`` is the cost change over ``duration`` (negative: a saving),
scaled here to a month of 730 h. CUDs are paid monthly without upfront, so they break even at once.

Utilization rows are the CUD inventory of ``clouds.gcp.commitment_inventory`` (Compute Engine
``regionCommitments``): which commitments exist, with start, end and plan, so a check can judge
their expiry. The Recommender's commitment insights carry no documented utilization figure, so
utilization and coverage stay the billing data's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from costctl.analysis.commitment_api import ApiCommitment, ApiCoverage, ApiRecommendation
from costctl.errors import ProviderError
from costctl.providers.answers import amount, bad, field

RECOMMENDER = "google.compute.commitment.UsageCommitmentRecommender"
SOURCE = "GCP Recommender UsageCommitmentRecommender"
ENDPOINT = "https://recommender.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
PLANS = {"TWELVE_MONTH": "1y", "THIRTY_SIX_MONTH": "3y"}
HOURS_A_MONTH = 730.0
TIMEOUT = 60.0
MAX_PAGES = 1000
INITIAL_WAIT = 1.0  # first retry wait in seconds; tests lower it
PERMISSION = "recommender.usageCommitmentRecommendations.list"


class _Transient(Exception):
    """A 429, a 5xx or a connection failure: the same request may succeed later."""


def _money(cost: Any, where: str) -> float:
    """A google.type.Money (``units`` as a string int64, ``nanos``) as a float."""
    units = amount(field(cost, "units", str, SOURCE, where) if "units" in cost else "0", SOURCE, f"{where}.units")
    nanos = cost.get("nanos", 0)
    if isinstance(nanos, bool) or not isinstance(nanos, int):
        raise bad(SOURCE, f"{where}.nanos = {nanos!r:.40}, not an integer")
    return units + nanos / 1e9


def _seconds(text: Any, where: str) -> float:
    """A protobuf Duration in JSON ("2592000s")."""
    if not isinstance(text, str) or not text.endswith("s"):
        raise bad(SOURCE, f"{where} = {text!r:.40}, not a duration like '2592000s'")
    seconds = amount(text[:-1], SOURCE, where)
    if seconds <= 0:
        raise bad(SOURCE, f"{where} = {text!r:.40}, not a positive duration")
    return seconds


def _what(value: dict[str, Any], region: str) -> str:
    """"12 vCPU + 48 GB GENERAL_PURPOSE_N2 europe-west1" from the commitment the action adds."""
    parts = []
    for res in value.get("resources") or []:
        kind, qty = str(res.get("type", "")), res.get("amount")
        try:
            number = float(qty)
        except (TypeError, ValueError):
            continue
        parts.append(f"{number:g} vCPU" if kind == "VCPU" else f"{number / 1024:g} GB" if kind == "MEMORY"
                     else f"{number:g} {kind}")
    return " ".join(x for x in (" + ".join(parts), value.get("type"), region) if x)


def to_recommendations(answer: Any, project: str, region: str, lookback_days: int) -> list[ApiRecommendation]:
    """One page of the recommendations list, checked: an empty page is ``{}`` (none), anything else
    must hold a ``recommendations`` list whose items state their cost projection."""
    if not isinstance(answer, dict):
        raise bad(SOURCE, "a body that is not an object")
    items = answer.get("recommendations", [])
    if not isinstance(items, list):
        raise bad(SOURCE, "recommendations not being a list")
    out = []
    for i, rec in enumerate(items):
        where = f"recommendations[{i}]"
        field(rec, "name", str, SOURCE, where)
        state = (rec.get("stateInfo") or {}).get("state", "ACTIVE")
        if state != "ACTIVE":
            continue  # claimed, dismissed or already applied
        impact = field(rec, "primaryImpact", dict, SOURCE, where)
        projection = field(impact, "costProjection", dict, SOURCE, f"{where}.primaryImpact")
        at = f"{where}.primaryImpact.costProjection"
        change = _money(field(projection, "cost", dict, SOURCE, at), f"{at}.cost")
        hours = _seconds(field(projection, "duration", str, SOURCE, at), f"{at}.duration") / 3600
        currency = str(projection["cost"].get("currencyCode") or "USD")
        value: dict[str, Any] = {}
        for group in (rec.get("content") or {}).get("operationGroups") or []:
            for op in group.get("operations") or []:
                if op.get("action") == "add" and isinstance(op.get("value"), dict):
                    value = op["value"]
        plan = value.get("plan")
        out.append(ApiRecommendation(
            provider="", type="Committed Use Discount", what=_what(value, region) or str(rec.get("description", "")),
            account=project, term=PLANS.get(str(plan), plan), payment="monthly", upfront=0.0, monthly_cost=None,
            monthly_savings=-change / hours * HOURS_A_MONTH, break_even_months=0.0, currency=currency,
            lookback_days=lookback_days))
    token = answer.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise bad(SOURCE, f"nextPageToken = {token!r:.40}, not a string")
    return out


class GcpCommitments:
    """``CommitmentSource`` of one ``gcp`` provider instance: Recommender only (see the module docstring)."""

    def __init__(self, make_session: Callable[[], Any], endpoint: str, projects: list[str], regions: list[str],
                 max_time: float, on_request: Callable[[], None], on_retry: Callable[[], None],
                 inventory: Any = None) -> None:
        self.make_session = make_session
        self.inventory = inventory  # CommitmentInventory: the CUDs and their terms, from Compute Engine
        self.endpoint = endpoint.rstrip("/")
        self.projects = projects
        self.regions = regions
        self.max_time = max_time
        self.on_request = on_request
        self.on_retry = on_retry

    def utilization(self, start: date, end: date) -> list[ApiCommitment]:
        """The CUDs in force during the range, with start, end, term (no utilization: see the module)."""
        return [] if self.inventory is None else self.inventory.commitments(self.projects, start, end)

    def coverage(self, start: date, end: date) -> list[ApiCoverage]:
        return []

    def recommendations(self, lookback_days: int) -> list[ApiRecommendation]:
        if not self.regions:
            raise ProviderError("the Recommender answers per region; set commitment_regions (e.g. [europe-west1])")
        session = self.make_session()
        try:
            out: list[ApiRecommendation] = []
            for project in self.projects:
                for region in self.regions:
                    url = (f"{self.endpoint}/v1/projects/{project}/locations/{region}/recommenders/{RECOMMENDER}"
                           "/recommendations")
                    token = None
                    for _ in range(MAX_PAGES):
                        answer = self._get(session, url, {"pageToken": token} if token else {}, project)
                        out += to_recommendations(answer, project, region, lookback_days)
                        token = answer.get("nextPageToken") or None
                        if not token:
                            break
                    else:
                        raise bad(SOURCE, f"more than {MAX_PAGES} pages")
            return out
        finally:
            session.close()

    def _get(self, session: Any, url: str, params: dict[str, str], project: str) -> Any:
        from costctl.deadline import read_timeout
        from costctl.providers.retry import bounded_retry

        def attempt() -> Any:
            import requests

            self.on_request()
            try:
                response = session.get(url, params=params, timeout=read_timeout(TIMEOUT))
            except requests.RequestException as exc:
                raise _Transient(f"cannot reach the Recommender ({' '.join(str(exc).split())[:120]})") from None
            if response.status_code == 429 or response.status_code >= 500:
                raise _Transient(f"Recommender failing ({response.status_code})")
            if response.status_code in (401, 403):
                raise ProviderError(f"GCP Recommender denied the list ({response.status_code}: "
                                    f"{_message(response.text)}); grant {PERMISSION} on project {project} "
                                    "(roles/recommender.computeViewer)")
            if response.status_code != 200:
                raise ProviderError(f"GCP Recommender refused the request ({response.status_code}: "
                                    f"{_message(response.text)}); check commitment_projects and commitment_regions")
            try:
                return json.loads(response.text)
            except ValueError:
                raise bad(SOURCE, "a body that is not JSON") from None

        def before_sleep(state: Any) -> None:
            self.on_retry()

        return bounded_retry(attempt, is_transient=lambda exc: isinstance(exc, _Transient), max_time=self.max_time,
                             what="Recommender list", on_retry=before_sleep,
                             describe=lambda exc: str(exc), initial_wait=INITIAL_WAIT, max_wait=20.0)



def _message(text: str) -> str:
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = text
    message = " ".join(str(message).split())
    return message[:160]


def session_factory(settings: dict[str, Any]) -> Callable[[], Any]:
    """An ``AuthorizedSession`` with the provider's credentials, scoped for the Recommender."""
    def make() -> Any:
        from google.auth.credentials import Scoped
        from google.auth.transport.requests import AuthorizedSession

        from costctl.clouds.gcp.client import credentials

        creds, _identity = credentials(settings)
        if isinstance(creds, Scoped):
            creds = creds.with_scopes(list(SCOPES))
        return AuthorizedSession(creds)

    return make
