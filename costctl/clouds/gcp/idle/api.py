"""Compute Engine and Cloud Monitoring calls for the idle scan: credentials, clients, missing permissions.

Credentials are the ``gcp`` provider's own (``gcp_client.credentials``: ``credentials_file``,
Application Default Credentials or ``anonymous``), re-scoped here: the provider asks for the
BigQuery scope only, the scan needs read access to Compute Engine and Monitoring.

google-cloud-compute speaks REST; ``idle.gcp_compute_endpoint`` points it elsewhere (a private
endpoint, a local test server; ``http://`` is honoured). google-cloud-monitoring speaks gRPC
only in the installed versions; ``idle.gcp_monitoring_endpoint`` points it elsewhere, and an
``http://host:port`` endpoint means a plaintext channel without credentials (local stand-ins only).

A 403 becomes ``Denied`` naming the IAM permission, so that check is skipped with one warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from costctl.deadline import read_timeout
from costctl.errors import Denied, ProviderError

SCOPES = ("https://www.googleapis.com/auth/compute.readonly", "https://www.googleapis.com/auth/monitoring.read")
TIMEOUT = 60.0  # seconds per request: an aggregated list of a large project takes a few

# What each listing needs (IAM permissions; roles/compute.viewer and roles/monitoring.viewer hold them).
PERMISSIONS = {
    "disks": "compute.disks.list",
    "instances": "compute.instances.list",
    "addresses": "compute.addresses.list",
    "metrics": "monitoring.timeSeries.list",
}


def credentials(settings: dict[str, Any]) -> Any:
    """The provider's credentials with the scan's scopes (ProviderError when there are none)."""
    from google.auth.credentials import Scoped

    from costctl.clouds.gcp.client import credentials as provider_credentials

    creds, _identity = provider_credentials(settings)
    return creds.with_scopes(list(SCOPES)) if isinstance(creds, Scoped) else creds


def projects_of(settings: dict[str, Any], configured: list[str]) -> list[str]:
    """``idle.gcp_projects``, else the project holding the provider's billing export table."""
    if configured:
        return list(configured)
    return [str(settings["table"]).split(".")[0]]


class Gce:
    """The Compute Engine clients (REST) and the Monitoring client (gRPC) of one scan."""

    def __init__(self, creds: Any, compute_endpoint: str | None, monitoring_endpoint: str | None) -> None:
        from google.cloud import compute_v1

        options = {"api_endpoint": compute_endpoint} if compute_endpoint else None
        self.disks = compute_v1.DisksClient(credentials=creds, client_options=options)
        self.instances = compute_v1.InstancesClient(credentials=creds, client_options=options)
        self.addresses = compute_v1.AddressesClient(credentials=creds, client_options=options)
        self.metrics = _metric_client(creds, monitoring_endpoint)

    def aggregated(self, what: str, client: Any, project: str) -> Iterator[Any]:
        """Every item of an aggregated list (all zones and regions), across ``nextPageToken`` pages."""
        try:
            for _where, scoped in client.aggregated_list(request={"project": project},
                                                         timeout=read_timeout(TIMEOUT)):
                yield from getattr(scoped, what)
        except Exception as exc:  # noqa: BLE001 - google-api-core raises one family; mapped below
            raise translate(exc, what) from exc

    def time_series(self, request: dict[str, Any]) -> Iterator[Any]:
        """Every series of a ``timeSeries.list`` request, across pages."""
        try:
            yield from self.metrics.list_time_series(request=request, timeout=read_timeout(TIMEOUT))
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "metrics") from exc

    def close(self) -> None:
        for client in (self.disks, self.instances, self.addresses, self.metrics):
            client.transport.close()


def _metric_client(creds: Any, endpoint: str | None) -> Any:
    from google.cloud import monitoring_v3

    if endpoint and endpoint.startswith("http://"):
        import grpc
        from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport

        channel = grpc.insecure_channel(endpoint.removeprefix("http://").rstrip("/"))
        return monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    return monitoring_v3.MetricServiceClient(credentials=creds,
                                             client_options={"api_endpoint": endpoint} if endpoint else None)


def translate(exc: Exception, what: str) -> Exception:
    """``Denied`` for 403 / PERMISSION_DENIED, a one-line ProviderError for other API errors."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as aexc

    from costctl.clouds.gcp.client import short

    if isinstance(exc, gexc.Forbidden | gexc.PermissionDenied):
        return Denied(PERMISSIONS.get(what, what), short(getattr(exc, "message", None) or exc))
    if isinstance(exc, aexc.GoogleAuthError | gexc.Unauthenticated | gexc.Unauthorized):
        return ProviderError(f"Google credentials rejected ({short(exc)}); refresh them or fix credentials_file")
    if isinstance(exc, gexc.GoogleAPICallError):
        return ProviderError(f"{what} listing failed ({short(getattr(exc, 'message', None) or exc)})")
    return exc


def last_segment(url: str) -> str:
    """``https://.../zones/us-central1-a`` -> ``us-central1-a`` (GCE answers carry URLs, not names)."""
    return (url or "").rstrip("/").rsplit("/", 1)[-1]


def path_of(self_link: str) -> str:
    """``https://www.googleapis.com/compute/v1/projects/p/zones/z/disks/d`` -> ``projects/p/zones/z/disks/d``."""
    marker = "/projects/"
    return self_link[self_link.index(marker) + 1:] if marker in self_link else self_link

