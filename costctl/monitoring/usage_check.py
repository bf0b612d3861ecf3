"""``check --period usage``: a consumed quantity of the latest complete day against ``-w``/``-c``.

Cost can stay flat while usage doubles (a price cut, a commitment covering the growth), and a
runaway job shows in instance-hours or TiB scanned before the bill says much. The check sums
``ConsumedQuantity`` in one unit (``--unit``; quantities in different units are never added) of
the rows the filters select (``--service`` mostly), per provider instance, and judges it with the
same Nagios ranges as the cost periods. A day without any row of the source is stale (not 0); a
selection that consumed nothing in the unit on a day with data is 0, and when the selection has
rows only in other units the status line names them, since that is almost always a typo.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import ConfigError, ProviderError, UsageError
from costctl.monitoring.evaluate import Policy, Result
from costctl.monitoring.perfdata import Perfdata
from costctl.monitoring.state import State
from costctl.monitoring.summary import Outcome, summarize
from costctl.monitoring.thresholds import Thresholds
from costctl.values import Value

if TYPE_CHECKING:
    from costctl.analysis.usage import DayQuantity
    from costctl.context import Env
    from costctl.filters import Filters
    from costctl.query import Dataset

FILE_LABEL = "file"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def judge(source: str, found: DayQuantity | Quantity, unit: str, day: date, thresholds: Thresholds, policy: Policy,
          error: str | None = None) -> Result:
    """One source's verdict on its day's quantity."""
    warn, crit = thresholds.perf_fields()
    label = f"{source}_usage"
    if error and error.startswith(f"{source}: "):
        error = error[len(source) + 2:]
    if not found.present:
        state = policy.error_state if error else policy.stale_state
        why = error or f"no data for {day} yet"
        return Result(source, state, f"{source}: {why}", [Perfdata(label, None, "", warn, crit, min=0)])
    perf = [Perfdata(label, found.quantity, "", warn, crit, min=0)]
    if found.rows == 0 and found.units:
        others = ", ".join(found.units[:6]) + (", ..." if len(found.units) > 6 else "")
        return Result(source, State.UNKNOWN, f"{source}: no usage in unit {unit!r} on {day}; the selection's units "
                      f"are {others} (pass one of them to --unit)", perf)
    state, why = thresholds.evaluate(found.quantity)
    reasons = [why] if why else []
    details = []
    if error:
        reasons.append("from cache")
        details.append(f"{source}: refresh failed, answered from the cache: {error}")
    text = f"{source} {_number(found.quantity)} {unit}" + (f" ({'; '.join(reasons)})" if reasons else "")
    return Result(source, state, text, perf, details)


def usage_outcome(env: Env, thresholds: Thresholds, policy: Policy, unit: str, filters: Filters,
                  providers: tuple[str, ...], files: tuple[str, ...]) -> Outcome:
    """Every selected provider instance (or the ``--file`` exports) judged on its latest complete day."""
    from costctl import loader

    if not unit.strip():
        raise UsageError("--period usage needs --unit UNIT (e.g. Hrs, GB-Mo; `costctl usage` lists them)")
    if files:
        data, _first, last = loader.load_files(files, providers=providers)
        if last is None:
            return Outcome(policy.stale_state, "usage: no cost rows in the file(s)")
        day = env.as_of - timedelta(days=1) if env.as_of else last - timedelta(days=1)
        return summarize(f"usage {day}", [_judge_data(FILE_LABEL, data, filters, unit, day, thresholds, policy)])
    return judge_facts(usage_facts(env, unit, filters, providers), unit, thresholds, policy)


class Quantity(Value):
    """A ``DayQuantity`` read back from stored facts (no dataclass: a warm check defines it)."""

    __slots__ = ("quantity", "rows", "present", "units")

    def __init__(self, quantity: float, rows: int, present: bool, units: list[str]) -> None:
        self.quantity, self.rows, self.present, self.units = quantity, rows, present, units


def usage_facts(env: Env, unit: str, filters: Filters, providers: tuple[str, ...]) -> dict[str, Any]:
    """Each selected instance's quantity of the latest complete day, as builtins: independent of
    ``-w``/``-c``, so stored facts (``costctl.monitoring.stored_periods``) serve any thresholds."""
    from costctl import loader
    from costctl.analysis.usage import day_quantity

    day = env.today() - timedelta(days=1)
    sources: list[dict[str, Any]] = []
    for name in loader.select_sources(env, providers):
        try:
            data, status = loader.load_source(env, name, day, day + timedelta(days=1), tolerate_errors=True)
        except (ProviderError, ConfigError) as exc:
            sources.append({"name": name, "failed": str(exc)})
            continue
        found = day_quantity(data, filters, unit, day, day + timedelta(days=1))
        sources.append({"name": name, "error": None if status.ok else (status.error or "refresh failed"),
                        "quantity": float(found.quantity), "rows": int(found.rows), "present": bool(found.present),
                        "units": list(found.units)})
    return {"day": day.isoformat(), "sources": sources}


def judge_facts(facts: dict[str, Any], unit: str, thresholds: Thresholds, policy: Policy) -> Outcome:
    """The Outcome of ``usage_facts`` under the thresholds (both the computing and the stored path)."""
    day = date.fromisoformat(facts["day"])
    results = []
    for source in facts["sources"]:
        name = source["name"]
        if "failed" in source:
            results.append(Result(name, policy.error_state, f"{name}: {source['failed']}"))
            continue
        found = Quantity(source["quantity"], source["rows"], source["present"], source["units"])
        results.append(judge(name, found, unit.strip(), day, thresholds, policy, source["error"]))
    return summarize(f"usage {day}", results)


def _judge_data(source: str, data: Dataset, filters: Filters, unit: str, day: date, thresholds: Thresholds,
                policy: Policy, error: str | None = None) -> Result:
    from costctl.analysis.usage import day_quantity

    found = day_quantity(data, filters, unit, day, day + timedelta(days=1))
    return judge(source, found, unit.strip(), day, thresholds, policy, error)
