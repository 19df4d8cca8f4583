"""httpx.Auth for the token clients: the bearer header, and one refresh and resend on a 401."""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncGenerator, Generator

import httpx

from .errors import ScopeAuthError

if TYPE_CHECKING:
    from .async_token_client import AsyncTokenClient
    from .token_client import TokenClient


def _replayable(request: httpx.Request) -> bool:
    # A streamed body (an iterator or a file) cannot be sent twice; bytes, forms and JSON can.
    return isinstance(request.stream, httpx.ByteStream)


class TokenAuth(httpx.Auth):
    """``httpx.Client(auth=token_client.auth)``."""

    def __init__(self, client: "TokenClient") -> None:
        self._client = client

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._client.get_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or not _replayable(request):
            return
        try:
            fresh = self._client.refresh_after_401(token)
        except ScopeAuthError:
            return  # the resource's 401 stands
        request.headers["Authorization"] = f"Bearer {fresh}"
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise TypeError("TokenClient.auth is for httpx.Client: use AsyncTokenClient.auth with httpx.AsyncClient")
        yield request  # pragma: no cover - makes this an async generator

    def __repr__(self) -> str:
        return f"TokenAuth({self._client!r})"


class AsyncTokenAuth(httpx.Auth):
    """``httpx.AsyncClient(auth=async_token_client.auth)``."""

    def __init__(self, client: "AsyncTokenClient") -> None:
        self._client = client

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise TypeError("AsyncTokenClient.auth is for httpx.AsyncClient: use TokenClient.auth with httpx.Client")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._client.get_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or not _replayable(request):
            return
        try:
            fresh = await self._client.refresh_after_401(token)
        except ScopeAuthError:
            return
        request.headers["Authorization"] = f"Bearer {fresh}"
        yield request

    def __repr__(self) -> str:
        return f"AsyncTokenAuth({self._client!r})"
