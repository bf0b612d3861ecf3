"""Import a heavy module on a background thread while the main thread waits on DuckDB.

A report over a large export spends seconds inside one DuckDB query, which releases the GIL, and
then needs pandas (~0.4 s to import) for the aggregated result. Importing pandas meanwhile takes
that off the critical path. The thread is joined before the block ends, so the main thread never
imports the same modules at the same time (Python's per-module import locks would make that safe,
but a concurrent circular import can hand out a half-initialized module).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator


def _import(names: tuple[str, ...]) -> None:
    for name in names:
        with contextlib.suppress(Exception):  # the main thread's own import reports a real failure
            __import__(name)


@contextlib.contextmanager
def importing(*names: str) -> Iterator[None]:
    """Import ``names`` (those not loaded yet) on a thread for the duration of the block."""
    missing = tuple(n for n in names if n not in sys.modules)
    if not missing:
        yield
        return
    thread = threading.Thread(target=_import, args=(missing,), name="costctl-prewarm", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
