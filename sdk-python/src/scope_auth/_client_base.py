"""What TokenClient and AsyncTokenClient share: their arguments, settings, token cache and the exchange request."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Generic, Mapping, Optional, Tuple, TypeVar

import httpx

from ._client_config import ClientConfig, ScopeArg, cache_key, normalize_scope, resolve_config
from ._exchange import HEADERS, request_body
from ._token_state import Slot
from ._urls import warn_if_insecure
from .options import RetryOptions

H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class ClientBase(Generic[H]):
    """One constructor for both clients (the twins take the same arguments); each adds its own concurrency."""

    def __init__(
        self,
        org_id: Optional[str] = None,
        api_key: Optional[str] = None,
        api_secret: Optional[str] = None,
        auth_url: Optional[str] = None,
        token_refresh_buffer: float = 60,
        scope: ScopeArg = None,
        audience: Optional[str] = None,
        *,
        retry: Optional[RetryOptions] = None,
        http_client: Optional[H] = None,
        clock: Optional[Callable[[], float]] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._config: ClientConfig = resolve_config(
            org_id=org_id,
            api_key=api_key,
            api_secret=api_secret,
            auth_url=auth_url,
            token_refresh_buffer=token_refresh_buffer,
            scope=scope,
            audience=audience,
            retry=retry,
            env=env,
        )
        warn_if_insecure({"auth_url": self._config.auth_url})
        self._owns_http = http_client is None
        self._http: H = http_client if http_client is not None else self._new_http()
        #: Seconds, monotonic by default: token lifetimes are measured on the local clock.
        self._clock = clock or time.monotonic
        self._slots: Dict[Tuple[Tuple[str, ...], Optional[str]], Slot] = {}
        self._start()

    def _new_http(self) -> H:
        raise NotImplementedError

    def _start(self) -> None:
        """The subclass's own state (locks, tasks), set up last."""
        raise NotImplementedError

    def _slot_key(self, scope: ScopeArg, audience: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
        """The (scope, audience) a call asks for: its own arguments, else the client's."""
        return (
            self._config.scope if scope is None else normalize_scope(scope),
            self._config.audience if audience is None else audience,
        )

    def _slot(self, scope: Optional[str], audience: Optional[str]) -> Slot:
        return self._slots.setdefault(cache_key(scope, audience), Slot())

    def _exchange_request(self, scope: Optional[str], audience: Optional[str]) -> Dict[str, Any]:
        """The keyword arguments of the token request's ``post``."""
        return {
            "url": self._config.token_url,
            "content": request_body(self._config, scope, audience),
            "headers": HEADERS,
            "timeout": self._config.retry.attempt_timeout_seconds,
        }

    def __repr__(self) -> str:
        c = self._config
        return (
            f"{type(self).__name__}(org_id={c.org_id!r}, api_key={c.api_key!r}, auth_url={c.auth_url!r}, "
            f"scope={c.scope!r}, audience={c.audience!r})"
        )
