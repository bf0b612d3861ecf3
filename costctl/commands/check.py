"""``costctl check``: a Nagios/Icinga plugin over the cost data.

Speaks the Monitoring Plugins protocol, not click's: every outcome is one status line on stdout
and an exit status 0-3. Faults inside the command are turned into UNKNOWN here (the nagiosplugin
``@guarded`` idea); click's own usage errors and errors in the global options are turned into
UNKNOWN by ``costctl.cli.main``, which knows it is running ``check``. The core lives in
``costctl.monitoring``; this module parses options, applies config defaults and renders.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, time

import click

from costctl import __version__
from costctl.commands.common import apply_as_of, filter_options, pass_env, source_options
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import CostctlError
from costctl.monitoring.measure import DIRECTIONS
from costctl.monitoring.state import State

STATES = ("ok", "warning", "critical", "unknown")
PERIODS = ("day", "mtd", "forecast", "change", "mom", "budget", "anomalies", "idle", "usage", "commitments")


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"costctl {__version__}")
        ctx.exit(0)  # costctl.cli.main turns this into UNKNOWN (3), as the guidelines want for -V


@click.command(short_help="Nagios/Icinga plugin: check cost against -w/-c ranges.")
@click.option("--period", type=click.Choice(PERIODS), default=None,
              help="day: latest complete day; mtd: month to date; forecast: projected month total; "
                   "change: percent change of the latest day vs the mean of the 7 days before; "
                   "mom: percent change of the month to date vs the same days of last month; "
                   "budget: each configured budget against its own warning/critical percent; "
                   "anomalies: the worst unacknowledged cost anomaly of the window; "
                   "idle: estimated monthly savings (or count) of idle resources; "
                   "usage: the quantity consumed in --unit on the latest complete day; "
                   "commitments: utilization % of each commitment over --days (-w 90: -c 80: unless set) and "
                   "its term end against --expiry-warning/--expiry-critical "
                   f"(default {documented_default('check.period')}).")
@click.option("--budget", "budget_names", multiple=True, metavar="NAME",
              help="With --period budget: only this budget (repeatable; default: all).")
@click.option("--direction", type=click.Choice(DIRECTIONS), default=None,
              help="For --period change and mom: up checks the increase (a drop is 0; default), down the decrease, "
                   "both the signed change.")
@click.option("--days", type=int, default=None,
              help=f"For --period anomalies: the window in days (default {documented_default('anomalies.days')}); "
                   "for commitments: the complete days utilization is measured over (commitments: default 7).")
@click.option("--expiry-warning", default=None, metavar="DAYS",
              help="For --period commitments: WARNING when a commitment's term ends within this many days "
                   "(default 30d; 0 = off).")
@click.option("--expiry-critical", default=None, metavar="DAYS",
              help="For --period commitments: CRITICAL when a term ends within this many days (default 7d; 0 = off).")
@click.option("--source", "commitment_source", type=click.Choice(["billing", "api", "both"]), default=None,
              help="For --period commitments: judge the billing figures, the clouds' API figures (Cost Explorer, "
                   "Azure, GCP; cached a day), or both: billing commitments with the API's utilization and end "
                   f"dates (default {documented_default('check.commitment_source')}).")
@click.option("--idle-metric", type=click.Choice(["savings", "count"]), default=None,
              help="For --period idle: check the total estimated monthly savings (default) or the finding count.")
@click.option("--checks", "idle_checks", default=None, metavar="LIST",
              help="For --period idle: comma-separated idle checks (default idle.checks); --region limits the "
                   "regions scanned.")
@click.option("--unit", default=None, metavar="UNIT",
              help="For --period usage: the consumed unit to sum (as `costctl usage` shows it, e.g. Hrs, GB-Mo); "
                   "narrow it with --service.")
@click.option("--warning", "-w", metavar="RANGE", default=None,
              help="Warning range ([@]start:end, e.g. 100, 10:, ~:10, @10:20); default from thresholds.<period>. "
                   "For anomalies also a severity: low, medium, high, critical (default high).")
@click.option("--critical", "-c", metavar="RANGE", default=None,
              help="Critical range, same syntax (anomalies: default critical).")
@source_options
@filter_options
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed or effective (amortized) cost (default {documented_default('defaults.metric')}).")
@click.option("--timeout", "-t", metavar="SECONDS", type=float, default=None,
              help=f"Answer --error-state after this long (default {documented_default('check.timeout')}; 0 = none).")
@click.option("--error-state", type=click.Choice(STATES, case_sensitive=False), default=None,
              help="State when a provider cannot be read or the check times out "
                   f"(default {documented_default('check.error_state')}).")
@click.option("--stale-state", type=click.Choice(STATES, case_sensitive=False), default=None,
              help="State when data is older than --max-age or the latest day is missing "
                   f"(default {documented_default('check.stale_state')}).")
@click.option("--max-age", metavar="DURATION", default=None, help="Data older than this is stale, e.g. 36h.")
@click.option("--top", type=click.IntRange(min=0), default=None,
              help=f"Top contributors per provider in the long output (default {documented_default('check.top')}).")
@click.option("--verbose", "-v", "plugin_verbose", count=True, help="Add per-provider load details to the output.")
@click.option("--version", "-V", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit (UNKNOWN).")
@pass_env
def check(env: Env, period: str | None, budget_names: tuple[str, ...], direction: str | None, days: int | None,
          expiry_warning: str | None, expiry_critical: str | None, commitment_source: str | None,
          idle_metric: str | None, idle_checks: str | None, unit: str | None, warning: str | None,
          critical: str | None, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None,
          accounts: tuple[str, ...], services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...],
          metric: str | None, timeout: float | None, error_state: str | None, stale_state: str | None,
          max_age: str | None, top: int | None, plugin_verbose: int) -> State:
    """Check cost against warning/critical ranges, as a Nagios/Icinga/Naemon plugin.

    Exit status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. With several providers each gets its own
    perfdata and the worst state wins (CRITICAL > WARNING > UNKNOWN > OK).

    \b
    Examples:
      costctl --demo check --period day -w 2000 -c 4000
      costctl check --period change -w 50 -c 100 --max-age 36h
      costctl check --period mom -w 20 -c 50
      costctl check --period forecast --provider aws -w 30000 -c 40000
      costctl check --file export.csv.gz --period mtd -c 10000
      costctl check --period anomalies -w high -c critical
      costctl check --period idle -w 100 -c 500
      costctl check --period usage --service "Amazon Elastic Compute Cloud" --unit Hrs -w 400 -c 600
      costctl --demo check --period commitments --expiry-warning 30d
    """
    try:
        code = _check(env, period, direction, warning, critical, providers, files, as_of, accounts, services,
                      regions, tags, metric, timeout, error_state, stale_state, max_age, top, plugin_verbose,
                      budget_names, days, idle_metric, idle_checks, unit, expiry_warning, expiry_critical,
                      commitment_source)
    except CostctlError as exc:
        code = _answer(env, State.UNKNOWN, " ".join(str(exc).split()))
    except Exception as exc:
        if env.debug:
            raise
        from costctl.oserrors import describe, errno_of

        if errno_of(exc) is not None:  # disk full, read-only: say so, not "internal error"
            code = _answer(env, State.UNKNOWN, describe(exc))
        else:
            code = _answer(env, State.UNKNOWN, f"internal error: {type(exc).__name__}: {exc}")
    state = State(code)
    if state is not State.OK:
        click.get_current_context().exit(int(state))
    return state


def _answer(env: Env, state: State, reason: str) -> int:
    from costctl.output.nagios import status_output

    env.stdout.write(status_output(state, reason))
    env.stdout.flush()
    return int(state)


def _check(env: Env, period: str | None, direction: str | None, warning: str | None, critical: str | None,
           providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, accounts: tuple[str, ...],
           services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...], metric: str | None,
           timeout: float | None, error_state: str | None, stale_state: str | None, max_age: str | None,
           top: int | None, plugin_verbose: int, budget_names: tuple[str, ...] = (), days: int | None = None,
           idle_metric: str | None = None, idle_checks: str | None = None, unit: str | None = None,
           expiry_warning: str | None = None, expiry_critical: str | None = None,
           commitment_source: str | None = None) -> int:
    from costctl.errors import UsageError
    from costctl.filters import Filters
    from costctl.monitoring.evaluate import Policy
    from costctl.monitoring.run import CheckRequest, Progress, run_check
    from costctl.monitoring.summary import Outcome
    from costctl.monitoring.thresholds import Thresholds
    from costctl.monitoring.timeout import PluginTimeout, deadline
    from costctl.output.nagios import status_output
    from costctl.schema import parse_duration

    settings = env.config.section("check") or {}
    period = period or settings.get("period") or "day"
    if budget_names and period != "budget":
        raise UsageError("--budget needs --period budget")
    if direction and period not in ("change", "mom"):
        raise UsageError("--direction needs --period change or mom")
    if days is not None and period not in ("anomalies", "commitments"):
        raise UsageError("--days needs --period anomalies or commitments")
    if (expiry_warning is not None or expiry_critical is not None) and period != "commitments":
        raise UsageError(f"--expiry-{'warning' if expiry_warning is not None else 'critical'} needs "
                         "--period commitments")
    if commitment_source is not None and period != "commitments":
        raise UsageError("--source needs --period commitments")
    if commitment_source == "api" and (files or env.demo):
        raise UsageError("--source api asks the clouds' APIs; --file and --demo hold billing data only "
                         "(use --source billing, or a configured aws/azure/gcp provider)")
    if (idle_metric or idle_checks) and period != "idle":
        raise UsageError(f"--{'idle-metric' if idle_metric else 'checks'} needs --period idle")
    if unit is not None and period != "usage":
        raise UsageError("--unit needs --period usage")
    if period == "usage" and not (unit or "").strip():
        raise UsageError("--period usage needs --unit UNIT (e.g. Hrs, GB-Mo; `costctl usage` lists the units)")
    if period == "idle" and (files or services or tags):
        raise UsageError("--period idle asks the clouds' APIs: --file, --service and --tag do not apply")
    defaults = (env.config.section("thresholds") or {}).get(period, {})
    limits = (warning if warning is not None else defaults.get("warning"),
              critical if critical is not None else defaults.get("critical"))
    if period == "commitments" and warning is None and critical is None and not defaults:
        from costctl.monitoring.commitment_check import DEFAULT_CRITICAL, DEFAULT_WARNING

        limits = (DEFAULT_WARNING, DEFAULT_CRITICAL)
    try:
        rule = None
        if period == "anomalies":  # imported per period: the day/mtd/forecast/change path stays light
            from costctl.monitoring.anomaly_rule import AnomalyRule

            rule = AnomalyRule.parse(*limits)
        thresholds = Thresholds() if rule else Thresholds.parse(*limits)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        age = parse_duration(max_age) if max_age is not None else settings.get("max_age")
    except ValueError:
        raise UsageError(f"--max-age: expected a duration like 36h, 90m or 2d, got {max_age!r}") from None
    if top is not None and top < 0:
        raise UsageError(f"--top: expected 0 or more, got {top}")
    given = click.get_current_context().meta.get("costctl.timeout")  # the global --timeout
    limit = timeout if timeout is not None else given if given is not None else settings.get("timeout", 30.0)
    if not 0 <= limit <= 86400:  # also NaN and infinity
        raise UsageError(f"--timeout: expected 0 (none) to 86400 seconds, got {limit:g}")
    apply_as_of(env, as_of)
    now = datetime.combine(env.as_of, time(), UTC) if env.as_of else env.clock()
    policy = Policy(error_state=State.parse(error_state or settings.get("error_state", "unknown")),
                    stale_state=State.parse(stale_state or settings.get("stale_state", "unknown")),
                    max_age=age, now=now, top=top if top is not None else settings.get("top", 3),
                    direction=direction or "up")
    request = CheckRequest(period=period, thresholds=thresholds, policy=policy,
                           filters=Filters.from_options(accounts, services, regions, tags),
                           metric=metric or env.config.defaults["metric"], providers=providers, files=files,
                           verbose=plugin_verbose)
    progress = Progress()

    def outcome_of_period() -> Outcome:
        if period == "commitments":
            from costctl.commands.commitments import parse_days
            from costctl.monitoring import stored_periods
            from costctl.monitoring.commitment_check import (
                DEFAULT_DAYS,
                DEFAULT_EXPIRY_CRITICAL,
                DEFAULT_EXPIRY_WARNING,
                Expiry,
            )

            expiry = Expiry(parse_days(expiry_warning or DEFAULT_EXPIRY_WARNING, "--expiry-warning") or None,
                            parse_days(expiry_critical or DEFAULT_EXPIRY_CRITICAL, "--expiry-critical") or None)
            progress.current = "summing commitments"
            mode = commitment_source or settings.get("commitment_source") or "billing"
            return stored_periods.commitments(env, thresholds, expiry, policy, request.filters, providers, files,
                                              days if days is not None else DEFAULT_DAYS, mode)
        if period not in ("budget", "anomalies", "idle", "usage"):
            return run_check(env, request, progress)
        # Anomalies, budget, idle and usage answer from stored facts when they still hold
        # (costctl.monitoring.stored_periods); imported here so that day/mtd/forecast/change stay light.
        from costctl.monitoring import stored_periods

        if period == "usage":
            progress.current = "summing usage"
            assert unit is not None
            return stored_periods.usage(env, thresholds, policy, unit, request.filters, providers, files)
        if period == "budget":
            return stored_periods.budget(env, budget_names, providers, files, policy)
        if period == "anomalies":
            assert rule is not None
            progress.current = "detecting anomalies"
            return stored_periods.anomalies(env, rule, policy, request.filters, request.metric, providers, files,
                                            days)
        progress.current = "scanning for idle resources"
        return stored_periods.idle(env, thresholds, idle_metric or "savings", providers, idle_checks, regions,
                                   policy.error_state, accounts)

    def give_up() -> None:
        # Last resort when the alarm could not interrupt the work: answer and end the process now.
        where = f" {progress.current}" if progress.current else ""
        sys.stdout.write(status_output(policy.error_state, f"timed out after {limit:g}s{where}"))
        sys.stdout.flush()
        os._exit(int(policy.error_state))

    try:
        with deadline(limit, give_up):
            outcome = outcome_of_period()
    except PluginTimeout as exc:
        where = f" {progress.current}" if progress.current else ""
        outcome = Outcome(policy.error_state, f"{exc}{where}")
    env.stdout.write(status_output(outcome.state, outcome.text, outcome.perfdata, outcome.long_output))
    env.stdout.flush()
    return int(outcome.state)
