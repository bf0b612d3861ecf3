"""Perfdata rendering, byte for byte, and the plugin output format."""

from __future__ import annotations

import pytest

from costctl.monitoring.perfdata import Perfdata, render
from costctl.monitoring.state import State
from costctl.output.nagios import status_output


@pytest.mark.parametrize(("item", "text"), [
    (Perfdata("aws_day", 1234.5), "aws_day=1234.50"),
    (Perfdata("aws_day", 1234.5, warn="100", crit="200"), "aws_day=1234.50;100;200"),
    (Perfdata("aws_day", 12.345, crit="@10:20"), "aws_day=12.35;;@10:20"),
    (Perfdata("x", 5, "%", "~:50", "~:100", 0, 100), "x=5.00%;~:50;~:100;0.00;100.00"),
    (Perfdata("x", None, "%", "50"), "x=U;50"),
    (Perfdata("with space", 1), "'with space'=1.00"),
    (Perfdata("it's", 1), "'it''s'=1.00"),
    (Perfdata("a=b", 1), "a_b=1.00"),
    (Perfdata("neg", -0.001), "neg=0.00"),
    (Perfdata("neg", -2.5), "neg=-2.50"),
    (Perfdata("n", float("nan")), "n=U"),
])
def test_perfdata_renders_the_guideline_format(item: Perfdata, text: str) -> None:
    assert str(item) == text


def test_units_outside_the_guideline_are_refused() -> None:
    with pytest.raises(ValueError, match="unit"):
        Perfdata("cost", 1.0, "USD")


def test_items_are_space_separated_in_order() -> None:
    assert render([Perfdata("b", 1), Perfdata("a", 2)]) == "b=1.00 a=2.00"


def test_status_output_has_status_line_then_long_output() -> None:
    out = status_output(State.WARNING, "day 2026-01-01: aws 5.00 USD", [Perfdata("aws_day", 5, warn="4")],
                        ["aws: EC2 5.00 USD", "", "a | b"])
    assert out == ("COSTCTL WARNING - day 2026-01-01: aws 5.00 USD | aws_day=5.00;4\n"
                   "aws: EC2 5.00 USD\n"
                   "a / b\n")


def test_unknown_without_perfdata_has_no_separator() -> None:
    assert status_output(State.UNKNOWN, "config\nbroken") == "COSTCTL UNKNOWN - config broken\n"
