"""RFC 6750 answers for the framework helpers: status, headers and body of a refusal."""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

from .errors import ScopeAuthError

#: RFC 6750 §2.1: "Bearer", one or more spaces, a b64token.
_BEARER = re.compile(r"^Bearer +([A-Za-z0-9._~+/-]+=*) *$", re.IGNORECASE)

Answer = Tuple[int, Dict[str, str], Dict[str, str]]


def read_bearer(header: str) -> Optional[str]:
    m = _BEARER.match(header)
    return m.group(1) if m else None


def _quote(s: str) -> str:
    """A quoted-string may not hold ``"`` or ``\\`` unescaped, nor control or non-ASCII characters."""
    return re.sub(r"[^\x20-\x7e]", "?", re.sub(r'["\\]', "'", s))


class Challenge:
    """Builds the answers of one protected route: ``realm`` and, when configured, RFC 9728
    ``resource_metadata`` in every ``WWW-Authenticate``, so that clients find the auth server."""

    def __init__(self, realm: str = "scope-auth", resource_metadata_url: Optional[str] = None) -> None:
        self._params = f'realm="{_quote(realm)}"'
        if resource_metadata_url:
            self._params += f', resource_metadata="{_quote(resource_metadata_url)}"'

    def missing(self) -> Answer:
        # RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
        return (
            401,
            {"WWW-Authenticate": f"Bearer {self._params}"},
            {"error": "invalid_token", "error_description": "an access token is required"},
        )

    def malformed_header(self) -> Answer:
        return self.refuse(ScopeAuthError("invalid_token", 401, 'Authorization header must be "Bearer <token>"'))

    def refuse(self, err: ScopeAuthError) -> Answer:
        if err.code == "insufficient_scope":
            scope = f', scope="{_quote(err.scope)}"' if err.scope else ""
            header = f'Bearer {self._params}, error="insufficient_scope", error_description="{_quote(err.description)}"{scope}'
            return 403, {"WWW-Authenticate": header}, {"error": "insufficient_scope", "error_description": err.description}
        if err.code == "unavailable":
            return 503, {"Retry-After": "5"}, {"error": "unavailable", "error_description": err.description}
        # token_expired and token_revoked are RFC 6750 invalid_token on the wire; the description says which.
        header = f'Bearer {self._params}, error="invalid_token", error_description="{_quote(err.description)}"'
        return 401, {"WWW-Authenticate": header}, {"error": "invalid_token", "error_description": err.description}
