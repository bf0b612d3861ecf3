"""The AWS idle scan (``scan``) and its checks: EC2, EBS, snapshots, EIPs, RDS, ELB, NAT; priced by ``pricing``.

``Scanner`` is the ``aws`` provider's idle capability; it imports the scan (and through it boto3)
only when it scans, so asking whether an instance can be scanned stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costctl.idle.scanner import checks_of

if TYPE_CHECKING:
    from costctl.idle.findings import Finding
    from costctl.idle.scanner import ScanRequest


class Scanner:
    """``AwsProvider.idle_scanner()``: every region of the instance's account (``scan.scan``)."""

    checks = checks_of("aws")

    def scan(self, request: ScanRequest) -> list[Finding]:
        from costctl.clouds.aws.idle import scan

        return scan.scan(request.name, request.settings, request.limits, request.checks, request.now,
                         request.costs, request.store, request.reporter, request.regions or None, request.run_state,
                         request.accounts or None, request.recommenders)
