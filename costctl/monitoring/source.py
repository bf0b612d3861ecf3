"""One provider instance's ledger for a window, read the cheapest way the cache allows.

``check`` and ``export-prometheus`` both need a ``Ledger`` per provider instance. When every day
of the window is cached and fresh and no filter needs the rows (region, tag), the cache's day
summaries are enough (one read per month, no rows); otherwise the loader fetches what is missing
and the rows are summed. Both ways give the same ledger (tests/test_check_summaries.py).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from costctl.filters import Filters
from costctl.monitoring.ledger import Ledger

if TYPE_CHECKING:
    from costctl.context import Env
    from costctl.loader import SourceStatus
    from costctl.query import Dataset


def load_ledger(env: Env, name: str, start: date, end: date, filters: Filters,
                metric: str) -> tuple[Ledger, SourceStatus]:
    """The ledger of ``[start, end)`` of instance ``name``; a failed refresh is in the status."""
    from costctl import loader

    warm = None if filters.needs_rows else loader.load_summaries(env, name, start, end)
    if warm is not None:
        summaries, status = warm
        ledger = Ledger.from_summaries(summaries, metric, filters.keeps if filters else None)
    else:
        data, status = loader.load_source(env, name, start, end, tolerate_errors=True)
        ledger = ledger_of(data, filters, metric)
    if ledger.newest_end is None:  # the window holds nothing: the data's real newest, from the cache index
        ledger.newest_end = loader.newest_cached(env, name)
    return ledger, status


def ledger_of(data: Dataset, filters: Filters, metric: str) -> Ledger:
    """The ledger of a dataset: filtered sums per day, coverage from the unfiltered days."""
    from costctl.query import LEDGER_COLUMNS

    block = data.filtered(filters).block(LEDGER_COLUMNS)
    coverage = data.block(()) if filters else block
    return Ledger.from_block(block, metric, coverage=coverage)
