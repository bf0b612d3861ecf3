"""One line for disk full, quota, read-only and the other OS errors on a path."""

from __future__ import annotations

import errno
import os

from costctl.oserrors import describe, is_storage_error


def _err(code: int, path: str | None = "/srv/out.csv") -> OSError:
    return OSError(code, os.strerror(code), path)


def test_disk_full_says_so_and_what_to_do():
    line = describe(_err(errno.ENOSPC))
    assert line.startswith("cannot write /srv/out.csv: no space left on its filesystem (disk full or out of inodes)")
    assert "free space" in line and "\n" not in line
    assert "Errno" not in line


def test_quota_and_read_only_filesystems_are_named():
    assert "disk quota exceeded" in describe(_err(errno.EDQUOT))
    assert "read-only" in describe(_err(errno.EROFS), "/cache", "create")
    assert describe(_err(errno.EROFS), "/cache", "create").startswith("cannot create /cache:")


def test_permission_and_missing_directory_have_their_own_fix():
    assert "permission denied; fix its permissions" in describe(_err(errno.EACCES))
    assert "no such file or directory; create its directory" in describe(_err(errno.ENOENT))


def test_an_error_without_a_path_still_reads_as_one_line():
    assert describe(OSError(errno.ENOSPC, "No space left on device")).startswith("cannot write: no space left")


def test_an_unlisted_errno_falls_back_to_the_system_text():
    assert describe(_err(errno.EXDEV)) == f"cannot write /srv/out.csv: {os.strerror(errno.EXDEV)}"


def test_storage_errors_are_recognised():
    assert is_storage_error(_err(errno.ENOSPC)) and is_storage_error(_err(errno.EROFS))
    assert not is_storage_error(_err(errno.EACCES)) and not is_storage_error(ValueError())


def test_sqlite_disk_full_and_read_only_read_like_the_os_errors():
    import sqlite3

    full = sqlite3.OperationalError("database or disk is full")
    assert describe(full, "/var/cache/costctl") == describe(_err(errno.ENOSPC), "/var/cache/costctl")
    assert is_storage_error(full)
    readonly = describe(sqlite3.OperationalError("attempt to write a readonly database"), "/c", "update")
    assert readonly.startswith("cannot update /c: the database is read-only")
    assert not is_storage_error(sqlite3.OperationalError("no such table: x"))


def test_a_sqlite_disk_full_escaping_to_the_cli_is_one_line(run, monkeypatch):
    import sqlite3

    from costctl import loader

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(loader, "load", full)
    result = run("--demo", "costs", "--days", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith("costctl: error: cannot write: no space left on its filesystem")
