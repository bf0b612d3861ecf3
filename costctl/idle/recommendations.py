"""The clouds' own recommenders beside costctl's checks: one finding per resource, marked by source.

Sits after pricing in a cloud's scan: the cloud package turns its recommender's answer into
``Finding`` objects (``check="recommender"``, ``sources=[<recommender>]``, the cloud's saving
already in ``estimated_monthly_savings``) and ``merge`` folds them into costctl's priced findings.
A resource both flag keeps costctl's row (its check name, its saving figure, which comes from the
cost records) with the cloud's name added to ``sources`` and the cloud's estimate in
``cloud_savings``; a resource only the cloud flags becomes its own finding. Names no cloud.
"""

from __future__ import annotations

from costctl.idle.findings import Finding, severity_for

RECOMMENDER_CHECK = "recommender"


def cloud_finding(finding: Finding) -> Finding:
    """A recommender's finding ready to merge: its saving is the cloud's, so severity follows it."""
    finding.cloud_savings = finding.estimated_monthly_savings
    finding.severity = severity_for(finding.estimated_monthly_savings)
    return finding


def merge(own: list[Finding], cloud: list[Finding]) -> list[Finding]:
    """costctl's findings with the recommenders' folded in (see the module docstring).

    Resources are matched by provider instance and resource id without case (Azure ids differ in
    case between APIs). Two recommenders flagging the same resource costctl did not flag give one
    finding, with the larger cloud estimate.
    """
    mine: dict[tuple[str, str], list[Finding]] = {}
    for finding in own:
        mine.setdefault((finding.provider, finding.resource_id.lower()), []).append(finding)
    alone: dict[tuple[str, str], Finding] = {}
    for rec in cloud:
        key = (rec.provider, rec.resource_id.lower())
        matches = mine.get(key) or ([alone[key]] if key in alone else [])
        if not matches:
            alone[key] = rec
            continue
        for finding in matches:
            finding.sources = [*finding.sources, *(s for s in rec.sources if s not in finding.sources)]
            if rec.cloud_savings is not None:
                finding.cloud_savings = max(finding.cloud_savings or 0.0, rec.cloud_savings)
            if finding.sources[0] != "costctl" and (finding.estimated_monthly_savings or 0.0) < (
                    rec.estimated_monthly_savings or 0.0):
                finding.estimated_monthly_savings = rec.estimated_monthly_savings
                finding.severity = rec.severity
    return [*own, *alone.values()]
