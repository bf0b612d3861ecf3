"""State files that are valid JSON of the wrong shape: a one-line error naming the file and the fix.

``acks.json`` (the user's acknowledgements), ``seen.json`` (the register of reported anomalies)
and ``notified.json`` (what each channel was sent, for anomalies and budgets) are never rewritten
or silently reset when damaged: the file is left as it was for the user to repair or delete.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
import yaml

from costctl.analysis.anomaly_store import AnomalyStore
from costctl.errors import CacheError
from costctl.notify.state import NotifiedState

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

ACK = {"id": "abc", "date": "2026-01-02", "group": {"service": "S3"}, "currency": "USD", "until": None,
       "note": None, "created": "2026-01-03"}


def config(tmp_path: Path) -> str:
    """A notification channel; the cache (and the state beside it) is the default one, warm (conftest)."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"notifications": {"s": {"type": "slack", "url": "http://127.0.0.1:9/x"}}}))
    return str(path)


def plant(tmp_path: Path, name: str, content: str) -> Path:
    """Write a state file where the default cache keeps it (``$XDG_CACHE_HOME/costctl``)."""
    path = Path(os.environ["XDG_CACHE_HOME"]) / "costctl" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def one_line_error(result, path: Path, says: str) -> str:
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"costctl: error: cannot read {path}: "), result.stderr
    assert says in lines[0]
    return lines[0]


BAD_ACKS = [
    ("[1]", "acknowledgement 1 is a number"),
    ('{"abc": {}}', "expected a list of acknowledgements, got an object"),
    ('"acks"', "expected a list of acknowledgements, got a string"),
    ('[{"id": "abc"}]', "acknowledgement 1 lacks 'date', 'group', 'currency', 'until', 'note', 'created'"),
    (json.dumps([ACK, {**ACK, "extra": 1}]), "acknowledgement 2 has unknown key 'extra'"),
    (json.dumps([{**ACK, "date": 20260102}]), "acknowledgement 1: 'date' is a number"),
    (json.dumps([{**ACK, "group": ["S3"]}]), "acknowledgement 1: 'group' is a list"),
    (json.dumps([{**ACK, "until": 5}]), "acknowledgement 1: 'until' is a number"),
]


@pytest.mark.parametrize(("content", "says"), BAD_ACKS)
@pytest.mark.parametrize("command", [["--demo", "anomalies"], ["--demo", "anomalies", "acks"],
                                     ["--demo", "anomalies", "unack", "abc"]])
def test_a_wrong_shape_acks_file_is_a_one_line_error_and_left_alone(run, tmp_path, content, says, command) -> None:
    path = plant(tmp_path, "anomalies/acks.json", content)
    line = one_line_error(run("--config", config(tmp_path), *command), path, says)
    assert "repair it" in line and "move it aside" in line  # not "delete": it holds the user's decisions
    assert path.read_text() == content


def test_acknowledging_does_not_overwrite_a_damaged_acks_file(run, tmp_path) -> None:
    cfg = config(tmp_path)
    listed = run("--config", cfg, "--demo", "anomalies", "--format", "json").json()
    path = plant(tmp_path, "anomalies/acks.json", "[1]")
    one_line_error(run("--config", cfg, "--demo", "anomalies", "ack", listed[0]["id"]), path, "acknowledgement 1")
    assert path.read_text() == "[1]"


def test_garbage_in_the_acks_file_asks_for_a_repair_too(run, tmp_path) -> None:
    path = plant(tmp_path, "anomalies/acks.json", "[{")
    line = one_line_error(run("--config", config(tmp_path), "--demo", "anomalies"), path, "line 1")
    assert "repair it" in line


BAD_SEEN = [
    ("[1]", "expected an object of anomaly id -> anomaly, got a list"),
    ('{"abc": 1}', "anomaly 'abc' is a number"),
    ('{"abc": {"date": "2026-01-02"}}', "anomaly 'abc' lacks a valid 'date', 'group' or 'currency'"),
    ('{"abc": {"date": 1, "group": {}, "currency": null}}', "anomaly 'abc' lacks a valid"),
]


@pytest.mark.parametrize(("content", "says"), BAD_SEEN)
@pytest.mark.parametrize("command", [["--demo", "anomalies"], ["--demo", "anomalies", "ack", "abc"]])
def test_a_wrong_shape_seen_file_is_a_one_line_error_and_left_alone(run, tmp_path, content, says, command) -> None:
    path = plant(tmp_path, "anomalies/seen.json", content)
    line = one_line_error(run("--config", config(tmp_path), *command), path, says)
    assert "delete the file to start afresh" in line  # the same fix as for garbage: it is rebuilt by every run
    assert path.read_text() == content


BAD_NOTIFIED = [
    ("[1]", "expected an object of channel name -> sent items, got a list"),
    ('{"s": [1]}', "channel 's' is a list"),
    ('{"s": {"abc": 1}}', "channel 's': the day of 'abc' is a number"),
    ("{", "line 1"),
]


@pytest.mark.parametrize(("content", "says"), BAD_NOTIFIED)
@pytest.mark.parametrize(("folder", "command"), [("anomalies", "anomalies"), ("budgets", "budgets")])
def test_a_damaged_notified_file_fails_before_any_output(run, tmp_path, content, says, folder, command) -> None:
    path = plant(tmp_path, f"{folder}/notified.json", content)
    line = one_line_error(run("--config", config(tmp_path), "--demo", command, "--notify", "s"), path, says)
    assert "delete the file to start afresh" in line and "repeat" in line
    assert path.read_text() == content


def test_the_store_and_the_state_raise_cache_errors(tmp_path) -> None:
    (tmp_path / "acks.json").write_text('[{"id": "abc"}]')
    (tmp_path / "seen.json").write_text("[]")
    (tmp_path / "notified.json").write_text('{"s": {"abc": null}}')
    store = AnomalyStore(tmp_path)
    with pytest.raises(CacheError, match="acks.json: acknowledgement 1 lacks"):
        store.acks()
    with pytest.raises(CacheError, match="seen.json: expected an object"):
        store.remember([], date(2026, 1, 1))
    with pytest.raises(CacheError, match="notified.json: channel 's': the day of 'abc' is null"):
        NotifiedState(tmp_path).sent("s")


def test_well_formed_files_still_round_trip(tmp_path) -> None:
    (tmp_path / "acks.json").write_text(json.dumps([ACK, {**ACK, "id": "def", "group": {"service": None},
                                                         "currency": None, "until": "2026-02-01", "note": "x"}]))
    assert [a.id for a in AnomalyStore(tmp_path).acks()] == ["abc", "def"]
    (tmp_path / "notified.json").write_text('{"s": {"abc": "2026-01-02"}}')
    assert NotifiedState(tmp_path).sent("s") == {"abc"}
