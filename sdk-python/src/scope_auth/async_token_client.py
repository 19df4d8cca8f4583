"""AsyncTokenClient: the asyncio twin of TokenClient (tasks share one exchange). One event loop per client."""

from __future__ import annotations

import asyncio
import time
from typing import Optional, Set

import httpx

from ._auth import AsyncTokenAuth
from ._client_base import ClientBase
from ._client_config import ScopeArg
from ._exchange import TokenResponse, network_failure, read_response
from ._retry import arun_with_retry
from ._token_state import CachedToken, Slot, cache_token, copy_error

_CLOSED = "AsyncTokenClient was closed"


class _Flight:
    """One exchange in flight, run as a task; callers await its events (never the task itself)."""

    __slots__ = ("settled", "done", "result", "error", "task")

    def __init__(self) -> None:
        self.settled = asyncio.Event()
        self.done = asyncio.Event()
        self.result: Optional[CachedToken] = None
        self.error: Optional[BaseException] = None
        self.task: Optional["asyncio.Task[None]"] = None


class AsyncTokenClient(ClientBase[httpx.AsyncClient]):
    """The async twin of :class:`TokenClient`: same arguments, same names, awaited.

    Use it from one event loop; ``await client.close()`` (or ``async with``) when done.
    """

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient()

    def _start(self) -> None:
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._closed = False
        self._auth = AsyncTokenAuth(self)

    @property
    def auth(self) -> AsyncTokenAuth:
        """An ``httpx.Auth`` for ``httpx.AsyncClient``: adds the header; on a 401 refreshes once and resends."""
        return self._auth

    async def get_token(self, *, scope: ScopeArg = None, audience: Optional[str] = None) -> str:
        """A valid access token; see :meth:`TokenClient.get_token`."""
        if self._closed:
            raise TypeError(_CLOSED)
        scope_, audience_ = self._slot_key(scope, audience)
        now = self._clock()
        slot = self._slot(scope_, audience_)
        cur = slot.current
        if cur is not None and now < cur.refresh_at:
            return cur.access_token
        if cur is not None and now < cur.expires_at:
            if slot.flight is None and now < slot.retry_not_before:
                return cur.access_token
            flight = self._flight(slot, scope_, audience_)
            await flight.settled.wait()
            return flight.result.access_token if flight.result is not None else cur.access_token
        refusal = slot.back_off_error(now)
        if refusal is not None:
            raise refusal
        return await self._outcome(self._flight(slot, scope_, audience_))

    async def refresh_after_401(
        self, rejected: str, scope: Optional[str] = None, audience: Optional[str] = None
    ) -> str:
        """Replaces a token a resource refused, unless someone already did; concurrent 401s share one exchange."""
        if self._closed:
            raise TypeError(_CLOSED)
        scope_, audience_ = self._slot_key(scope, audience)
        slot = self._slot(scope_, audience_)
        if slot.flight is None and slot.current is not None and slot.current.access_token != rejected:
            return slot.current.access_token
        refusal = slot.back_off_error(self._clock())
        if refusal is not None:
            raise refusal
        return await self._outcome(self._flight(slot, scope_, audience_))

    async def close(self) -> None:
        """Cancels the exchanges in flight and closes the HTTP client. The client cannot be used afterwards."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncTokenClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @staticmethod
    async def _outcome(flight: _Flight) -> str:
        # Waiting on the event, not the task: a caller that is cancelled does not cancel the shared exchange.
        await flight.done.wait()
        if flight.result is None:
            raise copy_error(flight.error or TypeError(_CLOSED))
        return flight.result.access_token

    def _flight(self, slot: Slot, scope: Optional[str], audience: Optional[str]) -> _Flight:
        if isinstance(slot.flight, _Flight):
            return slot.flight
        flight = _Flight()
        slot.flight = flight
        task = asyncio.get_running_loop().create_task(self._run(slot, flight, scope, audience))
        flight.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return flight

    async def _run(self, slot: Slot, flight: _Flight, scope: Optional[str], audience: Optional[str]) -> None:
        policy = self._config.retry
        try:
            res = await arun_with_retry(
                lambda: self._attempt(scope, audience),
                policy,
                self._clock,
                on_failed=lambda _e: flight.settled.set(),
            )
            token = cache_token(res, self._clock(), self._config.refresh_buffer_seconds)
            slot.record_success(token)
            flight.result = token
        except (Exception, asyncio.CancelledError) as err:  # handed to every waiting caller
            error: BaseException = TypeError(_CLOSED) if self._closed else err
            slot.record_failure(error, self._clock(), policy)
            flight.error = error
        finally:
            slot.flight = None
            flight.settled.set()
            flight.done.set()

    async def _attempt(self, scope: Optional[str], audience: Optional[str]) -> TokenResponse:
        try:
            res = await self._http.post(**self._exchange_request(scope, audience))
        except httpx.TransportError as exc:
            raise network_failure(exc) from None
        return read_response(res.status_code, res.headers, res.content, time.time())
