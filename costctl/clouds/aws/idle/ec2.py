"""EC2 instance checks: idle (low average CPU), oversized (low maximum CPU) and long-stopped.

An instance flagged idle is not also reported oversized: stopping it saves more than downsizing.
Instances without CloudWatch datapoints are not judged (no figure, no finding).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from costctl.clouds.aws.idle import metrics as aws_metrics
from costctl.clouds.aws.idle.api import Api, Denied
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope

_STOPPED_AT = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


def instances(api: Api, state: str) -> Iterator[dict[str, Any]]:
    for reservation in api.pages("ec2", "DescribeInstances", "Reservations",
                                 Filters=[{"Name": "instance-state-name", "Values": [state]}]):
        yield from reservation.get("Instances", [])


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    """The ``Tags`` list of an EC2/EBS resource as a mapping (for ``idle.exclude_tags``)."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in resource.get("Tags") or [] if "Key" in t}


def volume_hint(vol: dict[str, Any]) -> dict[str, Any]:
    """What pricing needs of a DescribeVolumes entry: type, size and provisioned IOPS/throughput."""
    return {"type": vol.get("VolumeType", "gp2"), "gb": vol.get("Size", 0), "iops": vol.get("Iops") or 0,
            "throughput": vol.get("Throughput") or 0}


def name_of(resource: dict[str, Any]) -> str:
    return tags_of(resource).get("Name", "")


def cpu_checks(api: Api, scope: Scope, wanted: set[str]) -> Iterator[Finding]:
    """``vm_idle`` and ``vm_oversized`` over running instances (one listing for both)."""
    lim = scope.limits
    for inst in instances(api, "running"):
        iid, itype = inst["InstanceId"], inst.get("InstanceType", "")
        dims = {"InstanceId": iid}
        if "vm_idle" in wanted:
            avg = aws_metrics.average(api, "AWS/EC2", "CPUUtilization", dims, scope.now, lim.cpu_idle_days)
            if avg.value is not None and avg.value < lim.cpu_idle_percent:
                yield Finding(
                    scope.provider, scope.account, scope.region, iid, "ec2:instance", "vm_idle",
                    f"avg CPU {avg.value:.1f} % over {lim.cpu_idle_days} d ({itype})",
                    f"stop or terminate {name_of(inst) or iid}", action="stop",
                    price_hints={"kind": "ec2_instance", "instance_type": itype,
                                 "platform": inst.get("PlatformDetails", "Linux/UNIX")},
                    tags=tags_of(inst),
                )
                continue
        if "vm_oversized" in wanted:
            peak = aws_metrics.maximum(api, "AWS/EC2", "CPUUtilization", dims, scope.now, lim.oversized_days)
            if peak.value is None or peak.value >= lim.oversized_cpu_percent:
                continue
            smaller = next_size_down(api, itype)
            if smaller is None:
                continue
            yield Finding(
                scope.provider, scope.account, scope.region, iid, "ec2:instance", "vm_oversized",
                f"max CPU {peak.value:.1f} % over {lim.oversized_days} d ({itype})",
                f"downsize to {smaller[0]}", action="downsize",
                price_hints={"kind": "ec2_instance", "instance_type": itype, "target_type": smaller[0],
                             "ratio": smaller[1], "platform": inst.get("PlatformDetails", "Linux/UNIX")},
                tags=tags_of(inst),
            )


def stopped(api: Api, scope: Scope) -> Iterator[Finding]:
    """``vm_stopped``: stopped longer than the limit while EBS volumes still bill."""
    lim = scope.limits
    for inst in instances(api, "stopped"):
        age = scope.age_days(stopped_since(inst))
        volume_ids = [m["Ebs"]["VolumeId"] for m in inst.get("BlockDeviceMappings", []) if m.get("Ebs")]
        if age is None or age <= lim.stopped_days or not volume_ids:
            continue
        volumes = list(api.pages("ec2", "DescribeVolumes", "Volumes", VolumeIds=volume_ids))
        gb = sum(v.get("Size", 0) for v in volumes)
        yield Finding(
            scope.provider, scope.account, scope.region, inst["InstanceId"], "ec2:instance", "vm_stopped",
            f"stopped {age:.0f} d, {len(volumes)} EBS volume(s), {gb} GB",
            "snapshot the volumes if needed, then terminate", action="delete",
            price_hints={"kind": "ebs_volumes", "volumes": [volume_hint(v) for v in volumes]},
            cost_ids=volume_ids, tags=tags_of(inst),
        )


def stopped_since(inst: dict[str, Any]) -> datetime | None:
    """When a stopped instance stopped, from ``StateTransitionReason`` (EC2 keeps it nowhere else)."""
    match = _STOPPED_AT.search(inst.get("StateTransitionReason") or "")
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


_LADDER = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge",
           "8xlarge", "9xlarge", "10xlarge", "12xlarge", "16xlarge", "18xlarge", "24xlarge", "32xlarge", "48xlarge")


def next_size_down(api: Api, itype: str) -> tuple[str, float] | None:
    """(smaller type, its share of the current vCPUs): the next size down in the same family.

    Asks DescribeInstanceTypes for the family's real sizes; without that permission the common size
    ladder is used and the share is estimated from the size names (each step roughly halves).
    """
    family, _, size = itype.partition(".")
    try:
        found = {t["InstanceType"]: t.get("VCpuInfo", {}).get("DefaultVCpus", 0)
                 for t in api.pages("ec2", "DescribeInstanceTypes", "InstanceTypes",
                                    Filters=[{"Name": "instance-type", "Values": [f"{family}.*"]}])}
    except Denied:
        found = {}
    current = found.get(itype)
    if current:
        below = sorted((v, t) for t, v in found.items() if 0 < v < current and t.partition(".")[2] != "metal")
        return (below[-1][1], below[-1][0] / current) if below else None
    if size not in _LADDER or _LADDER.index(size) == 0:
        return None
    return f"{family}.{_LADDER[_LADDER.index(size) - 1]}", 0.5
