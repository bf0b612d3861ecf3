"""The GCP idle scan (``scan``): GCE instances, disks, addresses and Cloud Monitoring CPU, priced by ``pricing``.

``Scanner`` is the ``gcp`` provider's idle capability; it imports the scan (and the google SDKs)
only when it scans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costctl.idle.scanner import checks_of

if TYPE_CHECKING:
    from costctl.idle.findings import Finding
    from costctl.idle.scanner import ScanRequest


class Scanner:
    """``GcpProvider.idle_scanner()``: every project the instance may scan (``scan.scan``)."""

    checks = checks_of("gcp")

    def scan(self, request: ScanRequest) -> list[Finding]:
        from costctl.clouds.gcp.idle import scan

        return scan.scan(request.name, request.settings, request.limits, request.checks, request.now,
                         request.costs, request.reporter, request.recommenders)
