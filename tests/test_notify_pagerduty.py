"""PagerDuty Events API v2 channel against a local HTTP server on 127.0.0.1 that records every event:
exact trigger/resolve bodies, stable dedup keys, resolve when the condition clears, retries, and the
routing key taken from the environment only."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from costctl.context import Env

pytestmark = pytest.mark.usefixtures("warm_demo_tmp")

KEY = "R0UT1NGK3Y0000000000000000000042"
NOW = datetime.combine(date.today(), datetime.min.time(), UTC) + timedelta(hours=9, minutes=30)
STAMP = f"{date.today()}T09:30:00Z"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import costctl.cli

    monkeypatch.setattr(costctl.cli, "Env", functools.partial(Env, clock=lambda: NOW))  # event timestamps
    monkeypatch.setenv("PD_KEY", KEY)


def config(tmp_path: Path, url: str, extra: dict | None = None, **channel: Any) -> str:
    path = tmp_path / "config.yaml"
    data = {"cache": {"path": str(tmp_path / "cache")},
            "notifications": {"pd": {"type": "pagerduty", "url": url, "routing_key_env": "PD_KEY",
                                     "source": "cost-host", **channel}}, **(extra or {})}
    path.write_text(yaml.safe_dump(data))
    return str(path)


def events(h: Any) -> list[dict]:
    return [r["json"] for r in h.requests]


def budget_file(tmp_path: Path) -> str:
    rows = ["ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,"
            "ProviderName,SubAccountId,ServiceName,RegionId,ResourceId"]
    day = date(2024, 1, 1)
    while day < date(2024, 5, 1):
        rows.append(f"{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,10,10,USD,Usage,AWS,111,Compute,"
                    "us-east-1,i-1")
        day += timedelta(days=1)
    path = tmp_path / "focus.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_budget_thresholds_trigger_once_and_resolve_when_the_period_is_over(run, tmp_path, hook) -> None:
    h = hook([202, 202, 202, 202, 202, 202, 202, 202])
    cfg = config(tmp_path, h.url, {"budgets": {"cloud": {"amount": 300}}})
    data = budget_file(tmp_path)

    def budgets(as_of: str):
        return run("--config", cfg, "budgets", "--file", data, "--as-of", as_of, "--format", "json", "--notify", "pd")

    first = budgets("2024-03-17")  # 160 of 300: 53 %
    assert first.exit_code == 0, first.stderr
    assert "notified pd: 1 budget threshold(s)" in first.stderr
    assert events(h) == [{
        "routing_key": KEY, "event_action": "trigger", "dedup_key": "costctl:budget:cloud:2024-03-01:spend:50",
        "payload": {
            "summary": "costctl: budget cloud (monthly 2024-03-01..2024-03-31): spend 160.00 USD of 300.00 = 53%, "
                       "crossed 50% [low], runs out 2024-03-30",
            "source": "cost-host", "severity": "info", "timestamp": STAMP, "component": "cloud",
            "group": "budgets", "class": "budget spend",
            "custom_details": {"budget": "cloud", "period": "monthly", "start": "2024-03-01", "end": "2024-03-31",
                               "kind": "spend", "threshold": 50.0, "severity": "low", "currency": "USD",
                               "amount": 300.0, "spend": 160.0, "consumed_pct": pytest.approx(53.333, abs=0.01),
                               "forecast": pytest.approx(first.json()[0]["forecast"], abs=1e-5),
                               "forecast_pct": pytest.approx(first.json()[0]["forecast_pct"], abs=1e-5)}}}]
    assert budgets("2024-03-20").exit_code == 0 and len(h.requests) == 1  # nothing new, nothing cleared
    assert budgets("2024-03-31").exit_code == 0
    assert [e["dedup_key"] for e in events(h)[1:]] == ["costctl:budget:cloud:2024-03-01:spend:80",
                                                       "costctl:budget:cloud:2024-03-01:spend:100"]
    assert [e["payload"]["severity"] for e in events(h)[1:]] == ["error", "critical"]
    april = budgets("2024-04-17")
    assert april.exit_code == 0, april.stderr
    assert "notified pd: 1 budget threshold(s), 3 resolved" in april.stderr
    assert events(h)[3]["dedup_key"] == "costctl:budget:cloud:2024-04-01:spend:50"
    assert events(h)[4:] == [{"routing_key": KEY, "event_action": "resolve",
                              "dedup_key": f"costctl:budget:cloud:2024-03-01:spend:{t}"} for t in (100, 50, 80)]
    assert budgets("2024-04-18").exit_code == 0 and len(h.requests) == 7
    assert KEY not in "".join(r.stdout + r.stderr for r in (first, april))


def test_anomalies_trigger_per_anomaly_and_an_ack_resolves_it(run, tmp_path, hook) -> None:
    h = hook()
    cfg = config(tmp_path, h.url)
    first = run("--config", cfg, "--demo", "anomalies", "--notify", "pd", "--format", "json")
    assert first.exit_code == 0, first.stderr
    shown = first.json()
    assert [e["dedup_key"] for e in events(h)] == [f"costctl:anomaly:{a['id']}" for a in shown]
    spike = next(a for a in shown if a["kind"] == "spike")
    sent = next(e for e in events(h) if e["dedup_key"] == f"costctl:anomaly:{spike['id']}")
    from costctl.notify.pagerduty import SEVERITY

    group = [spike[k] or "(none)" for k in ("provider", "account", "service") if k in spike]
    assert sent == {"routing_key": KEY, "event_action": "trigger", "dedup_key": f"costctl:anomaly:{spike['id']}",
                    "payload": {"summary": sent["payload"]["summary"], "source": "cost-host",
                                "severity": SEVERITY[spike["severity"]], "timestamp": STAMP,
                                "component": group[-1], "group": " / ".join(group[:-1]),
                                "class": "cost spike", "custom_details": sent["payload"]["custom_details"]}}
    assert sent["payload"]["summary"].startswith(f"costctl: {spike['date']} {spike['severity'].upper()} spike ")
    assert sent["payload"]["summary"].endswith(f"[id {spike['id']}]")
    details = sent["payload"]["custom_details"]
    assert {k: details[k] for k in ("id", "date", "kind", "severity")} == {
        k: spike[k] for k in ("id", "date", "kind", "severity")}
    again = run("--config", cfg, "--demo", "anomalies", "--notify", "pd", "--format", "json")
    assert again.exit_code == 0 and len(h.requests) == len(shown) and "notified pd: 0" in again.stderr
    assert run("--config", cfg, "--demo", "anomalies", "ack", spike["id"]).exit_code == 0
    acked = run("--config", cfg, "--demo", "anomalies", "--notify", "pd", "--format", "json")
    assert acked.exit_code == 0 and "1 resolved" in acked.stderr
    assert events(h)[len(shown):] == [{"routing_key": KEY, "event_action": "resolve",
                                       "dedup_key": f"costctl:anomaly:{spike['id']}"}]
    run("--config", cfg, "--demo", "anomalies", "unack", spike["id"])
    run("--config", cfg, "--demo", "anomalies", "--notify", "pd", "--format", "json")
    assert events(h)[-1]["event_action"] == "trigger" and events(h)[-1]["dedup_key"].endswith(spike["id"])


def test_idle_findings_trigger_and_an_ignored_one_resolves(run, tmp_path, hook) -> None:
    h = hook()
    cfg = config(tmp_path, h.url)
    first = run("--config", cfg, "--demo", "idle", "--notify", "pd", "--format", "json")
    assert first.exit_code == 0, first.stderr
    rows = first.json()
    keys = [f"costctl:idle:{r['provider']}:{r['check']}:{r['id']}" for r in rows]
    assert [e["dedup_key"] for e in events(h)] == keys
    aws = next(r for r in rows if r["provider"] == "aws")
    sent = next(e for e in events(h) if e["dedup_key"].endswith(aws["id"]))
    assert sent == {"routing_key": KEY, "event_action": "trigger", "dedup_key": f"costctl:idle:aws:disk_unattached:"
                    f"{aws['id']}", "payload": {
                        "summary": f"costctl: idle disk_unattached {aws['resource_id']} (aws us-east-1): "
                                   f"{aws['detail']}; saves 50.00 USD a month; snapshot if needed, then delete",
                        "source": "cost-host", "severity": "warning", "timestamp": STAMP,
                        "component": "ebs:volume", "group": f"aws {aws['account']}", "class": "idle disk_unattached",
                        "custom_details": {**aws, "cost_source": "records", "tags": {}}}}
    assert run("--config", cfg, "--demo", "idle", "ignore", aws["id"]).exit_code == 0
    after = run("--config", cfg, "--demo", "idle", "--notify", "pd", "--format", "json")
    assert after.exit_code == 0 and "notified pd: 0 idle finding(s), 1 resolved" in after.stderr
    assert events(h)[2:] == [{"routing_key": KEY, "event_action": "resolve",
                              "dedup_key": f"costctl:idle:aws:disk_unattached:{aws['id']}"}]
    # a scan of other checks does not judge (nor resolve) disk_unattached findings
    other = run("--config", cfg, "--demo", "idle", "--checks", "vm_idle", "--notify", "pd", "--format", "json")
    assert other.exit_code == 0 and len(h.requests) == 3


def test_transient_answers_are_retried_and_a_rejected_event_is_sent_again_next_run(run, tmp_path, hook) -> None:
    h = hook([500, 429])
    cfg = config(tmp_path, h.url, retries=3)
    first = run("--config", cfg, "--demo", "idle", "--checks", "disk_unattached", "--provider", "aws", "--notify",
                "pd")
    assert first.exit_code == 0, first.stderr
    assert len(h.requests) == 3 and events(h)[0] == events(h)[2]
    bad = hook([400])
    cfg = config(tmp_path, bad.url)
    (tmp_path / "cache" / "anomalies" / "notified.json").unlink()
    rejected = run("--config", cfg, "--demo", "idle", "--checks", "disk_unattached", "--provider", "aws",
                   "--notify", "pd")
    assert rejected.exit_code == 1
    assert rejected.stderr.strip().splitlines()[-1] == (
        "costctl: error: notification pd: the PagerDuty answered HTTP 400; check the routing key and "
        "notifications.pd")
    assert KEY not in rejected.stderr
    retried = run("--config", cfg, "--demo", "idle", "--checks", "disk_unattached", "--provider", "aws",
                  "--notify", "pd")
    assert retried.exit_code == 0 and len(bad.requests) == 2 and bad.requests[0]["json"] == bad.requests[1]["json"]


def test_an_unset_routing_key_variable_fails_before_anything_is_printed(run, tmp_path, hook, monkeypatch) -> None:
    h = hook()
    monkeypatch.delenv("PD_KEY")
    result = run("--config", config(tmp_path, h.url), "--demo", "anomalies", "--notify", "pd")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == ("costctl: error: --notify pd: $PD_KEY is not set; export the PagerDuty Events "
                                     "API v2 routing key in it (notifications.pd.routing_key_env names the variable)")
    assert h.requests == []


def test_the_config_names_a_variable_never_the_key(run, tmp_path, hook) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"notifications": {"pd": {"type": "pagerduty", "routing_key_env": KEY + "-x"}}}))
    result = run("--config", str(path), "--demo", "idle")
    assert result.exit_code == 2 and "notifications.pd.routing_key_env" in result.stderr
    assert KEY not in result.stderr
    path.write_text(yaml.safe_dump({"notifications": {"pd": {"type": "pagerduty"}}}))
    shown = run("--config", str(path), "config", "show")
    assert shown.exit_code == 0 and "https://events.pagerduty.com/v2/enqueue" in shown.stdout
    assert "PAGERDUTY_ROUTING_KEY" in shown.stdout


def test_long_dedup_keys_and_summaries_fit_the_api_limits() -> None:
    from costctl.notify.pagerduty import Alert, dedup_key, trigger_event

    key = "idle:" + "p" * 300 + ":vm_idle:0123456789ab"
    assert len(dedup_key(key)) == 255 and dedup_key(key) != dedup_key(key + "x")
    body = trigger_event("k", {"source": "s"}, Alert(key, "x" * 2000, "high", "c", "g", "k", "2026-01-01"), NOW)
    assert len(body["payload"]["summary"]) == 1024 and body["payload"]["summary"].endswith("...")


def test_anomalies_that_left_the_window_resolve_but_a_filtered_run_resolves_nothing_it_did_not_see(
        run, tmp_path, hook) -> None:
    h = hook()
    cfg = config(tmp_path, h.url)
    wide = run("--config", cfg, "--demo", "anomalies", "--days", "45", "--notify", "pd", "--format", "json").json()
    recent = run("--config", cfg, "--demo", "anomalies", "--format", "json").json()
    old = sorted({a["id"] for a in wide} - {a["id"] for a in recent})
    assert old and len(h.requests) == len(wide)
    narrowed = run("--config", cfg, "--demo", "anomalies", "--provider", "gcp", "--notify", "pd", "--format", "json")
    assert narrowed.exit_code == 0
    resolved = [e["dedup_key"] for e in events(h)[len(wide):]]
    # only the aged-out anomalies resolve (their day is before any window): never one the run did not judge
    assert all(e["event_action"] == "resolve" for e in events(h)[len(wide):])
    assert sorted(resolved) == sorted(f"costctl:anomaly:{i}" for i in old)
    again = run("--config", cfg, "--demo", "anomalies", "--notify", "pd", "--format", "json")
    assert again.exit_code == 0 and len(h.requests) == len(wide) + len(old)  # the recent ones stay open
