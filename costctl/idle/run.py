"""One idle run: choose provider instances, load their recent cost records, scan, price, filter.

Records come through ``costctl.loader`` (provider -> cache -> here); the scan never calls a
provider's ``fetch`` itself. Which instances can be scanned, and how, is the provider object's
``idle_scanner()`` capability found through the registry (``costctl.idle.scanner``): this module
names no cloud. A provider instance that cannot be scanned at all (credentials, a missing SDK) is
reported in ``failed`` and the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import ConfigError, CostctlError, UsageError
from costctl.idle.findings import Finding
from costctl.idle.report import Reporter
from costctl.idle.thresholds import CHECKS, Thresholds

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.idle.scanner import IdleScanner
    from costctl.providers.base import Provider

RECORD_DAYS = 14  # recent cost of a resource: the mean billed day of the last two weeks


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "name: reason"
    silenced: list[Finding] = field(default_factory=list)  # ignored or excluded by tag (``idle.ignores``)
    recommenders: bool = False  # the clouds' recommenders were asked: the output shows the source columns


def limits_of(env: Env) -> Thresholds:
    section = env.config.section("idle")
    return Thresholds(section) if section else Thresholds.defaults()


def parse_checks(text: str | None, limits: Thresholds) -> set[str]:
    """``--checks a,b`` (or the config's list) as a set; UsageError naming an unknown check."""
    if not text:
        return set(limits.checks)
    chosen = {c.strip() for c in text.split(",") if c.strip()}
    unknown = sorted(chosen - set(CHECKS))
    if unknown:
        raise UsageError(f"--checks: unknown check {unknown[0]!r} (known: {', '.join(CHECKS)})")
    return chosen


def run(env: Env, names: tuple[str, ...], wanted: set[str], regions: list[str], min_savings: float | None,
        reporter: Reporter, accounts: list[str] | None = None, recommenders: bool | None = None) -> Result:
    """Findings of the chosen provider instances; ``recommenders`` (None: ``idle.recommenders``)
    also asks each cloud's own recommender. The demo has none, so its output never changes."""
    limits = limits_of(env)
    result = Result()
    if env.demo:
        from costctl import loader
        from costctl.idle import demo, savings

        sources = loader.select_sources(env, names) if names else list(env.config.providers)
        costs, places, tags = _records(env, sources, reporter)
        inventory = [f for f in demo.inventory_findings(wanted) if f.provider in sources]
        result.findings = savings.price(inventory, costs, None)
        demo.fill_regions(result.findings, places)
        result.scanned = sorted({f.provider for f in result.findings})
    else:
        chosen = _cloud_sources(env, names, reporter)
        costs, _, tags = _records(env, chosen, reporter)
        run_state: dict[str, Any] = {}
        result.recommenders = limits.recommenders if recommenders is None else recommenders
        for name in chosen:
            try:
                result.findings.extend(_scan(env, name, limits, wanted, costs, regions, reporter, run_state,
                                             accounts, result.recommenders))
                result.scanned.append(name)
            except CostctlError as exc:
                text = " ".join(str(exc).split())
                result.failed.append(text if text.startswith(f"{name}: ") else f"{name}: {text}")
    if accounts:  # every cloud: a scanner that cannot skip other accounts up front still reports none
        result.findings = [f for f in result.findings if f.account in accounts]
    floor = limits.min_savings if min_savings is None else min_savings
    result.findings = sorted((f for f in result.findings if (f.estimated_monthly_savings or 0.0) >= floor),
                             key=lambda f: (-(f.estimated_monthly_savings or 0.0), f.provider, f.check, f.resource_id))
    for f in result.findings:
        f.tags = {**tags.get(f.resource_id.lower(), {}), **f.tags}
    result.findings, result.silenced = silenced(env, result.findings, limits)
    return result


def silenced(env: Env, findings: list[Finding], limits: Thresholds | None = None) -> tuple[list[Finding],
                                                                                          list[Finding]]:
    """(reported, silenced) findings under the ignores and ``idle.exclude_tags`` in force today.

    ``run`` applies it; a consumer holding findings of its own (a metrics exporter) calls it too.
    """
    from costctl.idle.ignores import IgnoreStore, silence
    from costctl.statedir import state_dir

    limits = limits or limits_of(env)
    ignores = IgnoreStore(state_dir(env)).ignores()
    return silence(findings, ignores, limits.exclude_tags or {}, env.today())


def provider_of(env: Env, name: str) -> Provider:
    """The provider object of a configured instance, from the registry, to ask for its capabilities."""
    from costctl.providers import registry

    settings = env.config.providers[name]
    return registry.instance(settings["type"], name, settings)


def scannable(env: Env, name: str) -> bool:
    """True when the instance's provider offers an idle scan (a provider that fails to load cannot)."""
    try:
        return provider_of(env, name).idle_scanner() is not None
    except ConfigError:
        return False


def _cloud_sources(env: Env, names: tuple[str, ...], reporter: Reporter) -> list[str]:
    """The provider instances to scan: the named ones (each must be scannable), else every scannable one."""
    from costctl import loader
    from costctl.providers import registry

    configured = env.config.providers
    if names:
        chosen = loader.select_sources(env, names)
        for name in chosen:
            registry.capability(provider_of(env, name), "idle_scanner")  # the provider's one-line refusal
        return chosen
    chosen = [n for n, s in configured.items() if s.get("enabled", True) and scannable(env, n)]
    if not chosen:
        raise UsageError("no aws or azure or gcp provider is configured; idle scans ask the clouds' APIs "
                         "(try `costctl --demo idle`)")
    return chosen


def _records(env: Env, names: list[str], reporter: Reporter) -> tuple[dict[str, tuple[float, str]], dict[str, str],
                                                                      dict[str, dict[str, str]]]:
    """Monthly cost per ResourceId from the last RECORD_DAYS days of records, ResourceId -> region, and
    ResourceId -> the tags ``idle.exclude_tags`` asks about."""
    from costctl import loader
    from costctl.idle import savings

    end = env.today()
    try:
        data, statuses = loader.load(env, names, end - timedelta(days=RECORD_DAYS), end, tolerate_errors=True)
    except CostctlError as exc:
        reporter.warn(f"cost records unavailable, prices come from price lists ({exc})")
        return {}, {}, {}
    for status in statuses:
        if not status.ok:
            reporter.warn(f"{status.error}; cost records unavailable, prices come from price lists")
    tag_keys = [str(k) for k in limits_of(env).exclude_tags or {}]
    frame = data.frame(["ResourceId", "RegionId"], tag_keys)
    metric = env.config.defaults.get("metric", "effective")
    places: dict[str, str] = {}
    tags: dict[str, dict[str, str]] = {}
    if len(frame):
        sub = frame.loc[frame["ResourceId"].notna(), ["ResourceId", "RegionId"]].drop_duplicates("ResourceId")
        places = {str(r).lower(): str(g or "") for r, g in zip(sub["ResourceId"], sub["RegionId"], strict=True)}
        if tag_keys:
            for rid, found in zip(frame["ResourceId"], frame["Tags"], strict=True):
                if isinstance(rid, str) and isinstance(found, dict) and found:
                    tags.setdefault(rid.lower(), {}).update({str(k): str(v) for k, v in found.items()
                                                             if v is not None})
    return savings.record_costs(frame, metric), places, tags


def _scan(env: Env, name: str, limits: Thresholds, wanted: set[str], costs: dict[str, tuple[float, str]],
          regions: list[str], reporter: Reporter, run_state: dict[str, Any],
          accounts: list[str] | None = None, recommenders: bool = False) -> list[Finding]:
    from costctl.idle.scanner import ScanRequest
    from costctl.providers import registry

    settings: dict[str, Any] = env.config.providers[name]
    scanner: IdleScanner = registry.capability(provider_of(env, name), "idle_scanner")
    mine = wanted & scanner.checks
    if not mine:
        reporter.warn(f"{name}: none of the selected checks applies to {settings['type']}")
        return []
    store = env.cache.store_view(f"idle:{name}") if env.cache is not None else None
    return scanner.scan(ScanRequest(name, settings, limits, mine, env.clock(), costs, store, reporter,
                                    regions or None, run_state, accounts or None, recommenders))
