"""``costctl commitments``: Reserved Instances, Savings Plans, reservations and CUDs from billing data."""

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
from costctl.context import Env
from costctl.errors import UsageError
from costctl.filters import Filters
from costctl.ranges import describe


def parse_days(value: str, option: str) -> int:
    """``60d``, ``8w``, ``60`` (days) -> whole days; a one-line usage error otherwise."""
    from costctl.schema import parse_duration

    text = value.strip()
    try:
        days = float(text) if text.isdigit() else parse_duration(text) / 86400
    except ValueError:
        raise UsageError(f"{option}: expected a number of days like 30d, 8w or 60, got {value!r}") from None
    return int(days)


@click.command(short_help="Commitments (RIs, Savings Plans, reservations, CUDs): utilization, savings, coverage.")
@source_options
@range_options
@filter_options
@click.option("--show", type=click.Choice(["utilization", "coverage", "recommendations"]), default="utilization",
              show_default=True,
              help="utilization: one row per commitment (used, unused, utilization, savings, expiry); "
                   "coverage: the share of eligible usage that commitments covered; recommendations: costctl's "
                   "estimate of what more to commit, from the range's uncovered usage (docs/commitments.md).")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only commitments of this type (repeatable; case and spaces ignored, a part is enough: "
                   "'savings plan', 'reserved', 'reservation'; cud, ri and sp abbreviate).")
@click.option("--expiring-within", default=None, metavar="DAYS",
              help="Only commitments whose known term ends within this many days (e.g. 60d).")
@click.option("--group-by", "-g", "group_by", default=None, metavar="KEYS",
              help="With --show coverage: comma-separated service, account, region (default service).")
@output_options()
@pass_env
def commitments(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, days: int | None,
                month: str | None, start: str | None, end: str | None, accounts: tuple[str, ...],
                services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...], show: str,
                types: tuple[str, ...], expiring_within: str | None, group_by: str | None, fmt: str,
                output: str | None) -> None:
    """Commitment discounts from the billing data: per commitment the amortized cost its covered
    usage used and the share left unused, utilization = used / (used + unused), the on-demand
    equivalent and net savings, and the term's end where the source says it; or coverage.

    Figures need amortized data (CUR, an amortized Azure export, FOCUS): an actual-cost export
    shows commitments with no utilization. See docs/commitments.md for every definition.

    \b
    Examples:
      costctl --demo commitments
      costctl --demo commitments --expiring-within 60d
      costctl --demo commitments --show coverage --group-by service,region
      costctl --demo commitments --show recommendations
      costctl commitments --provider aws --type "savings plan" --format json
    """
    from costctl.analysis import commitments as analysis
    from costctl.output.render import OutputColumn, render

    apply_as_of(env, as_of)
    if group_by is not None and show != "coverage":
        raise UsageError("--group-by needs --show coverage")
    if (types or expiring_within) and show != "utilization":
        raise UsageError(f"--{'type' if types else 'expiring-within'} applies to --show utilization")
    within = parse_days(expiring_within, "--expiring-within") if expiring_within is not None else None
    keys = analysis.parse_coverage_keys(group_by) if show == "coverage" else []
    filters = Filters.from_options(accounts, services, regions, tags)
    loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start,
                              end=end, filters=filters)
    today = env.today()
    if show == "recommendations":
        from costctl.analysis.commitment_advice import recommend

        rows = [a.row() for a in recommend(loaded.data, loaded.start, loaded.end)]
        columns = [OutputColumn("provider", "Provider", drop=0), OutputColumn("service", "Service", drop=0),
                   OutputColumn("discount", "Discount %", "pct"),
                   OutputColumn("daily_on_demand", "Base/day", "money"),
                   OutputColumn("hourly_commitment", "Commit/h", "price"),
                   OutputColumn("monthly_savings", "Savings/mo", "money"),
                   OutputColumn("backtest_net", "Back-test net", "money"),
                   OutputColumn("backtest_utilization", "Back-test util %", "pct", 2),
                   OutputColumn("currency", "Currency", drop=0)]
        title = (f"Commitment recommendations {describe(loaded.start, loaded.end)} (P10 of daily uncovered "
                 "usage, observed discount, no upfront)")
    elif show == "coverage":
        rows = analysis.coverage(loaded.data, keys)
        columns = [OutputColumn("provider", "Provider", drop=0)]
        columns += [OutputColumn(k, k.capitalize(), drop=0 if i == 0 else 1) for i, k in enumerate(keys)]
        columns += [OutputColumn("eligible", "Eligible", "money"), OutputColumn("covered", "Covered", "money"),
                    OutputColumn("on_demand", "On demand", "money"), OutputColumn("coverage", "Coverage %", "pct"),
                    OutputColumn("currency", "Currency", drop=0)]
        title = f"Commitment coverage {describe(loaded.start, loaded.end)} (at on-demand prices)"
    else:
        found = analysis.select(analysis.commitments(loaded.data), types, within, today)
        rows = [c.row(today) for c in found]
        columns = [OutputColumn("provider", "Provider", drop=0), OutputColumn("commitment", "Commitment", drop=0),
                   OutputColumn("commitment_id", "Id", drop=6),
                   OutputColumn("type", "Type", drop=0), OutputColumn("account", "Account", drop=2),
                   OutputColumn("used", "Used", "money"), OutputColumn("unused", "Unused", "money"),
                   OutputColumn("utilization", "Util %", "pct"), OutputColumn("on_demand", "On demand", "money", 4),
                   OutputColumn("savings", "Savings", "money"), OutputColumn("end", "Ends", drop=1),
                   OutputColumn("days_left", "Days left", "int"), OutputColumn("currency", "Currency", drop=0),
                   OutputColumn("name", "Name", drop=5), OutputColumn("category", "Category", drop=5)]
        title = f"Commitments {describe(loaded.start, loaded.end)} (amortized; days left from {today})"
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title)
    if not rows:
        if loaded.data.count():
            env.info("no commitment rows in the range: the data names no reservation, savings plan or CUD"
                     + (" matching the options" if types or within is not None else ""))
        else:
            explain_empty(env, loaded, filters)
