"""How scanners tell the outside world about progress and skipped checks, without knowing about rich.

The command passes a ``Reporter``; tests pass ``Reporter()`` and read ``warnings`` afterwards.
Thread-safe: regions are scanned in a pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Reporter:
    """Collects warnings; forwards progress ticks and warnings to optional callbacks."""

    def __init__(self, on_warning: Callable[[str], None] | None = None,
                 on_start: Callable[[str, int], None] | None = None,
                 on_advance: Callable[[str, str], None] | None = None) -> None:
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._on_warning, self._on_start, self._on_advance = on_warning, on_start, on_advance

    def warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(message)
        if self._on_warning:
            self._on_warning(message)

    def start(self, provider: str, units: int) -> None:
        """``units`` regions/projects/subscriptions of ``provider`` are about to be scanned."""
        if self._on_start:
            self._on_start(provider, units)

    def advance(self, provider: str, unit: str) -> None:
        if self._on_advance:
            self._on_advance(provider, unit)
