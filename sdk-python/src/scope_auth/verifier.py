"""Verifier: local verification of access tokens for resource services."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Callable, Deque, Dict, Iterable, Optional, Tuple, Union

import httpx
import jwt

from ._jwks import JwksCache, VerifyKey, WouldBlock
from ._revocation_list import RevocationList
from ._revocation_source import HttpRevocationSource
from ._token_errors import invalid, map_pyjwt_error
from ._urls import check_http_url, endpoint, warn_if_insecure
from ._verifier_options import (
    DEFAULT_ALGORITHMS,
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    DEFAULT_TOKEN_CACHE_SIZE,
    RevocationArg,
    check_algorithms,
    check_audience,
    check_revocation,
    check_token_cache_size,
    check_tolerance,
)
from .claims import Claims, read_claims
from .errors import ScopeAuthError

ScopesArg = Union[str, Iterable[str]]

#: Anything longer is refused unparsed: the service bounds its tokens the same way.
MAX_TOKEN_LENGTH = 8_192
#: RFC 9068 §4: the JWT access token type (with or without the media type prefix, in any case).
_AT_JWT = frozenset({"at+jwt", "application/at+jwt"})
_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti"]


@dataclass(frozen=True)
class _Verified:
    """A token whose signature, type, issuer, audience and claim types were checked once."""

    claims: Claims
    key: VerifyKey


def _as_scopes(scopes: Optional[ScopesArg]) -> Tuple[str, ...]:
    if scopes is None:
        return ()
    return tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes)


class Verifier:
    """Verifies bearer tokens locally: PyJWT checks the signature against the cached JWKS; revocation is a
    lookup in an in-memory list kept current on background threads.

    Until the revocation list has been loaded once, ``verify`` waits for it (at most the source's
    ``ready_timeout_seconds``, default 5 s), then fails closed with ``unavailable``: it never accepts a
    token it could not check.
    """

    def __init__(
        self,
        issuer: str,
        audience: Union[str, Iterable[str]],
        jwks_url: Optional[str] = None,
        *,
        revocation: RevocationArg,
        required_scopes: ScopesArg = (),
        clock_tolerance: float = DEFAULT_CLOCK_TOLERANCE_SECONDS,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        token_cache_size: int = DEFAULT_TOKEN_CACHE_SIZE,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if not isinstance(issuer, str) or not issuer:
            raise TypeError("issuer is required")
        self._issuer = issuer
        self._audience = check_audience(audience)
        self._revocation = check_revocation(revocation)
        self._required = _as_scopes(required_scopes)
        self._tolerance = check_tolerance(clock_tolerance)
        self._algorithms = check_algorithms(algorithms)
        self._cache_size = check_token_cache_size(token_cache_size)
        #: Wall-clock seconds: exp, nbf and the staleness bound are unix times.
        self._clock = clock or time.time
        base = self._revocation.auth_url if self._revocation else issuer
        self._jwks_url = check_http_url(jwks_url or endpoint(base, "/.well-known/jwks.json"), "jwks_url")
        urls = {"jwks_url": self._jwks_url}
        if self._revocation:
            urls["revocation.auth_url"] = self._revocation.auth_url
        warn_if_insecure(urls)

        self._http = httpx.Client()
        self._jwks = JwksCache(self._jwks_url, self._clock, self._algorithms, self._http)
        self._list = RevocationList()
        self._source: Optional[HttpRevocationSource] = None
        if self._revocation:
            self._source = HttpRevocationSource(self._revocation, self._list, self._clock, self._tolerance, self._http)
            self._source.start()
        self._max_staleness = self._revocation.max_staleness_seconds if self._revocation else None
        self._pyjwt = jwt.PyJWT()  # type: ignore[no-untyped-call]
        self._decode_options = {
            # exp, nbf and iat are checked here, against the injectable clock, on every call (cached or not).
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "require": _REQUIRED_CLAIMS,
        }
        self._cache: Dict[str, _Verified] = {}
        self._cache_order: Deque[str] = collections.deque()
        self._cache_lock = threading.Lock()
        self._closed = False

    def verify(self, token: str, scopes: ScopesArg = ()) -> Claims:
        """Verifies a bearer token and returns its claims.

        Raises ScopeAuthError ``invalid_token``, ``token_expired``, ``token_revoked`` (401),
        ``insufficient_scope`` (403) or ``unavailable`` (503: no JWKS, or the revocation list not loaded
        in time or older than ``max_staleness_seconds``).
        """
        return self._verify(token, scopes, True)

    def ready(self, timeout: Optional[float] = None) -> None:
        """Loads the JWKS and waits for the revocation list; raises ``unavailable`` after the timeout
        (default: the source's ``ready_timeout_seconds``). Call it at start-up to keep the wait off requests."""
        try:
            self._jwks.reload()
        except ScopeAuthError:
            pass  # verify retries; a JWKS that stays unreachable fails there
        self._wait_for_list(True, timeout)

    def close(self) -> None:
        """Stops the revocation source and closes the HTTP client."""
        self._closed = True
        if self._source is not None:
            self._source.close()
        self._http.close()

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Verifier(issuer={self._issuer!r}, audience={self._audience!r}, jwks_url={self._jwks_url!r})"

    def _verify(self, token: str, scopes: ScopesArg, block: bool) -> Claims:
        if self._closed:
            raise TypeError("verifier was closed")
        hit = self._cache.get(token) if type(token) is str else None
        if hit is not None:
            now = self._clock()
            keyset = self._jwks.keyset
            # The key that verified it must still be published in a fresh set: a withdrawn key stops verifying.
            if keyset is not None and now < keyset.fresh_until and keyset.by_kid.get(hit.key.kid) is hit.key:  # type: ignore[arg-type]
                return self._check(hit.claims, now, scopes, block)
        return self._verify_first(token, scopes, block)

    def _verify_first(self, token: str, scopes: ScopesArg, block: bool) -> Claims:
        if not isinstance(token, str) or not token:
            raise invalid("token is empty")
        if len(token) > MAX_TOKEN_LENGTH:
            raise invalid("token is too long")
        now = self._clock()
        try:
            header = jwt.get_unverified_header(token)
        except Exception as err:  # noqa: BLE001 - any parse failure is the caller's malformed token
            raise map_pyjwt_error(err) from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise invalid("token algorithm is not allowed")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _AT_JWT:
            raise invalid('token is not an access token (typ must be "at+jwt")')
        # RFC 7515 §4.1.11: an extension marked critical that we do not understand means refuse.
        if "crit" in header:
            raise invalid("token uses a critical header extension this verifier does not support")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise invalid("token is malformed")
        key = self._jwks.key_for(kid, alg, now, block)
        if key is None:
            raise invalid("token was not signed by a key of the issuer")
        try:
            payload = self._pyjwt.decode_complete(
                token,
                key.key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                options=self._decode_options,
            )["payload"]
        except Exception as err:  # noqa: BLE001 - PyJWT's errors, and whatever hostile input makes it raise
            raise map_pyjwt_error(err) from None
        claims = read_claims(payload)
        if self._cache_size and claims.exp > now - self._tolerance:
            self._remember(token, _Verified(claims, key))
        return self._check(claims, now, scopes, block)

    def _check(self, claims: Claims, now: float, scopes: ScopesArg, block: bool) -> Claims:
        """What every call checks, the cached ones included: time, revocation, scopes."""
        if claims.exp <= now - self._tolerance:
            raise ScopeAuthError("token_expired", 401, "token has expired")
        if claims.nbf is not None and claims.nbf > now + self._tolerance:
            raise invalid("token is not valid yet")
        source = self._source
        if source is not None:
            if not source.loaded.is_set():
                self._wait_for_list(block, None)
            if self._max_staleness is not None and now - source.confirmed_at > self._max_staleness:
                raise ScopeAuthError(
                    "unavailable",
                    503,
                    "revocation list is stale (no confirmation from its source within max_staleness_seconds)",
                )
        if self._list.is_revoked(claims.sub, claims.jti):
            raise ScopeAuthError("token_revoked", 401, "token has been revoked")
        required = self._required + _as_scopes(scopes) if scopes else self._required
        if required:
            missing = [s for s in required if s not in claims.scopes]
            if missing:
                raise ScopeAuthError(
                    "insufficient_scope", 403, f'token lacks scope "{" ".join(missing)}"', scope=" ".join(required)
                )
        return claims

    def _wait_for_list(self, block: bool, timeout: Optional[float]) -> None:
        source = self._source
        if source is None or source.loaded.is_set():
            return
        if not block:
            raise WouldBlock()
        assert self._revocation
        wait = self._revocation.ready_timeout_seconds if timeout is None else timeout
        if not source.loaded.wait(wait):
            raise ScopeAuthError("unavailable", 503, "revocation list not loaded yet")

    def _remember(self, token: str, verified: _Verified) -> None:
        with self._cache_lock:
            if token not in self._cache:
                # Oldest first out. The order lives in a deque: taking the first key of a dict that
                # keeps losing its first keys walks over their tombstones, O(n) per eviction.
                if len(self._cache_order) >= self._cache_size:
                    self._cache.pop(self._cache_order.popleft(), None)
                self._cache_order.append(token)
            self._cache[token] = verified
