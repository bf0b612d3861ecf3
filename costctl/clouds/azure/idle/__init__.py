"""The Azure idle scan (``scan``): VMs, managed disks, public IPs through ARM and Monitor, priced by ``pricing``.

``Scanner`` is the ``azure`` provider's idle capability; it imports the scan (and the azure SDKs)
only when it scans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costctl.idle.scanner import checks_of

if TYPE_CHECKING:
    from costctl.idle.findings import Finding
    from costctl.idle.scanner import ScanRequest


class Scanner:
    """``AzureProvider.idle_scanner()``: every subscription the instance may scan (``scan.scan``)."""

    checks = checks_of("azure")

    def scan(self, request: ScanRequest) -> list[Finding]:
        from costctl.clouds.azure.idle import scan

        return scan.scan(request.name, request.settings, request.limits, request.checks, request.now,
                         request.costs, request.reporter, store=request.store,
                         recommenders=request.recommenders)
