"""The command deadline (``costctl.deadline``): budgets, read timeouts and nested watches.

Behaviour only, no timing asserts: a watch must interrupt a wait that would otherwise go on for
a long time (a bounded loop of sleeps), and the innermost watch whose time is up raises first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from costctl import deadline
from costctl.deadline import DeadlineExceeded


@pytest.fixture(autouse=True)
def no_deadline_after() -> Iterator[None]:
    yield
    deadline.start(None)


def wait_long() -> None:
    for _ in range(300):  # 30 s unless interrupted
        time.sleep(0.1)


class Inner(BaseException):
    pass


def test_without_a_deadline_budgets_and_timeouts_are_the_configured_ones() -> None:
    deadline.start(None)
    assert deadline.remaining() is None
    assert deadline.budget(60.0) == 60.0 and deadline.retry_budget(60.0) == 60.0
    assert deadline.read_timeout(60.0) == 60.0


def test_a_deadline_caps_budgets_and_read_timeouts_but_never_below_zero_or_the_floor() -> None:
    deadline.start(30.0)
    assert deadline.reserve() == 5.0
    assert deadline.budget(60.0) <= 25.0
    assert deadline.retry_budget(60.0) <= 20.0
    assert deadline.budget(5.0) == 5.0  # a smaller configured value stays
    assert deadline.read_timeout(60.0) <= 30.0
    deadline.start(0.001)
    time.sleep(0.01)
    assert deadline.budget(60.0) == 0.0 and deadline.read_timeout(60.0) == 0.5


@pytest.mark.parametrize(("seconds", "reserve"), [(0.5, 0.25), (3, 1.5), (10, 2.0), (20, 4.0), (30, 5.0), (300, 5.0)])
def test_the_reserve_kept_to_answer_is_a_fifth_between_2_and_5_seconds(seconds: float, reserve: float) -> None:
    deadline.start(seconds)
    assert deadline.reserve() == reserve


def test_a_watch_interrupts_a_long_wait_with_the_deadline_message() -> None:
    deadline.start(0.3)
    with pytest.raises(DeadlineExceeded, match=r"^no complete answer within the 0.3 s deadline \(--timeout\)$"), \
            deadline.watch():
        wait_long()


def test_the_innermost_watch_raises_first_and_the_outer_one_after_it_is_left() -> None:
    deadline.start(1.0)
    caught = []
    with pytest.raises(DeadlineExceeded), deadline.watch():
        try:
            with deadline.watch(keep=0.7, error=Inner):
                wait_long()
        except Inner:
            caught.append("inner")
        wait_long()  # the outer deadline still holds after the inner watch gave up
    assert caught == ["inner"]


def test_a_deadline_set_inside_a_watch_rearms_it() -> None:
    deadline.start(None)
    with pytest.raises(DeadlineExceeded), deadline.watch():
        deadline.start(0.2)  # as a sub-command's own --timeout does after the global one
        wait_long()


def test_leaving_the_outermost_watch_disarms_the_timer_and_restores_the_handler() -> None:
    import signal

    before = signal.getsignal(signal.SIGALRM)
    deadline.start(0.2)
    with deadline.watch():
        pass
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_deadline_exceeded_is_not_swallowed_by_except_exception() -> None:
    deadline.start(0.2)
    with pytest.raises(DeadlineExceeded), deadline.watch():
        try:
            wait_long()
        except Exception:  # what provider code does around SDK calls
            pytest.fail("swallowed")



def query_interrupted() -> None:
    """What DuckDB does when a signal handler raises while its query runs: it cancels the query and
    raises ``RuntimeError('Query interrupted')`` in place of the handler's exception (seen from
    ``export-prometheus -t 2`` on a loaded host). Simulated: whether DuckDB polls for signals in a
    given instant depends on where its executor is, which no test can pin."""
    try:
        wait_long()
    except DeadlineExceeded:
        raise RuntimeError("Query interrupted") from None


def test_a_deadline_a_duckdb_query_swallowed_still_ends_the_command_with_the_deadline_message() -> None:
    from costctl.cli import _enforced

    with pytest.raises(DeadlineExceeded, match=r"^no complete answer within the 0.3 s deadline"), _enforced(0.3):
        query_interrupted()


def test_a_fetch_cut_short_inside_a_duckdb_query_is_that_providers_deadline_error() -> None:
    from costctl.errors import ProviderError
    from costctl.loader import _fetch

    class Env:
        def setup_logging(self) -> None:
            pass

    class SlowSql:
        name = "prod"

        def fetch_sql(self, start: object, end: object) -> str:
            query_interrupted()  # e.g. reading a huge export
            return "(SELECT 1)"

    deadline.start(0.3)
    with deadline.watch(), pytest.raises(ProviderError, match=r"^prod: no complete answer within the 0.3 s"):
        _fetch(Env(), SlowSql(), None, None)


def test_only_duckdbs_interruption_is_read_as_a_swallowed_deadline() -> None:
    deadline.start(0.05)
    with pytest.raises(DeadlineExceeded), deadline.watch():
        wait_long()
    assert deadline.swallowed(RuntimeError("Query interrupted")) is not None
    assert deadline.swallowed(RuntimeError("something else")) is None
    assert deadline.swallowed(ValueError("Query interrupted")) is None
    deadline.start(10)  # a new deadline forgets the alarm of the last one
    assert deadline.swallowed(RuntimeError("Query interrupted")) is None


def test_ctrl_c_during_a_query_is_interrupted_not_an_internal_error(monkeypatch, capsys) -> None:
    from costctl import cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Query interrupted")  # DuckDB's stand-in for the KeyboardInterrupt

    monkeypatch.setattr(cli.cli, "main", interrupted)
    with pytest.raises(SystemExit) as done:
        cli.main(["costs"])
    assert done.value.code == 130 and capsys.readouterr().err == "costctl: error: interrupted\n"
    with pytest.raises(SystemExit) as done:
        cli.main(["check"])
    assert done.value.code == 3 and capsys.readouterr().out.startswith("COSTCTL UNKNOWN - interrupted")
