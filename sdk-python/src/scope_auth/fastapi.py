"""FastAPI helper: ``claims: Claims = Depends(require_auth(verifier, scopes=["orders:read"]))``.

Refusals are RFC 6750 answers (401/403 with ``WWW-Authenticate``, 503 with ``Retry-After``). Call
``add_exception_handler(app)`` once to get the body ``{"error", "error_description"}``; without it,
FastAPI's own handler wraps the same body as ``{"detail": {…}}`` (status and headers are the same).
"""

from __future__ import annotations

from typing import Awaitable, Callable, Dict, Iterable, Optional, Union

from fastapi import FastAPI, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from ._challenge import Answer, Challenge, read_bearer
from ._jwks import WouldBlock
from .claims import Claims
from .errors import ScopeAuthError
from .async_verifier import AsyncVerifier
from .verifier import Verifier

__all__ = ["require_auth", "add_exception_handler", "AuthError"]


class AuthError(HTTPException):
    """A refusal by ``require_auth``; ``body`` is the RFC 6750 body ``{"error", "error_description"}``."""

    def __init__(self, answer: Answer) -> None:
        status, headers, body = answer
        super().__init__(status_code=status, detail=body, headers=headers)
        self.body: Dict[str, str] = body


def require_auth(
    verifier: Union[Verifier, AsyncVerifier],
    scopes: Iterable[str] = (),
    *,
    realm: str = "scope-auth",
    resource_metadata_url: Optional[str] = None,
) -> Callable[..., Awaitable[Claims]]:
    """A dependency that verifies ``Authorization: Bearer <token>`` and returns the token's Claims.

    ``resource_metadata_url`` (RFC 9728) is named in every challenge, so that clients find the auth server.
    """
    if not isinstance(verifier, (Verifier, AsyncVerifier)):
        raise TypeError("require_auth needs a Verifier or an AsyncVerifier")
    required = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    challenge = Challenge(realm, resource_metadata_url)
    # Declares the scheme in the OpenAPI document; the header itself is read below, strictly.
    bearer = HTTPBearer(auto_error=False, description="scope-auth access token")

    async def verify(token: str) -> Claims:
        if isinstance(verifier, AsyncVerifier):
            return await verifier.verify(token, required)
        try:
            return verifier._verify(token, required, False)
        except WouldBlock:  # the JWKS or the first revocation load: off the event loop
            return await run_in_threadpool(verifier.verify, token, required)

    async def dependency(
        request: Request, _scheme: Optional[HTTPAuthorizationCredentials] = Security(bearer)
    ) -> Claims:
        header = request.headers.get("authorization")
        if not header:
            raise AuthError(challenge.missing())
        token = read_bearer(header)
        if token is None:
            raise AuthError(challenge.malformed_header())
        try:
            return await verify(token)
        except ScopeAuthError as err:
            raise AuthError(challenge.refuse(err)) from None

    return dependency


def add_exception_handler(app: FastAPI) -> None:
    """Answers ``require_auth``'s refusals with the body ``{"error", "error_description"}``."""

    async def handle(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)
        return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(AuthError, handle)
