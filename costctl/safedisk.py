"""What the cache may trust on disk: a JSON-only diskcache ``Disk`` and the ownership rules.

diskcache stores values with pickle by default, and unpickling runs code: a cache directory that
another user could write (a pre-created ``/tmp/costctl``, a group-writable ``/var/cache``) would
run their code as whoever runs costctl, often root under a monitoring agent. So:

* ``JSONOnlyDisk`` stores every value as zlib-compressed JSON bytes and refuses to unpickle
  anything it finds (a value or key written in pickle mode reads as absent, never loaded);
* ``check_private`` refuses, as ssh does for its keys, a cache directory or database that is
  not owned by the current user or that group or others may write; ``make_private`` creates the
  directory 0700 and the files 0600.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from typing import Any

import diskcache

from costctl.errors import CacheError


class JSONOnlyDisk(diskcache.Disk):
    """A diskcache Disk whose values are JSON and whose reads never unpickle."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if not isinstance(key, str):
            raise TypeError("cache keys are strings")
        return super().put(key)  # str keys are stored raw (never pickled)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise KeyError("a cache key stored in pickle mode is not read")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if read:
            raise TypeError("file values are not stored")
        data = zlib.compress(json.dumps(value, separators=(",", ":"), allow_nan=False).encode(), 1)
        return super().store(data, False, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode not in (diskcache.core.MODE_RAW, diskcache.core.MODE_BINARY):
            return None  # written by something else (pickle, text): treated as absent, never loaded
        data = super().fetch(mode, filename, value, read)
        if not isinstance(data, bytes):
            return None  # a raw number or text of another writer
        try:
            return json.loads(zlib.decompress(data))
        except (zlib.error, ValueError, UnicodeDecodeError):
            return None


def make_private(directory: str) -> None:
    """Create ``directory`` (and missing parents) with mode 0700."""
    old = os.umask(0o077)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    finally:
        os.umask(old)


def check_private(path: str, what: str) -> None:
    """CacheError unless ``path`` is owned by us and not writable by group or others.

    Follows a symlink (the operator may point ``cache.path`` through one) but checks where it
    leads, so a link into someone else's directory is refused like the directory itself.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CacheError(f"cannot open the {what} {path}: {exc.strerror or exc}; fix its permissions or set "
                         "cache.path to a directory of your own") from None
    uid = os.geteuid()
    if st.st_uid != uid:
        raise CacheError(
            f"the {what} {path} belongs to uid {st.st_uid}, not to you (uid {uid}); costctl does not read data "
            f"another user could have planted: use a directory of your own (cache.path) or `chown -R {uid} {path}`")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        kind = "group and others" if st.st_mode & stat.S_IWOTH else "its group"
        raise CacheError(
            f"the {what} {path} is writable by {kind}; costctl does not read data another user could have planted: "
            f"run `chmod go-w {path}` (costctl creates it 0700) or set cache.path to a directory of your own")


def tighten(path: str, mode: int) -> None:
    """Best-effort chmod of a file costctl created (SQLite creates its files with the umask's mode)."""
    try:
        if os.stat(path).st_uid == os.geteuid():
            os.chmod(path, mode)
    except OSError:
        pass
