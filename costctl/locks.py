"""Fetch locks between costctl processes: one OS file lock per provider instance.

Why an OS lock: the kernel releases an ``flock`` when its holder's file descriptor closes, and
that includes kill -9, an OOM kill and a crash, so a dead process never blocks the next one (the
former lock, a diskcache entry with a 600 s expiry, blocked every command for ten minutes after
a killed fetch). The lock file also holds who holds it (PID, host, start time), read only to tell
a waiting operator whom they wait for: the locking never trusts that text, so an empty or
garbage file changes nothing.

Files live in ``<cache dir>/locks/<source>.lock``: the folder 0700, the files 0600, opened
without following a symlink. They are never deleted: removing a lock file while another process
waits on it would let two processes each hold "the" lock on different files.

A wait is bounded by the smaller of ``cache.lock_timeout`` and what the command's deadline leaves
(``costctl.deadline``); it says on stderr (-v) and in its error whom it waits for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from costctl import deadline
from costctl.errors import CacheError, ProviderError

POLL = 0.1  # seconds between attempts while another process holds the lock


class LockBusy(ProviderError):
    """Another costctl kept fetching the same provider instance for longer than we could wait.

    A ProviderError because, for the waiting command, it is a refresh that could not happen:
    ``check`` then answers from the cache like after any failed refresh, naming the holder.
    """


def lock_path(directory: str, source: str) -> str:
    """``<directory>/<source>.lock``, with any character outside [A-Za-z0-9_.-] escaped (%XX)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), source)
    if safe.startswith("."):
        safe = "%2E" + safe[1:]  # never a hidden file, never "." or ".."
    return os.path.join(directory, f"{safe}.lock")


def describe_holder(raw: bytes, source: str, now: float | None = None) -> str:
    """Who holds the lock, from the lock file's text: "costctl pid 1234 on host db1, fetching prod
    since 12:01:02"; "another costctl process" when the text is empty or not ours."""
    try:
        info = json.loads(raw.decode("utf-8"))
        pid, host, since = int(info["pid"]), str(info["host"]), float(info["since"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, OverflowError):
        return "another costctl process"
    host = " ".join(host.split())[:64] or "?"
    now = time.time() if now is None else now
    try:
        fmt = "%H:%M:%S" if abs(now - since) < 86400 else "%Y-%m-%d %H:%M:%S"
        started = time.strftime(fmt, time.localtime(since))
    except (ValueError, OverflowError, OSError):
        return f"costctl pid {pid} on host {host}"
    return f"costctl pid {pid} on host {host}, fetching {source} since {started}"


def _open(path: str) -> int:
    """The lock file's descriptor, created 0600 in a 0700 folder; never through a symlink."""
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise CacheError(f"cannot open the fetch lock {path}: {exc.strerror or exc}; fix the permissions of "
                         f"{folder} (or remove a symlink planted there), or run with --no-cache") from None


def _read(fd: int) -> bytes:
    try:
        return os.pread(fd, 4096, 0)
    except OSError:
        return b""


def _record(fd: int, source: str) -> None:
    """Write who we are into the held lock file (for other processes' messages only)."""
    info = json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "since": time.time(), "source": source})
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
    except OSError:  # disk full: the lock still holds, only the message loses its details
        pass


@contextmanager
def hold(directory: str, source: str, timeout: float, *, on_wait: Callable[[str], None] | None = None,
         poll: float = POLL) -> Iterator[None]:
    """Hold the fetch lock of ``source`` in ``directory``, waiting for another holder at most
    ``timeout`` seconds (less when the command's deadline leaves less); raise ``LockBusy`` after.

    ``on_wait`` gets "waiting for costctl pid ..." when the wait starts and whenever the holder
    changes (default: an INFO log line, shown with -v).
    """
    import fcntl

    path = lock_path(directory, source)
    fd = _open(path)
    try:
        limit = deadline.budget(timeout)
        began = time.monotonic()
        said = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            except OSError as exc:  # ENOLCK on a filesystem without locks
                raise CacheError(f"cannot lock {path}: {exc.strerror or exc}; put cache.path on a local "
                                 "filesystem, or run with --no-cache") from None
            holder = describe_holder(_read(fd), source)
            if holder != said:
                said = holder
                (on_wait or _log_wait)(f"waiting for {holder}")
            waited = time.monotonic() - began
            if waited >= limit:
                raise LockBusy(_busy_message(source, holder, waited, timeout, limit))
            time.sleep(min(poll, max(0.0, limit - waited)))
        _record(fd, source)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # no stale "who" for the next waiter to show
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _busy_message(source: str, holder: str, waited: float, timeout: float, limit: float) -> str:
    why = ("cache.lock_timeout" if limit >= timeout
           else f"the rest of the {deadline.seconds() or 0:g} s deadline, --timeout")
    return (f"{source}: gave up after {waited:.0f} s waiting for {holder} ({why}); "
            "let it finish, or end that process if it hangs")


def _log_wait(message: str) -> None:
    import logging

    logging.getLogger("costctl.locks").info(message)
