"""Shared fixtures: an isolated environment per test, a fake provider plugin, a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
SHARED_DATA = REPO.parent / "shared" / "data"

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel workers (and the costctl processes they start) share the cores: DuckDB's spinning
    # worker threads, one per core in every process, made the suite slower in parallel than alone.
    os.environ.setdefault("COSTCTL_DUCKDB_THREADS", "1")


@pytest.fixture(autouse=True)
def restore_logging():
    """The CLI configures the root logger (level from -v); undo it so no test sees another's level."""
    import logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in ("botocore", "boto3", "urllib3", "azure", "google")}
    yield
    root.setLevel(level)
    root.handlers[:] = handlers
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads the user's config or cache: XDG dirs point into a temp dir."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("COSTCTL_CONFIG", raising=False)
    monkeypatch.delenv("COSTCTL_DEBUG", raising=False)
    return home


@pytest.fixture(autouse=True)
def forget_secrets():
    """Secrets a config registered for masking (``costctl.redact``) do not outlive the test."""
    yield
    from costctl import redact

    redact.forget_all()


def shared_data() -> Path:
    """The public samples beside the repo; a missing folder fails in CI and skips elsewhere."""
    import os

    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing; CI must run with shared/ beside the repo")
        pytest.skip(f"{SHARED_DATA} not found (the samples live in shared/ beside the repo)")
    return SHARED_DATA


@pytest.fixture
def fake_plugin(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the fake provider as a real entry-point plugin on sys.path (and for subprocesses)."""
    from costctl.providers import registry

    site = tmp_path_factory.mktemp("site")
    shutil.copy(TESTS / "fakeplugin" / "costctl_fakeprov.py", site / "costctl_fakeprov.py")
    info = site / "costctl_fakeprov-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: costctl-fakeprov\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[costctl.providers]\nfake = costctl_fakeprov:FakeProvider\n")
    monkeypatch.syspath_prepend(str(site))
    # This checkout's costctl too: without it a subprocess imports whichever costctl is installed.
    monkeypatch.setenv("PYTHONPATH", f"{site}{os.pathsep}{REPO}")
    registry.available.cache_clear()
    registry.load.cache_clear()
    yield site
    registry.available.cache_clear()
    registry.load.cache_clear()
    sys.modules.pop("costctl_fakeprov", None)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``costctl`` in-process through its real entry point; return exit code and streams."""
    from costctl.cli import main

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


@pytest.fixture
def fake_config(tmp_path: Path, fake_plugin: Path) -> Callable[..., Path]:
    """Write a config with fake provider instances; returns the config path."""
    import yaml

    def write(**instances: dict) -> Path:
        providers = {}
        for name, extra in (instances or {"fake": {}}).items():
            providers[name] = {"type": "fake", "log": str(tmp_path / f"{name}.log"), **extra}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump({"providers": providers, "cache": {"path": str(tmp_path / "cache")}}))
        return path

    return write


def fetch_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def hook():
    """Make local webhook receivers (``Hook(statuses)``); all are closed after the test."""
    from webhook_server import Hook

    made: list[Hook] = []

    def make(statuses: list[int] | None = None) -> Hook:
        made.append(Hook(statuses))
        return made[-1]

    yield make
    for h in made:
        h.close()


@pytest.fixture(scope="session")
def moto() -> str:
    """One real moto server for the whole run (tests reset its state); stopped by PID at the end."""
    from moto_server import running

    with running() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def demo_cache_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A warm ``--demo`` cache made once per test run (per xdist worker): ``costctl --demo costs``
    caches every day of the bundled exports, as a user's first run does; ``budgets`` then caches
    the empty days of the year budgets' period before the data (``export-prometheus``, ``report``
    and ``check --period budget`` ask for them: without them every such test read the exports)."""
    import subprocess

    home = tmp_path_factory.mktemp("demo-template")
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config")}
    for name in ("COSTCTL_CONFIG", "COSTCTL_DEMO_ANCHOR", "COLUMNS"):
        env.pop(name, None)
    for command in ("costs", "budgets"):
        subprocess.run([sys.executable, "-m", "costctl", "-q", "--demo", command], env=env, check=True,
                       capture_output=True, timeout=300)
    cache = home / "cache" / "costctl"
    return cache if cache.is_dir() else None


@pytest.fixture
def warm_demo(request: pytest.FixtureRequest, isolated_env: Path) -> None:
    """Start the test with the demo already cached (a copy of ``demo_cache_template``) in the default
    cache, unless it is marked ``cold_cache``: most demo tests are about what a command prints, not
    about the first fetch, and a cold demo fetch per test was most of the suite's time."""
    _copy_demo_cache(request, isolated_env / ".cache" / "costctl")


@pytest.fixture
def warm_demo_tmp(request: pytest.FixtureRequest, isolated_env: Path, tmp_path: Path) -> None:
    """``warm_demo`` for modules whose configs set ``cache.path`` to ``tmp_path/cache``: that one too."""
    for target in (isolated_env / ".cache" / "costctl", tmp_path / "cache"):
        _copy_demo_cache(request, target)


def _copy_demo_cache(request: pytest.FixtureRequest, target: Path) -> None:
    if request.node.get_closest_marker("cold_cache") or target.exists():
        return
    template = request.getfixturevalue("demo_cache_template")
    if template is not None:
        shutil.copytree(template, target, symlinks=True, copy_function=_link_day_files)


def _link_day_files(src: str, dst: str) -> None:
    """Hard-link the cached days' Parquet files, copy the rest (the index, state files).

    costctl never changes a day file in place (a re-fetch writes a new file and renames it in;
    old ones are unlinked), so tests can share the template's inodes. Copying the 450 files
    cost ~0.25 s per test, several hundred tests over; a test that damages a day file on
    purpose must replace it (write a new file and rename it over), not write into it.
    """
    if src.endswith(".parquet") and f"{os.sep}rows{os.sep}" in src:
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores this process may use (at most 4, the
    ``--maxprocesses``). A good part of the suite waits rather than computes (servers starting,
    deadlines running out, subprocesses importing), so a worker per core left cores idle."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1
