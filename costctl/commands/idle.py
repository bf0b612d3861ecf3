"""``costctl idle``: idle, orphaned and oversized resources with their monthly cost and saving."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from costctl.commands.common import output_options, output_stream, pass_env
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import ProviderError

if TYPE_CHECKING:
    from costctl.idle.report import Reporter


@click.command()
@click.option("--provider", "-p", "providers", multiple=True, metavar="NAME",
              help="Configured aws/azure/gcp provider instance to scan (repeatable; default: all).")
@click.option("--checks", default=None, metavar="LIST",
              help="Comma-separated checks: vm_idle, vm_oversized, vm_stopped, disk_unattached, disk_gp2, "
                   "snapshot_orphaned, ip_unassociated, db_idle, lb_idle, nat_idle (default: idle.checks).")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="AWS region to scan (repeatable; default: idle.regions, else every enabled region).")
@click.option("--min-savings", type=click.FloatRange(min=0), default=None, metavar="AMOUNT",
              help=f"Hide findings saving less than AMOUNT a month (default {documented_default('idle.min_savings')}).")
@output_options()
@pass_env
def idle(env: Env, providers: tuple[str, ...], checks: str | None, regions: tuple[str, ...],
         min_savings: float | None, fmt: str, output: str | None) -> None:
    """Idle, orphaned and oversized resources, with estimated monthly savings.

    Asks the clouds' own APIs (EC2, CloudWatch, RDS, ELB; Azure Compute/Network/Monitor; GCE and
    Cloud Monitoring) and prices each finding from the cached cost records or the price list.
    Exit status 0 when every provider was scanned (findings or not), 1 when one could not be.

    \b
    Examples:
      costctl idle --checks vm_idle,disk_unattached --region us-east-1
      costctl idle --min-savings 20 --format json
      costctl --demo idle
    """
    from costctl.idle import findings as fnd
    from costctl.idle import run as idle_run
    from costctl.output.render import OutputColumn, render

    with _reporter(env) as reporter:
        wanted = idle_run.parse_checks(checks, idle_run.limits_of(env))
        result = idle_run.run(env, providers, wanted, list(regions), min_savings, reporter)
    rows = [f.row() for f in result.findings]
    if fmt == "table":
        # A narrow screen gives up the detail, then the recommendation, then the region; the
        # resource id (what a person acts on) is never shortened.
        columns = [OutputColumn("provider", "Provider", drop=0), OutputColumn("account", "Account", drop=0),
                   OutputColumn("region", "Region", drop=1), OutputColumn("resource_id", "Resource", drop=0),
                   OutputColumn("check", "Check", drop=0), OutputColumn("detail", "Detail", drop=3),
                   OutputColumn("monthly_cost", "Monthly cost", "money"),
                   OutputColumn("estimated_monthly_savings", "Saving/month", "money"),
                   OutputColumn("recommendation", "Recommendation", drop=2)]
    else:
        kinds = {"monthly_cost": "money", "estimated_monthly_savings": "money"}
        columns = [OutputColumn(key, kind=kinds.get(key, "text")) for key in fnd.CONTRACT]
    footer = [{"provider": f"Total {t.key}", "check": f"{t.count} finding(s)", "monthly_cost": t.monthly_cost,
               "estimated_monthly_savings": t.estimated_monthly_savings}
              for t in fnd.totals(result.findings, "provider")]
    per_check = ", ".join(f"{t.key} {t.count} ({t.estimated_monthly_savings:,.2f} {t.currency})"
                          for t in fnd.totals(result.findings, "check"))
    caption = f"per check: {per_check}" if per_check else "no idle resources found"
    title = "Idle resources (demo inventory)" if env.demo else "Idle resources"
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title, footer=footer, caption=caption)
    if result.failed:
        raise ProviderError("; ".join(result.failed))


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
