"""Default config and cache paths: never relative to the current directory (XDG spec)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from costctl import config
from costctl.errors import ConfigError


@pytest.fixture
def passwd_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The password database says the user's home is a temp dir."""
    import pwd

    home = tmp_path / "pwhome"
    home.mkdir()
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: SimpleNamespace(pw_dir=str(home)))
    return home


def test_a_relative_xdg_cache_home_is_ignored(passwd_home: Path, tmp_path: Path):
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": "relative/cache"}
    assert config.default_cache_dir(env) == str(tmp_path / ".cache" / "costctl")


def test_an_empty_home_falls_back_to_the_password_database(passwd_home: Path):
    assert config.default_cache_dir({"HOME": ""}) == str(passwd_home / ".cache" / "costctl")
    assert config.default_cache_dir({"HOME": "rel", "XDG_CACHE_HOME": ""}) == str(passwd_home / ".cache" / "costctl")


def test_an_absolute_xdg_cache_home_wins(tmp_path: Path):
    assert config.default_cache_dir({"HOME": "", "XDG_CACHE_HOME": str(tmp_path)}) == str(tmp_path / "costctl")


def test_no_home_at_all_is_a_one_line_error_not_the_current_directory(monkeypatch: pytest.MonkeyPatch):
    import pwd

    def missing(uid: int):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", missing)
    with pytest.raises(ConfigError, match=r"no place for the cache.*cache\.path"):
        config.default_cache_dir({"HOME": "", "XDG_CACHE_HOME": "x"})


def test_a_relative_xdg_config_home_is_not_searched(tmp_path: Path, passwd_home: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rel" / "costctl").mkdir(parents=True)
    (tmp_path / "rel" / "costctl" / "config.yaml").write_text("providers: {}\n")
    (tmp_path / ".config" / "costctl").mkdir(parents=True)
    (tmp_path / ".config" / "costctl" / "config.yaml").write_text("providers: {}\n")
    found = config.find_config(None, {"HOME": "", "XDG_CONFIG_HOME": "rel"})
    assert found is None or os.path.isabs(found) and not found.startswith(str(tmp_path))


def test_costs_with_an_empty_home_writes_no_cache_in_the_current_directory(run, tmp_path: Path, passwd_home: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", "")
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    monkeypatch.setenv("XDG_CONFIG_HOME", "config")
    result = run("--demo", "costs", "--days", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert list(cwd.iterdir()) == []
    assert (passwd_home / ".cache" / "costctl").is_dir()
