"""The idle-scan capability: what a provider object offers ``costctl idle`` (``Provider.idle_scanner``).

``idle.run`` finds a provider instance's class through the registry and asks it for a scanner; a
provider without one cannot be scanned (a one-line config error when it is named). The scanner
gets one ``ScanRequest`` per provider instance and returns its findings already priced
(``idle.savings.price``), so cross-cloud code never imports a cloud's package to scan it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from costctl.idle.findings import Finding
from costctl.idle.report import Reporter
from costctl.idle.thresholds import CHECKS, Thresholds


@dataclass(frozen=True)
class ScanRequest:
    """Everything one scan of one provider instance needs."""

    name: str  # the configured provider instance
    settings: dict[str, Any]  # its config section, as configured
    limits: Thresholds  # the ``idle:`` section
    checks: set[str]  # the selected checks this scanner runs (never empty)
    now: datetime  # the run's clock (tests scan as if weeks had passed)
    costs: dict[str, tuple[float, str]]  # ResourceId key -> (monthly cost, currency) from the records
    store: MutableMapping[str, Any] | None  # a disk-cache view for price lists and the like (None: nothing kept)
    reporter: Reporter  # warnings and progress
    regions: list[str] | None = None  # ``--region`` (clouds with regions to choose from)
    # Shared by the scans of one run: what one scan learnt that the next must not pay for again
    # (a price API that failed is not asked again in the same run).
    run_state: dict[str, Any] = field(default_factory=dict)
    # ``--account``: only these accounts (AWS account, Azure subscription, GCP project); a scanner
    # that can, skips the others before asking anything (``idle.run`` filters the findings anyway).
    accounts: list[str] | None = None
    # Also ask the cloud's own recommender and merge its findings (``idle.recommendations``).
    recommenders: bool = False


class IdleScanner(Protocol):
    """A provider's idle scan."""

    checks: frozenset[str]  # the check names (``idle.thresholds.CHECKS``) it can run

    def scan(self, request: ScanRequest) -> list[Finding]:
        """Findings of one instance, priced; a failure of the whole instance raises ``CostctlError``."""
        ...


def checks_of(cloud: str) -> frozenset[str]:
    """The checks the ``CHECKS`` table lists for a built-in cloud (the docs' table of checks)."""
    return frozenset(check for check, clouds in CHECKS.items() if cloud in clouds)
