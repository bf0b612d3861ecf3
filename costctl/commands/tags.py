"""``costctl tags``: tag compliance, i.e. how much cost the required tags can allocate."""

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
from costctl.errors import UsageError
from costctl.filters import Filters


@click.command()
@source_options
@range_options
@filter_options
@click.option("--required", "-r", "required", default="team,env", show_default=True, metavar="KEYS",
              help="Comma-separated tag keys every resource should carry.")
@click.option("--by", "by", default=None, metavar="KEY", help="One line per value of this key (provider, account...).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="Untagged resources listed, costliest first.")
@click.option("--resources", "resources", is_flag=True,
              help="List the costliest resources missing a required tag instead of the summary.")
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed = invoiced cost, effective = amortized (default {documented_default('defaults.metric')}).")
@output_options()
@pass_env
def tags(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, days: int | None,
         month: str | None, start: str | None, end: str | None, accounts: tuple[str, ...], services: tuple[str, ...],
         regions: tuple[str, ...], tags: tuple[str, ...], required: str, by: str | None, top: int, resources: bool,
         metric: str | None, fmt: str, output: str | None) -> None:
    """Tag compliance: cost and resources with and without each required tag.

    One line per required tag (and one for all of them together) with the cost and the number
    of resources that carry it or not, and the percentage of cost allocated. The table also
    lists the costliest resources missing a tag; --resources makes that list the output (for
    JSON/CSV, which carry one listing each).

    \b
    Examples:
      costctl --demo tags --required team,env --by provider
      costctl tags --days 30 --required owner --resources --format csv
    """
    from costctl.analysis import tag_compliance
    from costctl.analysis.costs import parse_group_by
    from costctl.output.render import OutputColumn, render

    apply_as_of(env, as_of)
    keys = [k.strip() for k in required.split(",") if k.strip()]
    if not keys:
        raise UsageError("--required: give at least one tag key, e.g. --required team,env")
    by_keys = parse_group_by(by)
    if len(by_keys) > 1:
        raise UsageError("--by: give one key")
    filters = Filters.from_options(accounts, services, regions, tags)
    loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start, end=end,
                              filters=filters)
    metric = metric or env.config.defaults["metric"]
    from costctl.query import columns_for

    by_columns, _by_tags = columns_for(by_keys)
    block = loaded.data.block(["ResourceId", "ResourceName", "SubAccountId", "SubAccountName", "ServiceName",
                               *by_columns], all_tags=True)
    summary, worst = tag_compliance.report(block, keys, by=by_keys[0] if by_keys else None,
                                           metric=metric, top=top)
    if not len(block):
        explain_empty(env, loaded, filters)

    resource_rows = [{"resource": u.resource, "name": u.name, "provider": u.provider, "account": u.account,
                      "service": u.service, "missing": ",".join(sorted(u.missing)), "cost": u.cost,
                      "currency": u.currency} for u in worst]
    resource_columns = [OutputColumn("resource", "Resource", drop=0), OutputColumn("name", "Name"),
                        OutputColumn("provider", "Provider", drop=0), OutputColumn("account", "Account", drop=0),
                        OutputColumn("service", "Service"), OutputColumn("missing", "Missing", drop=0),
                        OutputColumn("cost", "Cost", "money"), OutputColumn("currency", "Currency", drop=0)]
    from costctl.ranges import describe

    span = describe(loaded.start, loaded.end)
    with output_stream(env, output) as stream:
        if resources:
            render(resource_rows, resource_columns, fmt, stream, title=f"Resources missing {required} ({span})")
            return
        rows = [{"group": c.group, "tag": c.tag, "cost_with": c.cost_with, "cost_without": c.cost_without,
                 "resources_with": len(c.resources_with), "resources_without": len(c.resources_without),
                 "pct_allocated": c.pct_allocated, "currency": c.currency} for c in summary]
        columns = ([OutputColumn("group", by_keys[0], drop=0)] if by_keys else []) + [
            OutputColumn("tag", "Tag", drop=0), OutputColumn("cost_with", "Cost tagged", "money"),
            OutputColumn("cost_without", "Cost untagged", "money"),
            OutputColumn("resources_with", "Res. tagged", "int"),
            OutputColumn("resources_without", "Res. untagged", "int"),
            OutputColumn("pct_allocated", "Allocated %", "pct"), OutputColumn("currency", "Currency", drop=0)]
        if not by_keys:
            for row in rows:
                row.pop("group")
        render(rows, columns, fmt, stream, title=f"Tag compliance: {required} ({span}, {metric})")
        if fmt == "table" and resource_rows:
            render(resource_rows, resource_columns, fmt, stream, title=f"Costliest resources missing a tag (top {top})")
