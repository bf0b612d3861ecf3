"""The fetch lock between costctl processes (``costctl.locks``): freed by the kernel when its
holder dies, says who holds it, and survives a lock file with any content.

The processes here are real ``costctl`` runs of the fake provider plugin, whose ``delay`` keeps a
fetch (and so the lock) going until the test kills it.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, fetch_log
from costctl.locks import LockBusy, describe_holder, hold, lock_path

RANGE = ("--start", "2026-11-01", "--end", "2026-11-07", "--as-of", "2026-11-20")


def write_config(path: Path, cache: Path, log: Path, **extra: object) -> Path:
    settings = {"type": "fake", "log": str(log), **extra}
    path.write_text(yaml.safe_dump({"providers": {"fake": settings}, "cache": {"path": str(cache)}}))
    return path


def env_for(site: Path) -> dict[str, str]:
    """This checkout's costctl and the fake plugin, for a costctl subprocess."""
    return {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{REPO}"}


def costctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "costctl", *args]


def start_holder(config: Path, log: Path, site: Path) -> subprocess.Popen[str]:
    """A ``costctl costs`` whose fetch hangs, returned once its fetch (under the lock) has begun."""
    before = len(fetch_log(log))
    proc = subprocess.Popen(costctl("--config", str(config), "--refresh", "costs", *RANGE, "--format", "json"),
                            env=env_for(site), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(600):  # up to 60 s for the start-up on a busy machine
        if len(fetch_log(log)) > before:
            return proc
        if proc.poll() is not None:
            raise AssertionError(f"the holder ended early: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the holder never started its fetch")


@pytest.fixture
def setup(tmp_path: Path, fake_plugin: Path) -> tuple[Path, Path, Path, Path]:
    """(hanging config, quick config, fetch log, site) sharing one cache and one provider name."""
    cache, log = tmp_path / "cache", tmp_path / "fake.log"
    hanging = write_config(tmp_path / "hang.yaml", cache, log, delay=300.0)
    quick = write_config(tmp_path / "quick.yaml", cache, log)
    return hanging, quick, log, fake_plugin


def test_after_kill_9_mid_fetch_the_next_command_gets_the_lock_at_once(setup) -> None:
    hanging, quick, log, site = setup
    for _ in range(5):
        holder = start_holder(hanging, log, site)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        # The old lock (a cache entry expiring after cache.lock_timeout, 600 s) made this wait ten
        # minutes; the subprocess timeout turns that into a failure.
        after = subprocess.run(costctl("--config", str(quick), "--refresh", "costs", *RANGE, "--format", "json"),
                               env=env_for(site), capture_output=True, text=True, timeout=90)
        assert after.returncode == 0, after.stderr
        assert "waiting for" not in after.stderr


def test_a_waiter_names_the_live_holder_and_check_answers_from_the_cache(setup, tmp_path: Path) -> None:
    hanging, quick, log, site = setup
    warm = subprocess.run(costctl("--config", str(quick), "costs", *RANGE, "--format", "json"),
                          env=env_for(site), capture_output=True, text=True, timeout=90)
    assert warm.returncode == 0, warm.stderr
    short = write_config(tmp_path / "short.yaml", tmp_path / "cache", log)
    data = yaml.safe_load(short.read_text())
    data["cache"]["lock_timeout"] = "1s"
    short.write_text(yaml.safe_dump(data))
    holder = start_holder(hanging, log, site)
    try:
        waiter = subprocess.run(costctl("-v", "--config", str(short), "--refresh", "costs", *RANGE, "--format", "json"),
                                env=env_for(site), capture_output=True, text=True, timeout=90)
        who = f"costctl pid {holder.pid} on host {os.uname().nodename}, fetching fake since "
        assert f"waiting for {who}" in waiter.stderr
        # A refresh that could not happen, with every day cached: a warning naming the holder, the cached data.
        assert waiter.returncode == 0, waiter.stderr
        assert f"warning: fake: gave up after 1 s waiting for {who}" in waiter.stderr
        assert "(cache.lock_timeout)" in waiter.stderr
        # check waits only within its -t (cache.lock_timeout is 600 s here) and answers from the cache.
        check = subprocess.run(costctl("--config", str(quick), "--refresh", "check", "-t", "10", "-c", "1000",
                                       "--as-of", "2026-11-05", "-v"),
                               env=env_for(site), capture_output=True, text=True, timeout=90)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "from cache" in check.stdout.splitlines()[0], check.stdout
        assert f"waiting for {who}" in check.stdout
        assert "deadline, --timeout" in check.stdout
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_lock_file_with_garbage_still_locks_and_unlocks(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    folder.mkdir()
    path = Path(lock_path(str(folder), "prod"))
    path.write_bytes(b"\x00\xff{not json at all" * 100)
    with hold(str(folder), "prod", timeout=1):
        assert path.read_text().startswith(f'{{"pid": {os.getpid()}')
        said: list[str] = []
        # flock is per open file: a second open of the same file in this process conflicts too
        with pytest.raises(LockBusy, match="gave up after 0 s waiting for costctl pid"), \
                hold(str(folder), "prod", timeout=0, on_wait=said.append):
            pass
        assert said and said[0].startswith(f"waiting for costctl pid {os.getpid()} on host ")
    assert path.read_bytes() == b""  # released: no stale holder left for the next waiter to show
    path.write_bytes(b"garbage")
    with hold(str(folder), "prod", timeout=1):
        pass


def test_a_holder_described_by_garbage_is_another_costctl_process() -> None:
    for raw in (b"", b"\x00\xff", b"[1, 2]", b'{"pid": "x"}', b'{"pid": 1, "host": "h", "since": 1e300}', b"null"):
        assert describe_holder(raw, "prod").startswith(("another costctl process", "costctl pid 1 on host h"))
    text = describe_holder(b'{"pid": 42, "host": "db1\\nevil", "since": 0}', "prod", now=3600.0)
    assert text.startswith("costctl pid 42 on host db1 evil, fetching prod since ")


def test_lock_files_are_private_and_never_followed_through_a_symlink(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "locks"
    with hold(str(folder), "a/b:c", timeout=1):
        pass
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (made,) = folder.iterdir()
    assert made.name == "a%2Fb%3Ac.lock" and stat.S_IMODE(made.stat().st_mode) == 0o600
    victim = tmp_path / "victim"
    victim.write_text("keep")
    os.symlink(victim, lock_path(str(folder), "prod"))
    from costctl.errors import CacheError

    with pytest.raises(CacheError, match="cannot open the fetch lock"), hold(str(folder), "prod", timeout=1):
        pass
    assert victim.read_text() == "keep"
