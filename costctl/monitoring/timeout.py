"""The plugin's own ``-t/--timeout``: a check must answer before the monitoring core kills it.

A core that kills a plugin records a bare UNKNOWN/CRITICAL without a reason, so costctl enforces
the limit itself and answers with ``--error-state`` and a one-line reason. In the main thread a
SIGALRM timer raises ``PluginTimeout`` where the code is (a socket read, a sleep, a retry loop),
so ``finally`` blocks still release the cache's fetch lock. The timer is the command deadline's
(``costctl.deadline``), shared with the fetches inside, which give up a little earlier so that
the check can still answer from the cache and name the cause. ``PluginTimeout`` derives from
BaseException because provider code wraps SDK errors with ``except Exception``, which must not
swallow it. A watchdog thread is the last resort when the alarm cannot interrupt (a blocking C
call, or no main thread): after a short grace it prints the answer and ends the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

GRACE = 2.0  # seconds the alarm gets to unwind before the watchdog ends the process


class PluginTimeout(BaseException):  # noqa: N818 - reads as what happened
    """The check ran out of time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g}s")
        self.seconds = seconds


@contextmanager
def deadline(seconds: float | None, last_resort: Callable[[], None]) -> Iterator[None]:
    """Raise ``PluginTimeout`` in the body after ``seconds``; call ``last_resort`` if that does not end it.

    Also sets the command's deadline (``costctl.deadline``), so that fetches and retries inside
    give up early enough for the check to answer from the cache and say why.
    """
    from costctl import deadline as overall

    overall.start(seconds)
    if not seconds or seconds <= 0:
        yield
        return
    use_alarm = overall.can_alarm()
    watchdog = threading.Timer(seconds + (GRACE if use_alarm else 0.0), last_resort)
    watchdog.daemon = True
    watchdog.start()
    try:
        with overall.watch(error=lambda: PluginTimeout(seconds)):
            yield
    finally:
        watchdog.cancel()
        overall.start(None)  # the check is over: nothing after it inherits its deadline
