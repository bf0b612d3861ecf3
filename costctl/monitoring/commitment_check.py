"""``check --period commitments``: under-used commitments and commitments about to expire.

Money is wasted two ways: a commitment paid for but not used (utilization below ``-w``/``-c``,
default ``90:`` / ``80:`` percent), and one that lapses unnoticed so its usage falls back to
on-demand prices (term end within ``--expiry-warning`` / ``--expiry-critical`` days). Both are
judged per commitment over the last ``--days`` complete days (default 7: a week evens out the
weekend dip of covered usage), from the billing data's commitment columns
(``costctl.analysis.commitments``) or, with ``--source api|both``, the cloud's own figures
(``costctl.analysis.commitment_api``: cached a day, so a check every 5 minutes asks once). The
worst commitment decides a provider's state.

Perfdata per commitment (utilization %, days left when the end is known), the worst
``PERF_LIMIT`` first; the rest are folded into one ``<source>_other_util`` (their combined
utilization), so the number of series stays bounded however many commitments an account holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from costctl.errors import ConfigError, ProviderError
from costctl.monitoring.evaluate import Policy, Result
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State, worst
from costctl.monitoring.summary import Outcome, summarize
from costctl.monitoring.thresholds import Thresholds

if TYPE_CHECKING:
    from costctl.analysis.commitment_api import ApiCommitment
    from costctl.analysis.commitments import Commitment
    from costctl.context import Env
    from costctl.filters import Filters
    from costctl.query import Dataset

DEFAULT_WARNING = "90:"
DEFAULT_CRITICAL = "80:"
DEFAULT_DAYS = 7
DEFAULT_EXPIRY_WARNING = "30d"
DEFAULT_EXPIRY_CRITICAL = "7d"
PERF_LIMIT = 10  # commitments with their own perfdata per provider instance; the rest fold into _other
FILE_LABEL = "file"


class Expiry:
    """``--expiry-warning`` / ``--expiry-critical`` in days (None: not checked)."""

    __slots__ = ("warning", "critical")

    def __init__(self, warning: int | None = 30, critical: int | None = 7) -> None:
        self.warning = warning
        self.critical = critical

    def evaluate(self, days_left: int | None) -> tuple[State, str]:
        if days_left is None:
            return State.OK, ""
        if self.critical is not None and days_left <= self.critical:
            return State.CRITICAL, f"critical: ends within {self.critical}d"
        if self.warning is not None and days_left <= self.warning:
            return State.WARNING, f"warning: ends within {self.warning}d"
        return State.OK, ""


def _ends(days_left: int) -> str:
    if days_left < 0:
        return f"ended {-days_left} days ago"
    return "ends today" if days_left == 0 else f"ends in {days_left} day{'s' if days_left != 1 else ''}"


def judge_one(c: Commitment, thresholds: Thresholds, expiry: Expiry, today: date) -> tuple[State, str]:
    """One commitment's state and, when it alerts, its phrase for the status line."""
    util = c.utilization
    days_left = c.days_left(today)
    states, reasons, facts = [], [], []
    if util is not None:
        state, why = thresholds.evaluate(util)
        if state is not State.OK:
            states.append(state)
            facts.append(f"utilization {util:.1f}%")
            reasons.append(why)
    state, why = expiry.evaluate(days_left)
    if state is not State.OK:
        assert days_left is not None
        states.append(state)
        facts.append(_ends(days_left))
        reasons.append(why)
    if not states:
        return State.OK, ""
    kind = c.type or "commitment"
    return worst(states), f"{kind} {c.label} {' and '.join(facts)} ({'; '.join(reasons)})"


def judge_source(source: str, found: list[Commitment], thresholds: Thresholds, expiry: Expiry, today: date,
                 error: str | None = None) -> Result:
    """One provider instance's verdict over its commitments."""
    warn, crit = thresholds.perf_fields()
    verdicts = [(c, *judge_one(c, thresholds, expiry, today)) for c in found]
    verdicts.sort(key=lambda v: (-v[1].severity, v[0].utilization if v[0].utilization is not None else 101.0,
                                 v[0].commitment_id))
    perf: list[Perfdata] = []
    shown = [v[0].label for v in verdicts[:PERF_LIMIT]]
    for c, _state, _text in verdicts[:PERF_LIMIT]:
        # Two ids that share a short label keep their whole last segment: perfdata labels stay unique.
        label = f"{source}_{c.label if shown.count(c.label) == 1 else c.short_id}"
        perf.append(Perfdata(f"{label}_util", c.utilization, "%", warn, crit, min=0, max=100))
        if c.end is not None:
            perf.append(Perfdata(f"{label}_days_left", c.days_left(today), "", decimals=0))
    rest = [v[0] for v in verdicts[PERF_LIMIT:]]
    if rest:
        used, unused = sum(c.used for c in rest), sum(c.unused for c in rest)
        perf.append(Perfdata(f"{source}_other_util", 100.0 * used / (used + unused) if used + unused > 0 else None,
                             "%", warn, crit, min=0, max=100))
    problems = [text for _c, state, text in verdicts if state is not State.OK]
    details = [f"{source}: {c.type or 'commitment'} {c.commitment_id}: utilization "
               f"{'unknown (no amortized amounts)' if c.utilization is None else f'{c.utilization:.1f}%'}, "
               + (f"unused {c.unused:,.2f} {c.currency}" if c.amounts else "unused amount not stated")
               + (f", {_ends(d)} ({c.end})" if (d := c.days_left(today)) is not None else "")
               + ("" if c.origin == "billing" else f" [{'API' if c.origin == 'api' else 'billing + API'}]")
               for c, _s, _t in verdicts]
    state = worst(v[1] for v in verdicts) if verdicts else State.OK
    if error:
        details.insert(0, f"{source}: refresh failed, answered from the cache: {error}")
    if problems:
        text = f"{source}: " + ", ".join(problems)
    elif not found:
        text = f"{source}: no commitments"
    else:
        known = [c.utilization for c in found if c.utilization is not None]
        low = f", lowest utilization {min(known):.1f}%" if known else ""
        text = f"{source} {len(found)} commitment{'s' if len(found) != 1 else ''}{low}"
    if error:
        text += " (from cache)"
    return Result(source, state, text, perf, details)


def _judge_data(source: str, data: Dataset, filters: Filters, thresholds: Thresholds, expiry: Expiry,
                today: date, policy: Policy, window: tuple[date, date], error: str | None = None,
                api: list[ApiCommitment] | None = None, mode: str = "billing") -> Result:
    from costctl.analysis.commitment_api import merge
    from costctl.analysis.commitments import commitments

    rows = data.between(*window)
    if not rows.count():
        state = policy.error_state if error else policy.stale_state
        why = error or f"no data from {window[0]} to {window[1] - timedelta(days=1)}"
        return Result(source, state, f"{source}: {why}")
    found = commitments(rows.filtered(filters))
    if api is not None:
        found = merge(found, api, mode, *window)
    return judge_source(source, found, thresholds, expiry, today, error)


def commitment_outcome(env: Env, thresholds: Thresholds, expiry: Expiry, policy: Policy, filters: Filters,
                       providers: tuple[str, ...], files: tuple[str, ...], days: int,
                       mode: str = "billing") -> Outcome:
    """Every selected provider instance (or the ``--file`` exports) judged over the last ``days`` days.

    ``mode`` (``--source``; ``--file`` holds billing data only, so it is judged as billing):
    ``billing`` judges the billing data; ``api`` the cloud's own figures
    (no billing data is read); ``both`` the billing commitments with the API's utilization and end
    dates where the provider has the API. An API that cannot answer, or answers badly, makes that
    provider ``--error-state`` (UNKNOWN unless set) with its one-line reason: a check must not
    judge a commitment on figures it could not get.
    """
    from costctl import loader
    from costctl.analysis.commitment_api import merge, provider_figures
    from costctl.errors import CostctlError, UsageError

    if days < 1:
        raise UsageError(f"--days: expected 1 or more, got {days}")
    if files:
        data, _first, last = loader.load_files(files, providers=providers)
        if last is None:
            return Outcome(policy.stale_state, "commitments: no cost rows in the file(s)")
        end = env.as_of if env.as_of else last
        window = (end - timedelta(days=days), end)
        result = _judge_data(FILE_LABEL, data, filters, thresholds, expiry, end, policy, window)
        return summarize(f"commitments {window[0]}..{window[1] - timedelta(days=1)}", [result])
    today = env.today()
    window = (today - timedelta(days=days), today)
    results = []
    for name in loader.select_sources(env, providers):
        try:
            api = provider_figures(env, name, *window, mode, filters.accounts)
        except CostctlError as exc:
            if env.loads is not None:  # a failed source: this answer must not be stored (precomputed.store)
                env.loads.append({"source": name, "api": "commitment utilization", "ok": False})
            results.append(Result(name, policy.error_state, f"{name}: {_without_name(name, str(exc))}"))
            continue
        if mode == "api":
            assert api is not None
            results.append(judge_source(name, merge([], api, mode, *window), thresholds, expiry, today))
            continue
        try:
            data, status = loader.load_source(env, name, *window, tolerate_errors=True)
        except (ProviderError, ConfigError) as exc:
            results.append(Result(name, policy.error_state, f"{name}: {exc}"))
            continue
        error = None if status.ok else _without_name(name, status.error or "refresh failed")
        results.append(_judge_data(name, data, filters, thresholds, expiry, today, policy, window, error, api, mode))
    return summarize(f"commitments {window[0]}..{window[1] - timedelta(days=1)}", results)


def _without_name(name: str, error: str) -> str:
    """An error text without the instance's name in front: the result line adds it once."""
    return error[len(name) + 2:] if error.startswith(f"{name}: ") else error
