"""WSGI helper (Flask, Django, any WSGI app): ``app = require_auth(verifier, scopes=[…])(app)``.

The verified Claims are put in ``environ["scope_auth.claims"]`` (Flask: ``request.environ``).
Refusals are RFC 6750 answers with the body ``{"error", "error_description"}``.
"""

from __future__ import annotations

import functools
import json
from http import HTTPStatus
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._challenge import Answer, Challenge, read_bearer
from .errors import ScopeAuthError
from .verifier import Verifier

__all__ = ["require_auth", "CLAIMS_KEY"]

CLAIMS_KEY = "scope_auth.claims"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[Dict[str, Any], StartResponse], Iterable[bytes]]


def _answer(start_response: StartResponse, answer: Answer) -> List[bytes]:
    status, headers, body = answer
    payload = json.dumps(body).encode()
    header_list: List[Tuple[str, str]] = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        ("Cache-Control", "no-store"),
        *headers.items(),
    ]
    start_response(f"{status} {HTTPStatus(status).phrase}", header_list)
    return [payload]


def require_auth(
    verifier: Verifier,
    scopes: Iterable[str] = (),
    *,
    realm: str = "scope-auth",
    resource_metadata_url: Optional[str] = None,
) -> Callable[[WsgiApp], WsgiApp]:
    """Wraps a WSGI app so that only requests with a valid token (holding ``scopes``) reach it."""
    if not isinstance(verifier, Verifier):
        raise TypeError("require_auth needs a Verifier")
    required = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    challenge = Challenge(realm, resource_metadata_url)

    def decorate(app: WsgiApp) -> WsgiApp:
        @functools.wraps(app)
        def protected(environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            header = environ.get("HTTP_AUTHORIZATION")
            if not header:
                return _answer(start_response, challenge.missing())
            token = read_bearer(header)
            if token is None:
                return _answer(start_response, challenge.malformed_header())
            try:
                environ[CLAIMS_KEY] = verifier.verify(token, required)
            except ScopeAuthError as err:
                return _answer(start_response, challenge.refuse(err))
            return app(environ, start_response)

        return protected

    return decorate
