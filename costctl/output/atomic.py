"""Write a user-named output file without following a planted symlink, atomically.

Every file costctl writes at a path the user names (``--output`` of the listings, the
``export-prometheus`` textfile) goes through ``replace``: the data goes to a new temp file created
with ``O_CREAT|O_EXCL|O_NOFOLLOW`` in the target's directory and is renamed over the target only
once it is complete, so a reader (node_exporter, a dashboard) never sees half a file and a killed
run leaves the old file intact. The guarantees, for a run as root in a world-writable directory:

- a final-component symlink is refused (one line) unless ``follow_symlinks`` is given; then the
  file it points to is replaced and the link kept. A dangling link is always refused: it must not
  create a file wherever it points.
- an existing file keeps its permission bits (a 0600 report stays 0600); a new file gets
  ``0666 & ~umask`` unless the caller asks for a mode (the textfile must be readable by
  node_exporter).
- a character device or FIFO (``/dev/stdout``, ``/dev/null``, a pipe a reader waits on) is written
  in place: renaming over it would replace ``/dev/null`` with a file.
- temp files a killed run left (``.costctl-*.tmp``, ours, older than an hour) are removed from the
  target's directory on the next write.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator
from typing import IO

from costctl.errors import OutputError
from costctl.oserrors import describe

PREFIX = ".costctl-"
SUFFIX = ".tmp"
STALE_AFTER = 3600.0  # seconds: a temp file this old belongs to no running write

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(describe(exc, path)) from None


def resolve(path: str, follow_symlinks: bool) -> tuple[str, os.stat_result | None]:
    """The path to replace and its current status (None when absent).

    A final-component symlink is refused unless ``follow_symlinks``; a dangling one always is.
    """
    st = _lstat(path)
    if st is None or not stat.S_ISLNK(st.st_mode):
        return path, st
    if not follow_symlinks:
        raise OutputError(f"cannot write {path}: it is a symbolic link and costctl does not write through links "
                          "(one planted in a shared directory could make it replace any file); name the file "
                          "itself, or pass --follow-symlinks to replace the file the link points to")
    target = os.path.realpath(path)
    st = _lstat(target)
    if st is None:
        raise OutputError(f"cannot write {path}: it is a symbolic link to {target}, which does not exist; "
                          "costctl does not create files through dangling links, name the file itself")
    return target, st


def clean_stale(directory: str, now: float | None = None) -> int:
    """Remove our temp files a killed run left in ``directory``; how many were removed.

    Only regular files (not links) named ``.costctl-*.tmp``, owned by the current user and older
    than STALE_AFTER: a concurrent run's file is young, and another user's is not ours to delete.
    """
    now = time.time() if now is None else now
    removed = 0
    uid = os.geteuid()
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(PREFIX) and entry.name.endswith(SUFFIX)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_uid == uid and now - st.st_mtime > STALE_AFTER:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def _create_temp(directory: str, mode: int) -> tuple[int, str]:
    """A new temp file in ``directory`` (never an existing file, never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(100):
        name = os.path.join(directory, f"{PREFIX}{os.urandom(6).hex()}{SUFFIX}")
        try:
            return os.open(name, flags, mode), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name in {directory}")


@contextlib.contextmanager
def _in_place(path: str, target: str, followed: bool) -> Iterator[IO[str]]:
    """Write a device or FIFO where it is (no rename), refusing anything that turned into a file."""
    flags = os.O_WRONLY | os.O_NOCTTY | _CLOEXEC | (0 if followed else _NOFOLLOW)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise OutputError(describe(exc, path)) from None
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):  # swapped between lstat and open
        os.close(fd)
        raise OutputError(f"cannot write {path}: it changed while costctl opened it; run again")
    fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
    try:
        yield fh
        fh.flush()
    except OSError as exc:
        raise _ours(exc, path, target) from None
    finally:
        with contextlib.suppress(OSError):
            fh.close()


def _ours(exc: OSError, path: str, *names: str) -> BaseException:
    """The OutputError for an error writing our file (one without a name is a write() or flush()),
    the exception itself for anything else raised while the caller rendered."""
    if exc.filename is None or exc.filename in names or exc.filename == path:
        return OutputError(describe(exc, path))
    return exc


@contextlib.contextmanager
def replace(path: str, *, follow_symlinks: bool = False, new_mode: int | None = None) -> Iterator[IO[str]]:
    """A text stream whose content replaces ``path`` when the block ends without an exception.

    ``new_mode`` is the mode of a file that did not exist (default ``0666 & ~umask``); an
    existing file keeps its own. Every failure is an OutputError with one line naming the path.
    """
    target, st = resolve(path, follow_symlinks)
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        with _in_place(path, target, target != path) as fh:
            yield fh
        return
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise OutputError(f"cannot write {path}: it is {kind}; name a file")
    directory = os.path.dirname(target) or "."
    clean_stale(directory)
    try:
        fd, tmp = _create_temp(directory, 0o666)  # the kernel applies the umask
        if st is not None:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o777)  # keep the report's mode; never set-id bits
        elif new_mode is not None:
            os.fchmod(fd, new_mode)
    except OSError as exc:
        raise OutputError(describe(exc, path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())  # complete on disk before it takes the name
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _ours(exc, path, tmp, target) from None
        raise


def write_text(path: str, text: str, *, follow_symlinks: bool = False, new_mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` (see ``replace``)."""
    with replace(path, follow_symlinks=follow_symlinks, new_mode=new_mode) as fh:
        fh.write(text)
