"""``check --period anomalies|budget|idle|usage|commitments``: the stored result while valid, else compute.

Each period splits into the heavy part, whose result (*facts*) depends on the cached days, the
config and the state files but not on ``-w``/``-c``, and a light judge that applies the
thresholds. A warm check reads the facts back (``costctl.monitoring.precomputed`` decides
whether they still hold) and runs only the judge: no pandas, pyarrow or DuckDB. With ``--file``
nothing is stored: an export given on the command line is read every time, as for ``day``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costctl.monitoring import precomputed

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.filters import Filters
    from costctl.monitoring.anomaly_rule import AnomalyRule
    from costctl.monitoring.evaluate import Policy
    from costctl.monitoring.state import State
    from costctl.monitoring.summary import Outcome
    from costctl.monitoring.thresholds import Thresholds


def _filters(filters: Filters) -> list[Any]:
    return [list(filters.accounts), list(filters.services), list(filters.regions), list(filters.tags)]


def anomalies_request(env: Env, filters: Filters, metric: str, providers: tuple[str, ...], days: int | None) -> str:
    return precomputed.request_text("anomalies", env, filters=_filters(filters), metric=metric,
                                    providers=list(providers), days=days)


def budget_request(env: Env, names: tuple[str, ...], providers: tuple[str, ...]) -> str:
    return precomputed.request_text("budget", env, names=list(names), providers=list(providers))


def idle_request(env: Env, providers: tuple[str, ...], checks: str | None, regions: tuple[str, ...],
                 accounts: tuple[str, ...] = ()) -> str:
    # ``accounts`` only when given: a request without --account stays the one ``cache warm`` stores.
    extra = {"accounts": sorted(accounts)} if accounts else {}
    return precomputed.request_text("idle", env, providers=list(providers), checks=checks, regions=list(regions),
                                    **extra)


def anomalies(env: Env, rule: AnomalyRule, policy: Policy, filters: Filters, metric: str, providers: tuple[str, ...],
              files: tuple[str, ...], days: int | None) -> Outcome:
    """The anomalies period, judged from stored facts when they still hold."""
    from costctl.monitoring.anomaly_judge import judge

    request = anomalies_request(env, filters, metric, providers, days)
    facts = None if files else precomputed.lookup(env, "anomalies", request)
    if facts is None:
        facts = compute_anomalies(env, request, rule, policy, filters, metric, providers, files, days)
    return judge(facts, rule, policy)


def compute_anomalies(env: Env, request: str, rule: AnomalyRule, policy: Policy, filters: Filters, metric: str,
                      providers: tuple[str, ...], files: tuple[str, ...], days: int | None) -> dict[str, Any]:
    """Detect (pandas) and store the facts unless ``--file`` was given or a provider failed."""
    from costctl.commands.anomalies import state_dir
    from costctl.monitoring.anomaly_check import AnomalyRequest, anomaly_facts

    inputs = precomputed.begin(env, (precomputed.state_path(env, "acks.json"),))
    facts = anomaly_facts(env, AnomalyRequest(rule, policy, state_dir(env), filters, metric, providers, files, days))
    if not files:
        precomputed.store(env, "anomalies", request, facts, inputs, (precomputed.state_path(env, "seen.json"),))
    return facts


def budget(env: Env, names: tuple[str, ...], providers: tuple[str, ...], files: tuple[str, ...],
           policy: Policy) -> Outcome:
    """The budget period: its whole answer is stored (budgets carry their own thresholds)."""
    request = budget_request(env, names, providers)
    facts = None if files else precomputed.lookup(env, "budget", request)
    if facts is not None:
        return precomputed.outcome_of(facts)
    from costctl.budgets.check import budget_outcome

    precomputed.begin(env)
    outcome = budget_outcome(env, names, providers, files, policy)
    if not files:  # a provider that failed answers --error-state: then nothing is stored (precomputed.store)
        precomputed.store(env, "budget", request, precomputed.outcome_facts(outcome), {})
    return outcome


def idle(env: Env, thresholds: Thresholds, metric: str, providers: tuple[str, ...], checks: str | None,
         regions: tuple[str, ...], error_state: State, accounts: tuple[str, ...] = ()) -> Outcome:
    """The idle period, judged from a stored scan when it still holds (the demo's inventory is fixed;
    a scan of cloud APIs holds for the scanned providers' ``ttl``, as their cached recent days do)."""
    from costctl.monitoring.idle_check import judge

    request = idle_request(env, providers, checks, regions, accounts)
    facts = precomputed.lookup(env, "idle", request)
    if facts is None:
        facts = compute_idle(env, request, providers, checks, regions, accounts)
    return judge(facts, thresholds, metric, error_state)


def compute_idle(env: Env, request: str, providers: tuple[str, ...], checks: str | None,
                 regions: tuple[str, ...], accounts: tuple[str, ...] = ()) -> dict[str, Any]:
    """Scan and store the facts unless a provider could not be scanned or loaded."""
    from costctl.monitoring.idle_check import idle_facts

    inputs = precomputed.begin(env, (precomputed.state_path(env, "idle_ignores.json"),))
    facts = idle_facts(env, providers, checks, regions, accounts)
    if not facts["failed"]:
        precomputed.store(env, "idle", request, facts, inputs, lifetime=None if env.demo else _scan_lifetime(env))
    return facts


def usage_request(env: Env, unit: str, filters: Filters, providers: tuple[str, ...]) -> str:
    return precomputed.request_text("usage", env, unit=unit.strip(), filters=_filters(filters),
                                    providers=list(providers))


def usage(env: Env, thresholds: Thresholds, policy: Policy, unit: str, filters: Filters, providers: tuple[str, ...],
          files: tuple[str, ...]) -> Outcome:
    """The usage period: the day's quantities stored per instance, judged against ``-w``/``-c``."""
    from costctl.monitoring.usage_check import judge_facts, usage_facts, usage_outcome

    if files or not unit.strip():
        return usage_outcome(env, thresholds, policy, unit, filters, providers, files)
    request = usage_request(env, unit, filters, providers)
    facts = precomputed.lookup(env, "usage", request)
    if facts is None:
        precomputed.begin(env)
        facts = usage_facts(env, unit, filters, providers)
        if not any("failed" in s or s["error"] for s in facts["sources"]):
            precomputed.store(env, "usage", request, facts, {})
    return judge_facts(facts, unit, thresholds, policy)


def commitments(env: Env, thresholds: Thresholds, expiry: Any, policy: Policy, filters: Filters,
                providers: tuple[str, ...], files: tuple[str, ...], days: int, mode: str = "billing") -> Outcome:
    """The commitments period: its whole answer is stored for this request, thresholds, expiry
    limits and source included (a poller asks the same question every time; another question
    computes again)."""
    request = precomputed.request_text("commitments", env, thresholds=str(thresholds),
                                       expiry=[expiry.warning, expiry.critical], filters=_filters(filters),
                                       providers=list(providers), days=days, source=mode)
    facts = None if files else precomputed.lookup(env, "commitments", request)
    if facts is not None:
        return precomputed.outcome_of(facts)
    from costctl.analysis.commitment_api import API_TTL
    from costctl.monitoring.commitment_check import commitment_outcome

    precomputed.begin(env)
    outcome = commitment_outcome(env, thresholds, expiry, policy, filters, providers, files, days, mode)
    if not files:  # a provider that failed answers --error-state: then nothing is stored (precomputed.store)
        # API figures are cached for API_TTL: the stored answer must not outlive them.
        precomputed.store(env, "commitments", request, precomputed.outcome_facts(outcome), {},
                          lifetime=None if mode == "billing" else API_TTL)
    return outcome


def _scan_lifetime(env: Env) -> float:
    """How long a scan of cloud APIs is served: the shortest ``ttl`` of the configured cloud providers."""
    from costctl import loader
    from costctl.errors import CostctlError

    ttls = []
    for name in env.config.providers:
        try:
            provider = loader.make_provider(env, name)
        except CostctlError:
            return 0.0  # not served at all
        try:
            ttls.append(float(provider.ttl))
        finally:
            provider.close()
    return min(ttls, default=0.0)
