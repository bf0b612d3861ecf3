"""Housekeeping commands and the entry points: config, cache, providers, test-auth, --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from costctl import __version__


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"costctl, version {__version__}"


def test_python_dash_m_and_the_console_script_both_run():
    script = str(Path(sys.executable).parent / "costctl")
    for argv in ([sys.executable, "-m", "costctl", "--version"], [script, "--version"]):
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert __version__ in proc.stdout


def test_every_command_has_help_text():
    import click

    from costctl.cli import cli

    def walk(group, path):
        ctx = click.Context(group)
        names = group.list_commands(ctx)
        assert names, path
        for name in names:
            command = group.get_command(ctx, name)
            assert command is not None, f"{path} {name} cannot be loaded"
            assert command.help or command.short_help, f"{path} {name} has no help"
            if isinstance(command, click.Group):
                walk(command, f"{path} {name}")

    walk(cli, "costctl")


def test_config_validate_and_show_redact_secrets(run, fake_config):
    path = fake_config(fake={"token": "s3cr3t"})
    result = run("--config", str(path), "config", "validate")
    assert result.exit_code == 0 and "1 provider(s): fake" in result.stdout
    shown = run("--config", str(path), "config", "show")
    assert shown.exit_code == 0
    data = yaml.safe_load(shown.stdout)
    assert data["providers"]["fake"]["token"] == "***"
    assert "s3cr3t" not in shown.stdout + shown.stderr


def test_config_validate_reports_the_key_path(run, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("providers:\n  local:\n    type: files\n    paths: [a]\n    ttl: soon\n")
    result = run("--config", str(path), "config", "validate")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("costctl: error: providers.local.ttl: expected a duration like 90s, 30m, 1h "
                                     "or 2d, got 'soon'")


def test_config_from_the_environment_variable(run, fake_config, monkeypatch):
    monkeypatch.setenv("COSTCTL_CONFIG", str(fake_config()))
    assert "fake" in run("config", "validate").stdout


def test_cache_info_and_clear(run, fake_config):
    path = fake_config(a={}, b={})
    assert run("--config", str(path), "costs", "--days", "4").exit_code == 0
    info = run("--config", str(path), "cache", "info", "--format", "json")
    assert info.exit_code == 0
    rows = {r["provider"]: r for r in info.json()}
    assert set(rows) == {"a", "b"} and rows["a"]["days"] == 4 and rows["a"]["rows"] == 8
    cleared = run("--config", str(path), "cache", "clear", "--provider", "a")
    assert cleared.exit_code == 0 and "removed" in cleared.stderr
    assert [r["provider"] for r in run("--config", str(path), "cache", "info", "--format", "json").json()] == ["b"]
    run("--config", str(path), "cache", "clear")
    assert run("--config", str(path), "cache", "info", "--format", "json").json() == []


def test_a_damaged_cache_is_unknown_for_check_and_cache_clear_moves_it_aside(run, fake_config, tmp_path):
    path = fake_config(a={})
    assert run("--config", str(path), "costs", "--days", "4").exit_code == 0
    cache = tmp_path / "cache"
    (cache / "acks.txt").write_text("not the cache's own file")
    with (cache / "cache.db").open("r+b") as db:  # keep the header, wreck the pages after it
        db.seek(100)
        db.write(b"\xff" * 8192)
    check = run("--config", str(path), "check")
    assert check.exit_code == 3
    assert check.stdout.startswith(f"COSTCTL UNKNOWN - the cache at {cache} is damaged (")
    assert "run `costctl cache clear` to move it aside" in check.stdout
    costs = run("--config", str(path), "costs")
    assert costs.exit_code != 0 and "is damaged" in costs.stderr and len(costs.stderr.splitlines()) == 1

    cleared = run("--config", str(path), "cache", "clear", "--provider", "a")
    assert cleared.exit_code == 0, cleared.stderr
    assert "was damaged" in cleared.stderr and "every provider's entries" in cleared.stderr
    [aside] = cache.glob("damaged-*")
    assert (aside / "cache.db").exists() and (cache / "acks.txt").exists()  # kept, and nothing else moved
    assert run("--config", str(path), "check").exit_code == 0  # a new cache
    assert [r["provider"] for r in run("--config", str(path), "cache", "info", "--format", "json").json()] == ["a"]


def test_providers_lists_builtin_and_plugin_types(run, fake_config):
    result = run("--config", str(fake_config()), "providers", "--format", "json")
    rows = {r["type"]: r for r in result.json()}
    assert {"files", "aws", "azure", "gcp", "fake"} <= set(rows)
    assert rows["fake"]["instances"] == "fake"
    assert not any(r["description"].startswith("BROKEN") for r in rows.values())


def test_test_auth_reports_each_instance_and_fails_with_exit_1(run, fake_config):
    ok = run("--config", str(fake_config()), "test-auth")
    assert ok.exit_code == 0 and "fake (fake): OK as fake-user" in ok.stdout
    bad = run("--config", str(fake_config(fake={"fail": True})), "test-auth", "fake")
    assert bad.exit_code == 1 and "FAILED" in bad.stdout


def test_verbose_shows_upstream_request_counts(run, fake_config):
    path = fake_config()
    first = run("--config", str(path), "-v", "costs", "--days", "3", "--format", "json")
    assert "fake: 6 rows, 1 upstream request(s)" in first.stderr
    second = run("--config", str(path), "-v", "costs", "--days", "3", "--format", "json")
    assert "0 upstream request(s)" in second.stderr and "all from cache" in second.stderr
    assert first.stdout == second.stdout


def test_an_internal_error_is_one_line_without_debug_and_a_traceback_with_it(run, fake_config, monkeypatch):
    from costctl.analysis import costs

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(costs, "build", boom)
    path = str(fake_config())
    result = run("--config", path, "costs", "--days", "2")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("costctl: error: internal error: RuntimeError: kaboom "
                                     "(run with --debug for a traceback)")
    import pytest

    with pytest.raises(RuntimeError):
        from costctl.cli import main

        main(["--debug", "--config", path, "costs", "--days", "2"])
