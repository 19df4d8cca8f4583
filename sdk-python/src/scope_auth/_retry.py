"""Retry policy of the token exchange: backoff with full jitter, Retry-After, never a 4xx."""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
from typing import Awaitable, Callable, Optional, TypeVar

from .errors import ScopeAuthError
from .options import RetryOptions

T = TypeVar("T")

#: A Retry-After longer than this is treated as this long: a misconfigured server must not park us for hours.
MAX_RETRY_AFTER_SECONDS = 60.0


class AttemptFailed(Exception):
    """One failed attempt, classified: whether to retry, and the server's Retry-After if it sent one."""

    def __init__(self, error: ScopeAuthError, retryable: bool, retry_after_seconds: Optional[float] = None):
        super().__init__(error.code)
        self.error = error
        self.retryable = retryable
        self.retry_after_seconds = retry_after_seconds


def backoff_seconds(retry_number: int, policy: RetryOptions, rand: Callable[[], float] = random.random) -> float:
    """Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): spreads many clients' retries apart."""
    ceiling = min(policy.max_delay_seconds, policy.base_delay_seconds * 2.0 ** max(0, retry_number - 1))
    return float(rand() * ceiling)


def parse_retry_after(value: Optional[str], now_unix: float) -> Optional[float]:
    """RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Returns seconds, capped; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        seconds = float(text)
    elif re.search(r"[A-Za-z]", text):  # an HTTP date always names a weekday or month
        try:
            seconds = email.utils.parsedate_to_datetime(text).timestamp() - now_unix
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    else:
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def _next_wait(failure: AttemptFailed, n: int, policy: RetryOptions, elapsed: float) -> Optional[float]:
    """Seconds to wait before attempt n+1, or None when the failure is final."""
    if not failure.retryable or n >= policy.max_attempts:
        return None
    wait = failure.retry_after_seconds if failure.retry_after_seconds is not None else backoff_seconds(n, policy)
    if elapsed + wait > policy.max_total_seconds:
        return None
    return wait


def run_with_retry(
    attempt: Callable[[], T],
    policy: RetryOptions,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    on_failed: Callable[[ScopeAuthError], None] = lambda _e: None,
) -> T:
    """Runs ``attempt`` until it succeeds, fails for good, or the policy's attempts or total time run out.

    ``attempt`` raises AttemptFailed; ``sleep`` raises to abandon the waits (the client was closed).
    """
    started = clock()
    n = 1
    while True:
        try:
            return attempt()
        except AttemptFailed as failure:
            on_failed(failure.error)
            wait = _next_wait(failure, n, policy, clock() - started)
            if wait is None:
                raise failure.error from failure.error.__cause__
            sleep(wait)
            n += 1


async def arun_with_retry(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryOptions,
    clock: Callable[[], float],
    on_failed: Callable[[ScopeAuthError], None] = lambda _e: None,
) -> T:
    """The async twin of run_with_retry; closing cancels the task, which ends the waits."""
    started = clock()
    n = 1
    while True:
        try:
            return await attempt()
        except AttemptFailed as failure:
            on_failed(failure.error)
            wait = _next_wait(failure, n, policy, clock() - started)
            if wait is None:
                raise failure.error from failure.error.__cause__
            await asyncio.sleep(wait)
            n += 1
