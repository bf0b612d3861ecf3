"""``COSTCTL_DUCKDB_THREADS`` bounds DuckDB's worker threads; a wrong value is one line naming it."""

from __future__ import annotations

import pytest

from costctl import duck
from costctl.errors import ConfigError


def test_the_thread_count_follows_the_variable(monkeypatch):
    monkeypatch.setenv("COSTCTL_DUCKDB_THREADS", "1")
    con = duck.new_connection()
    assert duck.settings(con)["threads"] == "1"
    monkeypatch.delenv("COSTCTL_DUCKDB_THREADS")
    assert duck.thread_count() >= 1


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_wrong_thread_count_is_a_config_error(monkeypatch, value):
    monkeypatch.setenv("COSTCTL_DUCKDB_THREADS", value)
    with pytest.raises(ConfigError, match=f"COSTCTL_DUCKDB_THREADS='{value}' is not a whole number"):
        duck.thread_count()


def test_no_progress_bar_reaches_stdout(capfd):
    """A query past DuckDB's two-second progress threshold must not draw on stdout (data only):
    the engine's connection turns the bar off, and a slow query prints nothing."""
    from costctl.duck import new_connection

    con = new_connection()
    values = dict(con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                              "('enable_progress_bar', 'enable_progress_bar_print')").fetchall())
    assert values == {"enable_progress_bar": "false", "enable_progress_bar_print": "false"}
    con.execute("SET progress_bar_time = 0")  # show it at once, were it on
    con.sql("SELECT sum(i * j) FROM range(1000) t(i), range(1000) u(j)").fetchall()
    out, _err = capfd.readouterr()
    assert out == ""
