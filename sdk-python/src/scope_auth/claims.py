"""The verified claims of a scope-auth access token (RFC 9068 profile)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple, TypeGuard, Union

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


def _is_time(value: Any) -> TypeGuard[float]:
    # bool is an int in Python; JSON true is not a time.
    return (type(value) is int or type(value) is float) and math.isfinite(value)


def read_claims(payload: Dict[str, Any]) -> Claims:
    """Checks what PyJWT does not: the presence and types of the claims this SDK promises.

    ``payload`` is PyJWT's freshly decoded dict, owned by the caller: it is wrapped, not copied.
    """
    get = payload.get
    for name in _STRING_CLAIMS:
        if type(get(name)) is not str:
            raise _bad(name)
    aud = get("aud")
    if type(aud) is list and aud and all(type(a) is str for a in aud):
        aud = tuple(aud)
    elif type(aud) is not str:
        raise _bad("aud")
    iat, exp, nbf, env = get("iat"), get("exp"), get("nbf"), get("env")
    if not _is_time(iat):
        raise _bad("iat")
    if not _is_time(exp):
        raise _bad("exp")
    if not (nbf is None or _is_time(nbf)):
        raise _bad("nbf")
    scope: str = payload["scope"]
    return Claims(
        payload["iss"],
        payload["sub"],
        payload["client_id"],
        payload["org_id"],
        aud,
        scope,
        iat,
        exp,
        payload["jti"],
        env if type(env) is str else None,
        nbf,
        frozenset(scope.split()),
        MappingProxyType(payload),
    )
