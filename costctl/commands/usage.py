"""``costctl usage``: consumed quantities per unit and group, with unit costs."""

from __future__ import annotations

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
from costctl.filters import Filters
from costctl.ranges import describe


@click.command(short_help="Consumed quantities per unit, with unit costs.")
@source_options
@range_options
@filter_options
@click.option("--group-by", "-g", "group_by", default=None, metavar="KEYS",
              help="Comma-separated: service, resource_type, unit, account, account_name, region, sku, provider, "
                   "category, resource, tag:KEY. The unit is always a group (added when not named).")
@click.option("--granularity", type=click.Choice(["daily", "monthly", "total"]), default="total", show_default=True)
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"Cost behind unit_cost: billed or effective (default {documented_default('defaults.metric')}).")
@click.option("--quantity", "basis", type=click.Choice(["consumed", "pricing"]), default="consumed",
              show_default=True,
              help="consumed = ConsumedQuantity/ConsumedUnit; pricing = PricingQuantity/PricingUnit, the quantity "
                   "the price applies to (e.g. per 1M requests), where the source has it.")
@output_options()
@pass_env
def usage(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, days: int | None,
          month: str | None, start: str | None, end: str | None, accounts: tuple[str, ...],
          services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...], group_by: str | None,
          granularity: str, metric: str | None, basis: str, fmt: str, output: str | None) -> None:
    """Usage report: consumed quantities summed per unit and group, and cost per unit.

    Only rows with a consumed unit count (tax, credits and purchases have none). Quantities in
    different units are never added up: the unit is always one of the groups.

    \b
    Examples:
      costctl --demo usage --group-by service,unit --days 7
      costctl usage --service "Amazon Elastic Compute Cloud" --granularity daily --days 14
      costctl usage --group-by account,resource_type --month 2026-11 --format csv
    """
    from costctl.analysis import usage as report
    from costctl.output.render import OutputColumn, render

    apply_as_of(env, as_of)
    keys = report.parse_group_by(group_by)
    filters = Filters.from_options(accounts, services, regions, tags)
    metric = metric or env.config.defaults["metric"]
    loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start,
                              end=end, filters=filters)
    columns, tag_keys = report.record_columns(keys)
    frame = report.on_basis(loaded.data, basis).narrowed(report.HAS_UNIT).frame(columns, tag_keys)
    result = report.build(frame, group_by=keys, granularity=granularity, metric=metric)
    out = [OutputColumn(result.period, drop=0)] if result.period else []
    out += [OutputColumn(name, key, drop=0) for name, key in zip(result.keys, keys, strict=True)
            if name != report.UNIT_KEY]
    out += [OutputColumn("quantity", "Quantity", "number"), OutputColumn("unit", "Unit", drop=0),
            OutputColumn("cost", "Cost", "money"), OutputColumn("unit_cost", "Unit cost", "price"),
            OutputColumn("currency", "Currency", drop=0)]
    what = "Usage" if basis == "consumed" else "Usage in pricing units"
    title = f"{what} {describe(loaded.start, loaded.end)} (unit cost from {metric} cost)"
    with output_stream(env, output) as stream:
        render(result.rows, out, fmt, stream, title=title)
    if not result.rows:
        explain_empty(env, loaded, filters)
