"""What the sync and async token clients share: the cached token of one (scope, audience) and its rules."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

from ._exchange import TokenResponse
from .errors import ScopeAuthError
from .options import RetryOptions

#: Refresh jitter: up to this fraction of the buffer earlier, so that processes started together
#: do not all come back to the token endpoint in the same second.
REFRESH_JITTER = 0.25


@dataclass(frozen=True)
class CachedToken:
    access_token: str = field(repr=False)
    scope: str
    #: Local clock times (the client's clock), so that skew with the server's clock does not matter.
    expires_at: float
    refresh_at: float


def cache_token(
    res: TokenResponse, received_at: float, buffer_seconds: float, rand: Callable[[], float] = random.random
) -> CachedToken:
    lifetime = res.expires_in_seconds
    # A buffer as long as the lifetime would make every call an exchange: then refresh at half of it.
    base = buffer_seconds if buffer_seconds < lifetime else lifetime / 2
    jitter = rand() * min(base * REFRESH_JITTER, lifetime - base)
    return CachedToken(res.access_token, res.scope, received_at + lifetime, received_at + lifetime - base - jitter)


@dataclass
class Slot:
    """The token of one (scope, audience) and the state of its refreshes."""

    current: Optional[CachedToken] = None
    #: The exchange in flight, shared by every caller that arrives while it runs.
    flight: Optional[object] = None
    #: After a failed refresh, callers with a still-valid token do not start another before this time.
    retry_not_before: float = -math.inf
    #: Until the Retry-After of the last refusal has passed, callers without a token get that refusal.
    back_off: Optional[Tuple[float, ScopeAuthError]] = None

    def record_success(self, token: CachedToken) -> None:
        self.current = token
        self.back_off = None

    def record_failure(self, error: BaseException, now: float, policy: RetryOptions) -> None:
        # A refusal that said when to come back (Retry-After on a 429, or a 503 past the retry budget).
        refusal = error if isinstance(error, ScopeAuthError) and error.retry_after_seconds else None
        retry_after = float(refusal.retry_after_seconds or 0) if refusal else 0.0
        self.retry_not_before = now + max(policy.max_delay_seconds, retry_after)
        self.back_off = (now + retry_after, refusal) if refusal else None

    def back_off_error(self, now: float) -> Optional[ScopeAuthError]:
        """The server asked for a pause: its refusal, with the seconds left, until the pause is over."""
        if self.back_off is None or self.flight is not None:
            return None
        until, error = self.back_off
        if now >= until:
            self.back_off = None
            return None
        fresh = ScopeAuthError(
            error.code, error.status, error.description, retry_after_seconds=math.ceil(until - now)
        )
        fresh.__cause__ = error
        return fresh


def copy_error(error: BaseException) -> BaseException:
    """A new instance per caller: one exception raised in many threads would share (and grow) a traceback."""
    if isinstance(error, ScopeAuthError):
        fresh = ScopeAuthError(
            error.code,
            error.status,
            error.description,
            retry_after_seconds=error.retry_after_seconds,
            scope=error.scope,
        )
        fresh.__cause__ = error.__cause__
        return fresh
    if isinstance(error, TypeError):
        return TypeError(*error.args)
    return error
