"""EBS checks: unattached volumes, gp2 volumes worth moving to gp3, snapshots of deleted volumes.

EC2 records no detach time, so "unattached for more than N days" is read as "unattached now and
created more than N days ago" (documented in docs/idle.md). A gp2 volume that is also unattached
is reported once, as unattached: deleting it saves more than converting it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from costctl.clouds.aws.idle.api import Api
from costctl.clouds.aws.idle.ec2 import tags_of, volume_hint
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope

GIB = 1024 ** 3
# Provisioned performance a volume type includes (IOPS, MB/s): gp3's free baseline; io1/io2 bill
# every provisioned IOPS. Types not listed bill no provisioned performance.
_INCLUDED = {"gp3": (3000, 125), "io1": (0, None), "io2": (0, None)}


def describe(volume: dict[str, Any]) -> str:
    """``100 GB io1, 5000 IOPS``: size and type, plus the provisioned performance that bills."""
    text = f"{volume['gb']} GB {volume['type']}"
    iops, throughput = _INCLUDED.get(volume["type"], (None, None))
    if iops is not None and volume["iops"] > iops:
        text += f", {volume['iops']} IOPS"
    if throughput is not None and volume["throughput"] > throughput:
        text += f", {volume['throughput']} MB/s"
    return text


def volumes(api: Api, scope: Scope, wanted: set[str]) -> Iterator[Finding]:
    """``disk_unattached`` and ``disk_gp2`` from one DescribeVolumes walk."""
    lim = scope.limits
    for vol in api.pages("ec2", "DescribeVolumes", "Volumes"):
        vid, vtype, gb = vol["VolumeId"], vol.get("VolumeType", ""), vol.get("Size", 0)
        age = scope.age_days(vol.get("CreateTime"))
        hints = {"kind": "ebs_volumes", "volumes": [volume_hint(vol)]}
        if vol.get("State") == "available" and age is not None and age > lim.unattached_days:
            if "disk_unattached" in wanted:
                yield Finding(scope.provider, scope.account, scope.region, vid, "ebs:volume", "disk_unattached",
                              f"{describe(hints['volumes'][0])}, unattached, created {age:.0f} d ago",
                              "snapshot if needed, then delete", action="delete", price_hints=hints,
                              tags=tags_of(vol))
            continue
        if vtype == "gp2" and "disk_gp2" in wanted:
            yield Finding(scope.provider, scope.account, scope.region, vid, "ebs:volume", "disk_gp2",
                          f"{gb} GB gp2", "modify to gp3 (same baseline, 20 % cheaper per GB)", action="modify",
                          price_hints={**hints, "target": "gp3"}, tags=tags_of(vol))


def snapshots(api: Api, scope: Scope) -> Iterator[Finding]:
    """``snapshot_orphaned``: own snapshots older than the limit whose volume is gone and no AMI uses."""
    lim = scope.limits
    existing = {v["VolumeId"] for v in api.pages("ec2", "DescribeVolumes", "Volumes")}
    in_images = {m["Ebs"]["SnapshotId"] for image in api.call("ec2", "DescribeImages", Owners=["self"]).get(
        "Images", []) for m in image.get("BlockDeviceMappings", []) if m.get("Ebs", {}).get("SnapshotId")}
    for snap in api.pages("ec2", "DescribeSnapshots", "Snapshots", OwnerIds=["self"]):
        if scope.account and snap.get("OwnerId") not in (None, scope.account):
            continue  # public/shared snapshots some endpoints list under "self"
        age = scope.age_days(snap.get("StartTime"))
        if age is None or age <= lim.snapshot_age_days or snap.get("VolumeId") in existing:
            continue
        if snap["SnapshotId"] in in_images:
            continue
        gb, size = snapshot_size(snap)
        yield Finding(scope.provider, scope.account, scope.region, snap["SnapshotId"], "ebs:snapshot",
                      "snapshot_orphaned", f"{size}, {age:.0f} d old, source volume {snap.get('VolumeId')} deleted",
                      "delete (or archive)", action="delete",
                      price_hints={"kind": "ebs_snapshot", "gb": gb})


def snapshot_size(snap: dict[str, Any]) -> tuple[float, str]:
    """(GiB billed, how the detail says it): the snapshot's own full size when DescribeSnapshots
    gives ``FullSnapshotSizeInBytes``, else its volume's size, which overstates an incremental
    snapshot and is said to be an upper bound."""
    full = snap.get("FullSnapshotSizeInBytes")
    if full:
        gib = round(int(full) / GIB, 2)
        return gib, f"{gib:g} GB snapshot data"
    gb = snap.get("VolumeSize", 0)
    return gb, f"{gb} GB volume size (upper bound: no snapshot size from the API)"
