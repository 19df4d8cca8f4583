"""One ``POST /v1/token``, without I/O: the request body, and the answer classified for the retry loop."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

import httpx

from ._client_config import ClientConfig
from ._retry import AttemptFailed, parse_retry_after
from .errors import ScopeAuthError

HEADERS = {"content-type": "application/json", "accept": "application/json"}


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in_seconds: float
    scope: str

    def __repr__(self) -> str:  # a token is a credential too
        return f"TokenResponse(expires_in_seconds={self.expires_in_seconds!r}, scope={self.scope!r})"


def request_body(config: ClientConfig, scope: Optional[str], audience: Optional[str]) -> bytes:
    """The JSON body, built per attempt and never kept: it carries the secret."""
    body: Dict[str, str] = {
        "org_id": config.org_id,
        "key_id": config.api_key,
        "secret": config.api_secret.reveal(),
    }
    if scope is not None:
        body["scope"] = scope
    if audience is not None:
        body["audience"] = audience
    return json.dumps(body).encode()


def network_failure(exc: httpx.TransportError) -> AttemptFailed:
    timed_out = isinstance(exc, httpx.TimeoutException)
    description = "token request timed out" if timed_out else "could not reach the token endpoint"
    error = ScopeAuthError("network_error", None, description)
    # Not the httpx exception itself: it holds the request, whose body carries the secret, and its
    # traceback's frames hold that body too (error reporters that capture locals would show it).
    error.__cause__ = ConnectionError(f"{type(exc).__name__}: {exc}")
    return AttemptFailed(error, retryable=True)


def read_response(status: int, headers: Mapping[str, str], content: bytes, now_unix: float) -> TokenResponse:
    """The token, or AttemptFailed: 5xx and unreadable 2xx are retryable, a 4xx never is."""
    try:
        payload: Any = json.loads(content)
    except ValueError:
        payload = None
        if 200 <= status < 300:
            raise AttemptFailed(_malformed(status), retryable=True) from None
    if 200 <= status < 300:
        token = _read_token(payload)
        if token is None:
            raise AttemptFailed(_malformed(status), retryable=False)
        return token
    retry_after = parse_retry_after(headers.get("retry-after"), now_unix) if status in (429, 503) else None
    code, description = _read_error(payload, status)
    error = ScopeAuthError(
        code,
        status,
        description,
        retry_after_seconds=None if retry_after is None else math.ceil(retry_after),
    )
    # Never a 4xx, 429 included (DESIGN.md): the client keeps the 429's Retry-After and does not ask
    # again before it instead.
    raise AttemptFailed(error, retryable=status >= 500, retry_after_seconds=retry_after)


def _read_token(payload: Any) -> Optional[TokenResponse]:
    if not isinstance(payload, dict):
        return None
    access_token = payload.get("access_token")
    token_type = payload.get("token_type")
    expires_in = payload.get("expires_in")
    scope = payload.get("scope")
    if not isinstance(access_token, str) or not access_token:
        return None
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        return None
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        return None
    if not math.isfinite(expires_in) or expires_in <= 0:
        return None
    return TokenResponse(access_token, float(expires_in), scope if isinstance(scope, str) else "")


def _read_error(payload: Any, status: int) -> "tuple[str, str]":
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        description = payload.get("error_description")
        return payload["error"], description if isinstance(description, str) else payload["error"]
    if status == 429:
        return "rate_limited", "too many requests"
    if status == 503:
        return "unavailable", "service unavailable"
    if status >= 500:
        return "internal_error", f"token endpoint answered HTTP {status}"
    return "invalid_request", f"token endpoint answered HTTP {status}"


def _malformed(status: int) -> ScopeAuthError:
    return ScopeAuthError("internal_error", status, "token endpoint sent a malformed response")
