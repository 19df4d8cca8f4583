"""Option dataclasses. Times are in seconds throughout, as their names say."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from ._urls import check_http_url


def _check_seconds(name: str, value: object, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} finite number of seconds")


@dataclass(frozen=True)
class RetryOptions:
    """Retries of the token exchange: network errors, timeouts and 5xx, never a 4xx."""

    #: Attempts in all, the first included.
    max_attempts: int = 5
    #: Full-jitter backoff: retry n waits a random time in [0, min(max_delay, base_delay * 2**(n-1))).
    base_delay_seconds: float = 0.2
    #: Upper bound of one backoff wait.
    max_delay_seconds: float = 5.0
    #: No retry starts once this much time has passed since the first attempt (waits included).
    max_total_seconds: float = 30.0
    #: One attempt is abandoned (and counts as a network error) after this long.
    attempt_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise TypeError("retry.max_attempts must be an int")
        if self.max_attempts < 1:
            raise ValueError("retry.max_attempts must be at least 1")
        for name in ("base_delay_seconds", "max_delay_seconds", "max_total_seconds"):
            _check_seconds(f"retry.{name}", getattr(self, name))
        _check_seconds("retry.attempt_timeout_seconds", self.attempt_timeout_seconds, positive=True)


@dataclass(frozen=True)
class RevocationOptions:
    """Revocation from the service's HTTP feed (``GET /v1/revocations``) and SSE stream (``…/stream``)."""

    #: Base URL of the auth service.
    auth_url: str
    #: How long ``verify`` waits for the first load of the list before failing closed (``unavailable``).
    ready_timeout_seconds: float = 5.0
    #: Fail closed once the source has not confirmed for this long that the list is current. None: no bound.
    max_staleness_seconds: Optional[float] = None
    #: How often the feed is polled while the stream is down.
    poll_interval_seconds: float = 1.0
    #: Longest wait between two stream reconnection attempts.
    max_reconnect_delay_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not isinstance(self.auth_url, str):
            raise TypeError("revocation.auth_url must be a string")
        check_http_url(self.auth_url, "revocation.auth_url")
        _check_seconds("revocation.ready_timeout_seconds", self.ready_timeout_seconds)
        if self.max_staleness_seconds is not None:
            _check_seconds("revocation.max_staleness_seconds", self.max_staleness_seconds, positive=True)
        _check_seconds("revocation.poll_interval_seconds", self.poll_interval_seconds, positive=True)
        _check_seconds("revocation.max_reconnect_delay_seconds", self.max_reconnect_delay_seconds, positive=True)

    @classmethod
    def coerce(cls, value: Union["RevocationOptions", Mapping[str, Any]]) -> "RevocationOptions":
        """Accepts the dataclass or a mapping such as ``{"auth_url": …}`` (DESIGN.md's spelling)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - set(cls.__dataclass_fields__)
            if unknown:
                raise TypeError(f"revocation: unknown option(s) {', '.join(sorted(map(str, unknown)))}")
            if "auth_url" not in value:
                raise TypeError('revocation needs "auth_url", or revocation=False to go without revocation checks')
            return cls(**value)
        raise TypeError('revocation must be {"auth_url": …}, RevocationOptions(…) or False')
