"""contrib/grafana/costctl.json against real tools: a ``prometheus`` on loopback scrapes a
``prometheus-node-exporter`` serving the textfile ``costctl --demo export-prometheus`` wrote, and
every panel's PromQL (template variables as "All", i.e. ``.*``) must return at least one series
through ``/api/v1/query``. The same Prometheus loads contrib/prometheus/costctl-rules.yml, so the
recording rules and alerts are also seen evaluating real costctl output."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components import http_get, prometheus_scraping_textfiles, query

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = REPO / "contrib" / "grafana" / "costctl.json"
RULES = REPO / "contrib" / "prometheus" / "costctl-rules.yml"
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
METRIC = re.compile(r"\bcostctl_[a-z_]+\b")
RULE_NAME = re.compile(r"\b\w+:costctl_[a-z_]+:\w+\b")


def load() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(items: list[dict]) -> Iterator[dict]:
    """Every panel with queries, rows' nested (collapsed) panels included."""
    for p in items:
        if p.get("type") == "row":
            yield from panels(p.get("panels", []))
        else:
            yield p


def variables(dashboard: dict) -> dict[str, dict]:
    return {v["name"]: v for v in dashboard["templating"]["list"]}


def substitute(expr: str, dashboard: dict) -> str:
    """The expression as Grafana sends it with every query variable at "All" (its allValue ``.*``);
    a variable the dashboard does not define is an error, not a silent pass."""
    defined = variables(dashboard)

    def value(m: re.Match) -> str:
        name = m[1] or m[2]
        assert name in defined and defined[name]["type"] == "query", f"${name} is not a query variable: {expr}"
        return str(defined[name]["allValue"])

    return VARIABLE.sub(value, expr)


def queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title / refId, PromQL as sent) of every target of every panel."""
    return [(f"{p['title']} / {t['refId']}", substitute(t["expr"], dashboard))
            for p in panels(dashboard["panels"]) for t in p["targets"]]


def empty_queries(dashboard: dict, base: str) -> list[str]:
    """The panel queries that return no series from the Prometheus at ``base``."""
    return [f"{name}: {expr}" for name, expr in queries(dashboard) if not query(base, expr)]


def written_families(textfile: Path) -> set[str]:
    return set(re.findall(r"^# TYPE (\w+) ", textfile.read_text(), flags=re.M))


def unwritten_metrics(dashboard: dict, families: set[str]) -> set[str]:
    names = {n for _, expr in queries(dashboard) for n in METRIC.findall(RULE_NAME.sub("", expr))}
    return names - families


@pytest.fixture(scope="module")
def demo_textfile(tmp_path_factory: pytest.TempPathFactory, demo_cache_template: Path | None) -> Path:
    """``costctl --demo export-prometheus -o DIR/costctl.prom`` run as the cron job would, in its own HOME."""
    home = tmp_path_factory.mktemp("dashboard-home")
    if demo_cache_template is not None:
        shutil.copytree(demo_cache_template, home / "cache" / "costctl", symlinks=True)
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config")}
    for name in ("COSTCTL_CONFIG", "COSTCTL_DEMO_ANCHOR"):
        env.pop(name, None)
    out = tmp_path_factory.mktemp("textfile") / "costctl.prom"
    done = subprocess.run([sys.executable, "-m", "costctl", "--demo", "export-prometheus", "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def prometheus(demo_textfile: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("prometheus")
    with prometheus_scraping_textfiles(str(demo_textfile.parent), str(work), [str(RULES)]) as base:
        yield base


def test_the_dashboard_has_a_datasource_variable_and_provider_and_account_variables() -> None:
    found = variables(load())
    assert found["datasource"]["type"] == "datasource" and found["datasource"]["query"] == "prometheus"
    for name in ("provider", "account"):
        assert found[name]["type"] == "query" and found[name]["includeAll"] and found[name]["allValue"] == ".*"
        assert found[name]["datasource"]["uid"] == "${datasource}"
    assert found["provider"]["query"]["query"] == "label_values(costctl_up, provider)"


def test_every_panel_and_query_reads_the_datasource_variable() -> None:
    dashboard = load()
    shown = list(panels(dashboard["panels"]))
    assert len(shown) >= 20 and all(p["targets"] for p in shown)
    for p in shown:
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in p["targets"]), p["title"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


def test_panels_fit_the_24_column_grid_without_overlapping() -> None:
    cells: dict[tuple[int, int], str] = {}
    for p in load()["panels"]:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = p["title"]


def test_the_dashboard_covers_spend_budgets_findings_freshness_and_up() -> None:
    named = {n for _, expr in queries(load()) for n in METRIC.findall(expr)}
    assert {"costctl_cost_month_to_date", "costctl_cost_latest_day", "costctl_cost_month_forecast",
            "costctl_cost_previous_month", "costctl_budget_spend", "costctl_budget_amount",
            "costctl_budget_forecast_ratio", "costctl_anomalies_open", "costctl_anomalies_open_impact",
            "costctl_idle_findings", "costctl_idle_estimated_monthly_savings",
            "costctl_data_newest_timestamp_seconds", "costctl_last_success_timestamp_seconds",
            "costctl_up", "costctl_findings_up"} <= named


def test_every_metric_the_dashboard_names_is_one_costctl_writes(demo_textfile: Path) -> None:
    assert unwritten_metrics(load(), written_families(demo_textfile)) == set()


@pytest.mark.component
def test_every_panel_query_returns_a_series_from_a_real_prometheus(prometheus: str) -> None:
    dashboard = load()
    assert len(queries(dashboard)) >= 24
    assert empty_queries(dashboard, prometheus) == []


@pytest.mark.component
def test_a_panel_on_a_metric_costctl_does_not_write_fails_both_checks(prometheus: str, demo_textfile: Path) -> None:
    dashboard = load()
    broken = copy.deepcopy(dashboard)
    panel = next(panels(broken["panels"]))
    panel["targets"][0]["expr"] = 'sum by (currency) (costctl_cost_month_to_dat{provider=~"$provider"})'
    assert empty_queries(broken, prometheus) == [
        f"{panel['title']} / A: " + 'sum by (currency) (costctl_cost_month_to_dat{provider=~".*"})']
    assert unwritten_metrics(broken, written_families(demo_textfile)) == {"costctl_cost_month_to_dat"}


@pytest.mark.component
def test_template_variable_queries_list_the_demo_providers_and_accounts(prometheus: str) -> None:
    found = variables(load())
    values = {}
    for name in ("provider", "account"):
        m = re.fullmatch(r"label_values\((.+), (\w+)\)", found[name]["query"]["query"])
        assert m and m[2] == name
        url = f"{prometheus}/api/v1/label/{name}/values?" + urllib.parse.urlencode(
            {"match[]": substitute(m[1], load())})
        values[name] = set(json.loads(http_get(url))["data"])
    assert values["provider"] == {"aws", "azure", "gcp"}
    assert len(values["account"]) >= 3


def _until(check, wait: float = 15.0):  # noqa: ANN001, ANN202 - a polling helper
    deadline = time.monotonic() + wait
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


@pytest.mark.component
def test_the_rules_evaluate_on_the_demo_metrics(prometheus: str, demo_textfile: Path) -> None:
    ratio = _until(lambda: query(prometheus, "provider_currency:costctl_cost_month_forecast_vs_previous_month:ratio"))
    assert {r["metric"]["provider"] for r in ratio} == {"aws", "azure", "gcp"}
    groups = json.loads(http_get(f"{prometheus}/api/v1/rules"))["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert rules and all(r["health"] in ("ok", "unknown") for r in rules), rules
    # Alerts follow the exported values: a provider with an open critical anomaly fires at once (no
    # "for"), a budget forecast over its amount is pending (6h "for"). Expectations come from the
    # textfile so a month boundary in the synthetic demo cannot flip them; the demo has both today.
    text = demo_textfile.read_text()
    critical = {p for p, v in re.findall(r'^costctl_anomalies_open\{provider="([^"]+)",severity="critical"\} (\S+)$',
                                         text, flags=re.M) if float(v) > 0}
    over = {b for b, v in re.findall(r'^costctl_budget_forecast_ratio\{budget="([^"]+)"[^}]*\} (\S+)$', text,
                                     flags=re.M) if float(v) > 1}
    assert critical or over, "the demo export has neither a critical anomaly nor a budget forecast over 100 %"

    def alerting(name: str, state: str) -> dict[str, dict]:
        found = json.loads(http_get(f"{prometheus}/api/v1/alerts"))["data"]["alerts"]
        return {a["labels"].get("provider") or a["labels"].get("budget"): a for a in found
                if a["labels"]["alertname"] == name and a["state"] == state}

    if critical:
        firing = _until(lambda: alerting("CostctlCriticalAnomaly", "firing"))
        assert set(firing) == critical
        assert all("costctl anomalies --provider" in a["annotations"]["runbook"] for a in firing.values())
    assert set(_until(lambda: alerting("CostctlBudgetForecastOver", "pending"), wait=5.0 if over else 2.0)) == over


def test_the_docs_describe_every_metric_panel_and_rule(demo_textfile: Path) -> None:
    """docs/prometheus.md has a row for every family costctl writes, every panel and every rule."""
    import yaml

    docs = (REPO / "docs" / "prometheus.md").read_text()
    documented = set(re.findall(r"^\| `(costctl_\w+)` \|", docs, flags=re.M))
    assert written_families(demo_textfile) - documented == set()
    panel_rows = set(re.findall(r"^\| [^|]+ \| ([^|]+) \|", docs, flags=re.M))
    assert {p["title"] for p in panels(load()["panels"])} - {t.strip() for t in panel_rows} == set()
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    names = [r.get("alert") or r.get("record") for r in rules]
    assert [n for n in names if f"| `{n}` |" not in docs] == []
    readme = (REPO / "README.md").read_text()
    assert "contrib/grafana/costctl.json" in readme and "contrib/prometheus/costctl-rules.yml" in readme
