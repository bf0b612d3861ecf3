"""``costctl report``: the digest's figures, its sections in every format, and --notify once per period."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from costctl.analysis.digest import SECTIONS, windows

pytestmark = pytest.mark.usefixtures("warm_demo_tmp")  # the demo starts cached, in tmp_path/cache too (conftest)

MONEY = r"([0-9][0-9,]*\.[0-9]{2}) ([A-Z]{3})"


def config(tmp_path: Path, **channels: dict) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"cache": {"path": str(tmp_path / "cache")}, "notifications": channels}))
    return str(path)


class Headings(HTMLParser):
    """The text of every <h2> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "h2":
            self._in = True
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.found[-1] += data


def spent(markdown: str) -> dict[str, float]:
    """Currency -> the total the Spend section states."""
    found = re.findall(r"^Spent " + MONEY, markdown, re.M)
    return {cur: float(amount.replace(",", "")) for amount, cur in found}


def test_weekly_totals_equal_costs_over_the_last_7_days(run) -> None:
    report = run("--demo", "report", "--period", "week")
    assert report.exit_code == 0, report.stderr
    costs = run("--demo", "costs", "--days", "7", "--granularity", "total", "--group-by", "provider",
                "--format", "json").json()
    expected: dict[str, float] = {}
    for row in costs:
        expected[row["currency"]] = expected.get(row["currency"], 0.0) + row["cost"]
    assert spent(report.stdout) == {cur: pytest.approx(round(v, 2), abs=0.005) for cur, v in expected.items()}
    # Each provider's row is the costs row of that provider.
    for row in costs:
        line = next(x for x in report.stdout.splitlines() if x.startswith(f"| {row['provider']} |"))
        assert f"{row['cost']:,.2f} {row['currency']}" in line


def test_the_change_is_against_the_7_days_before(run) -> None:
    report = run("--demo", "report", "--period", "week").stdout
    yesterday = date.today() - timedelta(days=1)
    before = run("--demo", "costs", "--start", (yesterday - timedelta(days=13)).isoformat(), "--end",
                 (yesterday - timedelta(days=7)).isoformat(), "--granularity", "total", "--format", "json").json()
    previous = sum(r["cost"] for r in before)
    match = re.search(r"against " + MONEY + " on ", report)
    assert match and float(match.group(1).replace(",", "")) == pytest.approx(previous, abs=0.005)


def test_markdown_html_and_text_have_the_same_sections_in_order(run, tmp_path) -> None:
    markdown = run("--demo", "report", "--format", "markdown").stdout
    assert re.findall(r"^## (.+)$", markdown, re.M) == list(SECTIONS)
    out = tmp_path / "r.html"
    assert run("--demo", "report", "--format", "html", "-o", str(out)).exit_code == 0
    page = Headings()
    page.feed(out.read_text())
    assert page.found == list(SECTIONS)
    text = run("--demo", "report", "--format", "text").stdout
    assert [line for line in text.splitlines() if line in SECTIONS] == list(SECTIONS)


def test_the_demo_report_names_its_anomaly_cause_budgets_idle_and_freshness(run) -> None:
    markdown = run("--demo", "report").stdout
    sections = dict(zip(SECTIONS, re.split(r"^## .+$", markdown, flags=re.M)[1:], strict=True))
    assert "BigQuery" in sections["Open anomalies"] and "critical" in sections["Open anomalies"]
    assert "resource analytics" in sections["Open anomalies"]  # the main cause
    assert "aws-quarter" in sections["Budgets at risk"]
    assert "disk_unattached" in sections["Idle savings"]
    for source in ("aws", "azure", "gcp"):
        assert f"| {source} | {date.today() - timedelta(days=1)} |" in sections["Data freshness"]


def test_html_is_self_contained_with_a_chart_per_provider(run, tmp_path) -> None:
    out = tmp_path / "r.html"
    assert run("--demo", "report", "--format", "html", "-o", str(out)).exit_code == 0
    page = out.read_text()
    assert page.count("<svg ") == 3 and page.count("<rect ") == 3 * 7
    for external in ("<script", "<link", "src=", "url(", "@import", "http://", "https://"):
        assert external not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_monthly_report_covers_the_month_through_yesterday(run) -> None:
    result = run("--demo", "report", "--period", "month", "--format", "text")
    assert result.exit_code == 0, result.stderr
    start, end, ref_start, _ref_end, key = windows("month", date.today())
    assert start == (date.today() - timedelta(days=1)).replace(day=1) and key == f"{date.today():%Y-%m}"
    assert ref_start.day == 1 and ref_start < start
    costs = run("--demo", "costs", "--start", start.isoformat(), "--end", (end - timedelta(days=1)).isoformat(),
                "--granularity", "total", "--format", "json").json()
    assert spent(result.stdout) == {"USD": pytest.approx(round(sum(r["cost"] for r in costs), 2), abs=0.005)}


def test_windows_of_a_week_are_the_7_days_before_today_keyed_by_iso_week() -> None:
    assert windows("week", date(2026, 12, 7)) == (date(2026, 11, 30), date(2026, 12, 7), date(2026, 11, 23),
                                                  date(2026, 11, 30), "2026-W50")
    # A week that starts on the 1st is still compared with the 7 days before it.
    assert windows("week", date(2026, 12, 8))[2:4] == (date(2026, 11, 24), date(2026, 12, 1))


# -- --notify ----------------------------------------------------------------------------------

def test_notify_sends_once_per_week_and_force_resends(run, tmp_path, hook) -> None:
    h = hook()
    cfg = config(tmp_path, ops={"type": "webhook", "url": h.url})
    today = date.today()
    first = run("--config", cfg, "--demo", "report", "--as-of", today.isoformat(), "--notify", "ops")
    assert first.exit_code == 0, first.stderr
    assert len(h.requests) == 1
    body = h.requests[0]["json"]
    assert body["report"]["key"] == windows("week", today)[4] and "## Spend" in body["text"]
    assert "notified ops" in first.stderr
    again = run("--config", cfg, "--demo", "report", "--as-of", today.isoformat(), "--notify", "ops")
    assert again.exit_code == 0 and len(h.requests) == 1
    assert "was sent already" in again.stderr
    assert again.stdout.startswith("# costctl weekly cost report")  # the report is still printed
    forced = run("--config", cfg, "--demo", "report", "--as-of", today.isoformat(), "--notify", "ops", "--force")
    assert forced.exit_code == 0 and len(h.requests) == 2
    other_week = (today - timedelta(days=7)).isoformat()
    assert run("--config", cfg, "--demo", "report", "--as-of", other_week, "--notify", "ops").exit_code == 0
    assert len(h.requests) == 3


def test_a_failed_delivery_is_sent_on_the_next_run(run, tmp_path, hook) -> None:
    h = hook([400])
    cfg = config(tmp_path, ops={"type": "slack", "url": h.url})
    failed = run("--config", cfg, "--demo", "report", "--notify", "ops")
    assert failed.exit_code == 1 and "HTTP 400" in failed.stderr and "Traceback" not in failed.stderr
    assert run("--config", cfg, "--demo", "report", "--notify", "ops").exit_code == 0
    assert len(h.requests) == 2


@pytest.mark.parametrize(("args", "channels", "message"), [
    (["--force"], {}, "--force needs --notify NAME"),
    (["--notify", "nope"], {}, "--notify: unknown channel 'nope'"),
    (["--notify", "pd"], {"pd": {"type": "pagerduty"}}, "a pagerduty channel takes alerts, not reports"),
    (["--period", "year"], {}, "'year' is not one of"),
])
def test_bad_input_is_one_line_naming_the_fix(run, tmp_path, monkeypatch, args, channels, message) -> None:
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", "k" * 32)
    result = run("--config", config(tmp_path, **channels), "--demo", "report", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_email_carries_the_html_page_as_the_alternative_of_the_text() -> None:
    from costctl.notify.email import build_message
    from costctl.notify.message import Notice

    msg = build_message({"sender": "costctl@example.org", "to": ["a@example.org"]},
                        Notice("weekly", ["# Spend"], html="<h2>Spend</h2>"))
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert parts["text/plain"].strip() == "# Spend" and "<h2>Spend</h2>" in parts["text/html"]


def test_an_acknowledged_anomaly_is_no_longer_open(run) -> None:
    found = run("--demo", "anomalies", "--days", "7", "--format", "json").json()
    spike = next(a for a in found if a["service"] == "BigQuery")
    assert spike["id"] in run("--demo", "report").stdout
    assert run("--demo", "anomalies", "ack", spike["id"]).exit_code == 0
    after = run("--demo", "report").stdout
    assert spike["id"] not in after and "No open anomalies" in after


def test_top_movers_are_the_rows_of_costs_compare_with_the_largest_deltas(run) -> None:
    report = run("--demo", "report").stdout
    compared = run("--demo", "costs", "--days", "7", "--granularity", "total", "--group-by", "service",
                   "--compare", "previous", "--format", "json").json()
    section = report.split("## Top movers by service")[1].split("## ")[0]
    shown = [line.split(" | ")[0].lstrip("| ") for line in section.splitlines() if line.startswith("| ")][2:]
    expected = sorted(compared, key=lambda r: (-abs(r["delta"]), r["service"]))[:5]
    assert shown == [r["service"] for r in expected]
    for r in expected:
        line = next(x for x in section.splitlines() if x.startswith(f"| {r['service']} |"))
        assert f"{r['cost']:,.2f} USD | {r['previous_cost']:,.2f} USD | {r['delta']:+,.2f}" in line
