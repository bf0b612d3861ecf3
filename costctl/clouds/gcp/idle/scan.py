"""The GCP idle scan: every selected check in every project of one ``gcp`` provider instance.

Projects run in a bounded thread pool (``idle.max_workers``); aggregated lists cover every zone and
region of a project in one paged listing, so there is no per-region loop. A check lacking a
permission is skipped with one warning naming the IAM permission; only credentials that cannot be
built at all fail the whole provider instance.

Idle instances the cost records do not know are priced from the bundled machine-family table
(``gcp_pricing.MACHINE_RATES``); a machine type it does not list stays unpriced with one warning.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from costctl.clouds.gcp.idle import compute as gcp_compute
from costctl.clouds.gcp.idle import pricing as gcp_pricing
from costctl.clouds.gcp.idle import recommenders as gcp_recommenders
from costctl.clouds.gcp.idle.api import Gce, credentials, projects_of
from costctl.errors import Denied, ProviderError
from costctl.idle import savings
from costctl.idle.findings import Finding
from costctl.idle.recommendations import merge
from costctl.idle.report import Reporter, check_guard
from costctl.idle.scope import Scope
from costctl.idle.thresholds import Thresholds


def scan(name: str, settings: dict[str, Any], limits: Thresholds, wanted: set[str], now: datetime,
         costs: dict[str, tuple[float, str]], reporter: Reporter, recommenders: bool = False) -> list[Finding]:
    """Findings of one ``gcp`` provider instance, priced from records or GCP list prices; with
    ``recommenders`` the GCP Recommender's idle and machine-type recommendations are merged in."""
    projects = projects_of(settings, limits.gcp_projects)
    creds = credentials(settings)
    gce = Gce(creds, limits.gcp_compute_endpoint, limits.gcp_monitoring_endpoint)
    try:
        reporter.start(name, len(projects))

        def one(project: str) -> list[Finding]:
            found = scan_project(gce, Scope(name, project, "", now, limits), wanted, reporter)
            reporter.advance(name, project)
            return found

        with ThreadPoolExecutor(max_workers=max(1, min(limits.max_workers, len(projects)))) as pool:
            findings = [f for batch in pool.map(one, projects) for f in batch]
        priced = warn_unpriced(savings.price(findings, costs, None), reporter, name)
        if not recommenders:
            return priced
        return merge(priced, advice(settings, limits, projects, priced, now, reporter, name))
    finally:
        gce.close()


def advice(settings: dict[str, Any], limits: Thresholds, projects: list[str], own: list[Finding], now: datetime,
           reporter: Reporter, name: str) -> list[Finding]:
    """The projects' Recommender findings; a denied recommender is one warning per permission and a
    broken answer one warning per project, never the end of the scan."""
    from costctl.clouds.gcp.commitments_api import session_factory

    # The idle setting, else the provider's own (``costctl commitments`` asks the same API there).
    endpoint = limits.gcp_recommender_endpoint or settings.get("recommender_endpoint") or gcp_recommenders.ENDPOINT
    out: list[Finding] = []
    denied: set[str] = set()
    try:
        session = session_factory(settings)()
    except ProviderError as exc:
        reporter.warn(f"{name}: {gcp_recommenders.SOURCE} recommendations failed: {exc}")
        return []
    try:
        for project in projects:
            scope = Scope(name, project, "", now, limits)
            locations = gcp_recommenders.locations_of([f for f in own if f.account == project],
                                                      limits.gcp_recommender_locations)
            found: list[Finding] = []  # kept only when the whole project answered sensibly
            try:
                for item in gcp_recommenders.findings(session, endpoint, scope, locations):
                    if isinstance(item, Denied):
                        if item.permission not in denied:
                            denied.add(item.permission)
                            reporter.warn(f"{name}: {gcp_recommenders.SOURCE} recommendations skipped in project "
                                          f"{project}: grant {item.permission}")
                    else:
                        found.append(item)
                out.extend(found)
            except ProviderError as exc:
                reporter.warn(f"{name}: {gcp_recommenders.SOURCE} recommendations failed in project {project}: "
                              f"{' '.join(str(exc).split())}")
    finally:
        session.close()
    return out


def warn_unpriced(findings: list[Finding], reporter: Reporter, name: str) -> list[Finding]:
    """One warning per machine type that left idle instances unpriced (neither records nor the table)."""
    unpriced: dict[str, list[str]] = {}  # machine type -> instance names
    for f in findings:
        if f.monthly_cost is None and f.price_hints.get("kind") == "gce_machine":
            unpriced.setdefault(f.price_hints["machine"], []).append(f.resource_id.rsplit("/", 1)[-1])
    for machine, names in unpriced.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        reporter.warn(f"{name}: {len(names)} idle instance(s) left unpriced ({shown}): no bundled list price for "
                      f"machine type {machine} (predefined {', '.join(gcp_pricing.MACHINE_RATES)} types only)")
    return findings


def scan_project(gce: Gce, scope: Scope, wanted: set[str], reporter: Reporter) -> list[Finding]:
    """Every wanted check in one project; a failing check becomes a warning."""
    found: list[Finding] = []
    project = scope.account

    guarded = check_guard(wanted, reporter, scope.provider, f"project {project}")

    # Disks serve disk_unattached and, optionally, vm_stopped (disk types for prices); without them
    # vm_stopped still reports from the instance's own disk sizes, unpriced.
    disks: dict[str, Any] = {}
    if "disk_unattached" in wanted:
        disks = guarded({"disk_unattached"}, lambda: gcp_compute.disk_map(gce, project)) or {}
        found.extend(gcp_compute.unattached(disks, scope))
    elif "vm_stopped" in wanted:
        try:
            disks = gcp_compute.disk_map(gce, project)
        except ProviderError:
            disks = {}
    instances = guarded({"vm_stopped", "vm_idle"}, lambda: gcp_compute.instances(gce, project)) or []
    if instances:
        guarded({"vm_stopped"}, lambda: found.extend(gcp_compute.stopped(instances, disks, scope)))
        guarded({"vm_idle"}, lambda: found.extend(gcp_compute.idle(gce, instances, scope)))
    guarded({"ip_unassociated"}, lambda: found.extend(gcp_compute.addresses(gce, project, scope)))
    return found
