"""``costctl commitments``: Reserved Instances, Savings Plans, reservations and CUDs from billing data."""

from __future__ import annotations

from datetime import date
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
from costctl.context import Env
from costctl.errors import ProviderError, UsageError
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


SOURCES = ("billing", "api", "both")


def api_sources(env: Env, providers: tuple[str, ...], files: tuple[str, ...], source: str | None) -> list[str]:
    """The provider instances asked through their cloud's APIs under ``--source``.

    Default (``both``): every selected instance whose provider has ``commitment_source``; the
    demo's and ``--file``'s billing data have none. ``--source api`` on an instance without it is
    that provider's one-line refusal; with nothing able to answer, a usage error.
    """
    from costctl import loader
    from costctl.providers import registry

    if source == "billing":
        return []
    if files or env.demo:
        if source == "api":
            raise UsageError("--source api asks the clouds' APIs; --file and --demo hold billing data only "
                             "(use --source billing, or a configured aws/azure/gcp provider)")
        return []
    names = loader.select_sources(env, providers)
    chosen = []
    for name in names:
        settings = env.config.providers[name]
        provider = registry.instance(settings["type"], name, settings)
        if source == "api" and providers:
            registry.capability(provider, "commitment_source")  # the provider's one-line refusal
        if provider.commitment_source() is not None:
            chosen.append(name)
    if source == "api" and not chosen:
        raise UsageError("--source api: none of the selected providers can ask its cloud for commitments "
                         "(aws, azure and gcp can); use --source billing")
    return chosen


def api_rows(env: Env, names: list[str], show: str, start: date, end: date, keys: list[str],
             filters: Filters) -> tuple[list[dict[str, Any]], list[str]]:
    """Output rows of the cloud-API figures of ``names``, and one line per instance that failed.

    One instance's failure (denied, throttled too long, a malformed answer) does not lose the
    others' rows; the command reports the failures after the table, as ``costctl idle`` does.
    """
    from costctl import loader
    from costctl.analysis import commitment_api
    from costctl.errors import CostctlError
    from costctl.providers import registry

    today = env.today()
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for name in names:
        provider = loader.make_provider(env, name)
        try:
            source = registry.capability(provider, "commitment_source")
            with env.progress(f"{name}: asking the cloud for commitment {show}"):
                found = commitment_api.fetch(provider, source, show, start, end)
        except CostctlError as exc:
            failed.append(f"{name}: {exc}")
            continue
        finally:
            provider.close()
        env.verbose(f"{name}: commitment {show} from the API, {provider.stats.requests} request(s)")
        found = [f for f in found if _kept(f, filters)]
        if show == "utilization":
            rows += [commitment_api.utilization_row(c, today) for c in found]
        elif show == "coverage":
            rows += commitment_api.coverage_rows(found, keys)
        else:
            rows += [commitment_api.recommendation_row(r) for r in found]
    return rows, failed


def _kept(figure: Any, filters: Filters) -> bool:
    """``--account`` / ``--region`` on an API figure, where it names one (services and tags are billing terms)."""
    account, region = getattr(figure, "account", None), getattr(figure, "region", None)
    if filters.accounts and account is not None and account not in filters.accounts:
        return False
    return not (filters.regions and region is not None and region not in filters.regions)


def billing_advice_row(row: dict[str, Any]) -> dict[str, Any]:
    """costctl's own estimate in the columns of the API recommendations (spend-based, no upfront)."""
    return {**row, "source": "billing", "type": "costctl estimate", "what": row["service"], "term": None,
            "payment": "no upfront", "upfront": 0.0, "monthly_cost": row["hourly_commitment"] * 24 * 30.4,
            "lookback_days": row["days"]}


@click.command(short_help="Commitments (RIs, Savings Plans, reservations, CUDs): utilization, savings, coverage.")
@source_options
@range_options
@filter_options
@click.option("--show", type=click.Choice(["utilization", "coverage", "recommendations"]), default="utilization",
              show_default=True,
              help="utilization: one row per commitment (used, unused, utilization, savings, expiry); "
                   "coverage: the share of eligible usage that commitments covered; recommendations: what more "
                   "to commit (costctl's estimate from the range's uncovered usage, and the clouds' own "
                   "recommendations with upfront, savings and break-even) (docs/commitments.md).")
@click.option("--source", "source", type=click.Choice(SOURCES), default=None,
              help="billing: figures from the billing data; api: from the clouds' APIs (Cost Explorer, Azure "
                   "benefit and reservation APIs, GCP Recommender and Compute Engine; cached a day); both. "
                   "Unset: both for a provider that has the API, billing for the others. Rows say which source "
                   "they come from.")
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
                source: str | None, types: tuple[str, ...], expiring_within: str | None, group_by: str | None,
                fmt: str, output: str | None) -> None:
    """Commitment discounts from the billing data: per commitment the amortized cost its covered
    usage used and the share left unused, utilization = used / (used + unused), the on-demand
    equivalent and net savings, and the term's end where the source says it; or coverage.

    Where a provider can ask its cloud (aws, azure, gcp), the cloud's own figures come too, marked
    source api: utilization with term and payment option, coverage, and purchase recommendations.

    Figures need amortized data (CUR, an amortized Azure export, FOCUS): an actual-cost export
    shows commitments with no utilization. See docs/commitments.md for every definition.

    \b
    Examples:
      costctl --demo commitments
      costctl --demo commitments --expiring-within 60d
      costctl --demo commitments --show coverage --group-by service,region
      costctl --demo commitments --show recommendations
      costctl commitments --provider aws --type "savings plan" --format json
      costctl commitments --provider aws --source api --show recommendations
    """
    from costctl.analysis import commitments as analysis
    from costctl.output.render import OutputColumn, render
    from costctl.ranges import resolve

    apply_as_of(env, as_of)
    if group_by is not None and show != "coverage":
        raise UsageError("--group-by needs --show coverage")
    if (types or expiring_within) and show != "utilization":
        raise UsageError(f"--{'type' if types else 'expiring-within'} applies to --show utilization")
    within = parse_days(expiring_within, "--expiring-within") if expiring_within is not None else None
    keys = analysis.parse_coverage_keys(group_by) if show == "coverage" else []
    filters = Filters.from_options(accounts, services, regions, tags)
    from_api = api_sources(env, providers, files, source)
    today = env.today()
    failed: list[str] = []
    rows: list[dict[str, Any]] = []
    loaded = None
    if source != "api":
        loaded = load_for_options(env, providers=providers, files=files, days=days, month=month, start=start,
                                  end=end, filters=filters)
        lo, hi = loaded.start, loaded.end
    else:
        lo, hi = resolve(today, days=days, month=month, start=start, end=end, default_days=env.config.defaults["days"])
    marked = bool(from_api)  # rows say their source only when the API takes part (the demo's table stays)
    if show == "recommendations":
        from costctl.analysis.commitment_advice import recommend

        if loaded is not None:
            rows = [a.row() for a in recommend(loaded.data, lo, hi)]
        columns = [OutputColumn("provider", "Provider", drop=0)]
        if marked:
            rows = [billing_advice_row(r) for r in rows]
            api, failed = api_rows(env, from_api, show, lo, hi, keys, filters)
            rows += api
            columns += [OutputColumn("source", "Source", drop=0), OutputColumn("type", "Type", drop=3),
                        OutputColumn("what", "What to buy", drop=0), OutputColumn("account", "Account", drop=4),
                        OutputColumn("term", "Term", drop=2),
                        OutputColumn("payment", "Payment", drop=2), OutputColumn("upfront", "Upfront", "money"),
                        OutputColumn("monthly_cost", "Monthly cost", "money"),
                        OutputColumn("monthly_savings", "Savings/mo", "money"),
                        OutputColumn("break_even_months", "Break-even mo", "number", 1),
                        OutputColumn("discount", "Discount %", "pct", 4),
                        OutputColumn("hourly_commitment", "Commit/h", "price", 4),
                        OutputColumn("lookback_days", "Lookback days", "int", 5),
                        OutputColumn("currency", "Currency", drop=0)]
            title = (f"Commitment recommendations {describe(lo, hi)} (billing: costctl's estimate, P10 of daily "
                     "uncovered usage, no upfront; api: the clouds' recommendations)")
        else:
            columns += [OutputColumn("service", "Service", drop=0), OutputColumn("discount", "Discount %", "pct"),
                        OutputColumn("daily_on_demand", "Base/day", "money"),
                        OutputColumn("hourly_commitment", "Commit/h", "price"),
                        OutputColumn("monthly_savings", "Savings/mo", "money"),
                        OutputColumn("break_even_months", "Break-even mo", "number", 1),
                        OutputColumn("backtest_net", "Back-test net", "money"),
                        OutputColumn("backtest_utilization", "Back-test util %", "pct", 2),
                        OutputColumn("currency", "Currency", drop=0)]
            title = (f"Commitment recommendations {describe(lo, hi)} (P10 of daily uncovered "
                     "usage, observed discount, no upfront)")
    elif show == "coverage":
        if loaded is not None:
            rows = analysis.coverage(loaded.data, keys)
        columns = [OutputColumn("provider", "Provider", drop=0)]
        if marked:
            rows = [{**r, "source": "billing", "type": None} for r in rows]
            api, failed = api_rows(env, from_api, show, lo, hi, keys, filters)
            rows += api
            columns += [OutputColumn("source", "Source", drop=0), OutputColumn("type", "Type", drop=3)]
        columns += [OutputColumn(k, k.capitalize(), drop=0 if i == 0 else 1) for i, k in enumerate(keys)]
        columns += [OutputColumn("eligible", "Eligible", "money"), OutputColumn("covered", "Covered", "money"),
                    OutputColumn("on_demand", "On demand" if not marked else "Uncovered", "money"),
                    OutputColumn("coverage", "Coverage %", "pct"),
                    OutputColumn("currency", "Currency" if not marked else "Unit", drop=0)]
        title = f"Commitment coverage {describe(lo, hi)} (at on-demand prices)"
        if marked:
            title += "; api: as the cloud measures it (AWS RIs in hours)"
    else:
        if loaded is not None:
            found = analysis.select(analysis.commitments(loaded.data), types, within, today)
            rows = [c.row(today) for c in found]
        if marked:
            rows = [{**r, "source": "billing"} for r in rows]
            api, failed = api_rows(env, from_api, show, lo, hi, keys, filters)
            kept = [r for r in api if (not types or any(analysis.type_matches(t, r["type"]) for t in types))
                    and (within is None or (r["days_left"] is not None and r["days_left"] <= within))]
            rows = sorted(rows + kept, key=lambda r: (str(r["provider"]), str(r["commitment"]), r["source"]))
        columns = [OutputColumn("provider", "Provider", drop=0)]
        if marked:
            columns.append(OutputColumn("source", "Source", drop=0))
        columns += [OutputColumn("commitment", "Commitment", drop=0),
                    OutputColumn("commitment_id", "Id", drop=6),
                    OutputColumn("type", "Type", drop=0), OutputColumn("account", "Account", drop=2),
                    OutputColumn("used", "Used", "money"), OutputColumn("unused", "Unused", "money"),
                    OutputColumn("utilization", "Util %", "pct"), OutputColumn("on_demand", "On demand", "money", 4),
                    OutputColumn("savings", "Savings", "money"), OutputColumn("end", "Ends", drop=1),
                    OutputColumn("days_left", "Days left", "int"), OutputColumn("currency", "Currency", drop=0),
                    OutputColumn("name", "Name", drop=5), OutputColumn("category", "Category", drop=5)]
        if marked:
            columns += [OutputColumn("term", "Term", drop=5), OutputColumn("payment", "Payment", drop=5),
                        OutputColumn("start", "Starts", drop=6)]
        title = f"Commitments {describe(lo, hi)} (amortized; days left from {today})"
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title=title)
    if failed:
        raise ProviderError("; ".join(failed))
    if not rows and loaded is not None:
        if loaded.data.count():
            env.info("no commitment rows in the range: the data names no reservation, savings plan or CUD"
                     + (" matching the options" if types or within is not None else ""))
        else:
            explain_empty(env, loaded, filters)
