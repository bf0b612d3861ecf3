"""``costctl --demo idle``: findings from the demo company's documented resource inventory.

The demo has no cloud APIs to ask, so the "inventory answer" is ``costctl.demo.FEATURES``: its
``kind: idle`` entries are the resources the demo documents as unattached (an EBS volume and an
Azure managed disk). Everything else works as in a real scan: account and region come from the
demo cost records of that ResourceId, and so does the monthly cost (``cost_source: records``).
"""

from __future__ import annotations

from costctl.idle.findings import Finding

_TYPES = {"aws": "ebs:volume", "azure": "azure:disk", "gcp": "gce:disk"}


def inventory_findings(wanted: set[str]) -> list[Finding]:
    """One ``disk_unattached`` finding per idle resource of the demo inventory."""
    from costctl.demo import FEATURES

    if "disk_unattached" not in wanted:
        return []
    found = []
    for feature in FEATURES.values():
        if feature.get("kind") != "idle":
            continue
        rid = str(feature["ResourceId"])
        region = rid.split(":")[3] if rid.startswith("arn:") else ""
        found.append(Finding(
            feature["cloud"], str(feature.get("SubAccountId") or ""), region, rid, _TYPES[feature["cloud"]],
            "disk_unattached", str(feature["description"]), "snapshot if needed, then delete", action="delete",
        ))
    return found


def fill_regions(findings: list[Finding], regions: dict[str, str]) -> None:
    """Region of each finding from the records (ResourceId -> RegionId), where the id does not carry it."""
    for f in findings:
        if not f.region:
            f.region = regions.get(f.resource_id.lower(), "")
