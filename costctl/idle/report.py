"""How scanners tell the outside world about progress and skipped checks, without knowing about rich.

The command passes a ``Reporter``; tests pass ``Reporter()`` and read ``warnings`` afterwards.
Thread-safe: regions are scanned in a pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


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


def check_guard(wanted: set[str], reporter: Reporter, provider: str,
                where: str) -> Callable[[set[str], Callable[[], Any]], Any]:
    """A runner for the checks of one subscription/project: skipped when not wanted, and a check
    that is denied or fails becomes one warning (``grant <permission>``) instead of ending the scan.
    """
    from costctl.errors import Denied, ProviderError

    def guarded(checks: set[str], run: Callable[[], Any]) -> Any:
        selected = wanted & checks
        if not selected:
            return None
        names = "/".join(sorted(selected))
        try:
            return run()
        except Denied as exc:
            reporter.warn(f"{provider}: {names} skipped in {where}: grant {exc.permission}")
        except ProviderError as exc:
            reporter.warn(f"{provider}: {names} failed in {where}: {exc}")
        return None

    return guarded
