"""Date options (--days, --month, --start/--end, --as-of): typos far in the past or future are
one-line usage errors, not overflows deep in date arithmetic or a cache of a million empty days."""

from __future__ import annotations

from datetime import date

import pytest

from costctl.errors import UsageError
from costctl.ranges import month_range, parse_date, resolve

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize("value", ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"])
def test_dates_outside_2000_to_2099_are_refused(value: str) -> None:
    with pytest.raises(UsageError, match=rf"--as-of: {value} is outside the dates costctl handles"):
        parse_date(value, "--as-of")


@pytest.mark.parametrize("value", ["0000-01", "1999-12", "9999-12"])
def test_months_outside_the_span_are_refused(value: str) -> None:
    with pytest.raises(UsageError, match=rf"--month: {value} is outside"):
        month_range(value)


def test_the_span_itself_is_accepted() -> None:
    assert parse_date("2000-01-01", "--start") == date(2000, 1, 1)
    assert month_range("2099-12") == (date(2099, 12, 1), date(2100, 1, 1))
    assert resolve(TODAY, days=(TODAY - date(2000, 1, 1)).days)[0] == date(2000, 1, 1)


@pytest.mark.parametrize("days", [99_999_999_999, (TODAY - date(2000, 1, 1)).days + 1])
def test_days_reaching_before_2000_are_refused(days: int) -> None:
    with pytest.raises(UsageError, match=r"--days: \d+ days reach back before 2000-01-01; give at most 9824"):
        resolve(TODAY, days=days)


@pytest.mark.parametrize("args", [["costs", "--month", "9999-12"], ["costs", "--as-of", "0001-01-01"],
                                  ["costs", "--start", "1000-01-01"], ["costs", "--days", "99999999999"],
                                  ["budgets", "--as-of", "9999-12-31"], ["chargeback", "--as-of", "9999-12-31"]])
def test_commands_answer_a_usage_error(run, args: list[str]) -> None:
    result = run("--demo", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "internal error" not in result.stderr


def test_check_answers_unknown(run) -> None:
    result = run("--demo", "check", "--as-of", "9999-12-31")
    assert result.exit_code == 3
    assert result.stdout == ("COSTCTL UNKNOWN - --as-of: 9999-12-31 is outside the dates costctl handles "
                             "(2000-01-01 .. 2099-12-31)\n")
