"""GCP Recommender's idle and machine-type recommendations as idle findings (``idle.recommendations``).

``GET {endpoint}/v1/projects/{p}/locations/{zone|region}/recommenders/{id}/recommendations``
through google-auth's ``AuthorizedSession`` with the ``gcp`` provider's credentials (the session
``commitments_api.session_factory`` builds), following ``nextPageToken``. The instance, disk and
machine-type recommenders are zonal, the address recommender regional. Google has no "every
location" form for these, and asking every zone of a project is ~120 requests per recommender, so
the locations asked are those of costctl's own findings in the project plus
``idle.gcp_recommender_locations``. Only ACTIVE recommendations whose
``primaryImpact.costProjection.cost`` is negative (a saving, over ``duration``, scaled to 730 h) are
findings. Nothing is cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from costctl.clouds.gcp.commitments_api import HOURS_A_MONTH, _message
from costctl.deadline import read_timeout
from costctl.errors import Denied, ProviderError
from costctl.idle.findings import Finding
from costctl.idle.recommendations import RECOMMENDER_CHECK, cloud_finding
from costctl.idle.scope import Scope
from costctl.providers.answers import amount, bad, field

SOURCE = "gcp-recommender"
ENDPOINT = "https://recommender.googleapis.com"
TIMEOUT = 60.0
MAX_PAGES = 100
# recommender id -> (zonal?, resource type, IAM permission to list it)
RECOMMENDERS = {
    "google.compute.instance.IdleResourceRecommender":
        (True, "gce:instance", "recommender.computeInstanceIdleResourceRecommendations.list"),
    "google.compute.instance.MachineTypeRecommender":
        (True, "gce:instance", "recommender.computeInstanceMachineTypeRecommendations.list"),
    "google.compute.disk.IdleResourceRecommender":
        (True, "gce:disk", "recommender.computeDiskIdleResourceRecommendations.list"),
    "google.compute.address.IdleResourceRecommender":
        (False, "gce:address", "recommender.computeAddressIdleResourceRecommendations.list"),
}


def locations_of(own: list[Finding], configured: list[str]) -> list[str]:
    """Zones and regions to ask: ``configured`` plus those of costctl's findings (``projects/P/zones/Z/...``)."""
    out = dict.fromkeys(configured)
    for finding in own:
        parts = finding.resource_id.split("/")
        if len(parts) > 3 and parts[2] in ("zones", "regions"):
            out[parts[3]] = None
            if parts[2] == "zones":
                out[parts[3].rsplit("-", 1)[0]] = None
    return list(out)


def findings(session: Any, endpoint: str, scope: Scope, locations: list[str]) -> Iterator[Finding | Denied]:
    """Money-saving recommendations of one project; a denied recommender yields its ``Denied`` (the
    others are still asked); a malformed answer raises ``BadAnswer``."""
    for location in locations:
        zonal = location.count("-") >= 2  # us-central1-a is a zone, us-central1 a region
        for recommender, (for_zone, rtype, permission) in RECOMMENDERS.items():
            if for_zone != zonal:
                continue
            url = (f"{endpoint.rstrip('/')}/v1/projects/{scope.account}/locations/{location}/recommenders/"
                   f"{recommender}/recommendations")
            try:
                for rec in _pages(session, url, permission):
                    found = _finding(rec, recommender, rtype, location, scope)
                    if found is not None:
                        yield found
            except Denied as exc:
                yield exc


def _pages(session: Any, url: str, permission: str) -> Iterator[dict[str, Any]]:
    import requests

    token = None
    for _ in range(MAX_PAGES):
        try:
            response = session.get(url, params={"pageToken": token} if token else {}, timeout=read_timeout(TIMEOUT))
        except requests.RequestException as exc:
            raise ProviderError(f"cannot reach the Recommender ({' '.join(str(exc).split())[:120]})") from None
        if response.status_code in (401, 403):
            raise Denied(permission, _message(response.text))
        if response.status_code != 200:
            raise ProviderError(f"Recommender refused the request ({response.status_code}: {_message(response.text)})")
        try:
            answer = json.loads(response.text)
        except ValueError:
            raise bad("GCP Recommender", "a body that is not JSON") from None
        items = answer.get("recommendations", []) if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise bad("GCP Recommender", "recommendations not being a list")
        yield from items
        token = answer.get("nextPageToken")
        if not token:
            return
    raise bad("GCP Recommender", f"more than {MAX_PAGES} pages")


def _finding(rec: Any, recommender: str, rtype: str, location: str, scope: Scope) -> Finding | None:
    who = f"GCP Recommender {recommender.split('.')[2]} {recommender.rsplit('.', 1)[1]}"
    where = "recommendation"
    if not isinstance(rec, dict):
        raise bad(who, "a recommendation that is not an object")
    if (rec.get("stateInfo") or {}).get("state", "ACTIVE") != "ACTIVE":
        return None  # claimed, dismissed or already applied
    projection = field(field(rec, "primaryImpact", dict, who, where), "costProjection", dict, who,
                       f"{where}.primaryImpact")
    cost = field(projection, "cost", dict, who, "costProjection")
    change = amount(cost.get("units", "0"), who, "cost.units") + amount(cost.get("nanos", 0), who, "cost.nanos") / 1e9
    duration = field(projection, "duration", str, who, "costProjection")
    try:
        hours = float(duration.removesuffix("s")) / 3600
    except ValueError:
        raise bad(who, f"costProjection.duration = {duration!r:.40}, not a duration like '2592000s'") from None
    if change >= 0 or hours <= 0:
        return None  # costs more (an upsize) or saves nothing: not an idle finding
    overview = (rec.get("content") or {}).get("overview") or {}
    name = str(overview.get("resourceName") or overview.get("resource") or "")
    if not name:
        raise bad(who, "a recommendation naming no content.overview.resourceName")
    resource = name.split("compute.googleapis.com/", 1)[-1].lstrip("/")
    region = location if location.count("-") < 2 else location.rsplit("-", 1)[0]
    kind = "idle" if "Idle" in recommender else "machine type"
    return cloud_finding(Finding(
        scope.provider, scope.account, region, resource, rtype, RECOMMENDER_CHECK,
        f"Recommender ({kind}): {rec.get('description') or recommender}", str(rec.get("description") or kind),
        action="stop" if kind == "idle" and rtype == "gce:instance" else "delete" if kind == "idle" else "downsize",
        estimated_monthly_savings=-change / hours * HOURS_A_MONTH,
        currency=str(cost.get("currencyCode") or "USD"), cost_source=SOURCE, sources=[SOURCE]))
