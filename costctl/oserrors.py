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


def describe(exc: OSError, path: str | None = None, action: str = "write") -> str:
    """``cannot write PATH: no space left on its filesystem (...); free space ...`` as one line.

    ``path`` defaults to the error's own file name; ``action`` is the verb (write, read, create).
    """
    where = path if path is not None else exc.filename
    reason = _REASONS.get(exc.errno) if exc.errno is not None else None
    if reason is not None:
        what, fix = reason
    else:
        what, fix = (exc.strerror or str(exc) or type(exc).__name__), ""
    head = f"cannot {action} {where}" if where not in (None, "") else f"cannot {action}"
    line = f"{head}: {what}" + (f"; {fix}" if fix else "")
    return " ".join(line.split())


def is_storage_error(exc: BaseException) -> bool:
    """True for disk full, quota exceeded and read-only filesystem."""
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS
