"""One line for an operating-system error on a path, saying what happened and what to do.

Used wherever costctl writes to or reads from the disk (outputs, the Prometheus textfile, the
cache) and by the CLI's last-resort handler, so that a full disk reads "no space left" rather
than "internal error: OSError [Errno 28]" or a misleading "fix its permissions".
"""

from __future__ import annotations

import errno

# errno -> (what happened, what to do). "{path}" is filled in.
_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on its filesystem (disk full or out of inodes)",
                   "free space on that filesystem or choose a path on another one"),
    errno.EDQUOT: ("disk quota exceeded", "free space within your quota or choose a path on another filesystem"),
    errno.EROFS: ("the filesystem is read-only", "remount it read-write or choose a path on a writable filesystem"),
    errno.EACCES: ("permission denied", "fix its permissions or choose another path"),
    errno.EPERM: ("operation not permitted", "fix its permissions or choose another path"),
    errno.ENOENT: ("no such file or directory", "create its directory or choose another path"),
    errno.ENOTDIR: ("a part of the path is not a directory", "choose another path"),
    errno.EISDIR: ("it is a directory", "name a file, not a directory"),
    errno.ELOOP: ("it is a symbolic link (or a loop of them)", "name the link's target, or pass --follow-symlinks"),
    errno.EIO: ("input/output error", "check the device and the kernel log (dmesg)"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path"),
    errno.EMFILE: ("too many open files", "raise the open-files limit (ulimit -n)"),
    errno.ENFILE: ("too many open files on the system", "raise the system's open-files limit"),
}

# Errors that say the disk cannot take more, or cannot be written at all.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


# SQLite (the cache's database) reports the same conditions as text, not as an errno.
_SQLITE_ERRNOS = (
    ("database or disk is full", errno.ENOSPC),
    ("disk i/o error", errno.EIO),
    ("readonly database", errno.EROFS),
)


def errno_of(exc: BaseException) -> int | None:
    """The errno of an OSError, or the one a SQLite error stands for (disk full, I/O, read-only)."""
    if isinstance(exc, OSError):
        return exc.errno
    if type(exc).__module__ == "sqlite3":  # without importing sqlite3
        text = str(exc).lower()
        return next((code for words, code in _SQLITE_ERRNOS if words in text), None)
    return None


def describe(exc: BaseException, path: str | None = None, action: str = "write") -> str:
    """``cannot write PATH: no space left on its filesystem (...); free space ...`` as one line.

    ``exc`` is an OSError or a ``sqlite3`` error (``database or disk is full``...); ``path``
    defaults to the error's own file name; ``action`` is the verb (write, read, create).
    """
    where = path if path is not None else getattr(exc, "filename", None)
    code = errno_of(exc)
    reason = _REASONS.get(code) if code is not None else None
    if code == errno.EROFS and not isinstance(exc, OSError):  # SQLite says "readonly" for both causes
        reason = ("the database is read-only (a read-only filesystem, or no write permission)",
                  "remount it read-write or fix its permissions")
    if reason is not None:
        what, fix = reason
    else:
        what, fix = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__), ""
    head = f"cannot {action} {where}" if where not in (None, "") else f"cannot {action}"
    line = f"{head}: {what}" + (f"; {fix}" if fix else "")
    return " ".join(line.split())


def is_storage_error(exc: BaseException) -> bool:
    """True for disk full, quota exceeded and read-only filesystem (also as SQLite reports them)."""
    return errno_of(exc) in STORAGE_ERRNOS
