"""A whole check: load each provider's window, judge it, summarize.

Providers are loaded one by one (``costctl.monitoring.source``) so a timeout can say which one
it was waiting for, and so that one provider failing (its status says so) never stops the others:
each gets its own Result.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from costctl.errors import ConfigError, ProviderError
from costctl.filters import Filters
from costctl.monitoring.evaluate import Policy, Result, evaluate, format_age
from costctl.monitoring.ledger import Ledger
from costctl.monitoring.measure import headline, load_window
from costctl.monitoring.source import load_ledger
from costctl.monitoring.summary import Outcome, summarize
from costctl.monitoring.thresholds import Thresholds
from costctl.values import Value

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.loader import SourceStatus

FILE_LABEL = "file"


class CheckRequest(Value):
    """What to check, as parsed from the command line and the config."""

    __slots__ = ("period", "thresholds", "policy", "filters", "metric", "providers", "files", "verbose")

    def __init__(self, period: str, thresholds: Thresholds, policy: Policy, filters: Filters | None = None,
                 metric: str = "effective", providers: tuple[str, ...] = (), files: tuple[str, ...] = (),
                 verbose: int = 0) -> None:
        self.period = period
        self.thresholds = thresholds
        self.policy = policy
        self.filters = filters if filters is not None else Filters()
        self.metric = metric
        self.providers = providers
        self.files = files
        self.verbose = verbose


class Progress(Value):
    """What the check is doing now, for the timeout message."""

    __slots__ = ("current",)

    def __init__(self, current: str | None = None) -> None:
        self.current = current


def latest_complete_day(env: Env) -> date:
    return env.today() - timedelta(days=1)


def _describe(status: SourceStatus, now: float) -> str:
    fetched = ", ".join(f"{a}..{b - timedelta(days=1)}" for a, b in status.fetched)
    age = f", cached copy fetched {format_age(now - status.oldest_fetch)} ago" if status.oldest_fetch else ""
    return (f"{status.name}: {status.rows} rows, {status.requests} upstream request(s), "
            + (f"fetched {fetched}" if fetched else "all from cache") + age)


def _from_files(env: Env, req: CheckRequest) -> Outcome:
    from costctl import loader

    data, _first, last = loader.load_files(req.files, providers=req.providers)
    if last is None:
        return summarize(f"{req.period}", [Result(FILE_LABEL, req.policy.stale_state, "no cost rows in the file(s)")])
    day = env.as_of - timedelta(days=1) if env.as_of else last - timedelta(days=1)
    from costctl.monitoring.source import ledger_of

    ledger = ledger_of(data, req.filters, req.metric)
    result = evaluate(FILE_LABEL, ledger, req.period, day, req.thresholds, req.policy)
    return summarize(headline(req.period, day), [result])


def run_check(env: Env, req: CheckRequest, progress: Progress | None = None) -> Outcome:
    """Evaluate the request against every selected provider instance (or the ``--file`` exports)."""
    from costctl import loader

    progress = progress or Progress()
    if req.files:
        progress.current = "reading " + ", ".join(req.files)
        return _from_files(env, req)
    day = latest_complete_day(env)
    start, end = load_window(req.period, day)
    names = loader.select_sources(env, req.providers)
    results, notes = [], []
    for name in names:
        progress.current = f"loading {name}"
        try:
            ledger, status = load_ledger(env, name, start, end, req.filters, req.metric)
        except (ProviderError, ConfigError) as exc:  # e.g. a provider plugin that cannot be imported
            results.append(evaluate(name, Ledger(), req.period, day, req.thresholds, req.policy, error=str(exc)))
            continue
        results.append(evaluate(name, ledger, req.period, day, req.thresholds, req.policy,
                                error=None if status.ok else (status.error or "refresh failed")))
        if req.verbose:
            notes.append(_describe(status, env.clock().timestamp()))
    progress.current = None
    return summarize(headline(req.period, day), results, notes)
