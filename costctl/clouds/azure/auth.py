"""Azure credentials for the azure provider: which azure-identity credential to build, and who it is.

Three choices, as users of the Azure CLI and of Azure-hosted jobs expect: ``default``
(DefaultAzureCredential: environment, workload identity, managed identity, az login...),
``client_secret`` (a service principal; tenant/client id/secret from the config or the usual
``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET`` variables) and
``managed_identity`` (``client_id`` selects a user-assigned identity). When ``credential`` is not
set but a client secret is, the service principal is meant, so it is used.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from costctl.errors import ConfigError

CREDENTIALS = ("default", "client_secret", "managed_identity")
CONNECT_TIMEOUT = 10.0  # seconds
READ_TIMEOUT = 60.0  # seconds one socket read may wait


def transport_timeouts() -> dict[str, float]:
    """azure-core's per-connection and per-read timeouts for a client, no longer than the command's
    deadline leaves (its defaults, 300 s a read, outlast any check; a drip is cut by the loader)."""
    from costctl import deadline

    return {"connection_timeout": deadline.read_timeout(CONNECT_TIMEOUT),
            "read_timeout": deadline.read_timeout(READ_TIMEOUT)}


def credential_kind(settings: Mapping[str, Any]) -> str:
    """The credential the settings ask for (see the module docstring for the rule)."""
    kind = settings.get("credential")
    if kind:
        return str(kind)
    return "client_secret" if settings.get("client_secret") else "default"


def build_credential(settings: Mapping[str, Any], where: str, env: Mapping[str, str] | None = None) -> Any:
    """The azure-identity credential for these settings; ConfigError when a needed value is missing."""
    env = os.environ if env is None else env
    kind = credential_kind(settings)
    if kind == "client_secret":
        from azure.identity import ClientSecretCredential

        values = {
            "tenant_id": settings.get("tenant_id") or env.get("AZURE_TENANT_ID"),
            "client_id": settings.get("client_id") or env.get("AZURE_CLIENT_ID"),
            "client_secret": settings.get("client_secret") or env.get("AZURE_CLIENT_SECRET"),
        }
        missing = [k for k, v in values.items() if not v]
        if missing:
            raise ConfigError(
                f"{where}.{missing[0]}: required for credential client_secret "
                f"(set it, or ${'AZURE_' + missing[0].upper()})"
            )
        return ClientSecretCredential(values["tenant_id"], values["client_id"], values["client_secret"])
    if kind == "managed_identity":
        from azure.identity import ManagedIdentityCredential

        return ManagedIdentityCredential(client_id=settings.get("client_id") or None)
    if kind == "default":
        from azure.identity import DefaultAzureCredential

        extra: dict[str, Any] = {}
        if settings.get("client_id"):
            extra["managed_identity_client_id"] = settings["client_id"]
        if settings.get("tenant_id"):
            extra["additionally_allowed_tenants"] = [settings["tenant_id"]]
        return DefaultAzureCredential(**extra)
    raise ConfigError(f"{where}.credential: expected one of {', '.join(CREDENTIALS)}, got {kind!r}")


def credential_name(credential: Any) -> str:
    """The credential class that produced the token; for DefaultAzureCredential, the link that worked."""
    inner = getattr(credential, "_successful_credential", None)
    if inner is not None:
        return f"{type(credential).__name__} via {type(inner).__name__}"
    return type(credential).__name__


def token_identity(token: str) -> str:
    """Who a bearer token speaks for, read from its JWT claims (not verified: this only labels output)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return "unknown principal (opaque token)"
    who = claims.get("upn") or claims.get("unique_name") or claims.get("appid") or claims.get("oid") or "?"
    tenant = claims.get("tid")
    return f"{who} (tenant {tenant})" if tenant else str(who)
