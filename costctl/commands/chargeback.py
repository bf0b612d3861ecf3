"""``costctl chargeback``: a month's cost per owner, shared and untagged cost allocated, to the cent."""

from __future__ import annotations

from datetime import date, timedelta

import click

from costctl.commands.common import (
    apply_as_of,
    explain_empty,
    filter_options,
    load_dataset,
    output_options,
    output_stream,
    pass_env,
    source_options,
)
from costctl.config import documented_default
from costctl.context import Env
from costctl.errors import UsageError
from costctl.filters import Filters


def last_complete_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


@click.command()
@source_options
@click.option("--month", default=None, metavar="YYYY-MM", help="Month to charge back (default: the last complete one).")
@click.option("--by", "by", default="tag:team", show_default=True, metavar="KEY",
              help="Owner key: tag:KEY, account, service, provider... (any --group-by key).")
@click.option("--shared", "shared", multiple=True, metavar="KEY=VALUE",
              help="Cost to distribute over the owners, e.g. service=Support or tag:team=platform (repeatable: "
                   "a row is shared when it matches any).")
@click.option("--split", type=click.Choice(["proportional", "even"]), default="proportional", show_default=True,
              help="Distribute shared cost by each owner's share of direct cost, or evenly.")
@click.option("--untagged", type=click.Choice(["line", "spread"]), default="line", show_default=True,
              help="Cost without an owner: its own line, or spread over the owners like shared cost.")
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed = invoiced cost, effective = amortized (default {documented_default('defaults.metric')}).")
@filter_options
@output_options()
@pass_env
def chargeback(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, month: str | None,
               by: str, shared: tuple[str, ...], split: str, untagged: str, metric: str | None,
               accounts: tuple[str, ...], services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...],
               fmt: str, output: str | None) -> None:
    """Chargeback: cost per owner for a month, with shared and untagged cost allocated.

    Every line is in whole cents and the lines always add up to the month's total to the cent
    (the report says so): the exact total is rounded once and each split is rounded with the
    largest-remainder method.

    \b
    Examples:
      costctl --demo chargeback --by tag:team --shared tag:team=platform
      costctl chargeback --month 2026-03 --by account --shared service=Support --split even
      costctl chargeback --by tag:team --untagged spread --format csv -o chargeback.csv
    """
    from costctl.analysis.chargeback import from_block
    from costctl.analysis.costs import parse_group_by
    from costctl.budgets.scope import Scope, parse_selector
    from costctl.output.render import OutputColumn, render
    from costctl.ranges import month_part, month_range

    apply_as_of(env, as_of)
    keys = parse_group_by(by)
    if len(keys) != 1:
        raise UsageError("--by: give exactly one owner key, e.g. tag:team or account")
    scopes = []
    for item in shared:
        try:
            scopes.append(Scope.from_pairs([parse_selector(item)]))
        except ValueError as exc:
            raise UsageError(f"--shared: {exc}") from None
    month = month or last_complete_month(env.today())
    start, end = month_range(month)
    filters = Filters.from_options(accounts, services, regions, tags)
    loaded = load_dataset(env, providers=providers, files=files, start=start, end=end, filters=filters)
    metric = metric or env.config.defaults["metric"]
    from costctl.budgets.scope import columns_of
    from costctl.query import columns_for

    columns, tag_keys = columns_for(keys)
    more_columns, more_tags = columns_of(scopes)
    block = loaded.data.block([*columns, *more_columns], [*tag_keys, *more_tags])
    results = from_block(block, key=keys[0], shared=scopes, metric=metric, split=split,
                         untagged=untagged)

    # A month not over yet is charged back to date: said in the title and as ``partial`` in data rows.
    part = month_part(month, start, min(end, env.today()))
    rows, footer, notes = [], [], []
    for result in results:
        for line in result.lines:
            rows.append({"owner": line.owner, "direct": line.direct / 100, "shared": line.shared / 100,
                         "untagged": line.untagged / 100, "total": line.total / 100,
                         "share_pct": line.total / result.total * 100 if result.total else None,
                         "currency": result.currency, "partial": part is not None})
        footer.append({"owner": "Total", "direct": sum(li.direct for li in result.lines) / 100,
                       "shared": sum(li.shared for li in result.lines) / 100,
                       "untagged": sum(li.untagged for li in result.lines) / 100,
                       "total": result.total / 100, "currency": result.currency})
        state = "reconciles" if result.reconciles else "DOES NOT reconcile"
        notes.append(f"{result.currency or 'no currency'}: lines sum to {result.total / 100:,.2f}, {state} with "
                     f"the month's total of {result.records} records to the cent")
    columns = [OutputColumn("owner", by, drop=0), OutputColumn("direct", "Direct", "money"),
               OutputColumn("shared", "Shared", "money"), OutputColumn("untagged", "Untagged", "money"),
               OutputColumn("total", "Total", "money"), OutputColumn("share_pct", "Share %", "pct"),
               OutputColumn("currency", "Currency", drop=0)]
    if fmt != "table":
        columns.append(OutputColumn("partial"))
    caption = "; ".join(notes) or "no cost in this month"
    if not rows:
        explain_empty(env, loaded, filters)
    label = f"{month} ({part}, the month is not over)" if part else month
    title = (f"Chargeback {label} by {by} ({metric}; shared: {', '.join(shared) or 'none'}, split {split}, "
             f"untagged as {untagged})")
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title, footer=footer, caption=caption)
    if fmt != "table":
        env.info(caption)
    if any(not r.reconciles for r in results):  # cannot happen by construction; never hide it if it does
        raise click.ClickException("chargeback does not reconcile to the month's total; please report this")
