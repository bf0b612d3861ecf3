"""contrib/prometheus/costctl-rules.yml against the real promtool (Debian package ``prometheus``):
``check rules``, ``test rules`` with a firing and a quiet case for every alert, and runbook lines
that name costctl commands and options that exist."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest
import yaml

from tests.components import binary

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "contrib" / "prometheus" / "costctl-rules.yml"
UNIT_TESTS = REPO / "tests" / "prometheus" / "costctl-rules.test.yml"
# Stand-ins for the labels a runbook template interpolates, as an alert would carry them.
LABELS = {"provider": "gcp", "budget": "team-data", "instance": "host1", "currency": "USD", "period": "monthly"}


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def alerts() -> list[dict]:
    return [r for r in rules() if "alert" in r]


def promtool(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool", "prometheus"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60)


@pytest.mark.component
def test_promtool_check_rules_accepts_the_rules() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules())} rules found" in done.stdout


@pytest.mark.component
def test_promtool_unit_tests_of_the_rules_pass() -> None:
    done = promtool("test", "rules", str(UNIT_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.component
def test_promtool_unit_tests_fail_when_a_firing_alert_is_expected_quiet(tmp_path: Path) -> None:
    """The unit tests can fail: expecting silence where an alert fires is reported by promtool."""
    spec = yaml.safe_load(UNIT_TESTS.read_text())
    spec["rule_files"] = [str(RULES)]
    group = next(t for t in spec["tests"] if any(c["exp_alerts"] for c in t.get("alert_rule_test", [])))
    case = next(c for c in group["alert_rule_test"] if c["exp_alerts"])
    case["exp_alerts"] = []
    spec["tests"] = [group]  # only the broken case's group: promtool then runs in a second, not five
    broken = tmp_path / "broken.test.yml"
    broken.write_text(yaml.safe_dump(spec))
    done = promtool("test", "rules", str(broken), cwd=tmp_path)
    assert done.returncode != 0 and case["alertname"] in done.stdout + done.stderr, done.stdout + done.stderr


def test_every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not() -> None:
    cases: dict[str, list[bool]] = {}
    for group in yaml.safe_load(UNIT_TESTS.read_text())["tests"]:
        for case in group.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], []).append(bool(case["exp_alerts"]))
    names = [a["alert"] for a in alerts()]
    assert {"CostctlDataLate", "CostctlProviderDown", "CostctlBudgetForecastOver", "CostctlCriticalAnomaly",
            "CostctlForecastAboveLastMonth"} <= set(names)  # the alerts issue #19 asks for
    for name in names:
        assert set(cases.get(name, [])) == {True, False}, f"{name}: needs a firing and a quiet unit test"


def runbook_commands(alert: dict) -> list[list[str]]:
    """The backquoted ``costctl ...`` commands of an alert's runbook, with its labels filled in."""
    text = alert["annotations"]["runbook"]
    text = re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: LABELS[m[1]], text)
    assert "{{" not in text, f"{alert['alert']}: runbook uses a template this test does not fill: {text}"
    return [shlex.split(c)[1:] for c in re.findall(r"`(costctl [^`]+)`", text)]


def parse(args: list[str]) -> None:
    """Parse ``costctl ARGS`` down to the last sub-command without running it; a command, option or
    argument costctl does not have raises click.UsageError."""
    from costctl.cli import cli

    command: click.Command = cli
    ctx = cli.make_context("costctl", list(args))
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None and name is not None
        command, ctx = found, found.make_context(name, rest, parent=ctx)


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: a["alert"])
def test_every_runbook_names_costctl_commands_that_parse(alert: dict) -> None:
    commands = runbook_commands(alert)
    assert commands, f"{alert['alert']}: the runbook names no costctl command"
    for args in commands:
        parse(args)  # raises on an unknown command or option


def test_a_runbook_naming_an_option_costctl_lacks_is_caught() -> None:
    with pytest.raises(click.UsageError):
        parse(["anomalies", "--provider", "gcp", "--min-severity", "fatal"])
    with pytest.raises(click.UsageError):
        parse(["check", "--period", "day", "--no-such-option"])
