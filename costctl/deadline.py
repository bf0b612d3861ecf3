"""The command's overall deadline: set once by the CLI, read by everything that waits on the network.

Why one module: a cost API that throttles, hangs or drips one byte at a time must not keep a cron
job or a monitoring check running past its ``--timeout``. The CLI calls ``start`` with the
command's limit; retry loops size their budgets with ``budget`` so that they give up in time for
the command to answer from the cache and name the cause; clients take their per-read timeouts
from ``read_timeout``; and ``watch`` arms a SIGALRM timer (main thread only) that raises
``DeadlineExceeded`` wherever the code is, because a socket that receives one byte every second
never trips a per-read timeout.

Watches nest and share the one deadline, each keeping back its own margin: the fetch of one
provider keeps ``reserve()`` seconds to answer from the cache, the whole command keeps none.
When the timer fires, the innermost watch whose time is up raises; leaving a watch re-arms the
timer for the ones around it. ``DeadlineExceeded`` derives from BaseException because provider
code wraps SDK failures with ``except Exception``, which must not swallow it.

Only ``time`` and the C signal module are imported: a warm ``check`` loads this module too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

try:
    import _signal as signals  # the C module behind ``signal``, without the enums it builds on import
except ImportError:  # pragma: no cover - a Python without it
    import signal as signals

DEFAULT = 300.0  # seconds, for every command but ``check`` (whose default is check.timeout, 30 s)

_seconds: float | None = None  # the limit as given, for messages
_expires: float | None = None  # time.monotonic() when it runs out; None: no deadline
_watches: list[_Watch] = []
_fired: BaseException | None = None  # what the alarm last raised (engines may swallow it: ``swallowed``)


class DeadlineExceeded(BaseException):  # noqa: N818 - reads as what happened
    """The command's deadline passed while waiting for an answer."""

    def __init__(self, seconds: float | None = None) -> None:
        seconds = _seconds if seconds is None else seconds
        super().__init__(f"no complete answer within the {seconds or 0:g} s deadline (--timeout)")
        self.seconds = seconds


class _Watch:
    __slots__ = ("keep", "error")

    def __init__(self, keep: float, error: Callable[[], BaseException]) -> None:
        self.keep = keep
        self.error = error


def start(seconds: float | None) -> None:
    """Set the deadline ``seconds`` from now (None or 0: none) and re-arm any active watch."""
    global _seconds, _expires, _fired
    _fired = None
    _seconds = seconds if seconds and seconds > 0 else None
    _expires = time.monotonic() + _seconds if _seconds is not None else None
    if _watches:
        _arm()


def seconds() -> float | None:
    """The limit as given (None: no deadline)."""
    return _seconds


def remaining() -> float | None:
    """Seconds left (never negative), or None without a deadline."""
    return None if _expires is None else max(0.0, _expires - time.monotonic())


def reserve() -> float:
    """What a fetch leaves of the deadline for the command to answer from the cache: a fifth,
    between 2 and 5 seconds (2 s of a 10 s check, 5 s of 30 s or of the default 300 s), and at
    most half of a deadline shorter than 4 s. Answering from the cache after a failed refresh
    reads rows (DuckDB, pandas: ~1-2 s to import on a busy host), hence not less."""
    limit = _seconds or 0.0
    return min(5.0, max(min(2.0, 0.5 * limit), 0.2 * limit))


def budget(configured: float, keep: float | None = None) -> float:
    """``configured`` seconds, or what the deadline leaves after keeping ``keep`` (default
    ``reserve()``) back, whichever is less; never negative."""
    left = remaining()
    if left is None:
        return configured
    return max(0.0, min(configured, left - (reserve() if keep is None else keep)))


def retry_budget(configured: float) -> float:
    """How long a retry loop may go on: ``configured``, or less so that it ends ``reserve()``
    before a fetch is cut short (``watch(keep=reserve())``), leaving its last attempt time to
    fail with the real cause instead of "no complete answer"."""
    return budget(configured, keep=2 * reserve())


def read_timeout(configured: float, floor: float = 0.5) -> float:
    """A per-read (or connect) timeout: ``configured``, at most what the deadline leaves (and at
    least ``floor``, so a client never gets 0, which some read as "no timeout")."""
    left = remaining()
    return configured if left is None else max(floor, min(configured, left))


def can_alarm() -> bool:
    """SIGALRM timers work only in the main thread (and where the platform has them)."""
    import threading

    return threading.current_thread() is threading.main_thread() and hasattr(signals, "setitimer")


@contextmanager
def watch(keep: float = 0.0, error: Callable[[], BaseException] | None = None) -> Iterator[None]:
    """Raise ``error()`` (default ``DeadlineExceeded``) in the body once the deadline, less
    ``keep`` seconds, has passed (a deadline set later, by ``start``, counts too). Outside the
    main thread it does nothing: the budgets and read timeouts still apply there."""
    if not can_alarm():
        yield
        return
    entry = _Watch(keep, error or DeadlineExceeded)
    outermost = not _watches
    previous = signals.signal(signals.SIGALRM, _on_alarm) if outermost else None
    _watches.append(entry)
    _arm()
    try:
        yield
    finally:
        _watches.remove(entry)
        if outermost:
            signals.setitimer(signals.ITIMER_REAL, 0)
            signals.signal(signals.SIGALRM, previous)
        else:
            _arm()


def _due(entry: _Watch) -> float:
    assert _expires is not None
    return _expires - entry.keep


def _arm() -> None:
    if not _watches or _expires is None:
        signals.setitimer(signals.ITIMER_REAL, 0)
        return
    first = min(_due(w) for w in _watches)
    signals.setitimer(signals.ITIMER_REAL, max(0.001, first - time.monotonic()))


def _on_alarm(signum: int, frame: object) -> None:
    now = time.monotonic()
    late = [w for w in _watches if _expires is not None and _due(w) <= now + 0.001]
    if late:
        # The innermost watch whose time is up raises: the code is inside it, and it knows what
        # was cut short. The ones around it fire when it has been left (see ``watch``).
        global _fired
        _fired = late[-1].error()
        raise _fired
    _arm()


def is_interruption(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB's "Query interrupted": what it raises in place of any exception
    a signal handler raised while a query ran (the deadline's alarm, or Ctrl-C's KeyboardInterrupt)."""
    return isinstance(exc, RuntimeError) and (type(exc).__name__ == "InterruptException"
                                              or str(exc).strip() == "Query interrupted")


def swallowed(exc: BaseException) -> BaseException | None:
    """The deadline error that ``exc`` stands for, when an engine swallowed it; else None.

    DuckDB checks for signals while a query runs and, when the handler raises, cancels the query
    and raises ``RuntimeError('Query interrupted')`` without the original: the deadline then read
    as an internal error. Callers that catch ``Exception`` around work that may run a query ask
    this first and raise the returned error instead."""
    if _fired is None or not is_interruption(exc):
        return None
    return _fired
