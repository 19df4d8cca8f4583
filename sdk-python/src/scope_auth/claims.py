"""The verified claims of a scope-auth access token (RFC 9068 profile)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, FrozenSet, Mapping, Optional, Tuple, Union

from .errors import ScopeAuthError

_STRING_CLAIMS = ("iss", "sub", "client_id", "org_id", "jti", "scope")


@dataclass(frozen=True)
class Claims:
    """Immutable, so that one verified token's claims can be handed to every request that carries it."""

    iss: str
    #: The API key ID the token was issued to.
    sub: str
    client_id: str
    org_id: str
    aud: Union[str, Tuple[str, ...]]
    #: Space-separated granted scopes.
    scope: str
    iat: float
    exp: float
    jti: str
    #: ``live`` or ``test``, from the key's environment.
    env: Optional[str] = None
    nbf: Optional[float] = None
    #: The granted scopes as a set.
    scopes: FrozenSet[str] = field(default=frozenset(), repr=False, compare=False)
    #: Every claim of the token, read-only (claims the SDK does not name included).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _bad(name: str) -> ScopeAuthError:
    return ScopeAuthError("invalid_token", 401, f'token has no valid "{name}" claim')


def _number(payload: Mapping[str, Any], name: str, required: bool) -> Optional[float]:
    value = payload.get(name)
    if value is None and not required:
        return None
    # bool is an int in Python; JSON true is not a time.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(name)
    return value


def read_claims(payload: Mapping[str, Any]) -> Claims:
    """Checks what PyJWT does not: the presence and types of the claims this SDK promises."""
    for name in _STRING_CLAIMS:
        if not isinstance(payload.get(name), str):
            raise _bad(name)
    aud = payload.get("aud")
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        aud = tuple(aud)
    elif not isinstance(aud, str):
        raise _bad("aud")
    env = payload.get("env")
    scope: str = payload["scope"]
    return Claims(
        iss=payload["iss"],
        sub=payload["sub"],
        client_id=payload["client_id"],
        org_id=payload["org_id"],
        aud=aud,
        scope=scope,
        iat=_number(payload, "iat", True),  # type: ignore[arg-type]
        exp=_number(payload, "exp", True),  # type: ignore[arg-type]
        jti=payload["jti"],
        env=env if isinstance(env, str) else None,
        nbf=_number(payload, "nbf", False),
        scopes=frozenset(scope.split()),
        raw=MappingProxyType(dict(payload)),
    )
