"""``costctl cache warm``: refresh the cache and precompute what checks read, for cron.

A check every few minutes should never be the run that imports pandas. This runs each named
check period once, with the config's defaults, exactly as ``costctl check --period P`` would:
the cached days it needs are refreshed, and for ``anomalies``, ``budget`` and ``idle`` the
computed facts are stored (``costctl.monitoring.precomputed``), so the checks that follow answer
from them whatever their ``-w``/``-c``. Run it after the data changes (the providers' ``ttl``,
or once a day after the clouds deliver the new day), e.g. ``*/30 * * * * costctl -q cache warm``.

One line per period on stdout (``anomalies: stored``); exit status 1 when a period could not be
precomputed (a provider failed: the line says why), 0 otherwise.
"""

from __future__ import annotations

import io

import click

from costctl.commands.common import pass_env
from costctl.context import Env

STORED = ("anomalies", "budget", "idle")
DEFAULT_PERIODS = ("forecast", "mom", *STORED)


@click.command("warm")
@click.option("--period", "periods", multiple=True, metavar="PERIOD",
              type=click.Choice(("day", "mtd", "forecast", "change", "mom", *STORED)),
              help=f"Check period to prepare (repeatable; default {', '.join(DEFAULT_PERIODS)}; forecast and "
                   "mom cover the days day, mtd and change read).")
@click.option("--timeout", "-t", metavar="SECONDS", type=float, default=600.0, show_default=True,
              help="Give up on a period after this long (0 = none).")
@pass_env
def cache_warm(env: Env, periods: tuple[str, ...], timeout: float) -> None:
    """Refresh the cache and precompute anomalies, budget and idle for fast checks (for cron)."""
    from costctl.commands.check import _check
    from costctl.monitoring.state import State

    if env.cache is None:
        raise click.ClickException("the cache is disabled (--no-cache or cache.enabled: false); nothing to warm")
    failed = False
    for period in dict.fromkeys(periods or DEFAULT_PERIODS):
        skip = _skip_reason(env, period, explicit=bool(periods))
        if skip:
            click.echo(f"{period}: skipped ({skip})", file=env.stdout)
            continue
        stdout, buffer = env.stdout, io.StringIO()
        env.stdout = buffer
        try:
            code = _check(env, period, None, None, None, (), (), None, (), (), (), (), None, timeout, None, None,
                          None, None, 0)
        finally:
            env.stdout = stdout
        status = buffer.getvalue().splitlines()[0] if buffer.getvalue() else "no answer"
        if period in STORED:
            ready = _stored(env, period)
        else:  # day summaries: ready when the check did not have to say it failed
            ready = code != int(State.UNKNOWN)
        failed = failed or not ready
        click.echo(f"{period}: {'stored' if period in STORED else 'refreshed'}" if ready
                   else f"{period}: not ready: {status}", file=env.stdout)
    if failed:
        click.get_current_context().exit(1)


def _skip_reason(env: Env, period: str, explicit: bool) -> str | None:
    """Why a default period does not apply to this config (one asked for by name always runs)."""
    if explicit:
        return None
    if period == "budget" and not env.config.section("budgets") and not env.demo:  # the demo has its own
        return "no budgets configured"
    if period == "idle" and not env.demo:
        from costctl.idle.run import scannable

        if not any(s.get("enabled", True) and scannable(env, n) for n, s in env.config.providers.items()):
            return "no cloud provider to scan"
    return None


def _stored(env: Env, period: str) -> bool:
    """True when a default ``check --period`` would now answer from stored facts."""
    from costctl.filters import Filters
    from costctl.monitoring import precomputed, stored_periods

    if period == "anomalies":
        request = stored_periods.anomalies_request(env, Filters(), env.config.defaults["metric"], (), None)
    elif period == "budget":
        request = stored_periods.budget_request(env, (), ())
    else:
        request = stored_periods.idle_request(env, (), None, ())
    return precomputed.lookup(env, period, request) is not None
