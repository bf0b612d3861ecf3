"""``check --period anomalies``: the unacknowledged anomalies of the window as one Nagios result.

Reuses what ``costctl anomalies`` runs: ``costctl.analysis.anomalies.detect`` with the config's
``anomalies:`` settings over the window (``--days``, default ``anomalies.days``) and its
baseline, and ``AnomalyStore`` for the acknowledgements, so ``costctl anomalies ack ID`` silences
the check too. The check also records what it found (``seen.json``) so an id read in the long
output can be acknowledged without running ``anomalies`` first. The state comes from
``AnomalyRule``; perfdata counts the unacknowledged anomalies per severity. Detection is
frame-based (pandas), so its result is reduced to facts (``costctl.monitoring.anomaly_judge``)
that the cache keeps for the next check (``costctl.monitoring.stored_periods``).

Days after a provider's newest data are not reported yet: detection does not judge them, and the
long output names the providers that lag. When no provider has reported a day of the window (or
the ``--file`` exports have no rows) the answer is ``--stale-state`` ("no data for ..."), or
``--error-state`` when failed providers are why, as for the other periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costctl.errors import UsageError
from costctl.filters import Filters
from costctl.monitoring.anomaly_judge import judge
from costctl.monitoring.anomaly_rule import AnomalyRule
from costctl.monitoring.evaluate import Policy
from costctl.monitoring.summary import Outcome

if TYPE_CHECKING:
    from costctl.analysis.anomalies import Anomaly
    from costctl.context import Env


@dataclass
class AnomalyRequest:
    rule: AnomalyRule
    policy: Policy
    state_dir: Path
    filters: Filters
    metric: str = "effective"
    providers: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    days: int | None = None


def _settings(env: Env, metric: str):  # -> costctl.analysis.anomalies.Settings
    from costctl.analysis import anomalies as core
    from costctl.analysis.costs import parse_group_by

    cfg = env.config.section("anomalies") or {}
    settings = core.Settings(keys=parse_group_by(cfg["by"]), method=cfg["method"], sensitivity=cfg["sensitivity"],
                             min_impact=cfg["min_impact"], min_pct=cfg["min_pct"], metric=metric,
                             top_contributors=cfg["contributors"], cutoffs=cfg["severity"] or core.DEFAULT_CUTOFFS)
    settings.resolved_threshold()
    return settings


@dataclass
class _Loaded:
    data: Any  # costctl.query.Dataset, filtered
    lo: date
    hi: date
    failed: list[str]  # phrases of the providers that failed
    reported: dict[str, date]  # newest day per source, before filters
    all_failed: bool = False


def _load(env: Env, req: AnomalyRequest, history: int, days: int) -> _Loaded | None:
    """The window and its data; None when the ``--file`` exports have no rows."""
    from costctl import loader
    from costctl.analysis.anomaly_sql import reported_through
    from costctl.ranges import resolve

    if req.files:
        data, _first, last = loader.load_files(req.files, providers=req.providers)
        if last is None:
            return None
        lo, hi = resolve(env.as_of or last, days=days)
        return _Loaded(data.filtered(req.filters), lo, hi, [], reported_through(data))
    lo, hi = resolve(env.today(), days=days)
    data, statuses = loader.load(env, loader.select_sources(env, req.providers), lo - timedelta(days=history), hi,
                                 tolerate_errors=True)
    failed = [_failure(s.name, s.error) for s in statuses if not s.ok]
    return _Loaded(data.filtered(req.filters), lo, hi, failed, reported_through(data),
                   bool(statuses) and len(failed) == len(statuses))


def _failure(name: str, error: str | None) -> str:
    """``name: reason``; providers often prefix their errors with their own name already."""
    error = error or "refresh failed"
    return error if error.startswith(f"{name}: ") else f"{name}: {error}"


def anomaly_outcome(env: Env, req: AnomalyRequest) -> Outcome:
    """Detect, apply acknowledgements, judge the rest."""
    return judge(anomaly_facts(env, req), req.rule, req.policy)


def anomaly_facts(env: Env, req: AnomalyRequest) -> dict[str, Any]:
    """Detect and apply acknowledgements; the result as facts (``costctl.monitoring.anomaly_judge``).

    Records what it found in the register (``seen.json``), so an id in the long output can be
    acknowledged; ``-w``/``-c`` play no part here, so stored facts serve any thresholds.
    """
    from costctl.analysis import anomalies as core
    from costctl.analysis.anomaly_store import AnomalyStore

    cfg = env.config.section("anomalies") or {}
    days = req.days if req.days is not None else cfg["days"]
    if days < 1:
        raise UsageError(f"--days: expected a positive number of days, got {days}")
    settings = _settings(env, req.metric)
    loaded = _load(env, req, cfg["history"], days)
    if loaded is None:  # the --file exports hold no cost rows
        return {"no_rows": True}
    lo, hi = loaded.lo, loaded.hi
    window = {"lo": lo.isoformat(), "hi": hi.isoformat(), "failed": loaded.failed}
    gap = core.unreported(loaded.reported, lo, hi)
    if gap:
        return {**window, "gap": gap, "all_failed": loaded.all_failed}
    found = core.detect_data(loaded.data, settings, lo - timedelta(days=cfg["history"]), lo, hi, loaded.reported)
    store = AnomalyStore(req.state_dir)
    store.mark(found)
    store.remember(found, env.real_today())
    return {**window, "anomalies": [facts_of(a) for a in found], "lagging": core.lagging(loaded.reported, lo, hi)}


def facts_of(a: Anomaly) -> dict[str, Any]:
    """What judging needs of one anomaly, as builtins."""
    from costctl.notify.message import line

    # The innermost group value (the service, by default) names it; the long output has the rest.
    where = next((v for v in reversed(list(a.group.values())) if v), "(none)")
    return {"severity": a.severity, "impact": float(a.impact), "kind": a.kind, "where": where,
            "currency": a.currency, "acknowledged": bool(a.acknowledged), "line": line(a)}
