"""Bounded retries shared by the cloud providers.

Every cloud throttles cost APIs; the providers retry transient failures with exponential backoff
and jitter (tenacity), but never longer than the instance's ``max_retry_time``, so a check or a
cron job ends in bounded time with one line saying what kept failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from costctl.errors import ProviderError

T = TypeVar("T")


def bounded_retry(attempt: Callable[[], T], *, is_transient: Callable[[BaseException], bool], max_time: float,
                  what: str, on_retry: Callable[[Any], None], describe: Callable[[BaseException | None], str],
                  initial_wait: float = 1.0, max_wait: float = 20.0) -> T:
    """``attempt()``, retried on transient failures for at most ``max_time`` seconds.

    ``on_retry`` sees tenacity's retry state before each sleep (count it, log it). When time runs
    out the last failure becomes ``ProviderError("<what> still failing after ...")``; a permanent
    failure propagates unchanged for the caller to translate.
    """
    from tenacity import RetryError, Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_delay(max_time),
        wait=wait_exponential_jitter(multiplier=initial_wait, max=max_wait, jitter=initial_wait),
        before_sleep=on_retry,
        reraise=False,
    )
    try:
        return retrying(attempt)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise ProviderError(
            f"{what} still failing after {max_time:g} s of retries ({describe(last)}); "
            "run again later or raise max_retry_time"
        ) from last
