"""Smoke test of the built single-file/one-folder artifact (scripts/build-binary, docs/binary.md).

Runs only when there is an artifact to test: ``COSTCTL_BINARY=/path/to/costctl`` names an executable,
or ``COSTCTL_BUILD_BINARY=1`` (CI's switch, .ci/setup.d/90-binary.sh) says the release archive for
this version and platform is in dist/ -- then a missing archive is a failure, not a skip. The archive
is checked against its .sha256 and unpacked, and the executable is run as a monitoring host would:
no Python, no config, a fresh cache. Each answer is compared with what the source tree answers, and
the things that only break once frozen get their own test: entry-point providers, the dynamically
registered commands, the bundled demo data, the SDKs, and a warm ``check`` that must not import
pandas or a cloud SDK.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from costctl import __version__

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = f"{platform.system().lower()}-{platform.machine()}"
ARCHIVE = ROOT / "dist" / f"costctl-{__version__}-{PLATFORM}.tar.gz"
SINGLE = ROOT / "dist" / f"costctl-{__version__}-{PLATFORM}"  # the one-file release (packaging/costctl-single.sh)
STATUS_LINE = re.compile(r"^COSTCTL (OK|WARNING|CRITICAL|UNKNOWN) - .+")
PERFDATA = re.compile(r"(\w+)_day=([0-9.]+);")
HEAVY = {"pandas", "numpy", "pyarrow", "boto3", "botocore", "azure", "google", "grpc"}
EXIT = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The unpacked release folder, or None when COSTCTL_BINARY names an executable directly."""
    if os.environ.get("COSTCTL_BINARY"):
        return None
    if os.environ.get("COSTCTL_BUILD_BINARY") != "1":
        pytest.skip("no artifact: set COSTCTL_BUILD_BINARY=1 after scripts/build-binary, or COSTCTL_BINARY=PATH")
    if not ARCHIVE.is_file():
        pytest.fail(f"COSTCTL_BUILD_BINARY=1 but {ARCHIVE} is missing; run scripts/build-binary")
    target = tmp_path_factory.mktemp("artifact")
    with tarfile.open(ARCHIVE) as tar:
        tar.extractall(target, filter="tar")
    return target / ARCHIVE.name.removesuffix(".tar.gz")


@pytest.fixture(scope="module")
def binary(folder: Path | None) -> Path:
    path = Path(os.environ["COSTCTL_BINARY"]) if folder is None else folder / "costctl"
    assert path.is_file() and os.access(path, os.X_OK), f"{path} is not an executable"
    return path


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A monitoring host's environment: no config, an empty cache, no Python on PATH that could help."""
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ", "TMPDIR")}
    return {**keep, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "XDG_CONFIG_HOME": str(tmp_path / "config")}


def run(binary: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=120)


def from_source(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same command through the interpreter running the tests, i.e. the source tree (own cache)."""
    env = {**env, "PATH": os.environ["PATH"], "XDG_CACHE_HOME": env["XDG_CACHE_HOME"] + "-source"}
    return subprocess.run([sys.executable, "-m", "costctl", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_archive_matches_its_sha256_file(folder: Path | None) -> None:
    if folder is None:
        pytest.skip("COSTCTL_BINARY names an executable, not the release archive")
    line = (ARCHIVE.parent / f"{ARCHIVE.name}.sha256").read_text()
    digest, name = line.split()
    assert name == ARCHIVE.name
    assert digest == hashlib.sha256(ARCHIVE.read_bytes()).hexdigest()


def test_version_names_the_release(binary: Path, env: dict[str, str]) -> None:
    result = run(binary, env, "--version")
    assert (result.returncode, result.stdout) == (0, f"costctl, version {__version__}\n")


def test_demo_costs_csv_equals_the_source_trees_answer(binary: Path, env: dict[str, str]) -> None:
    result = run(binary, env, "--demo", "costs", "--days", "3", "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 3 and lines[0].count(",") >= 1, result.stdout
    assert result.stdout == from_source(env, "--demo", "costs", "--days", "3", "--format", "csv").stdout


@pytest.mark.parametrize("command", ["anomalies", "idle", "budgets", "chargeback"])
def test_each_report_command_answers_the_demo_as_the_source_tree_does(binary: Path, env: dict[str, str],
                                                                     command: str) -> None:
    result = run(binary, env, "--demo", command, "--format", "csv")
    assert result.returncode == 0, result.stderr
    expected = from_source(env, "--demo", command, "--format", "csv")
    assert (result.stdout, result.stderr) == (expected.stdout, expected.stderr)


def test_a_parquet_export_is_read_by_the_trimmed_pyarrow(binary: Path, env: dict[str, str], tmp_path: Path) -> None:
    """The spec drops pyarrow parts it believes unused; reading Parquet must survive that."""
    import pandas as pd

    export = tmp_path / "focus.parquet"
    pd.read_csv(ROOT / "costctl" / "demo" / "gcp.csv.gz").head(500).to_parquet(export)
    args = ("costs", "--file", str(export), "--granularity", "total", "--group-by", "service", "--format", "csv")
    result = run(binary, env, *args)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) > 2
    assert result.stdout == from_source(env, *args).stdout


def _demo_day(binary: Path, env: dict[str, str]) -> dict[str, float]:
    """Yesterday's cost per demo provider, read from an OK check's perfdata."""
    result = run(binary, env, "--demo", "check", "--period", "day", "-w", "1000000", "-c", "2000000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("COSTCTL OK - ")
    return {name: float(value) for name, value in PERFDATA.findall(result.stdout.splitlines()[0])}


def test_check_answers_each_nagios_state_with_its_exit_code(binary: Path, env: dict[str, str]) -> None:
    day = _demo_day(binary, env)
    assert set(day) == {"aws", "azure", "gcp"}
    low, high = min(day.values()), max(day.values())
    cases = {"OK": (f"{high + 1:.0f}", f"{high + 2:.0f}"), "WARNING": (f"{low / 2:.0f}", f"{high + 1:.0f}"),
             "CRITICAL": (f"{low / 4:.0f}", f"{low / 2:.0f}"), "UNKNOWN": ("not-a-range", "10")}
    for state, (warning, critical) in cases.items():
        result = run(binary, env, "--demo", "check", "--period", "day", "-w", warning, "-c", critical)
        first = result.stdout.splitlines()[0]
        assert STATUS_LINE.match(first) and first.startswith(f"COSTCTL {state} - "), (state, result.stdout)
        assert result.returncode == EXIT[state], (state, result.stdout)
        expected = from_source(env, "--demo", "check", "--period", "day", "-w", warning, "-c", critical)
        assert (result.returncode, result.stdout) == (expected.returncode, expected.stdout)


@pytest.mark.parametrize("source", ["demo", "files"])
def test_a_warm_check_imports_neither_pandas_nor_a_cloud_sdk(binary: Path, env: dict[str, str], tmp_path: Path,
                                                            source: str) -> None:
    if source == "demo":
        if not (binary.resolve().parent / "_internal").is_dir():
            # A onefile build unpacks the demo data to a new directory at every start, and the files
            # provider keys its cache on the paths: `--demo` is never warm there (docs/binary.md).
            pytest.skip("onefile layout: the bundled demo data moves at every start")
        args = ["--demo"]
    else:  # the same data at a path that stays put, as an operator's exports would
        config = tmp_path / "config.yaml"
        demo = ROOT / "costctl" / "demo"
        config.write_text("version: 1\nproviders:\n" + "".join(
            f"  {cloud}: {{type: files, paths: ['{demo / cloud}.csv.gz'], shift_to_yesterday: true}}\n"
            for cloud in ("aws", "azure", "gcp")))
        args = ["--config", str(config)]
    check = [*args, "check", "--period", "day", "-w", "1000000"]
    assert run(binary, env, *check).returncode == 0  # fills the cache
    trace = tmp_path / "modules.txt"
    result = run(binary, {**env, "COSTCTL_IMPORT_TRACE": str(trace)}, *check)
    assert result.returncode == 0 and result.stdout.startswith("COSTCTL OK - "), result.stdout
    loaded = set(trace.read_text().split())
    assert {"costctl", "click"} <= loaded  # the trace hook ran inside this very process
    assert not loaded & HEAVY


def test_every_provider_plugin_loads_through_its_entry_point(binary: Path, env: dict[str, str]) -> None:
    result = run(binary, {**env, "COLUMNS": "250"}, "providers")
    assert result.returncode == 0, result.stderr
    for name in ("aws", "azure", "gcp", "files"):
        assert f"costctl.providers.{name}:" in result.stdout, result.stdout
    assert "BROKEN" not in result.stdout


def test_dynamically_registered_commands_are_in_the_binary(binary: Path, env: dict[str, str]) -> None:
    shown = run(binary, env, "--help").stdout
    expected = from_source(env, "--help").stdout
    assert "check" in shown
    assert shown == expected


class _Denier(http.server.BaseHTTPRequestHandler):
    """Answers every cloud API call with its own flavour of 403, so each SDK parses a real refusal."""

    def _deny(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/devstoreaccount1"):  # Azure Blob: XML storage error
            kind, body = "application/xml", ("<?xml version='1.0' encoding='utf-8'?><Error><Code>AuthorizationFailure"
                                             "</Code><Message>smoke: denied</Message></Error>")
        elif self.path.startswith("/bigquery"):  # Google APIs: JSON error
            kind, body = "application/json", '{"error": {"code": 403, "message": "smoke: denied"}}'
        else:  # AWS query protocol (STS)
            kind, body = "text/xml", ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                      "<Message>smoke: denied</Message></Error></ErrorResponse>")
        data = body.encode()
        self.send_response(403)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = _deny

    def log_message(self, *args: object) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]


@pytest.fixture()
def denier() -> Iterator[tuple[str, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Denier)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.paths  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_each_cloud_sdk_is_bundled_and_speaks_to_its_api(binary: Path, env: dict[str, str], tmp_path: Path,
                                                         denier: tuple[str, list[str]]) -> None:
    url, paths = denier
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    config = tmp_path / "config.yaml"
    config.write_text(f"""version: 1
providers:
  smoke-aws: {{type: aws, endpoint_url: "{url}", region: us-east-1, max_retry_time: 1s}}
  smoke-azure:
    type: azure
    scope: subscriptions/00000000-0000-0000-0000-000000000000
    exports:
      connection_string: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};\
BlobEndpoint={url}/devstoreaccount1;"
      container: exports
  smoke-gcp: {{type: gcp, table: "smoke-project.billing.gcp_billing_export_v1_0", anonymous: true,
              api_endpoint: "{url}", max_retry_time: 1s}}
""")
    result = run(binary, {**env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
                 "--config", str(config), "test-auth")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No module named" not in result.stdout + result.stderr
    for name in ("smoke-aws", "smoke-azure", "smoke-gcp"):
        assert f"{name} (" in result.stdout and "FAILED" in result.stdout
    assert result.stdout.count("smoke: denied") + result.stdout.count("403") >= 3, result.stdout
    # One request reached each API: STS (boto3), Blob (azure-storage-blob), BigQuery jobs (google-cloud-bigquery).
    assert any(p.startswith("/devstoreaccount1/exports") for p in paths), paths
    assert any(p.startswith("/bigquery/v2/projects/smoke-project/jobs") for p in paths), paths
    assert "/" in paths, paths


def test_a_symlink_and_the_copied_wrapper_both_run_the_folder(folder: Path | None, env: dict[str, str],
                                                             tmp_path: Path) -> None:
    if folder is None:
        pytest.skip("COSTCTL_BINARY names an executable, not the release folder")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "costctl").symlink_to(folder / "costctl")
    shutil.copy2(folder / "costctl-wrapper", plugins / "costctl-copy")
    via_link = run(plugins / "costctl", env, "--version")
    assert (via_link.returncode, via_link.stdout) == (0, f"costctl, version {__version__}\n")
    via_wrapper = run(plugins / "costctl-copy", {**env, "COSTCTL_HOME": str(folder)}, "--demo", "check", "-w", "0.01")
    assert via_wrapper.returncode == 1 and via_wrapper.stdout.startswith("COSTCTL WARNING - "), via_wrapper.stdout
    lost = run(plugins / "costctl-copy", env, "--version")
    assert lost.returncode == 3 and lost.stdout.startswith("COSTCTL UNKNOWN - costctl-wrapper: "), lost.stdout


# -- the single file: unpacked once per version into $XDG_CACHE_HOME/costctl/runtime ------------------------------


@pytest.fixture(scope="module")
def single() -> Path:
    if os.environ.get("COSTCTL_BUILD_BINARY") != "1":
        pytest.skip("no artifact: set COSTCTL_BUILD_BINARY=1 after scripts/build-binary")
    if not SINGLE.is_file():
        pytest.fail(f"COSTCTL_BUILD_BINARY=1 but {SINGLE} is missing; run scripts/build-binary")
    return SINGLE


def _runtime(env: dict[str, str]) -> Path:
    return Path(env["XDG_CACHE_HOME"]) / "costctl" / "runtime"


def test_the_single_file_matches_its_sha256_file(single: Path) -> None:
    digest, name = (single.parent / f"{single.name}.sha256").read_text().split()
    assert name == single.name and digest == hashlib.sha256(single.read_bytes()).hexdigest()


def test_the_single_file_unpacks_once_into_a_private_runtime_directory(single: Path, env: dict[str, str]) -> None:
    first = run(single, env, "--version")
    assert (first.returncode, first.stdout, first.stderr) == (0, f"costctl, version {__version__}\n", "")
    runtime = _runtime(env)
    (unpacked,) = [p for p in runtime.iterdir() if not p.name.startswith(".")]  # .lock is the unpack lock
    assert unpacked.name.startswith(f"{__version__}-")
    assert (runtime.stat().st_mode & 0o777, unpacked.stat().st_mode & 0o777) == (0o700, 0o700)
    assert (unpacked / "costctl").is_file() and (unpacked / "_internal").is_dir()
    before = unpacked.stat().st_ino, (unpacked / "costctl").stat().st_mtime_ns
    second = run(single, env, "--demo", "check", "-w", "1000000")
    assert second.returncode == 0 and second.stdout.startswith("COSTCTL OK - "), second.stdout + second.stderr
    assert (unpacked.stat().st_ino, (unpacked / "costctl").stat().st_mtime_ns) == before  # not unpacked again
    assert sorted(p.name for p in runtime.iterdir() if p.name != ".lock") == [unpacked.name]  # no leftovers


def test_a_warm_check_from_the_single_file_imports_nothing_heavy(single: Path, env: dict[str, str],
                                                                 tmp_path: Path) -> None:
    """The demo data now has a fixed path (the runtime directory), so a --demo check is warm too."""
    for period in ("day", "anomalies"):
        check = ["--demo", "check", "--period", period, "-w", "1000000" if period == "day" else "critical"]
        cold = run(single, env, *check)
        trace = tmp_path / f"modules-{period}.txt"
        warm = run(single, {**env, "COSTCTL_IMPORT_TRACE": str(trace)}, *check)
        assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
        loaded = set(trace.read_text().split())
        assert "costctl" in loaded and not loaded & (HEAVY | {"duckdb"}), sorted(loaded & (HEAVY | {"duckdb"}))


@pytest.mark.parametrize("damage", ["executable", "marker", "half"])
def test_a_damaged_runtime_directory_is_unpacked_again(single: Path, env: dict[str, str], damage: str) -> None:
    assert run(single, env, "--version").returncode == 0
    (unpacked,) = [p for p in _runtime(env).iterdir() if not p.name.startswith(".")]
    if damage == "executable":
        (unpacked / "costctl").unlink()
    elif damage == "marker":
        (unpacked / ".costctl-runtime").write_text("0" * 64 + "\n")
    else:  # an unpack cut short by hand: the marker is written last, so this is what one would leave
        shutil.rmtree(unpacked / "_internal")
        (unpacked / ".costctl-runtime").unlink()
    result = run(single, env, "--version")
    assert (result.returncode, result.stdout) == (0, f"costctl, version {__version__}\n"), result.stderr
    assert [p.name for p in _runtime(env).iterdir() if not p.name.startswith(".")] == [unpacked.name]


def test_two_checks_started_at_the_same_moment_on_a_fresh_host_both_answer(single: Path, env: dict[str, str]) -> None:
    argv = [str(single), "--demo", "check", "--period", "day", "-w", "1000000"]
    started = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    answers = [p.communicate(timeout=300) for p in started]
    for process, (out, err) in zip(started, answers, strict=True):
        assert process.returncode == 0 and out.startswith("COSTCTL OK - "), out + err
    assert answers[0][0] == answers[1][0]
    left = sorted(p.name for p in _runtime(env).iterdir())
    assert [n for n in left if not n.startswith(".")] == [n for n in left if n.startswith(f"{__version__}-")]
    assert len([n for n in left if not n.startswith(".")]) == 1 and not [n for n in left if n.startswith(".unpack")]


def test_a_damaged_single_file_is_refused_with_unknown(single: Path, env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "costctl"
    data = bytearray(single.read_bytes())
    data[-100] ^= 0xFF  # one byte of the payload
    broken.write_bytes(bytes(data))
    broken.chmod(0o755)
    result = run(broken, env, "--version")
    assert result.returncode == 3 and result.stdout.startswith("COSTCTL UNKNOWN - costctl launcher: "), result.stdout
    assert "damaged" in result.stdout
    assert not [p for p in _runtime(env).iterdir() if not p.name.startswith(".")]  # nothing half-installed
