"""The plugin's own ``-t/--timeout``: a check must answer before the monitoring core kills it.

A core that kills a plugin records a bare UNKNOWN/CRITICAL without a reason, so costctl enforces
the limit itself and answers with ``--error-state`` and a one-line reason. In the main thread a
SIGALRM timer raises ``PluginTimeout`` where the code is (a socket read, a sleep, a retry loop),
so ``finally`` blocks still release the cache's fetch lock. ``PluginTimeout`` derives from
BaseException because provider code wraps SDK errors with ``except Exception``, which must not
swallow it. A watchdog thread is the last resort when the alarm cannot interrupt (a blocking C
call, or no main thread): after a short grace it prints the answer and ends the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

try:
    # The C module behind ``signal``: the same functions, without the enums ``signal`` builds on
    # import (~1.7 ms, the largest single import of a warm check, whose budget is ~20 ms).
    import _signal as signals
except ImportError:  # pragma: no cover - a Python without it
    import signal as signals

GRACE = 2.0  # seconds the alarm gets to unwind before the watchdog ends the process


class PluginTimeout(BaseException):  # noqa: N818 - reads as what happened
    """The check ran out of time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g}s")
        self.seconds = seconds


@contextmanager
def deadline(seconds: float | None, last_resort: Callable[[], None]) -> Iterator[None]:
    """Raise ``PluginTimeout`` in the body after ``seconds``; call ``last_resort`` if that does not end it."""
    if not seconds or seconds <= 0:
        yield
        return
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signals, "setitimer")
    previous = None
    if use_alarm:
        def on_alarm(signum: int, frame: object) -> None:
            raise PluginTimeout(seconds)

        previous = signals.signal(signals.SIGALRM, on_alarm)
        signals.setitimer(signals.ITIMER_REAL, seconds)
    watchdog = threading.Timer(seconds + (GRACE if use_alarm else 0.0), last_resort)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        if use_alarm:
            signals.setitimer(signals.ITIMER_REAL, 0)
            signals.signal(signals.SIGALRM, previous)
