"""Azure Network check: public IP addresses associated with nothing.

A static public IP bills by the hour whether or not anything uses it. A dynamic one holds no
address (and bills nothing) while unassociated, so only static addresses are reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from costctl.clouds.azure.idle import pricing as azure_pricing
from costctl.clouds.azure.idle.api import Arm, text
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope


def public_ips(arm: Arm, scope: Scope) -> Iterator[Finding]:
    """``ip_unassociated``: static public IPs without an IP configuration or a NAT gateway."""
    for ip in arm.pages("public_ips", arm.network.public_ip_addresses.list_all):
        if ip.ip_configuration is not None or ip.nat_gateway is not None:
            continue
        if text(ip.public_ip_allocation_method).lower() != "static":
            continue
        sku = text(ip.sku.name if ip.sku else None) or "Standard"
        yield Finding(
            scope.provider, scope.account, ip.location or scope.region, ip.id, "azure:public-ip", "ip_unassociated",
            f"{ip.ip_address or ip.name} ({sku}, static) not associated", "delete", action="delete",
            price_hints={"kind": "monthly", "amount": azure_pricing.public_ip_month(sku)},
        )
