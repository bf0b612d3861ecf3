"""The provider plugin interface.

A provider is the only code that talks to a cloud (or reads exports). It returns normalized
frames (``costctl.model``) and knows nothing about the cache or about output. Third parties ship
providers as packages that register a ``Provider`` subclass under the ``costctl.providers``
entry-point group; the built-in ones are registered the same way (see pyproject.toml).

Beyond ``fetch`` (required), a provider object offers optional capabilities, each a method that
returns an object or None: ``idle_scanner()`` (``costctl idle``) and ``commitment_source()`` (the cloud-API figures of
``costctl commitments``). The
commands ask for a capability through ``registry.capability``, never by cloud name, and a provider
without it gets one line saying so (``missing_capability``). See docs/providers.md.

Date ranges are ``[start, end)``: ``start`` inclusive, ``end`` exclusive, both UTC dates. The CLI
converts its inclusive ``--end`` before calling anything here.
"""

from __future__ import annotations

import json
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from costctl.schema import Field, at_least
from costctl.values import Value

if TYPE_CHECKING:
    import logging

    import pandas as pd

    from costctl.analysis.commitment_api import CommitmentSource
    from costctl.idle.scanner import IdleScanner

# Keys every provider instance accepts, whatever its type.
COMMON_FIELDS: dict[str, Field] = {
    "type": Field("str", required=True, help="provider type: aws, azure, gcp, files or a plugin's"),
    "restatement_days": Field(
        "int", default=3, help="days before today that the cloud may still restate; they expire after ttl",
        validator=at_least(0), data=False,
    ),
    "ttl": Field("duration", default=3600.0, help="how long cached recent days stay fresh (e.g. 1h)", data=False),
    "enabled": Field("bool", default=True, help="false keeps the instance configured but unused", data=False),
}

# Optional capabilities: method name -> what a provider that has it does (for the one-line refusal).
CAPABILITIES: dict[str, str] = {
    "idle_scanner": "scan for idle resources",
    "commitment_source": "read commitments from its cloud's APIs (only billing-data figures)",
}


class AuthResult(Value):
    """What ``test-auth`` reports for one provider instance."""

    __slots__ = ("ok", "identity", "checks")

    def __init__(self, ok: bool, identity: str = "", checks: Sequence[tuple[str, bool, str]] = ()) -> None:
        self.ok = ok
        self.identity = identity  # who we are authenticated as (ARN, principal, service account)
        self.checks = checks  # (what, ok, detail)


class FetchStats(Value):
    """Counters a provider keeps for one run (shown with -v, exported to Prometheus)."""

    __slots__ = ("requests", "bytes_scanned", "retries")

    def __init__(self, requests: int = 0, bytes_scanned: int = 0, retries: int = 0) -> None:
        self.requests = requests  # upstream API requests made (billable ones for Cost Explorer)
        self.bytes_scanned = bytes_scanned  # BigQuery bytes processed
        self.retries = retries


class Provider(ABC):
    """Base class of every provider plugin.

    Subclasses set ``type_name`` and ``fields`` (their own config keys, on top of
    ``COMMON_FIELDS``) and implement ``fetch`` and ``test_auth``. Heavy SDKs must be imported
    inside methods, never at module level, so that loading the plugin stays cheap.
    """

    type_name: ClassVar[str] = ""
    fields: ClassVar[dict[str, Field]] = {}
    description: ClassVar[str] = ""

    def __init__(self, name: str, settings: Mapping[str, Any], store: MutableMapping[str, Any] | None = None) -> None:
        self.name = name
        self.settings = dict(settings)
        self.stats = FetchStats()
        # Small auxiliary values a provider wants to keep between runs (account names, price
        # lists). The runtime passes a view of the disk cache; None means nothing persists.
        self.store = store

    def remember(self, key: str, ttl: float, compute: Callable[[], Any]) -> Any:
        """Return ``compute()``, kept in the provider's store for ``ttl`` seconds.

        Used for lookups that cost API requests but change rarely, like AWS account names.
        """
        full = f"{self.name}:{self.fingerprint()}:{key}"
        now = time.time()
        if self.store is not None:
            hit = self.store.get(full)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = compute()
        if self.store is not None:
            self.store[full] = (now + ttl, value)
        return value

    @property
    def log(self) -> logging.Logger:
        """This instance's logger (imported on use: a warm ``check`` never logs)."""
        import logging

        return logging.getLogger(f"costctl.providers.{self.name}")

    @property
    def restatement_days(self) -> int:
        return int(self.settings.get("restatement_days", 3))

    @property
    def ttl(self) -> float:
        """Seconds a cached recent day stays fresh: the instance's ``ttl``, else its type's default."""
        value = self.settings.get("ttl")
        if value is None:
            value = {**COMMON_FIELDS, **type(self).fields}["ttl"].default
        return float(value)

    def fingerprint_inputs(self) -> dict[str, Any]:
        """The settings that change what data ``fetch`` returns, without any credential.

        Left out: secrets (``Field(secret=True)`` and secret-named keys) and fields declared
        ``data=False`` (credentials, retries, timeouts, freshness). URLs and connection strings
        keep only what names the source (``costctl.redact.identity``): a rotated SAS token or
        password is the same source.
        """
        from costctl import redact

        fields = {**COMMON_FIELDS, **type(self).fields}
        relevant = {}
        for key, value in self.settings.items():
            spec = fields.get(key)
            if spec is not None and (spec.secret or not spec.data):
                continue
            if redact.is_secret_key(key) and not redact.names_a_source(value):
                continue
            relevant[key] = redact.identity(value)
        relevant.update(redact.identity(self.fingerprint_extra()))
        return relevant

    def fingerprint(self) -> str:
        """Hash of ``fingerprint_inputs``: the settings that change what data ``fetch`` returns.

        Cached days are keyed by it, so editing a provider's settings (another account, other
        tag keys) never serves records fetched under the old ones, while rotating a secret or
        changing a retry budget, ``ttl`` or ``restatement_days`` keeps every cached day.
        """
        blob = json.dumps(self.fingerprint_inputs(), sort_keys=True, default=str).encode()
        # Two 32-bit checksums, not a cryptographic hash: this only tells settings apart, and
        # zlib is already loaded where hashlib's OpenSSL binding costs ~2 ms of every check.
        return f"{zlib.crc32(blob):08x}{zlib.adler32(blob):08x}"

    def fingerprint_extra(self) -> dict[str, Any]:
        """More inputs to the fingerprint (e.g. the date a demo dataset is shifted to)."""
        return {}

    @abstractmethod
    def fetch(self, start: date, end: date, granularity: str = "daily") -> pd.DataFrame:
        """Normalized records for ``[start, end)``; a day with no cost may have no rows.

        The cache always asks for ``daily``; ``hourly`` is for providers that support it.
        """

    @abstractmethod
    def test_auth(self) -> AuthResult:
        """Check credentials and read access without fetching cost data in bulk."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release clients and connections."""

    # --- optional capabilities: None means "this provider cannot" --------------------------------

    def idle_scanner(self) -> IdleScanner | None:
        """The idle scan of this instance (``costctl.idle.scanner.IdleScanner``), or None.

        Return None when the instance cannot be scanned (the default: a provider type without
        resource APIs). Importing the scanner's heavy parts belongs in its ``scan``, so asking
        which instances can be scanned stays cheap.
        """
        return None

    def commitment_source(self) -> CommitmentSource | None:
        """The cloud's own commitment figures (``analysis.commitment_api.CommitmentSource``), or None.

        Utilization, coverage and purchase recommendations as the cloud's APIs state them, beside
        what ``costctl commitments`` computes from billing data. Must stay cheap (no SDK import, no
        network): commands call it on every instance to learn which can answer.
        """
        return None

    def missing_capability(self, capability: str) -> str:
        """The one line shown when a command needs ``capability`` and this provider lacks it.

        Override to say why, where the reason is more useful than the generic sentence.
        """
        kind = self.settings.get("type") or self.type_name or self.name
        return f"{kind}: this provider type does not {CAPABILITIES.get(capability, capability)}"
