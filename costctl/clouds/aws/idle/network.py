"""Network checks: unassociated Elastic IPs, load balancers without traffic, NAT gateways without traffic.

No datapoints for a load balancer or NAT gateway older than the window means no traffic at all
(both publish only when something flows), so it counts as idle.
"""

from __future__ import annotations

from collections.abc import Iterator

from costctl.clouds.aws.idle import metrics as aws_metrics
from costctl.clouds.aws.idle.api import Api
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope


def addresses(api: Api, scope: Scope) -> Iterator[Finding]:
    """``ip_unassociated``: Elastic IPs attached to nothing (billed hourly since 2024 anyway)."""
    for addr in api.call("ec2", "DescribeAddresses").get("Addresses", []):
        if addr.get("AssociationId") or addr.get("InstanceId") or addr.get("NetworkInterfaceId"):
            continue
        rid = addr.get("AllocationId") or addr.get("PublicIp", "")
        yield Finding(scope.provider, scope.account, scope.region, rid, "ec2:elastic-ip", "ip_unassociated",
                      f"{addr.get('PublicIp')} not associated", "release", action="delete",
                      price_hints={"kind": "hourly", "what": "elastic_ip"})


def load_balancers(api: Api, scope: Scope) -> Iterator[Finding]:
    """``lb_idle``: ALBs without requests / NLBs without new flows over the window."""
    days = scope.limits.lb_days
    for lb in api.pages("elbv2", "DescribeLoadBalancers", "LoadBalancers"):
        kind, arn = lb.get("Type", "application"), lb["LoadBalancerArn"]
        if kind not in ("application", "network"):
            continue
        age = scope.age_days(lb.get("CreatedTime"))
        if age is not None and age <= days:
            continue
        namespace, metric = ("AWS/ApplicationELB", "RequestCount") if kind == "application" else (
            "AWS/NetworkELB", "NewFlowCount")
        dims = {"LoadBalancer": arn.split(":loadbalancer/", 1)[-1]}
        figure = aws_metrics.total(api, namespace, metric, dims, scope.now, days)
        if figure.value:
            continue
        yield Finding(scope.provider, scope.account, scope.region, arn, f"elbv2:{kind}", "lb_idle",
                      f"0 {'requests' if kind == 'application' else 'new flows'} over {days} d", "delete",
                      action="delete", price_hints={"kind": "hourly", "what": f"{kind}_lb"})


def nat_gateways(api: Api, scope: Scope) -> Iterator[Finding]:
    """``nat_idle``: available NAT gateways that sent no bytes to any destination over the window."""
    days = scope.limits.nat_days
    for nat in api.pages("ec2", "DescribeNatGateways", "NatGateways",
                         Filter=[{"Name": "state", "Values": ["available"]}]):
        age = scope.age_days(nat.get("CreateTime"))
        if age is not None and age <= days:
            continue
        nid = nat["NatGatewayId"]
        figure = aws_metrics.total(api, "AWS/NATGateway", "BytesOutToDestination", {"NatGatewayId": nid},
                                   scope.now, days)
        if figure.value:
            continue
        yield Finding(scope.provider, scope.account, scope.region, nid, "ec2:nat-gateway", "nat_idle",
                      f"0 bytes out over {days} d", "delete (and release its Elastic IP)", action="delete",
                      price_hints={"kind": "hourly", "what": "nat_gateway"})
