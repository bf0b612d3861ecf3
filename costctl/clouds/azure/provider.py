"""The ``azure`` provider: Cost Management Query API or cost exports in Blob Storage -> normalized records.

One instance reads one scope through one of two sources, chosen by its settings:

* ``query`` (the default when no ``exports`` block is given): the Cost Management Query API at
  ``scope``, see ``azure_query``. Needs the Cost Management Reader role at the scope.
* ``exports``: the export runs Cost Management writes to a storage container, see
  ``azure_exports``. Needs Storage Blob Data Reader (or a connection string / SAS URL).

Credentials come from azure-identity (``azure_auth``). The SDKs are imported only inside methods
so that loading the plugin stays cheap for ``costctl --help`` and ``check``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from costctl.clouds.azure.auth import CREDENTIALS, transport_timeouts
from costctl.errors import ConfigError, ProviderError
from costctl.providers.base import AuthResult, Provider
from costctl.schema import Field, check

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from costctl.analysis.commitment_api import CommitmentSource
    from costctl.idle.scanner import IdleScanner

ARM_ENDPOINT = "https://management.azure.com"

# Scopes the Query API accepts (case-insensitive), as ``scope`` is written in the config.
SCOPES = [
    r"subscriptions/[^/]+",
    r"subscriptions/[^/]+/resourceGroups/[^/]+",
    r"providers/Microsoft\.Billing/billingAccounts/[^/]+",
    r"providers/Microsoft\.Billing/billingAccounts/[^/]+/billingProfiles/[^/]+",
    r"providers/Microsoft\.Billing/billingAccounts/[^/]+/billingProfiles/[^/]+/invoiceSections/[^/]+",
    r"providers/Microsoft\.Billing/billingAccounts/[^/]+/departments/[^/]+",
    r"providers/Microsoft\.Billing/billingAccounts/[^/]+/enrollmentAccounts/[^/]+",
    r"providers/Microsoft\.Management/managementGroups/[^/]+",
]
_SCOPE = re.compile("^(?:" + "|".join(SCOPES) + ")$", re.IGNORECASE)
_BILLING_ACCOUNT = re.compile(r"providers/Microsoft\.Billing/billingAccounts/([^/]+)", re.IGNORECASE)


def clean_scope(value: str) -> str:
    """``/subscriptions/ID/`` -> ``subscriptions/ID``; ValueError naming the accepted forms."""
    scope = value.strip().strip("/")
    if not _SCOPE.match(scope):
        raise ValueError(
            f"{value!r} is not a Cost Management scope; use subscriptions/ID, subscriptions/ID/resourceGroups/RG, "
            "providers/Microsoft.Billing/billingAccounts/ID[/billingProfiles/ID] or "
            "providers/Microsoft.Management/managementGroups/ID"
        )
    return scope


EXPORT_FIELDS: dict[str, Field] = {
    "account_url": Field("str", help="https://ACCOUNT.blob.core.windows.net (Azure AD credential, or a SAS URL)"),
    "connection_string": Field("str", secret=True, help="storage connection string, instead of account_url"),
    "container": Field("str", required=True, help="container the export writes to"),
    "directory": Field("str", default="", help="the export's folder (its 'directory' in the portal)"),
}


def clean_exports(value: dict[str, Any]) -> dict[str, Any]:
    try:
        out = check(value, EXPORT_FIELDS, "exports")
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("exports.")) from None
    if bool(out["account_url"]) == bool(out["connection_string"]):
        raise ValueError("give exactly one of account_url and connection_string")
    return out


class AzureProvider(Provider):
    """Azure costs from the Cost Management Query API, or from cost exports in Blob Storage."""

    type_name: ClassVar[str] = "azure"
    description: ClassVar[str] = "Azure Cost Management: Query API (ActualCost + AmortizedCost) or exports in Blob"
    fields: ClassVar[dict[str, Field]] = {
        "scope": Field("str", validator=clean_scope,
                       help="subscriptions/ID, .../resourceGroups/RG, billing account/profile or management group"),
        "query": Field("bool", help="read the Query API (default: true unless exports is set)"),
        "exports": Field("map", validator=clean_exports,
                         help="cost exports in Blob Storage: account_url or connection_string, container, directory"),
        "credential": Field("str", choices=CREDENTIALS, data=False,
                            help="default (DefaultAzureCredential), client_secret or managed_identity"),
        "tenant_id": Field("str", help="Azure AD tenant of the service principal (or $AZURE_TENANT_ID)", data=False),
        "client_id": Field("str", data=False,
                           help="service principal or user-assigned managed identity (or $AZURE_CLIENT_ID)"),
        "client_secret": Field("str", secret=True, help="service principal secret (or $AZURE_CLIENT_SECRET)"),
        "tag_keys": Field("list", default=list, items="str",
                          help="tag key to group Query API costs by (one; exports carry every tag)"),
        "max_retry_time": Field("duration", default=300.0, help="longest total wait on throttling (429) per query",
                                data=False),
        "endpoint": Field("str", default=None, help="Resource Manager URL for other clouds (default public Azure)"),
        "benefit_scope": Field("str", help="billing account, billing profile or savings plan order whose benefit "
                                           "utilization `commitments --source api` reads (default: scope, when it "
                                           "is a billing scope)"),
        "recommendation_term": Field("str", default="1y", choices=("1y", "3y"),
                                     help="term of the savings plan recommendations (commitments --show "
                                          "recommendations)"),
    }

    def __init__(self, name: str, settings: Any, store: Any = None) -> None:
        super().__init__(name, settings, store)
        self.where = "Azure"  # callers put the instance name first: 'prod: Azure: ...', never twice
        self._credential: Any = None
        self._clients: list[Any] = []

    # --- settings ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``query`` or ``exports``, from the settings (see the module docstring)."""
        exports, query = self.settings.get("exports"), self.settings.get("query")
        if exports and query:
            raise ConfigError(f"providers.{self.name}: set either query: true or exports, not both "
                              "(configure two instances to read both)")
        if exports:
            return "exports"
        if query is False:
            raise ConfigError(f"providers.{self.name}: query is false and no exports block is set; nothing to read")
        if not self.settings.get("scope"):
            raise ConfigError(f"providers.{self.name}.scope: required for the Query API "
                              "(e.g. subscriptions/00000000-0000-0000-0000-000000000000)")
        return "query"

    @property
    def tag_key(self) -> str | None:
        keys = self.settings.get("tag_keys") or []
        if len(keys) > 1 and self.mode == "query":
            raise ConfigError(f"providers.{self.name}.tag_keys: the Query API groups by one tag key, got "
                              f"{len(keys)}; keep one, or read exports (they carry every tag)")
        return keys[0] if keys else None

    @property
    def endpoint(self) -> str:
        return (self.settings.get("endpoint") or ARM_ENDPOINT).rstrip("/")

    def credential(self) -> Any:
        if self._credential is None:
            from costctl.clouds.azure.auth import build_credential

            self._credential = build_credential(self.settings, f"providers.{self.name}")
        return self._credential

    # --- clients -------------------------------------------------------------------------------

    def query_runner(self, scope: str | None = None) -> Any:
        from azure.mgmt.costmanagement import CostManagementClient

        from costctl.clouds.azure.query import QueryRunner

        # retry_total=0: throttling and transient errors are retried (and counted) by QueryRunner.
        client = CostManagementClient(self.credential(), base_url=self.endpoint, retry_total=0,
                                      credential_scopes=[f"{self.endpoint}/.default"], **transport_timeouts())
        self._clients.append(client)
        return QueryRunner(client=client, scope=scope or self.settings["scope"], stats=self.stats, where=self.where,
                           max_retry_time=float(self.settings.get("max_retry_time") or 300.0),
                           enforce_https=not self.endpoint.startswith("http://"), log=self.log)

    def export_reader(self) -> Any:
        from costctl.clouds.azure.exports import ExportReader, container_client

        exports = self.settings["exports"]
        container = container_client(exports, self.credential, self.where)
        self._clients.append(container)
        return ExportReader(container=container, directory=exports.get("directory") or "", stats=self.stats,
                            where=self.where, log=self.log)

    # --- the Provider interface ----------------------------------------------------------------

    @property
    def fetch_sql(self) -> Callable[[date, date], str] | None:
        """The columnar fetch (a DuckDB source) in exports mode; None for the Query API.

        A property, not a method: the loader takes the columnar path when a provider has a
        ``fetch_sql``, and the Query API's answers are frames, so in that mode there is none.
        """
        return self._exports_sql if self.mode == "exports" else None

    def _exports_sql(self, start: date, end: date) -> str:
        return self.export_reader().fetch_sql(start, end)

    def fetch(self, start: date, end: date, granularity: str = "daily") -> pd.DataFrame:
        if granularity != "daily":
            raise ProviderError(f"{self.where}: only daily granularity is supported, not {granularity!r}")
        if self.mode == "exports":
            return self.export_reader().fetch(start, end)
        return self.fetch_query(start, end)

    def fetch_query(self, start: date, end: date) -> pd.DataFrame:
        """Both cost types for every window of ``[start, end)``, joined into one record frame."""
        import pandas as pd

        from costctl import model
        from costctl.clouds.azure import query as q

        tag_key = self.tag_key
        runner = self.query_runner()
        match = _BILLING_ACCOUNT.match(self.settings["scope"])
        today = datetime.now(UTC).date()
        frames = []
        for lo, hi in q.windows(start, end):
            answers = {}
            for cost_type in q.COST_TYPES:
                rows = runner.rows(q.query_body(cost_type, lo, hi, tag_key))
                answers[cost_type] = q.keyed_costs(rows, tag_key, f"{self.where} ({cost_type})")
            frames.append(q.to_frame(answers["ActualCost"], answers["AmortizedCost"], tag_key=tag_key,
                                     billing_account=match.group(1) if match else None,
                                     estimated_from=today - timedelta(days=self.restatement_days), start=lo, end=hi))
        frames = [f for f in frames if len(f)]
        if not frames:
            return model.empty_frame()
        return frames[0] if len(frames) == 1 else model.normalize(pd.concat(frames, ignore_index=True))

    def idle_scanner(self) -> IdleScanner:
        """Capability: ``costctl idle`` scans this instance's resources (``clouds.azure.idle``)."""
        from costctl.clouds.azure.idle import Scanner

        return Scanner()

    def commitment_source(self) -> CommitmentSource:
        """Capability: savings plan utilization and recommendations from Cost Management's benefit
        APIs (``clouds.azure.commitments_api``), through this instance's credential and endpoint."""
        from costctl.clouds.azure.commitments_api import AzureCommitments, benefit_scope

        try:
            utilization_scope, scope_error = benefit_scope(self.settings), None
        except ProviderError as exc:
            utilization_scope, scope_error = None, str(exc)
        recommendation_scope = (self.settings.get("scope") or utilization_scope or "").strip("/")
        return AzureCommitments(lambda: self.query_runner(recommendation_scope or "-"), self.endpoint,
                                utilization_scope, scope_error, recommendation_scope,
                                self.settings.get("recommendation_term") or "1y")

    def test_auth(self) -> AuthResult:
        """Get a token (says which credential worked), then read one day from the scope or the container."""
        from costctl.clouds.azure.auth import credential_name, token_identity

        mode = self.mode
        checks: list[tuple[str, bool, str]] = []
        identity = ""
        needs_token = mode == "query" or not self.settings["exports"].get("connection_string")
        if needs_token:
            scope = f"{self.endpoint}/.default" if mode == "query" else "https://storage.azure.com/.default"
            try:
                token = self.credential().get_token(scope)
            except Exception as exc:  # azure-identity raises several types; all mean "no token"
                from costctl.clouds.azure.query import credential_error

                checks.append(("credential", False, str(credential_error(self.where, exc))))
                return AuthResult(ok=False, checks=checks)
            identity = token_identity(token.token)
            checks.append(("credential", True, f"{credential_name(self.credential())} got a token"))
        else:
            checks.append(("credential", True, "storage connection string"))
        try:
            if mode == "query":
                from costctl.clouds.azure import query as q

                day = datetime.now(UTC).date() - timedelta(days=1)
                body = q.query_body("ActualCost", day, day + timedelta(days=1))
                body["dataset"].pop("grouping")
                self.query_runner().rows(body)
                checks.append((f"Cost Management Query at {self.settings['scope']}", True, "readable"))
            else:
                listing = self.export_reader().list()
                exports = self.settings["exports"]
                where = f"container {exports['container']}/{exports.get('directory') or ''}".rstrip("/")
                checks.append((where, True, f"readable, {len(listing)} blob(s)"))
        except (ProviderError, ConfigError) as exc:
            checks.append(("read access", False, str(exc)))
        return AuthResult(ok=all(ok for _, ok, _ in checks), identity=identity, checks=checks)

    def fingerprint_extra(self) -> dict[str, Any]:
        # The API's answers depend on the endpoint too (public vs. sovereign cloud, a test double).
        return {"endpoint": self.endpoint}

    def close(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                self.log.debug("closing %r failed", client, exc_info=True)
        self._clients.clear()
        if self._credential is not None and hasattr(self._credential, "close"):
            try:
                self._credential.close()
            except Exception:  # noqa: BLE001
                self.log.debug("closing the credential failed", exc_info=True)
            self._credential = None

