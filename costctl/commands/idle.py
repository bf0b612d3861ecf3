"""``costctl idle``: idle, orphaned and oversized resources with their monthly cost and saving."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from costctl.commands.common import output_options, output_stream, pass_env
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import ProviderError

if TYPE_CHECKING:
    from costctl.idle.report import Reporter


@click.group(invoke_without_command=True,
             short_help="Idle, orphaned and oversized resources, with estimated monthly savings.")
@click.option("--provider", "-p", "providers", multiple=True, metavar="NAME",
              help="Configured aws/azure/gcp provider instance to scan (repeatable; default: all).")
@click.option("--checks", default=None, metavar="LIST",
              help="Comma-separated checks: vm_idle, vm_oversized, vm_stopped, disk_unattached, disk_gp2, "
                   "snapshot_orphaned, ip_unassociated, db_idle, lb_idle, nat_idle (default: idle.checks).")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="AWS region to scan (repeatable; default: idle.regions, else every enabled region).")
@click.option("--account", "accounts", multiple=True, metavar="ID",
              help="Only this account (AWS account id, Azure subscription, GCP project; repeatable). An aws "
                   "provider with organization: true assumes roles in these member accounts only.")
@click.option("--min-savings", type=click.FloatRange(min=0), default=None, metavar="AMOUNT",
              help=f"Hide findings saving less than AMOUNT a month (default {documented_default('idle.min_savings')}).")
@click.option("--notify", "notify", multiple=True, metavar="NAME",
              help="Send findings to this channel from notifications: (repeatable); pagerduty channels also "
                   "resolve findings that are gone.")
@click.option("--recommenders/--no-recommenders", default=None,
              help="Also ask the clouds' own recommenders (AWS Compute Optimizer, Azure Advisor, GCP Recommender) "
                   "and merge their findings, marked in the source column "
                   f"(default {documented_default('idle.recommenders')}).")
@output_options()
@click.pass_context
def idle(ctx: click.Context, providers: tuple[str, ...], checks: str | None, regions: tuple[str, ...],
         accounts: tuple[str, ...], min_savings: float | None, notify: tuple[str, ...], recommenders: bool | None,
         fmt: str, output: str | None) -> None:
    """Idle, orphaned and oversized resources, with estimated monthly savings.

    Asks the clouds' own APIs (EC2, CloudWatch, RDS, ELB; Azure Compute/Network/Monitor; GCE and
    Cloud Monitoring) and prices each finding from the cached cost records or the price list.
    Exit status 0 when every provider was scanned (findings or not), 1 when one could not be.

    \b
    Examples:
      costctl idle --checks vm_idle,disk_unattached --region us-east-1
      costctl idle --min-savings 20 --format json
      costctl --demo idle
      costctl idle ignore 7a39b3ea44e3 --until 2027-03-31 --reason "standby disk for DR"
      costctl -q idle --notify pagerduty   # from cron: one incident per finding, resolved when gone

    Findings ignored with `costctl idle ignore` (until their --until day) and resources carrying a
    tag of idle.exclude_tags are left out here, in `check --period idle` and in the metrics.
    """
    if ctx.invoked_subcommand is not None:
        return
    env: Env = ctx.find_object(Env)
    from costctl.idle import findings as fnd
    from costctl.idle import run as idle_run
    from costctl.idle.ignores import IgnoreStore
    from costctl.output.render import OutputColumn, render
    from costctl.statedir import state_dir

    store = IgnoreStore(state_dir(env))
    store.check()  # a damaged state file fails before the scan, with nothing on stdout
    if notify:
        from costctl.notify.dispatch import check_names
        from costctl.notify.state import NotifiedState

        check_names(env.config.section("notifications") or {}, notify)
        NotifiedState(state_dir(env)).check()
    with _reporter(env) as reporter:
        wanted = idle_run.parse_checks(checks, idle_run.limits_of(env))
        result = idle_run.run(env, providers, wanted, list(regions), min_savings, reporter,
                              [a.strip() for a in accounts if a.strip()] or None, recommenders)
    store.remember([*result.findings, *result.silenced], env.real_today())
    rows = [{**f.row(), **f.source_row()} for f in result.findings]
    if fmt == "table":
        # A narrow screen gives up the detail, then the recommendation, then the region; the
        # resource id (what a person acts on) is never shortened.
        columns = [OutputColumn("id", "Id", drop=1), OutputColumn("provider", "Provider", drop=0),
                   OutputColumn("account", "Account", drop=0),
                   OutputColumn("region", "Region", drop=1), OutputColumn("resource_id", "Resource", drop=0),
                   OutputColumn("check", "Check", drop=0), OutputColumn("detail", "Detail", drop=3),
                   OutputColumn("monthly_cost", "Monthly cost", "money"),
                   OutputColumn("estimated_monthly_savings", "Saving/month", "money"),
                   OutputColumn("recommendation", "Recommendation", drop=2)]
        if result.recommenders:
            columns[6:6] = [OutputColumn("source", "Source", drop=2)]
            columns.insert(-1, OutputColumn("cloud_estimated_monthly_savings", "Cloud est.", "money", drop=2))
    else:
        kinds = {"monthly_cost": "money", "estimated_monthly_savings": "money",
                 "cloud_estimated_monthly_savings": "money"}
        keys = (*fnd.CONTRACT, *fnd.SOURCE_COLUMNS) if result.recommenders else fnd.CONTRACT
        columns = [OutputColumn(key, kind=kinds.get(key, "text")) for key in keys]
    footer = [{"provider": f"Total {t.key}", "check": f"{t.count} finding(s)", "monthly_cost": t.monthly_cost,
               "estimated_monthly_savings": t.estimated_monthly_savings}
              for t in fnd.totals(result.findings, "provider")]
    per_check = ", ".join(f"{t.key} {t.count} ({t.estimated_monthly_savings:,.2f} {t.currency})"
                          for t in fnd.totals(result.findings, "check"))
    caption = f"per check: {per_check}" if per_check else "no idle resources found"
    if result.silenced:
        caption += f"; {len(result.silenced)} silenced (costctl idle ignored; idle.exclude_tags)"
    title = "Idle resources (demo inventory)" if env.demo else "Idle resources"
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title, footer=footer, caption=caption)
    if notify:
        _notify(env, list(notify), result, wanted)
    if result.failed:
        raise ProviderError("; ".join(result.failed))


def _notify(env: Env, names: list[str], result: Any, wanted: set[str]) -> None:
    """New findings to webhook/email channels once; PagerDuty: trigger new ones, resolve those gone."""
    from costctl.analysis.anomaly_severity import at_least
    from costctl.notify.alerts import idle_key, idle_source
    from costctl.notify.dispatch import deliver
    from costctl.notify.message import Notice
    from costctl.notify.state import NotifiedState
    from costctl.statedir import state_dir

    today = env.real_today()

    def source(_name: str, settings: dict[str, Any], sent: set[str]) -> tuple[Notice, dict[str, str]] | None:
        new = [f for f in result.findings if idle_key(f) not in sent and at_least(f.severity, settings["min_severity"])]
        if not new:
            return None
        lines = [f"costctl found {len(new)} new idle resource(s):"]
        lines += [f"- {f.provider} {f.resource_id} {f.check}: {f.detail}; saves "
                  f"{f.estimated_monthly_savings or 0.0:,.2f} {f.currency} a month [id {f.id}]" for f in new]
        lines += ["", "Keep one with: costctl idle ignore ID [--until DATE] [--reason TEXT]"]
        worst = max((f.severity for f in new), key=("low", "medium", "high").index)
        return (Notice(f"costctl: {len(new)} new idle resource(s)", lines, worst, {"idle": [f.row() for f in new]}),
                {idle_key(f): today.isoformat() for f in new})

    resolved: dict[str, int] = {}
    sent = deliver(env.config.section("notifications") or {}, names, source, NotifiedState(state_dir(env)), today,
                   idle_source(result.findings, result.scanned, wanted, today), env.clock(), resolved)
    for name, count in sent.items():
        closed = f", {resolved[name]} resolved" if resolved.get(name) else ""
        env.info(f"notified {name}: {count} idle finding(s){closed}")


@contextlib.contextmanager
def _reporter(env: Env) -> Iterator[Reporter]:
    """Warnings on stderr; a rich progress bar of regions scanned when stderr is a terminal."""
    from costctl.idle.report import Reporter

    if not env.stderr_is_tty or env.quiet:
        yield Reporter(on_warning=lambda m: env.info(f"warning: {m}"),
                       on_advance=lambda p, u: env.verbose(f"{p}: {u} scanned"))
        return
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(console=Console(file=env.stderr), transient=True)
    tasks: dict[str, object] = {}

    def start(provider: str, units: int) -> None:
        tasks[provider] = progress.add_task(f"{provider}: scanning", total=units)

    def advance(provider: str, unit: str) -> None:
        progress.update(tasks[provider], advance=1, description=f"{provider}: {unit} done")  # type: ignore[arg-type]

    with progress:
        yield Reporter(on_warning=lambda m: progress.console.print(f"costctl: warning: {m}", highlight=False),
                       on_start=start, on_advance=advance)


@idle.command("ignore", short_help="Stop reporting finding ID (optionally until a day).")
@click.argument("finding", metavar="ID")
@click.option("--until", default=None, metavar="YYYY-MM-DD",
              help="Last day the ignore applies (inclusive); after it the finding is reported again. "
                   "Default: until `idle unignore`.")
@click.option("--reason", default=None, metavar="TEXT", help="Why the resource is kept (shown by `idle ignored`).")
@pass_env
def ignore(env: Env, finding: str, until: str | None, reason: str | None) -> None:
    """Stop reporting idle finding ID (the id column of `costctl idle`; a resource id with one finding works too)."""
    from costctl.idle.ignores import IgnoreStore
    from costctl.ranges import parse_date
    from costctl.statedir import state_dir

    day = parse_date(until, "--until") if until else None
    done = IgnoreStore(state_dir(env)).ignore(finding, env.today(), day, reason)
    span = f" through {done.until}" if done.until else ""
    env.info(f"ignored {done.id} ({done.provider} {done.resource_id} {done.check}{span})")


@idle.command("unignore")
@click.argument("finding", metavar="ID")
@pass_env
def unignore(env: Env, finding: str) -> None:
    """Report idle finding ID again."""
    from costctl.errors import UsageError
    from costctl.idle.ignores import IgnoreStore
    from costctl.statedir import state_dir

    gone = IgnoreStore(state_dir(env)).unignore(finding)
    if gone is None:
        raise UsageError(f"idle finding {finding!r} is not ignored (see `costctl idle ignored`)")
    env.info(f"removed the ignore of {gone.id} ({gone.resource_id} {gone.check})")


@idle.command("ignored", short_help="List ignored findings and whether each is active.")
@output_options()
@pass_env
def ignored(env: Env, fmt: str, output: str | None) -> None:
    """List ignored idle findings; `active` is false once the --until day has passed."""
    from dataclasses import asdict

    from costctl.idle.ignores import IgnoreStore
    from costctl.output.render import OutputColumn, render
    from costctl.statedir import state_dir

    today = env.today()
    rows = [{**asdict(i), "active": i.active(today)} for i in IgnoreStore(state_dir(env)).ignores()]
    columns = [OutputColumn(k, drop=0 if k in ("id", "resource_id", "check", "until", "active") else 1)
               for k in ("id", "provider", "resource_id", "check", "until", "active", "reason", "created")]
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title="Ignored idle findings", caption=None if rows else "none")
