"""``--output`` and the Prometheus textfile: no write through planted links, modes kept, umask
respected, devices and FIFOs in place, full disks in one line, stale temp files of killed runs cleaned."""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

import pytest

from costctl.output import atomic

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

COSTS = ("--demo", "costs", "--days", "2", "--format", "csv")


def test_a_symlink_planted_in_a_world_writable_directory_is_refused(run, tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    planted = shared / "report.csv"
    planted.symlink_to(victim)
    if os.geteuid() == 0:  # as root (CI): the link belongs to someone else, as an attacker's would
        os.lchown(planted, 65534, 65534)
    result = run(*COSTS, "--output", str(planted))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"costctl: error: cannot write {planted}: it is a symbolic link")
    assert "--follow-symlinks" in result.stderr and len(result.stderr.splitlines()) == 1
    assert victim.read_text() == "precious\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert planted.is_symlink() and sorted(p.name for p in shared.iterdir()) == ["report.csv"]


@pytest.mark.parametrize("follow", [False, True])
def test_a_dangling_link_never_creates_a_file_where_it_points(run, tmp_path: Path, follow: bool):
    nowhere = tmp_path / "elsewhere" / "created-by-costctl"
    nowhere.parent.mkdir()
    link = tmp_path / "report.csv"
    link.symlink_to(nowhere)
    result = run(*COSTS, "--output", str(link), *(["--follow-symlinks"] if follow else []))
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert not nowhere.exists() and list(nowhere.parent.iterdir()) == []
    assert link.is_symlink()


def test_the_textfile_refuses_a_dangling_link_too(run, tmp_path: Path):
    nowhere = tmp_path / "made.prom"
    link = tmp_path / "costctl.prom"
    link.symlink_to(nowhere)
    for extra in ([], ["--follow-symlinks"]):
        result = run("--demo", "export-prometheus", "-o", str(link), *extra)
        assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert not nowhere.exists()


def test_an_existing_report_keeps_its_mode(run, tmp_path: Path):
    report = tmp_path / "report.csv"
    report.write_text("old\n")
    report.chmod(0o600)
    assert run(*COSTS, "--output", str(report)).exit_code == 0
    assert report.read_text().startswith("date,cost,currency\n")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    prom = tmp_path / "costctl.prom"
    prom.write_text("")
    prom.chmod(0o640)
    assert run("--demo", "export-prometheus", "-o", str(prom)).exit_code == 0
    assert stat.S_IMODE(prom.stat().st_mode) == 0o640 and "costctl_up" in prom.read_text()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_report_respects_the_umask(run, tmp_path: Path, umask: int, mode: int):
    report = tmp_path / "report.csv"
    old = os.umask(umask)
    try:
        result = run(*COSTS, "--output", str(report))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(report.stat().st_mode) == mode


def test_dev_full_is_written_in_place_and_disk_full_is_one_line(run):
    result = run(*COSTS, "--output", "/dev/full")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == ("costctl: error: cannot write /dev/full: no space left on its filesystem (disk full or "
                             "out of inodes); free space on that filesystem or choose a path on another one\n")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_dev_null_and_a_fifo_still_work(run, tmp_path: Path):
    import threading

    null_before = os.stat("/dev/null")
    assert run(*COSTS, "--output", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and os.stat("/dev/null").st_ino == null_before.st_ino
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    result = run(*COSTS, "--output", str(fifo))
    reader.join(timeout=60)
    assert result.exit_code == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith("date,cost,currency\n")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS])
def test_a_full_or_read_only_disk_keeps_the_old_file_and_says_so(run, tmp_path: Path, monkeypatch, code: int):
    report = tmp_path / "report.csv"
    report.write_text("old\n")

    def fail(fd: int) -> None:  # the kernel reports a full disk at the latest when the data is synced
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, "fsync", fail)
    result = run(*COSTS, "--output", str(report))
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"costctl: error: cannot write {report}: ")
    assert {errno.ENOSPC: "no space left", errno.EDQUOT: "quota", errno.EROFS: "read-only"}[code] in result.stderr
    assert "Errno" not in result.stderr and "internal error" not in result.stderr
    assert report.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_a_full_disk_for_the_textfile_is_one_line(run, tmp_path: Path, monkeypatch):
    def fail(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", fail)
    out = tmp_path / "costctl.prom"
    result = run("--demo", "export-prometheus", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot write {out}: no space left on its filesystem")
    assert list(tmp_path.iterdir()) == []


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_stale_temp_files_of_killed_runs_are_cleaned_on_the_next_write(run, tmp_path: Path):
    old = tmp_path / ".costctl-0123456789ab.tmp"
    old.write_text("half a report")
    _age(old, 2 * 3600)
    young = tmp_path / ".costctl-ba9876543210.tmp"  # a concurrent run may still be writing it
    young.write_text("in progress")
    other = tmp_path / ".report.csv.tmp"  # not ours
    other.write_text("x")
    _age(other, 2 * 3600)
    link = tmp_path / ".costctl-linklinklink.tmp"
    link.symlink_to(tmp_path / "target")
    _age(link, 2 * 3600)
    foreign = tmp_path / ".costctl-foreignfile0.tmp"
    foreign.write_text("someone else's")
    if os.geteuid() == 0:
        os.chown(foreign, 65534, 65534)
    _age(foreign, 2 * 3600)

    assert run(*COSTS, "--output", str(tmp_path / "report.csv")).exit_code == 0
    left = sorted(p.name for p in tmp_path.iterdir())
    assert old.name not in left
    assert {young.name, other.name, link.name, "report.csv"} <= set(left)
    assert (foreign.name in left) == (os.geteuid() == 0)  # as root it belongs to nobody: kept


def test_a_killed_write_leaves_only_a_temp_file_that_the_next_run_removes(tmp_path: Path):
    report = tmp_path / "report.csv"
    report.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic.replace(str(report)) as fh:
        fh.write("new")
        raise KeyboardInterrupt  # an interrupted render: the old report stays, no temp file
    assert report.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    # kill -9 cannot be cleaned up by the killed process itself: simulate what it leaves
    fd, name = atomic._create_temp(str(tmp_path), 0o666)
    os.close(fd)
    _age(Path(name), 3 * 3600)
    assert atomic.clean_stale(str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_an_os_error_anywhere_is_one_line_not_an_internal_error(run, monkeypatch):
    from costctl import loader

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/var/cache/costctl/cache.db")

    monkeypatch.setattr(loader, "load", full)
    monkeypatch.setattr(loader, "load_summaries", full)
    result = run("--demo", "costs", "--days", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith("costctl: error: cannot write /var/cache/costctl/cache.db: no space left")
    result = run("--demo", "check", "-w", "1")
    assert result.exit_code == 3
    assert result.stdout.startswith("COSTCTL UNKNOWN - cannot write /var/cache/costctl/cache.db: no space left")
