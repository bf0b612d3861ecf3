"""``costctl budgets``: every configured budget's spend, burn rate, forecast and thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from costctl.commands.common import apply_as_of, load_dataset, output_options, output_stream, pass_env, source_options
from costctl.context import Env

if TYPE_CHECKING:
    from costctl.budgets.status import BudgetStatus


TABLE_KEYS = ("budget", "period", "start", "end", "amount", "spend", "consumed_pct", "elapsed_pct", "burn_rate",
              "burn_rate_7d", "forecast", "forecast_pct", "exhaustion", "threshold", "on_track", "state")


def status_row(status: BudgetStatus) -> dict[str, Any]:
    """A budget status as a report row (ISO dates, plain numbers, inclusive period end)."""
    from datetime import timedelta

    return {
        "budget": status.name, "period": status.period, "start": status.start.isoformat(),
        "end": (status.end - timedelta(days=1)).isoformat(),
        "through": status.through.isoformat() if status.through else None, "currency": status.currency,
        "amount": status.amount, "spend": status.spend, "remaining": status.remaining,
        "consumed_pct": status.consumed_pct, "elapsed_pct": status.elapsed_pct, "burn_rate": status.burn_rate,
        "burn_rate_7d": status.burn_rate_7d, "forecast": status.forecast, "forecast_pct": status.forecast_pct,
        "exhaustion": status.exhaustion.isoformat() if status.exhaustion else None,
        "threshold": status.threshold, "forecast_threshold": status.forecast_threshold,
        "on_track": status.on_track, "state": status.state(),
    }


@click.command()
@source_options
@click.option("--budget", "-b", "names", multiple=True, metavar="NAME", help="Only this budget (repeatable).")
@click.option("--notify", "notify", multiple=True, metavar="NAME",
              help="Send thresholds crossed for the first time this period to this channel from notifications: "
                   "(repeatable).")
@output_options()
@pass_env
def budgets(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None,
            names: tuple[str, ...], notify: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Budgets: spend to date, burn rate, forecast, exhaustion date, thresholds crossed.

    Per budget of the config's budgets: section (the current month, quarter or year): spend so
    far, remaining, percent consumed vs percent of the period elapsed (on track or not), daily
    burn rate over the period and over the last 7 days, the forecast at period end, the day the
    budget runs out at that pace, and the highest alert threshold crossed.

    \b
    Examples:
      costctl --demo budgets
      costctl budgets --budget platform-monthly --format json
      costctl budgets --file cur-2026-03.csv.gz --as-of 2026-03-20
      costctl -q budgets --notify ops-slack   # from cron: each threshold once per period
    """
    from costctl.budgets.setup import configured_budgets
    from costctl.budgets.status import evaluate_all, load_window
    from costctl.output.render import OutputColumn, render

    apply_as_of(env, as_of)
    if notify:  # a bad channel name or a damaged state file fails before anything is printed
        _check_notify(env, notify)
    today = env.today()
    specs = list(configured_budgets(env, names).values())
    start, end = load_window(specs, today)
    loaded = load_dataset(env, providers=providers, files=files, start=start, end=end)
    from costctl.budgets.current import budget_rows

    statuses, other_currency = evaluate_all(budget_rows(loaded.data, specs), specs, today)
    for spec in specs:
        if other_currency.get(spec.name):
            env.info(f"warning: budget {spec.name}: {other_currency[spec.name]:,.2f} in scope is billed in another "
                     f"currency than {spec.currency} and is not counted")
    for spec in specs:
        if spec.name not in {s.name for s in statuses}:
            env.info(f"budget {spec.name} starts on {spec.start}; not evaluated yet")
    columns = [
        OutputColumn("budget", "Budget", drop=0), OutputColumn("period", "Per."), OutputColumn("start", "From", drop=0),
        OutputColumn("end", "To", drop=0), OutputColumn("through", "Data through", drop=0),
        OutputColumn("currency", "Cur", drop=0),
        OutputColumn("amount", "Amount", "money"), OutputColumn("spend", "Spend", "money"),
        OutputColumn("remaining", "Remaining", "money"), OutputColumn("consumed_pct", "Used%", "pct"),
        OutputColumn("elapsed_pct", "Elapsed%", "pct"), OutputColumn("burn_rate", "Burn/d", "money"),
        OutputColumn("burn_rate_7d", "Burn/d 7d", "money"), OutputColumn("forecast", "Forecast", "money"),
        OutputColumn("forecast_pct", "Fcst%", "pct"), OutputColumn("exhaustion", "Runs out", drop=0),
        OutputColumn("threshold", "Crossed", "number"), OutputColumn("forecast_threshold", "Fcst crossed", "number"),
        OutputColumn("on_track", "On track"), OutputColumn("state", "State", drop=0),
    ]
    rows = [status_row(s) for s in statuses]
    caption = None
    if fmt == "table":
        # People read the table in a terminal: keep what decides an action, the files keep everything.
        columns = [c for c in columns if c.key in TABLE_KEYS]
        for row in rows:
            row["on_track"] = "yes" if row["on_track"] else "no"
        throughs = sorted({s.through.isoformat() for s in statuses if s.through})
        caption = f"amounts in each budget's currency; data through {', '.join(throughs) or 'no data'}"
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=f"Budgets on {today}", caption=caption)
    if notify:
        _notify(env, list(notify), statuses, {s.name: s for s in specs})


def _state(env: Env) -> Any:
    """The notification state of budget alerts: ``budgets/`` beside the cache."""
    from pathlib import Path

    from costctl.config import default_cache_dir
    from costctl.notify.state import NotifiedState

    base = env.config.cache["path"] or str(default_cache_dir(env.environ))
    return NotifiedState(Path(base).expanduser() / "budgets")


def _check_notify(env: Env, names: tuple[str, ...]) -> None:
    from costctl.notify.dispatch import check_names

    check_names(env.config.section("notifications") or {}, names)
    _state(env).check()


def _notify(env: Env, names: list[str], statuses: list[BudgetStatus], specs: dict[str, Any]) -> None:
    """Send new threshold crossings; the state lives in ``budgets/`` beside the cache."""
    from costctl.budgets.alerts import alert_source, crossings, source_for
    from costctl.notify.dispatch import deliver

    state = _state(env)
    found = crossings(statuses, specs)
    resolved: dict[str, int] = {}
    # The as-of day, not the wall clock, ages the state: a period's keys must outlive the period.
    sent = deliver(env.config.section("notifications") or {}, names, source_for(found), state, env.today(),
                   alert_source(found, [s.name for s in statuses]), env.clock(), resolved)
    for name, count in sent.items():
        closed = f", {resolved[name]} resolved" if resolved.get(name) else ""
        env.info(f"notified {name}: {count} budget threshold(s){closed}")
