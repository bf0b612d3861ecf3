"""The ``idle:`` config section: which checks run, where, and the threshold of each.

Check names are shared across clouds (``vm_idle`` is an EC2 instance, an Azure VM or a GCE
instance), so ``--checks vm_idle`` and the totals per check mean the same thing everywhere.
Defaults follow the issue and the anchors in CONVENTIONS.md (5 % over 7 days for idle, 40 % over
14 days for oversized, 90 days for snapshots).
"""

from __future__ import annotations

from typing import Any

from costctl.schema import Field
from costctl.values import Value

# Check name -> clouds that implement it.
CHECKS: dict[str, tuple[str, ...]] = {
    "vm_idle": ("aws", "azure", "gcp"),
    "vm_oversized": ("aws",),
    "vm_stopped": ("aws", "azure", "gcp"),
    "disk_unattached": ("aws", "azure", "gcp"),
    "disk_gp2": ("aws",),
    "snapshot_orphaned": ("aws",),
    "ip_unassociated": ("aws", "azure", "gcp"),
    "db_idle": ("aws",),
    "lb_idle": ("aws",),
    "nat_idle": ("aws",),
}


def _checks(value: list[str]) -> list[str]:
    unknown = [c for c in value if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check {unknown[0]!r} (known: {', '.join(CHECKS)})")
    return value


def _positive(value: Any) -> Any:
    if value <= 0:
        raise ValueError(f"expected a number above 0, got {value!r}")
    return value


def _tag_map(value: dict[Any, Any]) -> dict[str, str]:
    """``{keep: "true"}``: tag key -> value (``*`` or empty: any value); values are compared without case."""
    out = {}
    for key, wanted in value.items():
        if isinstance(wanted, dict | list):
            raise ValueError(f"tag {key!r}: expected a single value (or \"*\" for any), got a {type(wanted).__name__}")
        out[str(key)] = "*" if wanted is None else str(wanted).lower() if isinstance(wanted, bool) else str(wanted)
    return out


IDLE_FIELDS: dict[str, Field] = {
    "checks": Field("list", default=lambda: list(CHECKS), items="str", validator=_checks,
                    help="checks to run when --checks is not given"),
    "regions": Field("list", default=list, items="str",
                     help="AWS regions to scan (default: every region enabled for the account)"),
    "azure_subscriptions": Field("list", default=list, items="str",
                                 help="subscription ids to scan (default: the one in the provider's scope)"),
    "gcp_projects": Field("list", default=list, items="str",
                          help="project ids to scan (default: the project of the provider's billing table)"),
    "max_workers": Field("int", default=8, validator=_positive, help="regions/projects scanned in parallel"),
    "cpu_idle_percent": Field("float", default=5.0, validator=_positive, help="vm_idle: average CPU below this"),
    "cpu_idle_days": Field("int", default=7, validator=_positive, help="vm_idle: over this many days"),
    "oversized_cpu_percent": Field("float", default=40.0, validator=_positive,
                                   help="vm_oversized: maximum CPU below this"),
    "oversized_days": Field("int", default=14, validator=_positive, help="vm_oversized: over this many days"),
    "stopped_days": Field("int", default=7, validator=_positive, help="vm_stopped: stopped longer than this"),
    "unattached_days": Field("int", default=7, validator=_positive,
                             help="disk_unattached: unattached disks older than this"),
    "snapshot_age_days": Field("int", default=90, validator=_positive, help="snapshot_orphaned: older than this"),
    "db_cpu_percent": Field("float", default=2.0, validator=_positive, help="db_idle: average CPU below this"),
    "db_days": Field("int", default=7, validator=_positive, help="db_idle: over this many days"),
    "lb_days": Field("int", default=7, validator=_positive, help="lb_idle: no requests over this many days"),
    "nat_days": Field("int", default=7, validator=_positive, help="nat_idle: no bytes out over this many days"),
    "pricing_endpoint_url": Field("str", default=None,
                                  help="AWS Pricing API endpoint (default: the provider's endpoint_url, else AWS)"),
    "azure_prices_endpoint": Field("str", default=None,
                                   help="Azure Retail Prices URL (default: Microsoft's; http://HOST:PORT in tests)"),
    "gcp_compute_endpoint": Field("str", default=None,
                                  help="Compute Engine API endpoint (default: Google's; http://HOST:PORT for tests)"),
    "gcp_monitoring_endpoint": Field("str", default=None,
                                     help="Cloud Monitoring gRPC endpoint (default: Google's; http:// is plaintext)"),
    "recommenders": Field("bool", default=True,
                          help="also ask the clouds' recommenders (Compute Optimizer, Advisor, Recommender); "
                               "--recommenders/--no-recommenders overrides"),
    "compute_optimizer_endpoint_url": Field("str", default=None,
                                            help="AWS Compute Optimizer endpoint (default: the provider's "
                                                 "endpoint_url, else AWS)"),
    "gcp_recommender_endpoint": Field("str", default=None,
                                      help="GCP Recommender API endpoint (default: the provider's "
                                           "recommender_endpoint, else Google's; http://HOST:PORT for tests)"),
    "gcp_recommender_locations": Field("list", default=list, items="str",
                                       help="zones/regions whose GCP recommendations are asked besides those of "
                                            "costctl's own findings"),
    "pricing_ttl": Field("duration", default=7 * 86400.0,
                         help="how long AWS Pricing / Azure Retail Prices answers stay cached (e.g. 7d)"),
    "min_savings": Field("float", default=0.0, help="hide findings saving less than this a month"),
    "exclude_tags": Field("map", default=dict, validator=_tag_map,
                          help="never report resources carrying one of these tags, e.g. {keep: \"true\"} "
                               "(\"*\": any value)"),
}


class Thresholds(Value):
    """The validated ``idle`` section as attributes (defaults filled by the config validator)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values


    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def defaults(cls, **overrides: Any) -> Thresholds:
        """All defaults, with ``overrides`` (for tests and for callers without a config)."""
        from costctl.schema import check

        return cls(check(overrides, IDLE_FIELDS, "idle"))
