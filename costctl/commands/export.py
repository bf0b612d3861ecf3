"""``costctl export``: the cached records of every provider in a standard format (FOCUS 1.2)."""

from __future__ import annotations

import os

import click

from costctl.commands.common import (
    apply_as_of,
    filter_options,
    load_for_options,
    output_stream,
    pass_env,
    range_options,
    source_options,
)
from costctl.context import Env
from costctl.errors import OutputError, UsageError
from costctl.filters import Filters

# Rows by day, then enough columns that two runs over the same records write the same bytes.
ORDER = ("ChargePeriodStart, x_CostctlSource, SubAccountId, ServiceName, ResourceId, SkuId, ChargeCategory, "
         "ChargeDescription, BilledCost, EffectiveCost, Tags")


@click.group()
def export() -> None:
    """Export the records costctl holds in a standard format."""


@export.command("focus")
@source_options
@range_options
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default=None,
              help="File format (default: parquet for a .parquet name, else csv).")
@click.option("--output", "-o", default=None, metavar="FILE",
              help="Write here (a .gz name is gzip-compressed) instead of stdout.")
@pass_env
def focus(env: Env, providers: tuple[str, ...], files: tuple[str, ...], as_of: str | None, days: int | None,
          month: str | None, start: str | None, end: str | None, accounts: tuple[str, ...],
          services: tuple[str, ...], regions: tuple[str, ...], tags: tuple[str, ...], fmt: str | None,
          output: str | None) -> None:
    """Every cost row of the range as a FinOps FOCUS 1.2 dataset.

    One row per record row, of every provider (or those given with --provider), with the 1.2
    mandatory columns, the conditional and recommended ones costctl keeps, and x_CostctlSource /
    x_CostctlEstimated. Where a source has no value the column is null, except where the
    specification says what a missing value is (docs/focus.md). A provider that fails fails the
    export: it never leaves that provider's rows out silently.

    \b
    Examples:
      costctl --demo export focus --days 30 -o focus.csv.gz
      costctl export focus --month 2026-03 --provider aws-prod -o march.parquet
      costctl export focus --file cur.csv.gz --format csv | head
    """
    from costctl.duck import connect
    from costctl.focus_export import select_list
    from costctl.oserrors import describe
    from costctl.output import datafile
    from costctl.query import translated

    apply_as_of(env, as_of)
    fmt = datafile.format_for(output, fmt)
    if fmt == "parquet" and output is None and env.stdout.isatty():
        raise UsageError("parquet is binary: give --output FILE (or pipe stdout to a file)")
    filters = Filters.from_options(accounts, services, regions, tags)
    loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start,
                              end=end, filters=filters)
    query = f"{loaded.data.sql(select_list(text_times=fmt == 'csv'))} ORDER BY {ORDER}"
    scratch = (os.path.dirname(os.path.abspath(output)) or None) if output else None
    with translated(), output_stream(env, output) as text:
        text.flush()
        binary = getattr(text, "buffer", None)
        if binary is None:
            raise UsageError("this output stream takes text only; give --output FILE")
        try:
            rows = datafile.write(connect(), query, binary, fmt, compress=datafile.gzipped(output),
                                  scratch_dir=scratch)
        except OSError as exc:
            raise OutputError(describe(exc, output or "stdout")) from None
        binary.flush()
    env.info(f"{rows} row(s) written as FOCUS 1.2 {fmt}" + (f" to {output}" if output else ""))
