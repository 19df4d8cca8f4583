"""TokenClient: exchanges an API key for access tokens and keeps them fresh (threads share one exchange)."""

from __future__ import annotations

import threading
import time
from typing import Optional

import httpx

from ._auth import TokenAuth
from ._client_base import ClientBase
from ._client_config import ScopeArg, cache_key
from ._exchange import TokenResponse, network_failure, read_response
from ._retry import run_with_retry
from ._token_state import CachedToken, Slot, cache_token, copy_error

_CLOSED = "TokenClient was closed"


class _Flight:
    """One exchange in flight, run on its own thread; callers wait on its events."""

    __slots__ = ("settled", "done", "result", "error")

    def __init__(self) -> None:
        #: Set at the first failed attempt, or at the end: callers holding a valid token stop waiting then.
        self.settled = threading.Event()
        self.done = threading.Event()
        self.result: Optional[CachedToken] = None
        self.error: Optional[BaseException] = None


class TokenClient(ClientBase[httpx.Client]):
    """Exchanges an API key for access tokens, caches one per (scope, audience) and refreshes it
    ``token_refresh_buffer`` seconds before it expires. Thread-safe: share one per process.

    Settings not given as arguments come from ``SCOPE_ORG_ID``, ``SCOPE_API_KEY``,
    ``SCOPE_API_SECRET`` and ``SCOPE_AUTH_API_URL``.
    """

    def _new_http(self) -> httpx.Client:
        return httpx.Client()

    def _start(self) -> None:
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._auth = TokenAuth(self)

    @property
    def auth(self) -> TokenAuth:
        """An ``httpx.Auth``: adds ``Authorization: Bearer …``; on a 401 refreshes once and resends."""
        return self._auth

    def get_token(self, *, scope: ScopeArg = None, audience: Optional[str] = None) -> str:
        """A valid access token: the cached one, or a new one inside the refresh buffer.

        While a refresh fails, a token that has not expired yet is still returned.
        Raises ScopeAuthError when there is no valid token and the exchange fails.
        """
        if self._closed.is_set():
            raise TypeError(_CLOSED)
        scope_, audience_ = self._slot_key(scope, audience)
        now = self._clock()
        slot = self._slots.get(cache_key(scope_, audience_))
        cur = slot.current if slot is not None else None
        if cur is not None and now < cur.refresh_at:
            return cur.access_token
        return self._get_slow(scope_, audience_, now)

    def close(self) -> None:
        """Abandons the exchanges in flight and closes the HTTP client. The client cannot be used afterwards."""
        self._closed.set()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "TokenClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _get_slow(self, scope: Optional[str], audience: Optional[str], now: float) -> str:
        with self._lock:
            slot = self._slot(scope, audience)
            cur = slot.current
            if cur is not None and now < cur.refresh_at:
                return cur.access_token
            if cur is not None and now < cur.expires_at:
                if slot.flight is None and now < slot.retry_not_before:
                    return cur.access_token
                flight = self._flight(slot, scope, audience)
            else:
                refusal = slot.back_off_error(now)
                if refusal is not None:
                    raise refusal
                cur = None
                flight = self._flight(slot, scope, audience)
        if cur is not None:
            flight.settled.wait()
            return flight.result.access_token if flight.result is not None else cur.access_token
        return self._outcome(flight)

    def refresh_after_401(self, rejected: str, scope: Optional[str] = None, audience: Optional[str] = None) -> str:
        """Replaces a token a resource refused, unless someone already did; concurrent 401s share one exchange."""
        if self._closed.is_set():
            raise TypeError(_CLOSED)
        scope_, audience_ = self._slot_key(scope, audience)
        with self._lock:
            slot = self._slot(scope_, audience_)
            if slot.flight is None and slot.current is not None and slot.current.access_token != rejected:
                return slot.current.access_token
            refusal = slot.back_off_error(self._clock())
            if refusal is not None:
                raise refusal
            flight = self._flight(slot, scope_, audience_)
        return self._outcome(flight)

    @staticmethod
    def _outcome(flight: _Flight) -> str:
        flight.done.wait()
        if flight.result is None:
            raise copy_error(flight.error or TypeError(_CLOSED))
        return flight.result.access_token

    def _flight(self, slot: Slot, scope: Optional[str], audience: Optional[str]) -> _Flight:
        """The slot's exchange in flight, started if there is none (called with the lock held)."""
        if isinstance(slot.flight, _Flight):
            return slot.flight
        flight = _Flight()
        slot.flight = flight
        runner = threading.Thread(
            target=self._run, args=(slot, flight, scope, audience), name="scope-auth-token-exchange", daemon=True
        )
        runner.start()
        return flight

    def _run(self, slot: Slot, flight: _Flight, scope: Optional[str], audience: Optional[str]) -> None:
        policy = self._config.retry
        try:
            res = run_with_retry(
                lambda: self._attempt(scope, audience),
                policy,
                self._clock,
                self._sleep,
                on_failed=lambda _e: flight.settled.set(),
            )
            token = cache_token(res, self._clock(), self._config.refresh_buffer_seconds)
            with self._lock:
                slot.record_success(token)
                slot.flight = None
            flight.result = token
        except BaseException as err:  # noqa: BLE001 - handed to every waiting caller
            error: BaseException = TypeError(_CLOSED) if self._closed.is_set() else err
            with self._lock:
                slot.record_failure(error, self._clock(), policy)
                slot.flight = None
            flight.error = error
        finally:
            flight.settled.set()
            flight.done.set()

    def _attempt(self, scope: Optional[str], audience: Optional[str]) -> TokenResponse:
        try:
            res = self._http.post(**self._exchange_request(scope, audience))
        except httpx.TransportError as exc:
            raise network_failure(exc) from None
        return read_response(res.status_code, res.headers, res.content, time.time())

    def _sleep(self, seconds: float) -> None:
        if self._closed.wait(seconds):
            raise TypeError(_CLOSED)
