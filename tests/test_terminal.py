"""What a person sees in a terminal: tables at 80 and 200 columns and through a pipe.

The screen-capture check: each listing command's demo table holds, whole, every id, date and
amount its JSON output holds, at ``COLUMNS=80``, at ``COLUMNS=200`` and piped (no ``COLUMNS``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from costctl.output.render import OutputColumn, View, render

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("democache")


@pytest.fixture
def demo(run, monkeypatch, demo_cache):
    """``costctl --demo ...`` at a width (None = a pipe), sharing one warm cache across the module."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(demo_cache))

    def invoke(width: int | None, *args: str):
        if width is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", str(width))
        result = run("--demo", *args)
        assert result.exit_code == 0, result.stderr
        return result

    return invoke


def _facts(rows: list[dict], columns: set[str] | None = None) -> set[str]:
    """The ids, dates and amounts of JSON rows, as the table would print them."""
    facts = set()
    for row in rows:
        for key, value in row.items():
            if columns is not None and key not in columns:
                continue
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, float) and key in MONEY:
                facts.add(f"{value + 0.0:,.2f}")
            elif isinstance(value, str) and (DATE.match(value) or key in IDS):
                facts.add(value)
    return facts


MONEY = {"cost", "expected", "impact", "amount", "spend", "burn_rate", "burn_rate_7d", "forecast", "monthly_cost",
         "estimated_monthly_savings", "direct", "shared", "untagged", "total", "cost_with", "cost_without"}
IDS = {"id", "account", "resource_id", "resource", "plugin", "type", "provider"}

COMMANDS = [
    ("budgets",),
    ("anomalies", "--days", "45"),
    ("costs", "--group-by", "provider,account,service,region", "--granularity", "monthly"),
    ("idle",),
    ("chargeback", "--by", "tag:team"),
    ("tags",),
    ("cache", "info"),
    ("providers",),
    ("anomalies", "acks"),
]


@pytest.mark.parametrize("width", [80, 200, None])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_the_table_holds_every_id_date_and_amount_of_the_json(demo, command, width):
    acked = None
    if command == ("anomalies", "acks"):  # something to list: acknowledge the demo's first anomaly, then undo it
        acked = demo(None, "anomalies", "--format", "json").json()[0]["id"]
        demo(None, "anomalies", "ack", acked, "--note", "expected: quarterly BigQuery backfill")
    try:
        _table_holds_the_json(demo, command, width)
    finally:
        if acked:
            demo(None, "anomalies", "unack", acked)


def _table_holds_the_json(demo, command, width):
    rows = demo(width, *command, "--format", "json").json()
    assert rows, "the demo must give this command something to show"
    table = demo(width, *command)
    shown = set(re.findall(r"[^\s│┃]+", table.stdout))
    # Dropped columns are named on stderr; what is shown is shown whole.
    dropped = set()
    note = re.search(r"not shown: ([\w, ]+) \(", table.stderr)
    if note:
        dropped = {n.strip() for n in note.group(1).split(",")}
        assert "--wide" in table.stderr and "--columns" in table.stderr and "--format csv" in table.stderr
        assert width is not None, "a pipe is never narrowed"
    keys = set(rows[0]) - dropped
    missing = sorted(f for f in _facts(rows, keys) if f not in shown and f not in table.stdout)
    assert not missing, f"cut or missing at {width} columns: {missing[:10]}\n{table.stdout}"
    assert "…" not in table.stdout
    if width is not None:
        tables = [line for line in table.stdout.splitlines() if line[:1] in "┏┃┡│└├"]
        assert all(len(line) <= width for line in tables), table.stdout


def test_a_pipe_is_not_forced_to_a_fixed_width(demo):
    """``idle | grep`` sees whole resource ids: no 160-column limit without a terminal."""
    rows = demo(None, "idle", "--format", "json").json()
    out = demo(None, "idle").stdout
    for row in rows:
        assert row["resource_id"] in out
    assert max(len(line) for line in out.splitlines()) > 160


def test_a_pipe_through_a_real_process_keeps_whole_ids(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "c"), "HOME": str(tmp_path)}
    env.pop("COLUMNS", None)
    proc = subprocess.run([sys.executable, "-m", "costctl", "-q", "--demo", "idle"], capture_output=True, text=True,
                          env=env, timeout=600, check=True)
    assert "/subscriptions/5c3b6f2e-8d41-4a9e-b7c2-1f0e9d8a7b63/resourceGroups/rg-build-staging/providers/" \
           "Microsoft.Compute/disks/disk-old-build-agent" in proc.stdout
    assert "…" not in proc.stdout


def test_wide_and_columns_choose_what_is_shown(demo):
    narrow = demo(170, "anomalies", "--days", "45")
    assert "170 columns are too few for every column; not shown: cause (see them with --wide" in narrow.stderr
    assert "resource orders" not in narrow.stdout and "┏" in narrow.stdout
    wide = demo(170, "anomalies", "--days", "45", "--wide")
    assert "resource orders" in wide.stdout and "not shown" not in wide.stderr
    cmd = ("costs", "--group-by", "provider,account,service,region", "--granularity", "monthly")
    blocks = demo(80, *cmd)  # the group keys tell rows apart: one block per row rather than drop one
    assert re.search(r"^service +Amazon Elastic Compute Cloud$", blocks.stdout, re.M), blocks.stdout[:500]
    assert "not shown" not in blocks.stderr
    picked = demo(80, *cmd, "--columns", "service,cost")
    assert "Amazon Elastic Compute Cloud" in picked.stdout and "9a7e1c3d" not in picked.stdout
    assert demo(80, *cmd, "--columns", "service,cost", "--format", "csv").stdout.startswith("service,cost\n")


def test_an_unknown_column_is_a_usage_error(run):
    result = run("--demo", "costs", "--columns", "nope")
    assert result.exit_code == 2
    assert "--columns: no column 'nope'" in result.stderr and "cost" in result.stderr


def test_text_wraps_between_words_and_numbers_are_never_cut(capsys):
    import io

    rows = [{"name": "Amazon Relational Database Service", "id": "arn:aws:rds:us-east-1:123456789012:db:orders",
             "cost": 1234567.891}]
    columns = [OutputColumn("name", "Name"), OutputColumn("id", "Id", drop=0), OutputColumn("cost", "Cost", "money")]
    out = io.StringIO()
    notes: list[str] = []
    render(rows, columns, "table", out, view=View(width=80, note=notes.append))
    assert "arn:aws:rds:us-east-1:123456789012:db:orders" in out.getvalue()
    assert "1,234,567.89" in out.getvalue()
    assert "Relational" in out.getvalue() and "…" not in out.getvalue()
    assert not notes
    # Too narrow for the kept columns: one block per row, every value whole.
    out = io.StringIO()
    render(rows, columns, "table", out, view=View(width=40, note=notes.append))
    assert "arn:aws:rds:us-east-1:123456789012:db:orders" in out.getvalue()
    assert "1,234,567.89" in out.getvalue()


def test_percentages_have_fixed_decimals_per_column_and_no_negative_zero():
    import io

    rows = [{"pct": 2.852, "money": -0.001, "n": 50.0}, {"pct": 67.48, "money": 1.0, "n": 80.0},
            {"pct": 83.7, "money": -0.004, "n": 12.5}]
    columns = [OutputColumn("pct", "Used%", "pct"), OutputColumn("money", "Money", "money"),
               OutputColumn("n", "N", "number")]
    out = io.StringIO()
    render(rows, columns, "table", out, view=View(width=200))
    text = out.getvalue()
    for cell in ("2.85", "67.48", "83.70", "50.0", "80.0", "12.5"):  # number: one count of decimals per column
        assert f" {cell} " in text, text
    assert "-0.00" not in text and "0.00" in text


def test_csv_booleans_are_true_and_false(demo):
    out = demo(None, "budgets", "--format", "csv").stdout
    header, *lines = out.splitlines()
    at = header.split(",").index("on_track")
    values = {line.split(",")[at] for line in lines}
    assert values <= {"true", "false"} and values, out
    assert "False" not in out and "True" not in out


def test_partial_first_and_last_months_are_marked(demo):
    cmd = ("costs", "--granularity", "monthly", "--group-by", "provider", "--days", "40", "--as-of", "2026-12-02")
    rows = demo(None, *cmd, "--format", "json").json()
    assert {(r["month"], r["partial"]) for r in rows} == {("2026-10", True), ("2026-11", False), ("2026-12", True)}
    csv_text = demo(None, *cmd, "--format", "csv").stdout
    assert csv_text.splitlines()[0].endswith(",partial") and "2026-11,AWS," in csv_text
    table = demo(200, *cmd).stdout
    assert "2026-10 (from 10-23)" in table and "2026-12 (1 day)" in table
    assert "2026-11 " in table and "2026-11 (" not in table
    assert "Costs 2026-10-23 .. 2026-12-01" in table


def test_a_title_never_ends_before_it_starts():
    from datetime import date

    from costctl.ranges import describe, month_part

    assert describe(date(2026, 12, 2), date(2026, 12, 2)) == "no days"
    assert describe(date(2026, 12, 1), date(2026, 12, 2)) == "2026-12-01"
    assert describe(date(2026, 11, 2), date(2026, 12, 2)) == "2026-11-02 .. 2026-12-01"
    assert month_part("2026-11", date(2026, 11, 2), date(2026, 12, 2)) == "from 11-02"
    assert month_part("2026-12", date(2026, 11, 2), date(2026, 12, 2)) == "1 day"
    assert month_part("2026-11", date(2026, 11, 1), date(2026, 12, 1)) is None
    assert month_part("2026-11", date(2026, 11, 3), date(2026, 11, 20)) == "11-03 .. 11-19"


def test_an_empty_file_report_has_an_honest_title(run, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ServiceName,"
                    "ProviderName,BillingAccountId,SubAccountId,RegionId,ChargeCategory\n")
    result = run("costs", "--file", str(path))
    assert result.exit_code == 0, result.stderr
    assert "Costs no days (effective)" in result.stdout


@pytest.mark.parametrize("args", [
    ("costs", "--top", "0"), ("costs", "--top", "-3"), ("tags", "--required", "team", "--top", "0"),
    ("anomalies", "--contributors", "0"), ("anomalies", "--window", "-1"), ("anomalies", "--min-impact", "-5"),
    ("idle", "--min-savings", "-1"), ("check", "--period", "mtd", "--top", "-1"),
])
def test_invalid_counts_are_usage_errors(run, args):
    result = run("--demo", *args)
    if args[0] == "check":  # a monitoring plugin: a usage error is UNKNOWN
        assert result.exit_code == 3 and "UNKNOWN" in result.stdout and "--top" in result.stdout
        return
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("costctl: error: ") and args[-2] in result.stderr
    assert not result.stdout


def _all_commands():
    import click

    from costctl.cli import COMMANDS, cli

    ctx = click.Context(cli)
    paths = []
    for name in sorted(COMMANDS):
        command = cli.get_command(ctx, name)
        paths.append((name,))
        if isinstance(command, click.Group):
            paths += [(name, sub) for sub in sorted(command.commands)]
    return paths


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_takes_the_global_options_after_its_name(run, path):
    result = run(*path, "--help")
    assert result.exit_code == (3 if path[0] == "check" else 0)
    text = result.stdout
    for option in ("--demo", "--config", "--no-cache", "--refresh", "--quiet", "--debug", "--verbose"):
        assert option in text, (path, option)


def test_global_options_after_the_command_act_as_before_it(demo, run):
    before = demo(None, "costs", "--days", "3", "--format", "json").json()
    after = run("costs", "--days", "3", "--demo", "--format", "json")
    assert after.exit_code == 0 and after.json() == before
    quiet_after = run("anomalies", "-q", "--days", "45", "--demo")
    assert quiet_after.exit_code == 0 and quiet_after.stderr == "" and "Anomalies" in quiet_after.stdout


def test_demo_and_verbose_after_the_command(run, monkeypatch, demo_cache):
    monkeypatch.setenv("XDG_CACHE_HOME", str(demo_cache))
    result = run("costs", "--demo", "--days", "3", "-v", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json() and result.stderr  # -v after the command says more on stderr
    assert run("costs", "--demo", "--days", "3", "-q", "--format", "json").stderr == ""


def _help_texts():
    """Every command's --help, one line per option (click's wrapping undone)."""
    from click.testing import CliRunner

    from costctl.cli import cli

    runner = CliRunner()
    for path in _all_commands():
        out = runner.invoke(cli, [*path, "--help"], terminal_width=400).output
        yield path, " ".join(out.split())


KEYED = re.compile(r"\(default ([a-z_]+\.[a-z_]+): ([^;)]+)[;)]")
# Defaults a help states as a literal: each names the code constant it must equal.
LITERAL = {
    "(default 300; 0 = none)": lambda: __import__("costctl.deadline", fromlist=["DEFAULT"]).DEFAULT == 300,
    "(default 300; check: 30; 0 = none)": lambda: __import__("costctl.deadline", fromlist=["DEFAULT"]).DEFAULT == 300,
    "(default high)": lambda: __import__("costctl.monitoring.anomaly_rule", fromlist=["x"]).DEFAULT_WARNING == "high",
    "(anomalies: default critical)":
        lambda: __import__("costctl.monitoring.anomaly_rule", fromlist=["x"]).DEFAULT_CRITICAL == "critical",
    "(commitments: default 7)":
        lambda: __import__("costctl.monitoring.commitment_check", fromlist=["x"]).DEFAULT_DAYS == 7,
    "(default 30d; 0 = off)":
        lambda: __import__("costctl.monitoring.commitment_check", fromlist=["x"]).DEFAULT_EXPIRY_WARNING == "30d",
    "(default 7d; 0 = off)":
        lambda: __import__("costctl.monitoring.commitment_check", fromlist=["x"]).DEFAULT_EXPIRY_CRITICAL == "7d",
    "(default service)":
        lambda: __import__("costctl.analysis.commitments", fromlist=["x"]).parse_coverage_keys(None) == ["service"],
    "default forecast, mom, anomalies, budget, idle": lambda: __import__(
        "costctl.commands.cache_warm", fromlist=["x"]).DEFAULT_PERIODS == ("forecast", "mom", "anomalies", "budget",
                                                                          "idle"),
    "(default: parquet for a .parquet name, else csv)":
        lambda: [__import__("costctl.output.datafile", fromlist=["x"]).format_for(name, None)
                 for name in ("a.parquet", "a.parquet.gz", "a.csv.gz", None)] == ["parquet", "parquet", "csv", "csv"],
}
WORDS = ("default: $COSTCTL_CONFIG", "default yesterday", "default: the last complete one", "default: all",
         "default idle.checks", "(default: idle.checks)", "default: idle.regions, else every enabled region",
         "default from thresholds.<period>", "[default: ", "refused by default",
         "(a drop is 0; default)", "savings (default)")


def test_every_default_a_help_states_is_the_default_the_command_uses():
    from costctl.config import build

    config = build({})
    seen = 0
    for path, text in _help_texts():
        for key, value in KEYED.findall(text):
            section, name = key.split(".")
            actual = config.section(section)[name] if section != "defaults" else config.defaults[name]
            if isinstance(actual, float) and section == "check" and name == "timeout":
                from costctl.schema import parse_duration

                assert parse_duration(value) == actual, (path, key)
            else:
                shown = str(int(actual)) if isinstance(actual, float) and actual.is_integer() else str(actual)
                assert value == shown, (path, key, value, actual)
            seen += 1
        rest = KEYED.sub("", text)
        for words in (*WORDS, *LITERAL):
            rest = rest.replace(words, "") if words not in LITERAL or LITERAL[words]() else rest
        for phrase in re.findall(r"[(\[;]?[^()\[\];]*\bdefault\b[^()\[\]]*[)\]]?", rest):
            phrase = phrase.strip()
            literal = next((lit for lit in LITERAL if lit in phrase or phrase in lit), None)
            assert literal is not None, f"{' '.join(path)}: a default not tied to the config or code: {phrase!r}"
            assert LITERAL[literal](), (path, literal)
    assert seen > 20


def test_the_default_windows_are_the_ones_help_states(demo):
    anomalies = demo(200, "anomalies", "--as-of", "2026-12-02").stdout
    assert "Anomalies 2026-11-18 .. 2026-12-01" in anomalies  # anomalies.days: 14
    costs = demo(200, "costs", "--as-of", "2026-12-02", "--granularity", "total").stdout
    assert "Costs 2026-11-02 .. 2026-12-01" in costs  # defaults.days: 30


def test_the_example_config_validates_as_shipped(tmp_path):
    from conftest import REPO

    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "costctl", "--config", str(REPO / "config.example.yaml"),
                           "config", "validate"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "OK, 4 provider(s)" in proc.stdout


def test_config_show_prints_durations_as_written(run, tmp_path):
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text("check:\n  max_age: 36h\n  timeout: 45s\ncache:\n  lock_timeout: 10m\n"
                    "providers:\n  f:\n    type: files\n    paths: [/tmp/x.csv]\n    ttl: 2h\n")
    result = run("--config", str(path), "config", "show")
    assert result.exit_code == 0, result.stderr
    shown = yaml.safe_load(result.stdout)
    assert shown["check"]["max_age"] == "36h" and shown["check"]["timeout"] == "45s"
    assert shown["cache"]["lock_timeout"] == "10m" and shown["providers"]["f"]["ttl"] == "2h"
    again = tmp_path / "again.yaml"
    again.write_text(result.stdout)
    assert run("--config", str(again), "config", "validate").exit_code == 0


FOCUS_HEADER = ("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ServiceName,"
                "ProviderName,BillingAccountId,SubAccountId,RegionId,ChargeCategory\n")


def _focus_rows(days: list[str], cost: str) -> str:
    return FOCUS_HEADER + "".join(
        f"{d}T00:00:00Z,{d}T23:59:59Z,{cost},{cost},USD,Amazon EC2,AWS,111,222,us-east-1,Usage\n" for d in days)


def test_cache_info_counts_each_day_once_after_the_export_changes(run, tmp_path):
    import json

    export = tmp_path / "focus.csv"
    days = ["2026-11-01", "2026-11-02", "2026-11-03"]
    export.write_text(_focus_rows(days, "1.5"))
    config = tmp_path / "config.yaml"
    config.write_text(f"cache:\n  path: {tmp_path / 'cache'}\nproviders:\n  exports:\n    type: files\n"
                      f"    paths: [{export}]\n")
    args = ("--config", str(config))
    assert run(*args, "costs", "--start", "2026-11-01", "--end", "2026-11-03").exit_code == 0
    export.write_text(_focus_rows(days, "22.75"))  # a new size: a new fingerprint
    os.utime(export, (1_900_000_000, 1_900_000_000))
    assert run(*args, "costs", "--start", "2026-11-01", "--end", "2026-11-03").exit_code == 0
    info = json.loads(run(*args, "cache", "info", "--format", "json").stdout)
    assert [(r["provider"], r["days"], r["first"], r["last"], r["rows"]) for r in info] == \
        [("exports", 3, "2026-11-01", "2026-11-03", 3)]


def _exports_config(tmp_path):
    export = tmp_path / "focus.csv"
    export.write_text(_focus_rows([f"2024-09-{d:02d}" for d in range(1, 31)], "3.5").replace(
        "Amazon EC2", "Amazon Elastic Compute Cloud"))
    config = tmp_path / "config.yaml"
    config.write_text(f"cache:\n  path: {tmp_path / 'cache'}\nproviders:\n  exports-focus:\n    type: files\n"
                      f"    paths: [{export}]\n")
    return ("--config", str(config))


def test_an_empty_range_says_what_the_data_covers(run, tmp_path):
    args = _exports_config(tmp_path)
    result = run(*args, "costs", "--as-of", "2026-12-02")
    assert result.exit_code == 0  # an honest empty report
    assert ("no rows between 2026-11-02 and 2026-12-01; exports-focus holds 2024-09-01 .. 2024-09-30: "
            "try --start 2024-09-01 or --month 2024-09") in result.stderr


@pytest.mark.parametrize("command", [("costs",), ("chargeback", "--by", "account"), ("tags",)], ids=lambda c: c[0])
def test_a_filter_value_matching_nothing_names_the_nearest(run, tmp_path, command):
    args = _exports_config(tmp_path)
    result = run(*args, *command, "--month", "2024-09", "--service", "Amazon EC2")
    assert result.exit_code == 0
    assert "--service 'Amazon EC2': no service matches; did you mean 'Amazon Elastic Compute Cloud'?" \
        in result.stderr
    region = run(*args, *command, "--month", "2024-09", "--region", "us-east1")
    assert "--region 'us-east1': no region matches; did you mean 'us-east-1'?" in region.stderr
    account = run(*args, *command, "--month", "2024-09", "--account", "223")
    assert "--account '223': no account matches; did you mean '222'?" in account.stderr


def test_a_file_without_rows_says_so(run, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(FOCUS_HEADER)
    result = run("costs", "--file", str(path))
    assert result.exit_code == 0 and "no rows, and no source holds any cost row yet" in result.stderr


def test_check_names_the_newest_day_of_an_export_that_stopped(run, tmp_path):
    args = _exports_config(tmp_path)
    run(*args, "costs", "--month", "2024-09")  # the cache now knows the export's days
    result = run(*args, "check", "--as-of", "2026-12-02")
    assert result.exit_code == 3
    assert "exports-focus: no data for 2026-12-01 (newest data 2024-09-30)" in result.stdout


def test_check_on_a_cold_cache_still_finds_the_newest_day(run, tmp_path):
    args = _exports_config(tmp_path)
    result = run(*args, "check", "--as-of", "2026-12-02", "--max-age", "36h", "--stale-state", "critical")
    assert result.exit_code == 2, result.stdout
    assert "(newest data 2024-09-30)" in result.stdout and "stale: data " in result.stdout


@pytest.mark.parametrize(("as_of", "newest_day"), [("2026-12-02", "2024-09-30"), ("2025-06-01", "2024-09-30"),
                                                   ("2024-09-20", "2024-09-19")])
def test_prometheus_keeps_the_newest_timestamp_whatever_as_of(run, tmp_path, as_of, newest_day):
    """The metric the data-late alert reads is there whenever the data is older than --as-of: the
    real newest day from the cache index, not just what the current month's window holds."""
    from datetime import UTC, date, datetime
    args = _exports_config(tmp_path)
    result = run(*args, "export-prometheus", "--as-of", as_of)
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines()
             if line.startswith('costctl_data_newest_timestamp_seconds{provider="exports-focus"}')]
    assert len(lines) == 1, result.stdout
    newest = datetime.fromtimestamp(float(lines[0].split()[-1]), UTC)
    assert newest.date() == date.fromisoformat(newest_day), newest


def test_anomalies_name_a_filter_value_that_matches_nothing(demo):
    result = demo(None, "anomalies", "--service", "Amazon EC2")
    assert "--service 'Amazon EC2': no service matches; did you mean 'Amazon Elastic Compute Cloud'" in result.stderr
