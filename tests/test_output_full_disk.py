"""A really full, inode-less or read-only filesystem (tmpfs), where root can mount one outside CI.

CI covers the same paths with /dev/full (a real ENOSPC for outputs written in place) and a
simulated ENOSPC/EDQUOT/EROFS on the rename path (tests/test_output_files.py); CI containers may
not be allowed to mount, so these run only on a developer's machine with root.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("CI")), reason="mounting is not assumed in CI; /dev/full and the "
                       "simulated ENOSPC tests cover these paths there"),
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
]


@pytest.fixture
def mount(tmp_path: Path) -> Iterator:
    mounted: list[Path] = []

    def make(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield make
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=False)


def _fill(directory: Path) -> None:
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_full_filesystem_keeps_the_old_report_and_says_so(run, mount):
    disk = mount("size=64k")
    report = disk / "report.csv"
    report.write_text("old\n")
    _fill(disk)
    result = run("--demo", "costs", "--days", "30", "--group-by", "service", "--format", "csv", "-o", str(report))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot write {report}: no space left on its filesystem")
    assert report.read_text() == "old\n"
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "report.csv"]


def test_no_free_inode_for_the_textfile_says_so(run, mount):
    disk = mount("size=1m,nr_inodes=2")  # the root directory and one file
    (disk / "other.prom").write_text("")
    out = disk / "costctl.prom"
    result = run("--demo", "export-prometheus", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot write {out}: no space left on its filesystem "
                                    "(disk full or out of inodes)")


def test_a_read_only_filesystem_says_so(run, mount):
    disk = mount("size=64k,ro")
    out = disk / "report.csv"
    result = run("--demo", "costs", "--days", "2", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"costctl: error: cannot write {out}: the filesystem is read-only")
