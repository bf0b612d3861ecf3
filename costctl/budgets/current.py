"""Budgets on today's date from freshly loaded records: what ``check --period budget`` and
``export-prometheus`` both need, loaded the same tolerant way.

A provider that cannot be refreshed does not stop the evaluation (the cache may still hold its
days), but it is reported in ``failed``: a budget summed without it under-reports spend, so each
caller decides what that means for its output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from costctl.budgets.spec import BudgetSpec
from costctl.budgets.status import BudgetStatus, evaluate_all, load_window

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.query import Dataset
    from costctl.records import Block


@dataclass
class Current:
    statuses: list[BudgetStatus] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "provider: reason"
    other_currency: dict[str, float] = field(default_factory=dict)  # budget -> in-scope cost in another currency


def current_statuses(env: Env, specs: list[BudgetSpec], providers: tuple[str, ...] = (),
                     files: tuple[str, ...] = ()) -> Current:
    """Load the window ``specs`` need (all selected providers, or the files) and evaluate them on ``env.today()``."""
    from costctl import loader

    today = env.today()
    start, end = load_window(specs, today)
    failed: list[str] = []
    if files:
        data = loader.load_files(files, start, end, providers=providers)[0]
    else:
        data, statuses = loader.load(env, loader.select_sources(env, providers), start, end, tolerate_errors=True)
        failed = [s.error or f"{s.name}: refresh failed" for s in statuses if not s.ok]  # errors name the source
    statuses_, other = evaluate_all(budget_rows(data, specs), specs, today)
    return Current(statuses_, failed, other)


def budget_rows(data: Dataset, specs: list[BudgetSpec]) -> Block:
    """The rows budgets read: daily sums over only the columns their scopes name."""
    from costctl.budgets.scope import columns_of

    columns, tag_keys = columns_of(spec.scope for spec in specs)
    return data.block(columns, tag_keys)
