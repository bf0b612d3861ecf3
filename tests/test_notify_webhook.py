"""Webhook notifications against a local HTTP server on 127.0.0.1 that records every request."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from webhook_server import SECRET_PATH

pytestmark = pytest.mark.usefixtures("warm_demo_tmp")  # the demo starts cached, in tmp_path/cache too (conftest)


def config(tmp_path: Path, **channels: dict) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"cache": {"path": str(tmp_path / "cache")}, "notifications": channels}))
    return str(path)


def test_slack_gets_each_new_anomaly_once_and_a_second_run_sends_nothing(run, tmp_path, hook) -> None:
    h = hook()
    cfg = config(tmp_path, ops={"type": "slack", "url": h.url, "username": "costctl"})
    first = run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--format", "json")
    assert first.exit_code == 0, first.stderr
    ids = [a["id"] for a in first.json()]
    assert len(h.requests) == 1
    sent = h.requests[0]
    assert sent["path"] == SECRET_PATH and sent["type"] == "application/json"
    assert sent["json"]["username"] == "costctl"
    text = sent["json"]["text"]
    assert "2 new cost anomalies" in text and all(i in text for i in ids)
    assert "BigQuery" in text and "Amazon SageMaker" in text and "analytics" in text
    assert "notified ops: 2" in first.stderr
    second = run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--format", "json")
    assert second.exit_code == 0 and len(h.requests) == 1 and "notified ops: 0" in second.stderr
    assert SECRET_PATH not in first.stdout + first.stderr + second.stdout + second.stderr


def test_min_severity_and_acks_limit_what_a_channel_hears(run, tmp_path, hook) -> None:
    h = hook()
    cfg = config(tmp_path, pager={"type": "webhook", "url": h.url, "min_severity": "critical"})
    listed = run("--config", cfg, "--demo", "anomalies", "--format", "json").json()
    new = next(a for a in listed if a["kind"] == "new")
    spike = next(a for a in listed if a["kind"] == "spike")
    run("--config", cfg, "--demo", "anomalies", "ack", spike["id"])
    run("--config", cfg, "--demo", "anomalies", "--notify", "pager", "--format", "json")
    assert h.requests == []  # the only critical one is acknowledged; the new one is medium
    run("--config", cfg, "--demo", "anomalies", "unack", spike["id"])
    run("--config", cfg, "--demo", "anomalies", "--notify", "pager", "--format", "json")
    assert [[a["id"] for a in r["json"]["anomalies"]] for r in h.requests] == [[spike["id"]]]
    assert new["id"] not in h.requests[0]["json"]["text"]


def test_transient_errors_are_retried(run, tmp_path, hook) -> None:
    h = hook([500, 429])
    cfg = config(tmp_path, ops={"type": "slack", "url": h.url, "retries": 3})
    result = run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert len(h.requests) == 3 and h.requests[0]["json"] == h.requests[2]["json"]


def test_a_failed_delivery_exits_1_without_the_url_and_is_retried_next_run(run, tmp_path, hook) -> None:
    h = hook([404])
    cfg = config(tmp_path, ops={"type": "slack", "url": h.url, "retries": 2})
    failed = run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--format", "json")
    assert failed.exit_code == 1 and "HTTP 404" in failed.stderr and SECRET_PATH not in failed.stderr
    assert len(failed.json()) == 2  # the listing is still printed
    again = run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--format", "json")
    assert again.exit_code == 0 and len(h.requests) == 2


def test_an_unreachable_webhook_gives_up_after_its_retries(run, tmp_path) -> None:
    cfg = config(tmp_path, ops={"type": "slack", "url": "http://127.0.0.1:9/hook", "retries": 2, "timeout": "2s"})
    result = run("--config", cfg, "--demo", "anomalies", "--notify", "ops", "--format", "json")
    assert result.exit_code == 1 and "after 2 attempt(s)" in result.stderr


def test_unknown_channel_and_bad_channel_config_are_usage_errors(run, tmp_path) -> None:
    cfg = config(tmp_path, ops={"type": "slack", "url": "http://127.0.0.1:9/x"})
    assert run("--config", cfg, "--demo", "anomalies", "--notify", "nope").exit_code == 2
    bad = config(tmp_path, ops={"type": "pigeon"})
    result = run("--config", bad, "--demo", "anomalies")
    assert result.exit_code == 2 and "notifications.ops.type" in result.stderr


def test_config_show_redacts_the_webhook_url(run, tmp_path) -> None:
    cfg = config(tmp_path, ops={"type": "slack", "url": "https://hooks.example/" + SECRET_PATH})
    result = run("--config", cfg, "config", "show")
    assert result.exit_code == 0 and SECRET_PATH not in result.stdout and "***" in result.stdout
