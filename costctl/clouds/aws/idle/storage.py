"""EBS checks: unattached volumes, gp2 volumes worth moving to gp3, snapshots of deleted volumes.

EC2 records no detach time, so "unattached for more than N days" is read as "unattached now and
created more than N days ago" (documented in docs/idle.md). A gp2 volume that is also unattached
is reported once, as unattached: deleting it saves more than converting it.
"""

from __future__ import annotations

from collections.abc import Iterator

from costctl.clouds.aws.idle.api import Api
from costctl.clouds.aws.idle.ec2 import tags_of
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope


def volumes(api: Api, scope: Scope, wanted: set[str]) -> Iterator[Finding]:
    """``disk_unattached`` and ``disk_gp2`` from one DescribeVolumes walk."""
    lim = scope.limits
    for vol in api.pages("ec2", "DescribeVolumes", "Volumes"):
        vid, vtype, gb = vol["VolumeId"], vol.get("VolumeType", ""), vol.get("Size", 0)
        age = scope.age_days(vol.get("CreateTime"))
        hints = {"kind": "ebs_volumes", "volumes": [(vtype, gb)]}
        if vol.get("State") == "available" and age is not None and age > lim.unattached_days:
            if "disk_unattached" in wanted:
                yield Finding(scope.provider, scope.account, scope.region, vid, "ebs:volume", "disk_unattached",
                              f"{gb} GB {vtype}, unattached, created {age:.0f} d ago",
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
        gb = snap.get("VolumeSize", 0)
        yield Finding(scope.provider, scope.account, scope.region, snap["SnapshotId"], "ebs:snapshot",
                      "snapshot_orphaned", f"{gb} GB, {age:.0f} d old, source volume {snap.get('VolumeId')} deleted",
                      "delete (or archive)", action="delete",
                      price_hints={"kind": "ebs_snapshot", "gb": gb})
