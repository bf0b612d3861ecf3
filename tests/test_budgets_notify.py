"""``costctl budgets --notify NAME`` against a local webhook on 127.0.0.1 (the Hook of
tests/test_notify_webhook.py): each threshold once per budget period, min_severity, forecast
crossings, and a failed delivery that is retried on the next run.

The data is a hand-made FOCUS file costing exactly 10 USD a day from 2024-01-01 to 2024-04-30,
so the spend of a 300 USD monthly budget is 10 x the complete days of the month.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from webhook_server import SECRET_PATH

HEADER = ("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,"
          "ProviderName,SubAccountId,ServiceName,RegionId,ResourceId")


@pytest.fixture
def data(tmp_path: Path) -> str:
    rows = [HEADER]
    day = date(2024, 1, 1)
    while day < date(2024, 5, 1):
        rows.append(f"{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,10,10,USD,Usage,AWS,111,Compute,"
                    "us-east-1,i-1")
        day += timedelta(days=1)
    path = tmp_path / "focus.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def config(tmp_path: Path, channels: dict, budgets: dict | None = None) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"cache": {"path": str(tmp_path / "cache")}, "notifications": channels,
                                    "budgets": budgets or {"cloud": {"amount": 300}}}))
    return path.as_posix()


def notify(run, cfg: str, data: str, as_of: str, *extra: str):
    return run("--config", cfg, "budgets", "--file", data, "--as-of", as_of, "--format", "json", *extra)


def test_each_threshold_is_sent_once_per_period(run, tmp_path, data, hook) -> None:
    h = hook()
    cfg = config(tmp_path, {"ops": {"type": "webhook", "url": h.url}})
    first = notify(run, cfg, data, "2024-03-17", "--notify", "ops")  # 160 of 300: 53 %
    assert first.exit_code == 0, first.stderr
    assert first.json()[0]["spend"] == 160  # the report is still printed
    assert "notified ops: 1 budget threshold(s)" in first.stderr
    (sent,) = [r["json"] for r in h.requests]
    assert sent["text"].splitlines() == [
        "costctl: 1 budget threshold(s) crossed:",
        "- cloud (monthly 2024-03-01..2024-03-31): spend 160.00 USD of 300.00 = 53%, crossed 50% [low], "
        "runs out 2024-03-30"]
    assert [(b["budget"], b["kind"], b["threshold"], b["severity"]) for b in sent["budgets"]] == [
        ("cloud", "spend", 50.0, "low")]
    assert sent["severity"] == "low"

    again = notify(run, cfg, data, "2024-03-20", "--notify", "ops")  # 63 %: nothing new
    assert again.exit_code == 0 and len(h.requests) == 1 and "notified ops: 0" in again.stderr

    later = notify(run, cfg, data, "2024-03-27", "--notify", "ops")  # 260: 87 % crosses 80
    assert later.exit_code == 0 and len(h.requests) == 2
    assert [(b["threshold"], b["severity"]) for b in h.requests[1]["json"]["budgets"]] == [(80.0, "high")]

    over = notify(run, cfg, data, "2024-03-31", "--notify", "ops")  # 300: 100 % crosses 100 only
    assert [(b["threshold"], b["severity"]) for b in h.requests[2]["json"]["budgets"]] == [(100.0, "critical")]
    assert over.exit_code == 0

    april = notify(run, cfg, data, "2024-04-17", "--notify", "ops")  # a new period starts afresh
    assert april.exit_code == 0 and len(h.requests) == 4
    assert [(b["start"], b["threshold"]) for b in h.requests[3]["json"]["budgets"]] == [("2024-04-01", 50.0)]
    assert SECRET_PATH not in "".join(r.stdout + r.stderr for r in (first, again, later, over, april))


def test_several_thresholds_at_once_name_the_highest_and_are_all_recorded(run, tmp_path, data, hook) -> None:
    h = hook()
    cfg = config(tmp_path, {"ops": {"type": "slack", "url": h.url}})
    result = notify(run, cfg, data, "2024-03-28", "--notify", "ops")  # 270: 90 %, crosses 50 and 80
    assert result.exit_code == 0 and "notified ops: 2 budget threshold(s)" in result.stderr
    text = h.requests[0]["json"]["text"]
    assert "crossed 80% [high]" in text and "crossed 50%" not in text
    assert "budgets" not in h.requests[0]["json"]  # slack gets text only
    assert notify(run, cfg, data, "2024-03-29", "--notify", "ops").exit_code == 0 and len(h.requests) == 1


def test_min_severity_keeps_a_pager_quiet_until_the_budget_is_spent(run, tmp_path, data, hook) -> None:
    h = hook()
    cfg = config(tmp_path, {"pager": {"type": "webhook", "url": h.url, "min_severity": "critical"}})
    assert notify(run, cfg, data, "2024-03-27", "--notify", "pager").exit_code == 0
    assert h.requests == []
    assert notify(run, cfg, data, "2024-03-31", "--notify", "pager").exit_code == 0
    assert [(b["threshold"], b["severity"]) for b in h.requests[0]["json"]["budgets"]] == [(100.0, "critical")]


def test_forecast_alerts_warn_before_the_money_is_spent(run, tmp_path, data, hook) -> None:
    h = hook()
    cfg = config(tmp_path, {"ops": {"type": "webhook", "url": h.url}},
                 {"cloud": {"amount": 250, "forecast_alerts": True, "thresholds": [100]}})
    result = notify(run, cfg, data, "2024-03-08", "--notify", "ops")  # 70 spent, ~310 forecast of 250
    assert result.exit_code == 0, result.stderr
    (sent,) = h.requests
    assert [(b["kind"], b["threshold"], b["severity"]) for b in sent["json"]["budgets"]] == [
        ("forecast", 100.0, "medium")]
    assert "crosses 100% by the period end [medium]" in sent["json"]["text"]


def test_a_failed_delivery_exits_1_and_is_sent_on_the_next_run(run, tmp_path, data, hook) -> None:
    h = hook([404])
    cfg = config(tmp_path, {"ops": {"type": "webhook", "url": h.url, "retries": 1}})
    failed = notify(run, cfg, data, "2024-03-17", "--notify", "ops")
    assert failed.exit_code == 1 and "HTTP 404" in failed.stderr and SECRET_PATH not in failed.stderr
    again = notify(run, cfg, data, "2024-03-17", "--notify", "ops")
    assert again.exit_code == 0 and len(h.requests) == 2
    assert h.requests[1]["json"]["budgets"][0]["threshold"] == 50.0


def test_an_unknown_channel_is_a_usage_error(run, tmp_path, data) -> None:
    cfg = config(tmp_path, {"ops": {"type": "slack", "url": "http://127.0.0.1:9/x"}})
    result = notify(run, cfg, data, "2024-03-17", "--notify", "nope")
    assert result.exit_code == 2 and "--notify: unknown channel 'nope'" in result.stderr
