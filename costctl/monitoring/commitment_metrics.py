"""What ``export-prometheus`` publishes about commitments: utilization, unused cost, days to expiry, coverage.

The figures are ``costctl.analysis.commitments`` over the same window ``check --period commitments``
judges (the last ``DEFAULT_DAYS`` complete days), per provider instance, so a graph and the check
agree (``--commitment-source`` merges the clouds' API figures in as ``check --source`` does).
Cardinality is bounded: per provider at most ``SERIES_LIMIT`` commitments get their own
series (the least utilized first, the ones an operator acts on); the rest are folded into
``commitment="(other)"`` with their combined utilization and unused cost. The term's end is
published as a timestamp (Prometheus's base unit), so "days left" is computed at query time and
never goes stale between exports. Coverage is per service
with commitment-covered usage, which a provider has a handful of.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from costctl.errors import CostctlError
from costctl.filters import Filters
from costctl.monitoring.commitment_check import DEFAULT_DAYS

if TYPE_CHECKING:
    from costctl.analysis.commitment_api import ApiCommitment
    from costctl.analysis.commitments import Commitment
    from costctl.context import Env
    from costctl.query import Dataset

SERIES_LIMIT = 20
OTHER = "(other)"


@dataclass(frozen=True)
class CommitmentSeries:
    """One commitment's (or the fold's) series values; None: not known, no sample."""

    commitment: str
    type: str
    currency: str
    utilization: float | None  # ratio 0-1
    unused: float | None  # None: the cloud states a percentage only
    end: float | None  # the term's end as Unix time (seconds: Prometheus's base unit)


@dataclass
class CommitmentFigures:
    """One provider instance's commitment metrics."""

    provider: str
    up: bool = True
    error: str | None = None
    series: list[CommitmentSeries] = field(default_factory=list)
    coverage: dict[tuple[str, str], float] = field(default_factory=dict)  # (service, currency) -> ratio


def series_of(found: list[Commitment]) -> list[CommitmentSeries]:
    """The bounded series of one provider: the ``SERIES_LIMIT`` least utilized, the rest folded per currency."""
    ranked = sorted(found, key=lambda c: (c.utilization if c.utilization is not None else 101.0, c.commitment_id))
    labels = [c.label for c in ranked[:SERIES_LIMIT]]
    out = [CommitmentSeries(c.label if labels.count(c.label) == 1 else c.commitment_id, c.type or "", c.currency,
                            None if c.utilization is None else c.utilization / 100.0,
                            c.unused if c.amounts else None, _epoch(c.end))
           for c in ranked[:SERIES_LIMIT]]  # two ids sharing a short label keep their whole id: no duplicate series
    folded: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for c in ranked[SERIES_LIMIT:]:
        folded[c.currency][0] += c.used
        folded[c.currency][1] += c.unused
    for currency, (used, unused) in sorted(folded.items()):
        ratio = used / (used + unused) if used + unused > 0 else None
        out.append(CommitmentSeries(OTHER, "", currency, ratio, unused, None))
    return out


def _epoch(day: date | None) -> float | None:
    """Midnight UTC of ``day`` as Unix time."""
    if day is None:
        return None
    return float(datetime.combine(day, time(), UTC).timestamp())


def figures_of(name: str, data: Dataset | None, filters: Filters, window: tuple[date, date], today: date,
               api: list[ApiCommitment] | None = None, mode: str = "billing") -> CommitmentFigures:
    """One instance's figures; ``api`` (the cloud's utilization) merged in under ``mode``
    (``costctl.analysis.commitment_api.merge``). Coverage stays the billing figure: the APIs'
    coverage is in other units (AWS RIs in hours) and absent for Azure and GCP."""
    from costctl.analysis.commitment_api import merge
    from costctl.analysis.commitments import commitments, coverage

    if data is None:  # --source api: the cloud's figures only, no billing data read
        return CommitmentFigures(name, series=series_of(merge([], api or [], "api", *window)))
    rows = data.between(*window).filtered(filters)
    cov = {(r["service"] or "", r["currency"]): r["coverage"] / 100.0
           for r in coverage(rows, ["service"]) if r["coverage"] is not None}
    found = commitments(rows)
    if api is not None:
        found = merge(found, api, mode, *window)
    return CommitmentFigures(name, series=series_of(found), coverage=dict(sorted(cov.items())))


def commitment_figures(env: Env, providers: tuple[str, ...] = (), files: tuple[str, ...] = (),
                       filters: Filters | None = None, mode: str = "billing") -> list[CommitmentFigures]:
    """Per provider instance (or ``file``), the commitment figures of the last ``DEFAULT_DAYS`` complete days.

    ``mode`` as ``check --source``: where the API is asked and fails (or answers badly), that
    instance is exported ``up 0`` with the reason, never with half its figures.
    """
    from costctl import loader
    from costctl.analysis.commitment_api import provider_figures

    filters = filters or Filters()
    if files:
        data, _first, last = loader.load_files(files)
        if last is None:
            return [CommitmentFigures("file")]
        end = env.as_of or last
        return [figures_of("file", data, filters, (end - timedelta(days=DEFAULT_DAYS), end), end)]
    today = env.today()
    window = (today - timedelta(days=DEFAULT_DAYS), today)
    out = []
    for name in loader.select_sources(env, providers):
        try:
            api = provider_figures(env, name, *window, mode, filters.accounts)
            if mode == "api":
                out.append(figures_of(name, None, filters, window, today, api, mode))
                continue
            data, status = loader.load_source(env, name, *window, tolerate_errors=True)
        except CostctlError as exc:
            text = str(exc)
            out.append(CommitmentFigures(name, up=False, error=text if text.startswith(f"{name}: ")
                                         else f"{name}: {text}"))
            continue
        if not status.ok:  # cached rows without the refresh: a stale utilization is not published as current
            error = " ".join((status.error or "refresh failed").split())
            out.append(CommitmentFigures(name, up=False, error=error if error.startswith(f"{name}: ")
                                         else f"{name}: {error}"))
            continue
        out.append(figures_of(name, data, filters, window, today, api, mode))
    return out
