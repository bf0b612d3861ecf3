"""``costs --chart``: the report's rows drawn in the terminal, scaled to the data and to the screen."""

from __future__ import annotations

import re

import pytest

from costctl.output.chart import BLOCKS, SPARKS, bar, spark

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)


def eighths(text: str) -> int:
    """Length of a drawn bar in eighths of a cell."""
    return sum(8 if c == "█" else BLOCKS.index(c) for c in text if c in BLOCKS[1:])


def chart(run, monkeypatch, width: int, *args: str) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    result = run("--demo", "costs", "--chart", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_a_bar_is_as_long_as_its_share_of_the_largest_to_an_eighth_of_a_cell() -> None:
    assert bar(100, 100, 40) == "█" * 40
    assert bar(50, 100, 40) == "█" * 20
    assert eighths(bar(33, 100, 40)) == round(0.33 * 40 * 8)
    assert bar(-5, 100, 40) == "" and bar(0, 0, 40) == ""


def test_a_sparkline_has_one_step_per_value_scaled_to_its_largest() -> None:
    assert spark([0, 50, 100]) == SPARKS[0] + SPARKS[4] + SPARKS[-1]
    assert spark([0, 0]) == SPARKS[0] * 2


@pytest.mark.parametrize("width", [80, 200])
def test_daily_bars_scale_with_the_costs_and_fit_the_screen(run, monkeypatch, width) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    rows = run("--demo", "costs", "--days", "7", "--format", "json").json()
    lines = chart(run, monkeypatch, width, "--days", "7")
    assert lines[0].startswith("Costs ")
    drawn = {line[:10]: line for line in lines[1:]}
    assert set(drawn) == {r["date"] for r in rows}
    assert all(len(line) <= width for line in lines)
    top = max(r["cost"] for r in rows)
    longest = max(eighths(line) for line in drawn.values())
    assert longest > (width - 40) * 8  # the largest day takes the room the screen has
    for r in rows:
        line = drawn[r["date"]]
        assert f"{r['cost']:,.2f} USD" in line
        assert eighths(line) == pytest.approx(r["cost"] / top * longest, abs=1)


def test_a_wider_screen_draws_longer_bars_for_the_same_rows(run, monkeypatch) -> None:
    narrow = chart(run, monkeypatch, 80, "--days", "7")
    wide = chart(run, monkeypatch, 200, "--days", "7")
    assert [line[:10] for line in narrow] == [line[:10] for line in wide]
    assert max(map(eighths, wide)) > 2 * max(map(eighths, narrow))


def test_groups_over_days_are_one_sparkline_each_with_the_table_totals(run, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rows = run("--demo", "costs", "--days", "30", "--group-by", "provider", "--format", "json").json()
    lines = chart(run, monkeypatch, 80, "--days", "30", "--group-by", "provider")
    series = [line for line in lines if any(c in SPARKS for c in line)]
    assert len(series) == len({r["provider"] for r in rows}) == 3
    assert all(len(line) <= 80 for line in lines)
    for line in series:
        provider = re.split(r"\s{2,}", line)[0]
        mine = sorted((r for r in rows if r["provider"] == provider), key=lambda r: r["date"])
        assert f"{sum(r['cost'] for r in mine):,.2f} USD" in line
        drawn = "".join(c for c in line if c in SPARKS)
        assert len(drawn) == len(mine)  # one step per day
        biggest = max(range(len(mine)), key=lambda i: mine[i]["cost"])
        assert drawn[biggest] == SPARKS[-1]
        smallest = min(range(len(mine)), key=lambda i: mine[i]["cost"])
        assert SPARKS.index(drawn[smallest]) == round(mine[smallest]["cost"] / mine[biggest]["cost"] * 7)


def test_a_wide_screen_stretches_the_sparklines(run, monkeypatch) -> None:
    lines = chart(run, monkeypatch, 200, "--days", "30", "--group-by", "provider")
    drawn = ["".join(c for c in line if c in SPARKS) for line in lines if any(c in SPARKS for c in line)]
    assert all(len(d) == 30 * 4 for d in drawn) and all(len(line) <= 200 for line in lines)


def test_total_granularity_draws_one_bar_per_group_with_other_last(run, monkeypatch) -> None:
    lines = chart(run, monkeypatch, 80, "--days", "7", "--granularity", "total", "--group-by", "service",
                  "--top", "3")
    assert len(lines) == 1 + 4 and lines[-1].startswith("(other)")


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "json"], "--chart draws for people; drop it for --format json"),
    (["--compare", "previous"], "--chart and --compare cannot be combined"),
])
def test_chart_refuses_what_it_cannot_draw(run, args, message) -> None:
    result = run("--demo", "costs", "--chart", *args)
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""
