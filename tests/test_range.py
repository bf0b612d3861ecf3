"""Range parsing and evaluation against the Monitoring Plugins guideline's own examples."""

from __future__ import annotations

import math

import pytest

from costctl.monitoring.range import Range
from costctl.monitoring.state import State, worst
from costctl.monitoring.thresholds import Thresholds

# (spec, values that alert, values that do not) - the guideline's table plus decimals and negatives.
GUIDELINE = [
    ("10", [-0.001, -1, 10.001, 11], [0, 5, 10]),
    ("10:", [9.999, 0, -5], [10, 10.5, 1e12]),
    ("~:10", [10.001, 11], [10, 0, -1e12]),
    ("10:20", [9.99, 20.01, -10], [10, 15, 20]),
    ("@10:20", [10, 15, 20], [9.99, 20.01, -3]),
    ("-5:-1", [-5.5, -0.5, 0], [-5, -3, -1]),
    ("0.5:1.5", [0.49, 1.51], [0.5, 1, 1.5]),
    ("@~:0", [-1, 0], [0.01, 100]),
    ("~:", [], [-1e300, 0, 1e300]),
    ("@0", [0], [-0.1, 0.1]),
]


@pytest.mark.parametrize(("spec", "alerts", "fine"), GUIDELINE)
def test_range_alerts_exactly_when_the_guideline_says(spec: str, alerts: list[float], fine: list[float]) -> None:
    rng = Range.parse(spec)
    assert [v for v in alerts if rng.match(v)] == []
    assert [v for v in fine if not rng.match(v)] == []


@pytest.mark.parametrize(("spec", "start", "end", "invert"), [
    ("10", 0, 10, False), ("10:", 10, math.inf, False), ("~:10", -math.inf, 10, False),
    ("10:20", 10, 20, False), ("@10:20", 10, 20, True), ("-1.5:2.25", -1.5, 2.25, False), (":5", 0, 5, False),
    (" 7 ", 0, 7, False), ("1e2", 0, 100, False),
])
def test_parse_fills_in_the_defaults_of_the_syntax(spec: str, start: float, end: float, invert: bool) -> None:
    assert Range.parse(spec) == Range(start, end, invert)


@pytest.mark.parametrize("spec", ["", "@", ":", "abc", "10:5", "1:2:3", "~", "10:x", "--1", "@@1", "1,5"])
def test_invalid_ranges_are_rejected_with_the_spec_in_the_message(spec: str) -> None:
    with pytest.raises(ValueError, match="invalid range"):
        Range.parse(spec)


@pytest.mark.parametrize(("spec", "canonical"), [
    ("10", "10"), ("0:10", "10"), ("10:", "10:"), ("~:10", "~:10"), ("@10:20", "@10:20"), ("0:", "0:"),
    ("2.5:7.25", "2.5:7.25"), ("10.0", "10"), ("-3:-1", "-3:-1"),
])
def test_str_is_a_canonical_spec_that_parses_to_the_same_range(spec: str, canonical: str) -> None:
    assert str(Range.parse(spec)) == canonical
    assert Range.parse(canonical) == Range.parse(spec)


def test_violation_says_outside_or_inside_with_explicit_bounds() -> None:
    assert Range.parse("10").violation == "outside 0:10"
    assert Range.parse("~:10").violation == "outside ~:10"
    assert Range.parse("10:").violation == "outside 10:"
    assert Range.parse("@10:20").violation == "inside 10:20"


def test_critical_is_checked_before_warning() -> None:
    t = Thresholds.parse("100", "200")
    assert t.evaluate(50) == (State.OK, "")
    assert t.evaluate(150) == (State.WARNING, "warning: outside 0:100")
    assert t.evaluate(250) == (State.CRITICAL, "critical: outside 0:200")
    assert t.evaluate(-1) == (State.CRITICAL, "critical: outside 0:200")


def test_missing_thresholds_never_alert_and_echo_empty_fields() -> None:
    t = Thresholds.parse(None, None)
    assert t.evaluate(1e9) == (State.OK, "")
    assert t.perf_fields() == ("", "")


def test_bad_threshold_names_the_option() -> None:
    with pytest.raises(ValueError, match=r"^-c/--critical: invalid range '5:1'"):
        Thresholds.parse("1", "5:1")


def test_worst_ranks_critical_over_warning_over_unknown_over_ok() -> None:
    assert worst([State.OK, State.UNKNOWN]) is State.UNKNOWN
    assert worst([State.UNKNOWN, State.WARNING]) is State.WARNING
    assert worst([State.WARNING, State.CRITICAL, State.UNKNOWN]) is State.CRITICAL
    assert worst([]) is State.OK


def test_state_names_parse_case_insensitively() -> None:
    assert State.parse("Critical") is State.CRITICAL
    with pytest.raises(ValueError):
        State.parse("bad")
