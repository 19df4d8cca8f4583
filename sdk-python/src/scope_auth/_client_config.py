"""The token client's settings: arguments win over the environment; the secret is never shown."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Tuple, Union

from ._urls import check_http_url, endpoint
from .options import RetryOptions

ScopeArg = Union[str, Iterable[str], None]

_ENV = {
    "org_id": "SCOPE_ORG_ID",
    "api_key": "SCOPE_API_KEY",
    "api_secret": "SCOPE_API_SECRET",
    "auth_url": "SCOPE_AUTH_API_URL",
}

DEFAULT_REFRESH_BUFFER_SECONDS = 60.0


class Secret:
    """Holds the API secret so that no repr, str, log line or traceback local can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> None:  # type: ignore[override]
        raise TypeError("a scope-auth Secret cannot be pickled")


def normalize_scope(scope: ScopeArg) -> Optional[str]:
    """Space-separated (RFC 6749 §3.3), duplicates dropped, order kept; None or empty means "the key's"."""
    if scope is None:
        return None
    parts = scope.split() if isinstance(scope, str) else [s for item in scope for s in str(item).split()]
    joined = " ".join(dict.fromkeys(parts))
    return joined or None


def cache_key(scope: Optional[str], audience: Optional[str]) -> Tuple[Tuple[str, ...], Optional[str]]:
    """Tokens are cached per (scope set, audience): "a b" and "b a" ask for the same token."""
    return (tuple(sorted(scope.split())) if scope else (), audience)


@dataclass(frozen=True)
class ClientConfig:
    org_id: str
    api_key: str
    api_secret: Secret = field(repr=False)
    auth_url: str
    refresh_buffer_seconds: float
    scope: Optional[str]
    audience: Optional[str]
    retry: RetryOptions

    @property
    def token_url(self) -> str:
        return endpoint(self.auth_url, "/v1/token")


def resolve_config(
    *,
    org_id: Optional[str],
    api_key: Optional[str],
    api_secret: Optional[str],
    auth_url: Optional[str],
    token_refresh_buffer: float,
    scope: ScopeArg,
    audience: Optional[str],
    retry: Optional[RetryOptions],
    env: Optional[Mapping[str, str]],
) -> ClientConfig:
    environ: Mapping[str, str] = os.environ if env is None else env
    given = {"org_id": org_id, "api_key": api_key, "api_secret": api_secret, "auth_url": auth_url}

    def pick(name: str) -> str:
        value = given[name]
        if value is None:
            value = environ.get(_ENV[name])
        if value is not None and not isinstance(value, str):
            raise TypeError(f"scope-auth: {name} must be a string")
        if value is None or not value.strip():
            raise TypeError(
                f"scope-auth: {name} is missing: pass {name}= or set the {_ENV[name]} environment variable"
            )
        return value.strip()

    if isinstance(token_refresh_buffer, bool) or not isinstance(token_refresh_buffer, (int, float)):
        raise TypeError("token_refresh_buffer must be a number of seconds")
    if not math.isfinite(token_refresh_buffer) or token_refresh_buffer < 0:
        raise ValueError("token_refresh_buffer must be a non-negative number of seconds")
    if retry is not None and not isinstance(retry, RetryOptions):
        raise TypeError("retry must be a RetryOptions")
    if audience is not None and (not isinstance(audience, str) or not audience):
        raise TypeError("audience must be a non-empty string")
    url = check_http_url(pick("auth_url"), "auth_url")
    return ClientConfig(
        org_id=pick("org_id"),
        api_key=pick("api_key"),
        api_secret=Secret(pick("api_secret")),
        auth_url=url,
        refresh_buffer_seconds=float(token_refresh_buffer),
        scope=normalize_scope(scope),
        audience=audience,
        retry=retry or RetryOptions(),
    )
