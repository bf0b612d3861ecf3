"""``costctl export-prometheus``: cost metrics for node_exporter's textfile collector or a Pushgateway.

Meant for cron: one run loads every provider through the cache, computes a Snapshot
(``costctl.monitoring.snapshot``) and writes it atomically and/or pushes it. A provider that
fails does not stop the others: it is exported as ``costctl_up{provider=...} 0`` and warned
about on stderr, and the run still succeeds so the other providers' metrics stay current.
Open anomalies and idle findings (``costctl.monitoring.findings``) are added unless
``--no-anomalies`` / ``--no-idle``. Configured budgets (the demo's with ``--demo``) add
``costctl_budget_*`` metrics, unless a provider failed: a budget summed without it would
under-report spend, so they are left out (and warned about) rather than published wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from costctl import deadline
from costctl.commands.common import apply_as_of, filter_options, pass_env, source_options
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import UsageError
from costctl.filters import Filters

if TYPE_CHECKING:
    from costctl.monitoring.findings import FindingFigures
    from costctl.monitoring.snapshot import BudgetFigures, Snapshot

PUSH_TIMEOUT = 30.0  # seconds one Pushgateway request may wait (less when the deadline leaves less)


def _grouping(values: tuple[str, ...]) -> dict[str, str]:
    import re

    grouping = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--grouping: expected KEY=VALUE, got {item!r}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise UsageError(f"--grouping: {key!r} is not a Prometheus label name (letters, digits and _, "
                             "not starting with a digit)")
        if any(ord(c) < 32 for c in value):
            raise UsageError(f"--grouping: the value of {key} contains control characters")
        grouping[key] = value
    return grouping


def _pushgateway_url(url: str) -> str:
    """The URL, checked before any data is loaded: a typo should not cost a provider fetch."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise UsageError(f"--pushgateway: {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise UsageError(f"--pushgateway: expected an http(s) URL like http://pushgateway:9091, got {url!r}")
    return url


@click.command("export-prometheus")
@source_options
@filter_options
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed or effective (amortized) cost (default {documented_default('defaults.metric')}).")
@click.option("--output", "-o", "output", metavar="PATH", default=None,
              help="Write a node_exporter textfile (atomically; a new file is 0644, an existing one keeps its "
                   "mode); the name must end in .prom.")
@click.option("--follow-symlinks", is_flag=True,
              help="Let --output name a symbolic link and replace the file it points to (refused by default).")
@click.option("--pushgateway", metavar="URL", default=None, help="Push the same metrics to this Pushgateway.")
@click.option("--job", default=None, help=f"Pushgateway job name (default {documented_default('prometheus.job')}).")
@click.option("--grouping", multiple=True, metavar="KEY=VALUE", help="Pushgateway grouping label (repeatable).")
@click.option("--top-services", type=int, default=None, metavar="N",
              help="Keep the N largest services per provider as labels, the rest as (other) "
                   f"(default {documented_default('prometheus.top_services')}).")
@click.option("--anomalies/--no-anomalies", "with_anomalies", default=None,
              help=f"Export open anomalies per provider and severity (default "
                   f"{documented_default('prometheus.anomalies')}).")
@click.option("--idle/--no-idle", "with_idle", default=None,
              help="Export idle findings per provider and check; this scans the clouds' APIs as costctl idle "
                   f"does (default {documented_default('prometheus.idle')}).")
@click.option("--commitment-source", type=click.Choice(["billing", "api", "both"]), default=None,
              help="Commitment figures from the billing data, the clouds' APIs (cached a day), or both: billing "
                   "commitments with the API's utilization and end dates "
                   f"(default {documented_default('prometheus.commitment_source')}).")
@click.option("--commitments/--no-commitments", "with_commitments", default=None,
              help="Export commitment utilization, unused cost, days to expiry and coverage of the last 7 days "
                   f"(default {documented_default('prometheus.commitments')}).")
@click.option("--timeout", "-t", type=float, default=None, metavar="SECONDS",
              help="Give up after this many seconds, fetches and the push included (default 300; 0 = none); "
                   "one Pushgateway request waits at most 30 s.")
@pass_env
def export_prometheus(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None,
                      accounts: tuple[str, ...], services: tuple[str, ...], regions: tuple[str, ...],
                      tags: tuple[str, ...], metric: str | None, output: str | None, pushgateway: str | None,
                      job: str | None, grouping: tuple[str, ...], top_services: int | None,
                      timeout: float | None, follow_symlinks: bool, with_anomalies: bool | None,
                      with_idle: bool | None, with_commitments: bool | None,
                      commitment_source: str | None) -> None:
    """Export cost metrics in the Prometheus text format.

    Without --output or --pushgateway the exposition goes to stdout.

    \b
    Examples:
      costctl --demo export-prometheus
      costctl export-prometheus -o /var/lib/prometheus/node-exporter/costctl.prom
      costctl export-prometheus --pushgateway http://pushgateway:9091 --grouping env=prod
    """
    from costctl.monitoring.snapshot import take_snapshot
    from costctl.output import prometheus as prom

    settings = env.config.section("prometheus") or {}
    top = top_services if top_services is not None else settings.get("top_services", 10)
    if top < 0:
        raise UsageError(f"--top-services: expected 0 or more, got {top}")
    if output is not None and not output.endswith(".prom"):
        raise UsageError(f"--output: node_exporter only reads files ending in .prom, got {output!r}")
    labels = _grouping(grouping)
    if pushgateway is not None:
        _pushgateway_url(pushgateway)
    if timeout is not None:
        if not 0 <= timeout <= 86400:  # also NaN and infinity
            raise UsageError(f"--timeout: expected 0 (none) to 86400 seconds, got {timeout:g}")
        deadline.start(timeout)
    apply_as_of(env, as_of)
    snapshot = take_snapshot(env, providers=providers, files=files,
                             filters=Filters.from_options(accounts, services, regions, tags),
                             metric=metric or env.config.defaults["metric"], top_services=top)
    for p in snapshot.providers:
        if not p.up:
            env.info(f"warning: {p.error or p.name + ': refresh failed'}; exported as costctl_up 0"
                     + (" with cached data" if p.month_to_date else ""))
    snapshot.budgets = _budgets(env, providers, files)
    _findings(env, snapshot, settings, with_anomalies, with_idle, providers, files,
              Filters.from_options(accounts, services, regions, tags), metric or env.config.defaults["metric"])
    if with_commitments if with_commitments is not None else settings.get("commitments", True):
        from costctl import loader
        from costctl.monitoring.commitment_metrics import CommitmentFigures, commitment_figures

        try:
            if _spent():
                raise deadline.DeadlineExceeded()
            snapshot.commitments = commitment_figures(
                env, providers, files, Filters.from_options(accounts, services, regions, tags),
                commitment_source or settings.get("commitment_source") or "billing")
        except deadline.DeadlineExceeded as exc:  # as for findings: what was gathered is still written
            names = ["file"] if files else loader.select_sources(env, providers)
            snapshot.commitments = [CommitmentFigures(n, up=False, error=f"{n}: {exc}") for n in names]
        for f in snapshot.commitments:
            if not f.up:
                env.info(f"warning: commitments of {f.error}; exported as costctl_findings_up 0")
    registry = prom.registry_for(snapshot)
    if output is not None:
        prom.write_textfile(output, registry, follow_symlinks)  # OutputError: one line naming the cause
        env.verbose(f"wrote {output}")
    if pushgateway is not None:
        try:
            prom.push(pushgateway, job or settings.get("job") or "costctl", registry, labels,
                      deadline.read_timeout(PUSH_TIMEOUT))
        except (OSError, ValueError) as exc:  # refused, DNS, HTTP errors; http.client.InvalidURL
            raise click.ClickException(f"cannot push to {pushgateway}: {exc}") from None
        env.verbose(f"pushed to {pushgateway}")
    if output is None and pushgateway is None:
        env.stdout.write(prom.exposition(registry))


def _findings(env: Env, snapshot: Snapshot, settings: dict, with_anomalies: bool | None, with_idle: bool | None,
              providers: tuple[str, ...], files: tuple[str, ...], filters: Filters, metric: str) -> None:
    """Add the enabled findings; a provider whose findings failed is warned about and exported as
    ``costctl_findings_up 0``."""
    from costctl.commands.anomalies import state_dir
    from costctl.monitoring import findings

    if with_anomalies if with_anomalies is not None else settings.get("anomalies", True):
        snapshot.anomalies = _until_deadline(env, providers, files, lambda: findings.anomaly_figures(
            env, state_dir(env), providers, files, filters, metric))
    if not files and (with_idle if with_idle is not None else settings.get("idle", True)):
        snapshot.idle = _until_deadline(env, providers, files, lambda: findings.idle_figures(env, providers))
    for f in (snapshot.anomalies or []) + (snapshot.idle or []):
        if not f.up:
            env.info(f"warning: findings of {f.error}; exported as costctl_findings_up 0")


def _spent() -> bool:
    """The deadline has already passed: the extra metrics are not even started (each would load
    the failed provider again, and on a loaded host their sum outlasts the grace the deadline
    leaves for writing the answer)."""
    left = deadline.remaining()
    return left is not None and left <= 0


def _until_deadline(env: Env, providers: tuple[str, ...], files: tuple[str, ...],
                    compute: Callable[[], list[FindingFigures] | None]) -> list[FindingFigures] | None:
    """Findings, or, when the deadline passes while they are computed (a provider that drips its
    answers has used it up), every selected provider's findings down: the metrics gathered so far
    are still written, as for a provider whose costs failed."""
    from costctl import loader
    from costctl.monitoring.findings import FindingFigures

    try:
        if _spent():
            raise deadline.DeadlineExceeded()
        return compute()
    except deadline.DeadlineExceeded as exc:
        names = ["file"] if files else loader.select_sources(env, providers)
        return [FindingFigures(name, up=False, error=f"{name}: {exc}") for name in names]


def _budgets(env: Env, providers: tuple[str, ...], files: tuple[str, ...]) -> list[BudgetFigures]:
    """Figures of every configured budget; none when there are no budgets or a provider failed."""
    from costctl.budgets.current import current_statuses
    from costctl.budgets.setup import budget_specs
    from costctl.monitoring.snapshot import BudgetFigures

    specs = list(budget_specs(env).values())
    if not specs:
        return []
    if _spent():
        env.info(f"warning: budget metrics left out: {deadline.DeadlineExceeded()}")
        return []
    current = current_statuses(env, specs, providers, files)
    if current.failed:
        env.info("warning: budget metrics left out: " + "; ".join(current.failed))
        return []
    return [BudgetFigures(s.name, s.currency, s.period, s.amount, s.spend, s.forecast) for s in current.statuses]
