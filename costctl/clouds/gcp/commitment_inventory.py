"""GCP committed use discounts as Compute Engine lists them: the inventory and each term's end.

The billing export says what a CUD saved but not when it ends; ``regionCommitments.aggregatedList``
does (``startTimestamp``, ``endTimestamp``, ``plan`` TWELVE_MONTH / THIRTY_SIX_MONTH, ``status``,
``resources`` [{type VCPU / MEMORY, amount}]). Asked through google-cloud-compute's
``RegionCommitmentsClient`` (REST) with the ``gcp`` provider's credentials, as the idle scanner
asks for disks and instances; ``compute_endpoint`` points it at a private endpoint or a local
stand-in. Needs ``compute.commitments.list`` on each project (``roles/compute.viewer``).

The API states no utilization, so a row carries none (``used``/``unused`` unknown): it adds the
term to the billing row of the same commitment (``commitment_api.merge``), whose id in the
billing export is the same ``projects/P/regions/R/commitments/NAME``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from costctl.analysis.commitment_api import ApiCommitment
from costctl.errors import ProviderError
from costctl.providers.answers import bad

SOURCE = "GCP Compute Engine regionCommitments"
PERMISSION = "compute.commitments.list"
PLANS = {"TWELVE_MONTH": "1y", "THIRTY_SIX_MONTH": "3y"}
TIMEOUT = 60.0


def _day(stamp: str, where: str) -> date:
    """An RFC 3339 timestamp as GCE sends it ("2025-01-15T00:00:00.000-08:00") as its UTC day."""
    from datetime import UTC

    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).date()
    except (TypeError, ValueError):
        raise bad(SOURCE, f"{where} = {stamp!r:.40}, not an RFC 3339 timestamp") from None


def to_commitment(item: Any, project: str) -> ApiCommitment:
    """One ``compute_v1.Commitment`` as an ``ApiCommitment`` (dates, term; no amounts)."""
    where = f"commitments[{item.name or '?'}]"
    if not item.name or not item.region:
        raise bad(SOURCE, f"{where}: a commitment without name or region")
    if not item.end_timestamp:
        raise bad(SOURCE, f"{where}: no endTimestamp")
    region = item.region.rstrip("/").rsplit("/", 1)[-1]
    return ApiCommitment(
        provider="", commitment_id=f"projects/{project}/regions/{region}/commitments/{item.name}",
        type="Committed Use Discount", account=project, used=None, unused=None, on_demand=None,
        net_savings=None, start=_day(item.start_timestamp, f"{where}.startTimestamp") if item.start_timestamp
        else None, end=_day(item.end_timestamp, f"{where}.endTimestamp"), term=PLANS.get(item.plan, item.plan or None),
        payment="monthly", currency="")


class CommitmentInventory:
    """The ``regionCommitments`` of the provider's projects; the client is built on first use."""

    def __init__(self, settings: dict[str, Any], endpoint: str | None, on_request: Callable[[], None]) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.on_request = on_request

    def _client(self) -> Any:
        from google.cloud import compute_v1

        from costctl.clouds.gcp.client import credentials

        creds, _identity = credentials(self.settings)
        options = {"api_endpoint": self.endpoint} if self.endpoint else None
        return compute_v1.RegionCommitmentsClient(credentials=creds, client_options=options)

    def commitments(self, projects: list[str], start: date, end: date) -> list[ApiCommitment]:
        """Every CUD whose term overlaps ``[start, end)`` (ended ones before the range are history)."""
        from costctl.deadline import read_timeout

        client = self._client()
        out: list[ApiCommitment] = []
        try:
            for project in projects:
                self.on_request()
                try:
                    pages = client.aggregated_list(request={"project": project}, timeout=read_timeout(TIMEOUT))
                    for _scope, scoped in pages:
                        for item in scoped.commitments:
                            found = to_commitment(item, project)
                            assert found.end is not None
                            if found.end >= start and (found.start is None or found.start < end):
                                out.append(found)
                except ProviderError:
                    raise
                except Exception as exc:  # noqa: BLE001 - google-api-core raises one family; mapped here
                    raise _translate(exc, project) from None
        finally:
            client.transport.close()
        return sorted(out, key=lambda c: c.commitment_id)


def _translate(exc: Exception, project: str) -> ProviderError:
    """A one-line error: denied (naming the permission), rejected credentials, a failed call, or an
    answer the client could not parse (a malformed answer: nothing is cached)."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as aexc

    from costctl.clouds.gcp.client import short

    if isinstance(exc, gexc.Forbidden | gexc.PermissionDenied):
        return ProviderError(f"{SOURCE} denied on project {project} ({short(getattr(exc, 'message', None) or exc)}); "
                             f"grant {PERMISSION} (roles/compute.viewer)")
    if isinstance(exc, aexc.GoogleAuthError | gexc.Unauthenticated | gexc.Unauthorized):
        return ProviderError(f"Google credentials rejected ({short(exc)}); refresh them or fix credentials_file")
    if isinstance(exc, gexc.GoogleAPICallError):
        return ProviderError(f"{SOURCE} failed on project {project} ({short(getattr(exc, 'message', None) or exc)}); "
                             "check commitment_projects and compute_endpoint")
    return bad(SOURCE, f"a body the Compute client could not read ({type(exc).__name__})")
