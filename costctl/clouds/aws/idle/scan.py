"""The AWS idle scan: every selected check in every region of one ``aws`` provider instance.

Regions run in a bounded thread pool; inside a region the checks run one after another. A check
that lacks a permission is skipped with one warning naming the IAM action; any other failure of
one check in one region is a warning too, so one broken region never hides the others. Only a
failure to learn who we are (credentials) fails the whole provider instance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from costctl.clouds.aws import retry as aws_retry
from costctl.clouds.aws.idle import ec2 as aws_ec2
from costctl.clouds.aws.idle import network as aws_network
from costctl.clouds.aws.idle import organization
from costctl.clouds.aws.idle import rds as aws_rds
from costctl.clouds.aws.idle import recommenders as aws_recommenders
from costctl.clouds.aws.idle import storage as aws_storage
from costctl.clouds.aws.idle.api import Api, Denied, RegionSession
from costctl.clouds.aws.idle.pricing import PRICING_REGION, Pricer, PricingSession
from costctl.clouds.aws.session import AwsSession
from costctl.errors import ProviderError
from costctl.idle import savings
from costctl.idle.findings import Finding
from costctl.idle.recommendations import merge
from costctl.idle.report import Reporter
from costctl.idle.scope import Scope
from costctl.idle.thresholds import Thresholds

CheckFn = Callable[[Api, Scope, set[str]], Iterable[Finding]]

# (checks served, function): checks sharing one listing share one function.
RUNNERS: list[tuple[tuple[str, ...], CheckFn]] = [
    (("vm_idle", "vm_oversized"), aws_ec2.cpu_checks),
    (("vm_stopped",), lambda api, scope, _w: aws_ec2.stopped(api, scope)),
    (("disk_unattached", "disk_gp2"), aws_storage.volumes),
    (("snapshot_orphaned",), lambda api, scope, _w: aws_storage.snapshots(api, scope)),
    (("ip_unassociated",), lambda api, scope, _w: aws_network.addresses(api, scope)),
    (("db_idle",), lambda api, scope, _w: aws_rds.databases(api, scope)),
    (("lb_idle",), lambda api, scope, _w: aws_network.load_balancers(api, scope)),
    (("nat_idle",), lambda api, scope, _w: aws_network.nat_gateways(api, scope)),
]


class Requests:
    """Counts API requests of the scan (shown with -v)."""

    def __init__(self) -> None:
        self.count = 0

    def counter(self) -> aws_retry.Counter:
        def on_request(_service: str) -> None:
            self.count += 1
        return aws_retry.Counter(on_request, lambda: None)


def scan(name: str, settings: dict[str, Any], limits: Thresholds, wanted: set[str], now: datetime,
         costs: dict[str, tuple[float, str]], store: MutableMapping[str, Any] | None, reporter: Reporter,
         regions: list[str] | None = None, run_state: dict[str, Any] | None = None,
         accounts: list[str] | None = None, recommenders: bool = False) -> list[Finding]:
    """Findings of one ``aws`` provider instance, priced (see ``savings``); ``run_state`` is shared
    by the scans of one run (a Pricing API that failed is not asked again). With ``organization:
    true`` every active account of the organisation (``accounts``: only these) is scanned. With
    ``recommenders`` each region's Compute Optimizer recommendations are merged in."""
    requests = Requests()
    base = AwsSession(settings, requests.counter())
    reached: list[organization.Target] = []
    try:
        base.session()
        # Also builds the STS client member accounts are assumed through (organization), before any pool.
        account = base.call("sts", "GetCallerIdentity")["Account"]

        def regions_of(session: AwsSession) -> list[str]:
            return regions or limits.regions or enabled_regions(Api(session))

        if settings.get("organization"):
            reached = organization.targets(base, account, settings, accounts, regions_of, limits.max_workers,
                                           lambda message: reporter.warn(f"{name}: {message}"))
        elif not accounts or account in accounts:
            reached = [organization.Target(account, account, base, regions_of(base))]
        units = [(target, region) for target in reached for region in target.regions]
        reporter.start(name, len(units))

        advise = Advice(name, reporter, limits.compute_optimizer_endpoint_url) if recommenders else None

        def one(unit: tuple[organization.Target, str]) -> tuple[list[Finding], list[Finding]]:
            target, region = unit
            scope = Scope(name, target.account, region, now, limits)
            found = scan_region(Api(RegionSession(target.session, region)), scope, wanted, reporter)
            cloud = advise.region(target.session, scope) if advise else []
            reporter.advance(name, region if len(reached) == 1 else f"{target.account} {region}")
            return found, cloud

        with ThreadPoolExecutor(max_workers=max(1, min(limits.max_workers, len(units) or 1))) as pool:
            batches = list(pool.map(one, units))
        findings = [f for own, _ in batches for f in own]
        cloud = [f for _, recs in batches for f in recs]
        pricing = PricingSession(base, PRICING_REGION, limits.pricing_endpoint_url)
        pricer = Pricer(Api(pricing).call, store, limits.pricing_ttl, run_state,
                        lambda message: reporter.warn(f"{name}: {message}"),
                        limits.pricing_endpoint_url or settings.get("endpoint_url") or "")
        try:
            return merge(savings.price(findings, costs, pricer), cloud)
        finally:
            pricing.close()
    finally:
        for target in reached:
            if target.session is not base:
                target.session.close()
        base.close()


class Advice:
    """Compute Optimizer per region; a denied permission or a failure warns once per provider
    instance, not once per region (an account not opted in would otherwise warn in every region)."""

    def __init__(self, name: str, reporter: Reporter, endpoint_url: str | None) -> None:
        self.name, self.reporter, self.endpoint_url = name, reporter, endpoint_url
        self._denied: set[str] = set()  # permissions and failures already warned about
        self._lock = threading.Lock()

    def region(self, session: AwsSession, scope: Scope) -> list[Finding]:
        """The region's money-saving recommendations; none (and a warning) when they cannot be had."""
        api = Api(RegionSession(session, scope.region, self.endpoint_url))
        try:
            found, denied = aws_recommenders.findings(api, scope)
            for exc in denied:
                with self._lock:
                    first = exc.permission not in self._denied
                    self._denied.add(exc.permission)
                if first:
                    self.reporter.warn(f"{self.name}: {aws_recommenders.SOURCE} recommendations skipped: "
                                       f"grant {exc.permission}")
            return found
        except ProviderError as exc:
            reason = " ".join(str(exc).split())
            with self._lock:  # not opted in, or no such service at the endpoint: once, not per region
                first = reason not in self._denied
                self._denied.add(reason)
            if first:
                self.reporter.warn(f"{self.name}: {aws_recommenders.SOURCE} recommendations failed in "
                                   f"{scope.region}: {reason}")
        finally:
            api.session.close()
        return []


def enabled_regions(api: Api) -> list[str]:
    """Regions enabled for the account (opt-in regions only when opted in)."""
    try:
        answer = api.call("ec2", "DescribeRegions")
    except Denied as exc:
        raise ProviderError(f"cannot list regions ({exc}); or list them under idle.regions in the config") from None
    return sorted(r["RegionName"] for r in answer.get("Regions", [])
                  if r.get("OptInStatus") in (None, "opt-in-not-required", "opted-in"))


def scan_region(api: Api, scope: Scope, wanted: set[str], reporter: Reporter) -> list[Finding]:
    """Every wanted check in one region; a failing check becomes a warning."""
    found: list[Finding] = []
    try:
        for checks, run in RUNNERS:
            selected = wanted.intersection(checks)
            if not selected:
                continue
            try:
                found.extend(run(api, scope, selected))
            except Denied as exc:
                reporter.warn(f"{scope.provider}: {'/'.join(sorted(selected))} skipped in {scope.region}: "
                              f"grant {exc.permission}")
            except ProviderError as exc:
                reporter.warn(f"{scope.provider}: {'/'.join(sorted(selected))} failed in {scope.region}: {exc}")
    finally:
        api.session.close()
    return found


