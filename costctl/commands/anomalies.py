"""``costctl anomalies``: cost spikes, drops, level shifts and new spend, with root cause.

Parses options, loads baseline + window, calls ``costctl.analysis.anomalies.detect``, marks
acknowledged anomalies, renders, optionally notifies. Sub-commands ``ack``, ``unack`` and
``acks`` manage acknowledgements. Exit status: 0 ran fine (anomalies or not), 4 with
``--fail-on SEVERITY`` when an unacknowledged anomaly at least that severe was found, 1 runtime
error (including a failed notification), 2 usage or config error.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from costctl.commands.common import (
    apply_as_of,
    filter_options,
    load_dataset,
    output_options,
    output_stream,
    pass_env,
    ranges_with,
    source_options,
)
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import UsageError
from costctl.filters import Filters

FOUND_EXIT = 4  # --fail-on matched: distinct from 1 (runtime error) and 2 (usage), for cron and CI
SEVERITY_CHOICE = click.Choice(["low", "medium", "high", "critical"])
KIND_CHOICE = click.Choice(["spike", "drop", "level_shift", "new"])


def state_dir(env: Env) -> Path:
    """Where acks and notification state live: ``anomalies/`` beside the cache (``costctl.statedir``)."""
    from costctl.statedir import state_dir as where

    return where(env)


def _window(env: Env, loaded_end: date | None, days: int | None, month: str | None, start: str | None,
            end: str | None, default_days: int) -> tuple[date, date]:
    from costctl.ranges import resolve

    today = loaded_end or env.today()
    return resolve(today, days=days, month=month, start=start, end=end, default_days=default_days)


@click.group(invoke_without_command=True, short_help="Cost spikes, drops, level shifts and new spend, with cause.")
@source_options
@ranges_with("anomalies.days")
@filter_options
@click.option("--by", "by", default=None, metavar="KEYS",
              help=f"Group keys, as costs --group-by (default {documented_default('anomalies.by')}).")
@click.option("--history", type=int, default=None,
              help=f"Baseline days before the window (default {documented_default('anomalies.history')}).")
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed or effective (amortized) cost (default {documented_default('defaults.metric')}).")
@click.option("--method", type=click.Choice(["robust", "zscore", "pct", "iqr"]), default=None,
              help="robust: seasonal rolling median + MAD; zscore, pct, iqr: classic rules "
                   f"(default {documented_default('anomalies.method')}).")
@click.option("--sensitivity", type=click.Choice(["low", "medium", "high"]), default=None,
              help="Maps to the method's threshold (docs/anomalies.md) "
                   f"(default {documented_default('anomalies.sensitivity')}).")
@click.option("--threshold", type=float, default=None, help="Override the method's threshold.")
@click.option("--window", type=click.IntRange(min=1), default=None, help="Trailing window of the method in days.")
@click.option("--min-impact", type=click.FloatRange(min=0), default=None, metavar="AMOUNT",
              help="Ignore anomalies moving less money than this per day "
                   f"(default {documented_default('anomalies.min_impact')}).")
@click.option("--min-pct", type=click.FloatRange(min=0), default=None, metavar="PCT",
              help="Ignore anomalies smaller than this percentage of the expected cost "
                   f"(default {documented_default('anomalies.min_pct')}).")
@click.option("--min-severity", type=SEVERITY_CHOICE, default="low", show_default=True, help="Hide less severe ones.")
@click.option("--kind", "kinds", type=KIND_CHOICE, multiple=True, help="Only these kinds (repeatable).")
@click.option("--contributors", type=click.IntRange(min=1), default=None,
              help=f"Root-cause items listed per key (default {documented_default('anomalies.contributors')}).")
@click.option("--rollup", "rollup", default=None, metavar="KEYS",
              help="Fold the anomalies into these levels above --by (provider, account, service): one row per "
                   "day and group with the members that drive it.")
@click.option("--all", "show_all", is_flag=True, help="Include acknowledged anomalies.")
@click.option("--fail-on", type=SEVERITY_CHOICE, default=None,
              help=f"Exit {FOUND_EXIT} when an unacknowledged anomaly at least this severe is found.")
@click.option("--notify", "notify", multiple=True, metavar="NAME",
              help="Send new anomalies to this channel from notifications: (repeatable).")
@output_options()
@click.pass_context
def anomalies(ctx: click.Context, **opts: Any) -> None:
    """Find unusual daily cost per group and say what caused it.

    \b
    Examples:
      costctl --demo anomalies
      costctl --demo anomalies --days 45 --format json
      costctl anomalies --by service --method zscore --sensitivity high
      costctl --demo anomalies --by resource --rollup service
      costctl -q anomalies --notify ops-slack --fail-on high   # from cron
      costctl anomalies ack 3f2a9c1b7d4e --until 2026-12-31 --note "planned migration"

    Exit status: 0 done, 4 found an anomaly at --fail-on or above, 1 error, 2 bad usage.
    """
    if ctx.invoked_subcommand is not None:
        return
    env: Env = ctx.find_object(Env)
    run(env, **opts)


def run(env: Env, *, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, days: int | None,
        month: str | None, start: str | None, end: str | None, accounts: tuple[str, ...], services: tuple[str, ...],
        regions: tuple[str, ...], tags: tuple[str, ...], by: str | None, history: int | None, metric: str | None,
        method: str | None, sensitivity: str | None, threshold: float | None, window: int | None,
        min_impact: float | None, min_pct: float | None, min_severity: str, kinds: tuple[str, ...],
        contributors: int | None, rollup: str | None, show_all: bool, fail_on: str | None,
        notify: tuple[str, ...], fmt: str, output: str | None) -> None:
    from costctl.analysis import anomalies as core
    from costctl.analysis import anomaly_sql
    from costctl.analysis.anomaly_severity import at_least
    from costctl.analysis.anomaly_store import AnomalyStore
    from costctl.analysis.costs import parse_group_by

    apply_as_of(env, as_of)
    cfg = env.config.section("anomalies") or {}
    keys = parse_group_by(by or cfg["by"])
    if not keys:
        raise UsageError("--by: give at least one key")
    history = history if history is not None else cfg["history"]
    if history < 7:
        raise UsageError(f"--history: at least 7 days of baseline are needed, got {history}")
    if history > 3660:  # ten years of baseline; more is a typo (and overflows date arithmetic)
        raise UsageError(f"--history: at most 3660 days of baseline, got {history}")
    settings = core.Settings(keys=keys, method=method or cfg["method"], sensitivity=sensitivity or cfg["sensitivity"],
                             threshold=threshold, window=window,
                             min_impact=min_impact if min_impact is not None else cfg["min_impact"],
                             min_pct=min_pct if min_pct is not None else cfg["min_pct"],
                             metric=metric or env.config.defaults["metric"],
                             top_contributors=contributors if contributors is not None else cfg["contributors"],
                             cutoffs=cfg["severity"] or core.DEFAULT_CUTOFFS)
    settings.resolved_threshold()
    level = _rollup_level(rollup, keys)
    filters = Filters.from_options(accounts, services, regions, tags)
    if notify:  # a bad channel name or a damaged state file fails before anything is printed
        from costctl.notify.dispatch import check_names
        from costctl.notify.state import NotifiedState

        check_names(env.config.section("notifications") or {}, notify)
        NotifiedState(state_dir(env)).check()

    if files:
        loaded = load_dataset(env, providers=(), files=files, start=None, end=None)
        lo, hi = _window(env, env.as_of or loaded.end, days, month, start, end, cfg["days"])
    else:
        lo, hi = _window(env, None, days, month, start, end, cfg["days"])
        loaded = load_dataset(env, providers=providers, files=(), start=lo - timedelta(days=history), end=hi)
    # The newest day of each source, before filters: later days are not reported yet, not zero.
    reported = anomaly_sql.reported_through(loaded.data)
    selected = loaded.data.filtered(filters)
    found = core.detect_data(selected, settings, lo - timedelta(days=history), lo, hi, reported)
    if filters and reported and not selected.count():  # a filter value that matches nothing says so
        from costctl.explain import filter_misses

        for line in filter_misses(loaded.data, filters):
            env.info(line)
    gap = core.unreported(reported, lo, hi)
    if gap:
        env.info(f"warning: {gap}; no day of the window was judged")
    for note in [] if gap else core.lagging(reported, lo, hi):
        env.info(f"note: {note}")

    store = AnomalyStore(state_dir(env))
    store.mark(found)
    store.remember(found, env.real_today())
    shown = [a for a in found if (show_all or not a.acknowledged) and at_least(a.severity, min_severity)
             and (not kinds or a.kind in kinds)]
    if level:
        _render_rollups(env, shown, level, settings, lo, hi, fmt, output)
    else:
        _render(env, shown, settings, lo, hi, fmt, output)

    if notify:
        from costctl.notify.alerts import anomaly_source
        from costctl.notify.dispatch import dispatch
        from costctl.notify.state import NotifiedState

        # A run narrowed by filters, --provider, --kind or --min-severity resolves only what it saw.
        scoped = bool(filters) or bool(providers) or bool(kinds) or min_severity != "low"
        alerts = anomaly_source(shown, {a.id for a in found if a.acknowledged}, lo, hi, scoped)
        resolved: dict[str, int] = {}
        sent = dispatch(env.config.section("notifications") or {}, list(notify), shown,
                        NotifiedState(state_dir(env)), env.real_today(), alerts, env.clock(), resolved)
        for name, count in sent.items():
            closed = f", {resolved[name]} resolved" if resolved.get(name) else ""
            env.info(f"notified {name}: {count} new anomal{'y' if count == 1 else 'ies'}{closed}")
    if fail_on and any(not a.acknowledged and at_least(a.severity, fail_on) for a in shown):
        raise click.exceptions.Exit(FOUND_EXIT)


def _render(env: Env, found: list[Any], settings: Any, lo: date, hi: date, fmt: str, output: str | None) -> None:
    from costctl.analysis.anomaly_rollup import ancestor_keys
    from costctl.analysis.anomaly_rootcause import main_cause
    from costctl.analysis.costs import output_name
    from costctl.output.render import OutputColumn, render

    names = [output_name(k) for k in settings.keys]
    above = [output_name(k) for k in ancestor_keys(settings.keys)]
    shown_above = [k for k in above if k != "provider"]  # an account says which provider
    rows = []
    for a in found:
        row = a.record()
        if fmt == "table":  # the table names a resource by its last segment; JSON and CSV keep the full id
            row.update({k: v for k, v in a.rollup.items() if k in shown_above})
            if "resource" in row:
                row["resource"] = _short(row["resource"])
        else:
            row.update({f"rollup_{k}": v for k, v in a.rollup.items()})
        cause = main_cause(a.contributors)
        if cause is not None:
            (key, value), = cause.keys.items()
            row["cause"] = f"{key} {_short(value)} {cause.share:.0%}"
        rows.append(row)
    columns = [OutputColumn("date", drop=0), OutputColumn("kind", drop=1), OutputColumn("severity", drop=0)]
    columns += [OutputColumn(n, k, drop=0) for n, k in zip(names, settings.keys, strict=True)]
    if fmt == "table":  # where a resource bills: given up first when the screen is narrow
        columns += [OutputColumn(k, k, drop=3) for k in reversed(shown_above)]
    columns += [OutputColumn("cost", "Cost", "money"), OutputColumn("expected", "Expected", "money"),
                OutputColumn("impact", "Impact", "money")]
    if fmt == "table":
        columns += [OutputColumn("pct", "Change", "percent"), OutputColumn("currency", "Cur", drop=0),
                    OutputColumn("cause", "Main cause", drop=2), OutputColumn("id", "Id", drop=0)]
    else:
        columns += [OutputColumn("pct", kind="number"), OutputColumn("score", kind="number"), OutputColumn("severity"),
                    OutputColumn("method"), OutputColumn("false_alarm_rate", kind="number"),
                    OutputColumn("currency"), OutputColumn("id"), OutputColumn("acknowledged")]
        columns = [c for i, c in enumerate(columns) if c.key not in {x.key for x in columns[:i]}]
        if fmt == "json":
            columns.append(OutputColumn("contributors"))
            if above:
                columns.append(OutputColumn("rollup"))
        else:
            columns += [OutputColumn(f"rollup_{k}") for k in above]
    from costctl.ranges import describe

    title = (f"Anomalies {describe(lo, hi)} ({settings.method}, {settings.sensitivity}, "
             f"{settings.metric})")
    caption = None if found else "no anomalies"
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title, caption=caption)


def _rollup_level(rollup: str | None, keys: list[str]) -> list[str]:
    """``--rollup`` as output names; each must be a level above the ``--by`` keys (or one of them)."""
    from costctl.analysis.anomaly_rollup import ROLLUP_LEVELS, ancestor_keys
    from costctl.analysis.costs import output_name

    if not rollup:
        return []
    level = [k.strip() for k in rollup.split(",") if k.strip()]
    allowed = [*ancestor_keys(keys), *[k for k in keys if k in ROLLUP_LEVELS]]
    bad = [k for k in level if k not in allowed]
    if bad or not level:
        named = ", ".join(bad) or repr(rollup)
        raise UsageError(f"--rollup: {named} is not a level above --by "
                         f"{','.join(keys)} (choose from: {', '.join(allowed) or 'none'})")
    return [output_name(k) for k in level]


def _render_rollups(env: Env, found: list[Any], level: list[str], settings: Any, lo: date, hi: date, fmt: str,
                    output: str | None) -> None:
    """One row per day and ancestor: how many members moved, together, and the ones that drive it."""
    from costctl.analysis.anomaly_rollup import rollups
    from costctl.output.render import OutputColumn, render
    from costctl.ranges import describe

    rows = []
    for r in rollups(found, level, settings.top_contributors):
        row = r.record()
        row["kinds"] = ", ".join(r.kinds) if fmt != "json" else r.kinds
        if fmt != "json":
            row["members"] = "; ".join(f"{_short(next(iter(m.values()), None))} {m['impact']:+,.2f}"
                                       for m in r.members)
        rows.append(row)
    # Narrow screens give up the kinds, then cost and expected, before the members that drive it.
    columns = [OutputColumn("date", drop=0), *[OutputColumn(k, drop=0) for k in level],
               OutputColumn("anomalies", "N", "int"), OutputColumn("kinds", drop=3), OutputColumn("severity", drop=0),
               OutputColumn("cost", "Cost", "money", drop=2), OutputColumn("expected", "Expected", "money", drop=2),
               OutputColumn("impact", "Impact", "money"), OutputColumn("currency", "Cur", drop=0),
               OutputColumn("members", "Driven by", drop=0)]
    title = (f"Anomalies {describe(lo, hi)} by {', '.join(level)} ({settings.method}, {settings.sensitivity}, "
             f"{settings.metric}; detected per {', '.join(settings.keys)})")
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title, caption=None if rows else "no anomalies")


def _short(value: str | None) -> str:
    """The last segment of an ARN / Azure id / GCP resource name: what a table cell has room for."""
    if not value:
        return "(none)"
    tail = value.rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit(":", 1)[-1] if len(tail) > 40 or tail == value else tail


@anomalies.command("ack")
@click.argument("anomaly_id", metavar="ID")
@click.option("--until", default=None, metavar="YYYY-MM-DD",
              help="Also silence later anomalies of the same group through this day (a planned change); "
                   "after it the ack expires and new anomalies of the group alert again.")
@click.option("--note", default=None, help="Why this is accepted (shown by `anomalies acks`).")
@pass_env
def ack(env: Env, anomaly_id: str, until: str | None, note: str | None) -> None:
    """Acknowledge anomaly ID so it stops alerting (ids are in every listing)."""
    from costctl.analysis.anomaly_store import AnomalyStore
    from costctl.ranges import parse_date

    day = parse_date(until, "--until") if until else None
    done = AnomalyStore(state_dir(env)).acknowledge(anomaly_id, env.real_today(), day, note)
    where = " / ".join(v or "(none)" for v in done.group.values())
    span = f" through {done.until}" if done.until else ""
    env.info(f"acknowledged {done.id} ({where}, {done.date}{span})")


@anomalies.command("unack")
@click.argument("anomaly_id", metavar="ID")
@pass_env
def unack(env: Env, anomaly_id: str) -> None:
    """Remove the acknowledgement of anomaly ID."""
    from costctl.analysis.anomaly_store import AnomalyStore

    if not AnomalyStore(state_dir(env)).unacknowledge(anomaly_id):
        raise UsageError(f"anomaly {anomaly_id!r} is not acknowledged")
    env.info(f"removed the acknowledgement of {anomaly_id}")


@anomalies.command("acks")
@output_options()
@pass_env
def acks(env: Env, fmt: str, output: str | None) -> None:
    """List acknowledgements."""
    from dataclasses import asdict

    from costctl.analysis.anomaly_store import AnomalyStore
    from costctl.output.render import OutputColumn, render

    rows = []
    today = env.today().isoformat()
    for a in AnomalyStore(state_dir(env)).acks():
        row = asdict(a)
        row["group"] = " / ".join(v or "(none)" for v in a.group.values())
        # An ack with --until stops silencing the group's later anomalies after that day (it expires,
        # like `idle ignore --until`); the anomaly it was given for stays acknowledged.
        row["active"] = a.until is None or a.until >= today
        rows.append(row)
    columns = [OutputColumn(k, drop=0 if k in ("id", "date", "until", "active", "group") else 1)
               for k in ("id", "date", "until", "active", "group", "currency", "note", "created")]
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title="Acknowledged anomalies", caption=None if rows else "none")
