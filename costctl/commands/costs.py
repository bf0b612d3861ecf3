"""``costctl costs``: cost reports by period and group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from costctl.commands.common import (
    apply_as_of,
    explain_empty,
    filter_options,
    load_for_options,
    output_options,
    output_stream,
    pass_env,
    range_options,
    source_options,
)
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import UsageError
from costctl.filters import Filters
from costctl.ranges import describe


@click.command()
@source_options
@range_options
@filter_options
@click.option("--group-by", "-g", "group_by", default=None, metavar="KEYS",
              help="Comma-separated: provider, source, account, account_name, service, category, region, "
                   "resource, sku, charge_category, billing_account, tag:KEY.")
@click.option("--granularity", type=click.Choice(["daily", "monthly", "total"]), default="daily", show_default=True)
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed = invoiced cost, effective = amortized (default {documented_default('defaults.metric')}).")
@click.option("--month-basis", type=click.Choice(["usage", "invoice"]), default=None,
              help="Months by usage date, or by invoice month as the bill counts them (GCP invoice.month, "
                   "FOCUS BillingPeriodStart); applies to --month and monthly rows "
                   f"(default {documented_default('defaults.month_basis')}).")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="Keep the N largest groups; fold the rest into (other).")
@click.option("--compare", default=None, metavar="previous|last-year|YYYY-MM",
              help="Add previous_cost, delta and delta_pct to every row: against the previous month (monthly "
                   "rows) or period, the same days a year earlier, or the same days of a given month; aligned "
                   "by days elapsed (a partial month against the same days of the other one).")
@click.option("--chart", is_flag=True,
              help="Draw the rows instead of listing them: bars per day/month or group, or one sparkline per "
                   "group when there are groups and periods (table format only).")
@output_options()
@pass_env
def costs(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, days: int | None,
          month: str | None, start: str | None, end: str | None, accounts: tuple[str, ...],
          services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...], group_by: str | None,
          granularity: str, metric: str | None, month_basis: str | None, top: int | None, compare: str | None,
          chart: bool, fmt: str, output: str | None) -> None:
    """Cost report: per day, month or in total, grouped as asked.

    \b
    Examples:
      costctl --demo costs --group-by provider --granularity monthly
      costctl costs --days 7 --group-by service --top 5 --format csv
      costctl costs --file cur.csv.gz --granularity total --format json
      costctl costs --provider gcp-billing --month 2026-10 --month-basis invoice --granularity total
      costctl --demo costs --compare previous --granularity monthly --group-by provider
      costctl costs --month 2026-11 --granularity total --group-by service --compare last-year
      costctl --demo costs --days 30 --group-by provider --chart
    """
    from costctl.analysis import costs as report
    from costctl.output.render import OutputColumn, render

    apply_as_of(env, as_of)
    keys = report.parse_group_by(group_by)
    filters = Filters.from_options(accounts, services, regions, tags)
    basis = month_basis or env.config.defaults["month_basis"]
    if chart and fmt != "table":
        raise UsageError(f"--chart draws for people; drop it for --format {fmt}")
    if chart and compare is not None:
        raise UsageError("--chart and --compare cannot be combined; chart each period on its own")
    if compare is not None:
        from costctl.analysis.compare import parse_mode

        mode = parse_mode(compare)
        if basis == "invoice":
            raise UsageError("--compare aligns usage days; it cannot be combined with --month-basis invoice")
        loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start,
                                  end=end, filters=filters)
        _compared(env, loaded, keys, granularity, metric or env.config.defaults["metric"], top, mode, filters,
                  providers, files, fmt, output)
        return
    if basis == "invoice" and month:
        # An invoice month holds usage from a few days around it: load those, keep its rows.
        from costctl.ranges import month_range

        first, after = month_range(month)
        loaded = load_for_options(env, providers=providers, files=files, days=None, month=None,
                                  start=(first - timedelta(days=report.INVOICE_MARGIN_DAYS)).isoformat(),
                                  end=(after + timedelta(days=report.INVOICE_MARGIN_DAYS - 1)).isoformat(),
                                  filters=filters)
        frame = _rollup(loaded, keys, granularity)
        frame = frame.loc[(report.invoice_months(frame) == month).to_numpy()].reset_index(drop=True)
    else:
        loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start,
                                  end=end, filters=filters)
        frame = _rollup(loaded, keys, granularity)
    result = report.build(frame, group_by=keys, granularity=granularity,
                          metric=metric or env.config.defaults["metric"], top=top, month_basis=basis)

    # The period and the group keys are what tells two rows apart: never dropped (a screen too
    # narrow for them shows one block per row instead).
    columns = ([OutputColumn(result.period, drop=0)] if result.period else [])
    columns += [OutputColumn(name, key, drop=0) for name, key in zip(result.keys, keys, strict=True)]
    columns += [OutputColumn("cost", "Cost", "money"), OutputColumn("currency", "Currency", drop=0)]
    if result.period == "month":
        _mark_partial(result.rows, loaded.start, loaded.end, label=fmt == "table")
        if fmt != "table":
            columns.append(OutputColumn("partial"))
    # A total report without groups is its own total: no footer then.
    footer = [] if not (result.period or result.keys) else [{**({result.period: "Total"} if result.period else {}),
               **({result.keys[0]: "Total"} if not result.period and result.keys else {}),
               "cost": t["cost"], "currency": t["currency"]} for t in result.totals]
    title = f"Costs {describe(loaded.start, loaded.end)} ({metric or env.config.defaults['metric']})"
    with output_stream(env, output) as stream:
        if chart:
            _chart(env, result, stream, title)
        else:
            render(result.rows, columns, fmt, stream, title=title, footer=footer)
    if not result.rows:
        explain_empty(env, loaded, filters)


def _compared(env: Env, loaded: Any, keys: list[str], granularity: str, metric: str, top: int | None, mode: str,
              filters: Filters, providers: tuple[str, ...], files: tuple[str, ...], fmt: str,
              output: str | None) -> None:
    """The ``--compare`` report: the range's rows joined with those of the reference days."""
    import pandas as pd

    from costctl.analysis import compare as cmp
    from costctl.analysis import costs as report
    from costctl.output.render import OutputColumn, render

    def daily(data: Any) -> tuple[pd.DataFrame, list[str]]:
        built = report.build(_rollup(data, keys), group_by=keys, granularity="daily", metric=metric)
        return pd.DataFrame(built.rows), built.keys

    current, names = daily(loaded)
    lo, hi = loaded.start, loaded.end
    found = cmp.windows(lo, hi, granularity, mode) if lo is not None and hi is not None else []
    days = cmp.span(found)
    previous = pd.DataFrame()
    if days is not None:
        before = load_for_options(env, providers=providers, files=files, days=None, month=None,
                                  start=days[0].isoformat(), end=(days[1] - timedelta(days=1)).isoformat(),
                                  filters=filters)
        previous = daily(before)[0]
        if previous.empty:
            env.info(f"note: no cost records for the reference days {describe(*days)}; previous_cost is 0")
    period = report.PERIOD_COLUMN[granularity]
    rows = cmp.join(current, previous, found, names, period, top)
    columns = ([OutputColumn(period, drop=0)] if period else [])
    columns += [OutputColumn(name, key, drop=0) for name, key in zip(names, keys, strict=True)]
    columns += [OutputColumn("cost", "Cost", "money"), OutputColumn("previous_cost", "Previous", "money"),
                OutputColumn("delta", "Delta", "money"),
                OutputColumn("delta_pct", "Delta %", "percent" if fmt == "table" else "number"),
                OutputColumn("currency", "Currency", drop=0)]
    if period == "month" and lo is not None:
        _mark_partial(rows, lo, hi, label=fmt == "table")
    if fmt != "table":
        columns += [OutputColumn("previous_start"), OutputColumn("previous_end")]
        if period == "month":
            columns.append(OutputColumn("partial"))
    footer = [{**({period: "Total"} if period else {}), **({names[0]: "Total"} if not period and names else {}),
               **t} for t in cmp.totals(rows)] if (period or names) else []
    title = (f"Costs {describe(lo, hi) if lo is not None else 'no days'} ({metric}) "
             f"{cmp.describe(found, mode, granularity)}")
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title, footer=footer)
    if not rows:
        explain_empty(env, loaded, filters)


def _chart(env: Env, result: Any, stream: Any, title: str) -> None:
    """The report's rows drawn (``costctl.output.chart``) at the screen's width."""
    from costctl.output import chart
    from costctl.output.render import View, screen_width

    isatty = getattr(stream, "isatty", None)
    for note in chart.draw(result.rows, result.period, result.keys, stream, title=title,
                           width=screen_width(stream, View.current()), color=bool(isatty and isatty())):
        env.info(note)


def _mark_partial(rows: list[dict[str, Any]], start: Any, end: Any, *, label: bool) -> None:
    """A month the range covers only in part says so: ``partial`` in every row, and in the table
    the month reads ``2026-11 (from 11-02)`` or ``2026-12 (1 day)``."""
    from costctl.ranges import month_part

    for row in rows:
        month = row.get("month")
        part = month_part(month, start, end) if isinstance(month, str) else None
        row["partial"] = part is not None
        if label and part is not None:
            row["month"] = f"{month} ({part})"


def _rollup(loaded: Any, keys: list[str], granularity: str = "daily") -> Any:
    """Sums over the report's group keys (and the invoice month), as a small frame: per day for a
    daily report, per month otherwise (a month row carries its month's first day)."""
    from costctl.query import columns_for

    columns, tag_keys = columns_for(keys)
    return loaded.data.frame([*columns, "BillingPeriodStart"], tag_keys, by_month=granularity != "daily")
