"""What ``export-prometheus`` publishes about findings: open anomalies and idle resources, per provider.

Sits beside ``costctl.monitoring.snapshot`` (costs) and reuses the analysis layers unchanged, so a
metric equals what the command prints: anomalies are ``costctl.analysis.anomalies.detect`` with the
config's ``anomalies:`` settings over ``anomalies.days`` and its baseline, marked with the
acknowledgements of ``AnomalyStore`` (as ``costctl anomalies -p NAME``); idle findings are one
``costctl.idle.run.run`` (as ``costctl idle``). Detection runs per provider instance so the
``provider`` label is the instance name, as on ``costctl_up``, and one failing provider is
reported as such (``up`` False) instead of silently contributing nothing. Counts are per
severity / per idle check with zeros included, so a series does not vanish when its last
finding goes: bounded cardinality (providers x 4 severities, providers x idle checks).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from costctl.errors import CostctlError
from costctl.filters import Filters
from costctl.monitoring.anomaly_rule import SEVERITIES

if TYPE_CHECKING:
    from costctl.analysis.anomalies import Settings
    from costctl.analysis.anomaly_store import AnomalyStore
    from costctl.context import Env
    from costctl.query import Dataset


@dataclass
class FindingFigures:
    """One provider's findings of one kind: counts and money per category (severity or idle check)."""

    provider: str
    up: bool = True
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # category -> findings
    amounts: dict[tuple[str, str], float] = field(default_factory=dict)  # (category, currency) -> money


def _failure(name: str, error: str | None) -> str:
    error = " ".join((error or "refresh failed").split())
    return error if error.startswith(f"{name}: ") else f"{name}: {error}"


def anomaly_figures(env: Env, state_dir: Path, providers: tuple[str, ...] = (), files: tuple[str, ...] = (),
                    filters: Filters | None = None, metric: str = "effective") -> list[FindingFigures]:
    """Open (unacknowledged) anomalies of the ``anomalies.days`` window per provider and severity."""
    from costctl import loader
    from costctl.analysis.anomaly_store import AnomalyStore
    from costctl.monitoring.anomaly_check import _settings
    from costctl.ranges import resolve

    filters = filters or Filters()
    cfg = env.config.section("anomalies") or {}
    settings = _settings(env, metric)
    history, days = cfg["history"], cfg["days"]
    store = AnomalyStore(state_dir)
    figures = []
    if files:
        data, _first, last = loader.load_files(files)
        if last is None:
            return [FindingFigures("file", counts=dict.fromkeys(SEVERITIES, 0))]
        lo, hi = resolve(env.as_of or last, days=days)
        return [_detect("file", data, settings, filters, lo, hi, history, store)]
    lo, hi = resolve(env.today(), days=days)
    for name in loader.select_sources(env, providers):
        try:
            data, statuses = loader.load(env, [name], lo - timedelta(days=history), hi, tolerate_errors=True)
        except CostctlError as exc:
            figures.append(FindingFigures(name, up=False, error=_failure(name, str(exc))))
            continue
        failed = [s for s in statuses if not s.ok]
        if failed:  # cached rows without the refresh could miss (or invent) a spike: not published
            figures.append(FindingFigures(name, up=False, error=_failure(name, failed[0].error)))
            continue
        figures.append(_detect(name, data, settings, filters, lo, hi, history, store))
    return figures


def _detect(name: str, data: Dataset, settings: Settings, filters: Filters, lo: date, hi: date, history: int,
            store: AnomalyStore) -> FindingFigures:
    from costctl.analysis import anomalies as core
    from costctl.analysis.anomaly_sql import reported_through

    found = core.detect_data(data.filtered(filters), settings, lo - timedelta(days=history), lo, hi,
                             reported_through(data))
    store.mark(found)
    figures = FindingFigures(name, counts=dict.fromkeys(SEVERITIES, 0))
    amounts: dict[tuple[str, str], float] = defaultdict(float)
    for a in found:
        if a.acknowledged:
            continue
        figures.counts[a.severity] += 1
        amounts[(a.severity, a.currency or "")] += abs(a.impact)
    figures.amounts = dict(sorted(amounts.items()))
    return figures


def idle_figures(env: Env, providers: tuple[str, ...] = ()) -> list[FindingFigures] | None:
    """Idle findings and their estimated monthly savings per provider and idle check (``costctl idle``);
    None when no selected provider can be scanned (idle asks the clouds' APIs; files have none)."""
    from costctl import loader
    from costctl.idle import run as idle_run
    from costctl.idle.report import Reporter
    from costctl.idle.thresholds import CHECKS

    scannable = tuple(n for n in loader.select_sources(env, providers)
                      if env.demo or idle_run.scannable(env, n))
    if not scannable:
        return None
    wanted = idle_run.parse_checks(None, idle_run.limits_of(env))
    result = idle_run.run(env, scannable, wanted, [], None, Reporter())
    order = [c for c in CHECKS if c in wanted]
    order += sorted({f.check for f in result.findings} - set(CHECKS))  # "recommender": the clouds' own findings
    names = set(result.scanned) | {f.provider for f in result.findings}
    if env.demo:  # the demo inventory "scans" every demo provider, findings or not
        names |= set(scannable)
    figures = []
    for name in sorted(names):
        mine = [f for f in result.findings if f.provider == name]
        amounts: dict[tuple[str, str], float] = defaultdict(float)
        for f in mine:
            amounts[(f.check, f.currency)] += f.estimated_monthly_savings or 0.0
        figures.append(FindingFigures(name, counts={c: sum(1 for f in mine if f.check == c) for c in order},
                                      amounts=dict(sorted(amounts.items()))))
    for text in result.failed:
        name = text.split(":", 1)[0]
        figures.append(FindingFigures(name, up=False, error=text))
    return sorted(figures, key=lambda f: f.provider)
