"""Bounded retries shared by the cloud providers.

Every cloud throttles cost APIs; the providers retry transient failures with exponential backoff
and jitter (tenacity), but never longer than the instance's ``max_retry_time``, nor longer than
the command's deadline leaves (``costctl.deadline.retry_budget``): a check whose refresh is
throttled must still have time to answer from the cache, and its message must name the cause
("throttled by Cost Explorer (ThrottlingException) for 25 s"), not just "timed out".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from costctl import deadline
from costctl.errors import ProviderError

T = TypeVar("T")


def bounded_retry(attempt: Callable[[], T], *, is_transient: Callable[[BaseException], bool], max_time: float,
                  what: str, on_retry: Callable[[Any], None], describe: Callable[[BaseException | None], str],
                  initial_wait: float = 1.0, max_wait: float = 20.0) -> T:
    """``attempt()``, retried on transient failures for at most ``max_time`` seconds (less when
    the command's deadline leaves less).

    ``on_retry`` sees tenacity's retry state before each sleep (count it, log it). No sleep would
    end past the budget. When it runs out the last failure becomes one line, ``"<describe(last)>
    for N s (<what>, K attempts); <what to do>"``; a permanent failure propagates unchanged for
    the caller to translate.
    """
    from tenacity import RetryError, Retrying, retry_if_exception, stop_before_delay, wait_exponential_jitter

    budget = deadline.retry_budget(max_time)
    began = time.monotonic()
    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_before_delay(budget),
        wait=wait_exponential_jitter(multiplier=initial_wait, max=max_wait, jitter=initial_wait),
        before_sleep=on_retry,
        reraise=False,
    )
    try:
        return retrying(attempt)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise ProviderError(
            f"{describe(last)} for {time.monotonic() - began:.0f} s ({what}, {exc.last_attempt.attempt_number} "
            f"attempts); {give_up_hint(max_time, budget)}"
        ) from last


def give_up_hint(max_time: float, budget: float) -> str:
    """What to do after retries ran out, naming the limit that ended them."""
    if budget < max_time:
        return (f"stopped to answer within the {deadline.seconds() or 0:g} s deadline (--timeout); "
                "run again later or raise --timeout")
    return f"gave up after max_retry_time={max_time:g}s; run again later or raise max_retry_time"
