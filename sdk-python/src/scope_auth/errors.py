"""The one error type of the SDK, with the TypeScript SDK's ``code`` strings."""

from __future__ import annotations

from typing import Optional

#: Codes from the service's error body (``{"error", "error_description"}``, DESIGN.md "Errors").
SERVICE_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "invalid_scope",
        "invalid_target",
        "unsupported_grant_type",
        "rate_limited",
        "unavailable",
        "internal_error",
    }
)

#: Codes raised by the SDK itself.
SDK_CODES = frozenset(
    {
        "invalid_token",  # malformed, badly signed, wrong typ, alg, issuer or audience
        "token_expired",  # exp has passed (beyond the clock tolerance)
        "token_revoked",  # the token or its key was revoked
        "insufficient_scope",  # a required scope is missing (HTTP 403)
        "network_error",  # the auth service could not be reached (no HTTP status)
    }
)


class ScopeAuthError(Exception):
    """Raised for every refusal. Branch on ``code`` (stable); ``description`` is safe to show.

    A code the service adds later arrives as-is, so ``code`` is any string.
    """

    code: str
    status: Optional[int]
    description: str
    retry_after_seconds: Optional[int]
    scope: Optional[str]

    def __init__(
        self,
        code: str,
        status: Optional[int] = None,
        description: Optional[str] = None,
        *,
        retry_after_seconds: Optional[int] = None,
        scope: Optional[str] = None,
    ) -> None:
        self.code = code
        self.status = status
        self.description = code if description is None else description
        # Seconds the service asked to wait (Retry-After on 429/503).
        self.retry_after_seconds = retry_after_seconds
        # For insufficient_scope: the scopes that were required, space-separated.
        self.scope = scope
        super().__init__(f"{code}: {self.description}")

    def __repr__(self) -> str:
        return f"ScopeAuthError(code={self.code!r}, status={self.status!r}, description={self.description!r})"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Exceptions pickle through their args; keep every field across process boundaries.
        return (
            _rebuild,
            (self.code, self.status, self.description, self.retry_after_seconds, self.scope),
        )


def _rebuild(
    code: str, status: Optional[int], description: str, retry_after: Optional[int], scope: Optional[str]
) -> ScopeAuthError:
    return ScopeAuthError(code, status, description, retry_after_seconds=retry_after, scope=scope)
