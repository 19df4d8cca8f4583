"""The issuer's JWKS, cached the way its Cache-Control says; PyJWT builds the keys.

Revalidates with If-None-Match; ``no-store``/``no-cache`` mean revalidate on every use (at most once
a second). A token with an unknown ``kid`` refetches at most once per 30 s. While the service cannot
be reached, a set past its max-age is still used for 5 minutes, then verification fails closed.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable, FrozenSet, Mapping, Optional, Tuple

import httpx
from jwt import PyJWK

from .errors import ScopeAuthError

#: Lifetime of a JWKS whose answer names none (no Cache-Control max-age).
DEFAULT_MAX_AGE_SECONDS = 300.0
#: A longer max-age is cut to this: a withdrawn key must not outlive a day in any verifier.
MAX_MAX_AGE_SECONDS = 86_400.0
#: While the service cannot be reached, a set past its max-age is still used for this long, then never.
STALE_IF_ERROR_SECONDS = 300.0
#: An unknown kid refetches the set at most once per this: forged kids cannot make us hammer the service.
UNKNOWN_KID_COOLDOWN_SECONDS = 30.0
#: No fetch starts sooner than this after the previous one, whatever the cause.
MIN_FETCH_INTERVAL_SECONDS = 1.0
FETCH_TIMEOUT_SECONDS = 5.0
ACCEPT = "application/jwk-set+json, application/json"

_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_CURVE_ALGORITHMS = {("EC", "P-256"): "ES256", ("EC", "P-384"): "ES384", ("EC", "P-521"): "ES512", ("OKP", "Ed25519"): "EdDSA"}


class WouldBlock(Exception):
    """Raised instead of doing network I/O when the caller asked not to block (the async verifier)."""


@dataclass(frozen=True, eq=False)
class VerifyKey:
    """One published signing key. Compared by identity: a refetch that returns it unchanged keeps the object."""

    kid: Optional[str]
    algorithms: FrozenSet[str]
    key: Any
    source: str  # canonical JSON of the JWK


@dataclass(frozen=True)
class KeySet:
    by_kid: Mapping[str, VerifyKey]
    keys: Tuple[VerifyKey, ...]
    etag: Optional[str]
    max_age: float
    fresh_until: float


def read_max_age(headers: httpx.Headers) -> float:
    """RFC 9111 §5.2.2: no-store/no-cache mean revalidate every time; max-age capped at a day; none, 5 minutes."""
    value = headers.get("cache-control")
    if value is None:
        return DEFAULT_MAX_AGE_SECONDS
    directives = [d.strip() for d in value.lower().split(",")]
    if any(d in ("no-store", "no-cache") or d.startswith("no-cache=") for d in directives):
        return 0.0
    for d in directives:
        m = re.fullmatch(r'max-age\s*=\s*"?(\d+)"?', d)
        if m:
            return min(float(m.group(1)), MAX_MAX_AGE_SECONDS)
    return DEFAULT_MAX_AGE_SECONDS


def _fresh_until(requested_at: float, max_age: float, headers: httpx.Headers) -> float:
    """RFC 9111 §4.2.3: a shared cache on the way (Age) has used up part of the lifetime already."""
    try:
        age = float(headers.get("age", "0"))
    except ValueError:
        age = 0.0
    age = age if math.isfinite(age) and age > 0 else 0.0
    return requested_at + max(0.0, max_age - age)


def _key_algorithms(jwk: Mapping[str, Any], allowed: FrozenSet[str]) -> FrozenSet[str]:
    alg = jwk.get("alg")
    if alg is not None:
        return frozenset({alg}) & allowed if isinstance(alg, str) else frozenset()
    kty = jwk.get("kty")
    if kty == "RSA":
        return _RSA_ALGORITHMS & allowed
    derived = _CURVE_ALGORITHMS.get((kty, jwk.get("crv")))  # type: ignore[arg-type]
    return frozenset({derived}) & allowed if derived else frozenset()


def parse_keys(body: Any, allowed: FrozenSet[str], previous: Optional[KeySet]) -> Tuple[VerifyKey, ...]:
    """The usable signing keys of a JWK set. HMAC (``oct``) and encryption keys are never used."""
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise ValueError("JWKS is not a JWK set")
    reuse = {k.source: k for k in previous.keys} if previous else {}
    keys = []
    for jwk in body["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("EC", "OKP", "RSA"):
            continue
        if jwk.get("use", "sig") != "sig" or "d" in jwk:
            continue
        kid = jwk.get("kid")
        algorithms = _key_algorithms(jwk, allowed)
        if not algorithms or (kid is not None and not isinstance(kid, str)):
            continue
        source = json.dumps(jwk, sort_keys=True)
        if source in reuse:
            keys.append(reuse[source])
            continue
        try:
            key = PyJWK(jwk, algorithm=min(algorithms)).key  # type: ignore[no-untyped-call]
        except Exception:  # noqa: BLE001 - a key PyJWT cannot build is skipped, as PyJWKSet does
            continue
        keys.append(VerifyKey(kid, algorithms, key, source))
    if not keys:
        raise ValueError("JWKS has no usable signing key")
    return tuple(keys)


def _unavailable(cause: Optional[BaseException]) -> ScopeAuthError:
    err = ScopeAuthError("unavailable", 503, "could not fetch the issuer signing keys")
    err.__cause__ = cause
    return err


class JwksCache:
    def __init__(self, url: str, clock: Callable[[], float], allowed: FrozenSet[str], http: httpx.Client) -> None:
        self._url = url
        self._clock = clock
        self._allowed = allowed
        self._http = http
        self._fetch_lock = threading.Lock()
        #: Counts finished fetch attempts: a caller that waited for another's fetch does not fetch again.
        self._attempts = 0
        self._last_attempt = -math.inf
        self._last_kid_refetch = -math.inf
        self._failing = False
        self._last_error: Optional[BaseException] = None
        #: The current set; read without a lock (one attribute load), replaced whole.
        self.keyset: Optional[KeySet] = None

    def key_for(self, kid: Optional[str], alg: str, now: float, block: bool) -> Optional[VerifyKey]:
        """The key to check a token with, or None when the issuer has none for its kid and alg."""
        keyset, refreshed = self.current(now, block)
        key = _select(keyset, kid, alg)
        if key is not None or refreshed or now - self._last_kid_refetch < UNKNOWN_KID_COOLDOWN_SECONDS:
            return key
        # A kid we do not know may have been published since the last fetch.
        if not block:
            raise WouldBlock()
        # Only a fetch that happened uses up the cooldown: one skipped because the last fetch was less
        # than a second ago must not keep a newly published key out for 30 s.
        if self._revalidate(now):
            self._last_kid_refetch = now
        return _select(self.keyset, kid, alg) if self.keyset else None

    def current(self, now: float, block: bool) -> Tuple[KeySet, bool]:
        """The set to verify with now: fresh, or stale within the window while the service fails."""
        keyset = self.keyset
        if keyset is not None and now < keyset.fresh_until:
            return keyset, False
        if keyset is not None and self._failing and now < keyset.fresh_until + STALE_IF_ERROR_SECONDS:
            # Already failing: try again in the background instead of holding every call up to the timeout.
            self._revalidate_in_background(now)
            return keyset, False
        if not block:
            raise WouldBlock()
        self._revalidate(now)
        keyset = self.keyset
        if keyset is not None and self._clock() < keyset.fresh_until + STALE_IF_ERROR_SECONDS:
            return keyset, True
        raise _unavailable(self._last_error)

    def reload(self) -> None:
        """Fetches the set now (``ready()``); raises ``unavailable`` when it cannot."""
        with self._fetch_lock:
            self._fetch()
        if self._failing:
            raise _unavailable(self._last_error)

    def _revalidate(self, now: float) -> bool:
        """Fetches unless one ran less than a second ago; joins a fetch in progress. Never raises.
        Returns whether a fetch ran (this caller's or the one it joined)."""
        seen = self._attempts
        with self._fetch_lock:
            if self._attempts != seen:
                return True
            if now - self._last_attempt < MIN_FETCH_INTERVAL_SECONDS:
                return False
            self._fetch()
            return True

    def _revalidate_in_background(self, now: float) -> None:
        # The lock is taken here, before the thread starts: calls arriving meanwhile start no other thread.
        if now - self._last_attempt < MIN_FETCH_INTERVAL_SECONDS or not self._fetch_lock.acquire(blocking=False):
            return

        def fetch_and_release() -> None:
            try:
                self._fetch()
            finally:
                self._fetch_lock.release()

        try:
            threading.Thread(target=fetch_and_release, name="scope-auth-jwks", daemon=True).start()
        except BaseException:
            self._fetch_lock.release()
            raise

    def _fetch(self) -> None:
        started = self._clock()
        self._last_attempt = started
        previous = self.keyset
        try:
            headers = {"accept": ACCEPT}
            if previous is not None and previous.etag:
                headers["if-none-match"] = previous.etag
            res = self._http.get(self._url, headers=headers, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False)
            if res.status_code == 304 and previous is not None:
                # RFC 9111 §4.3.4: a 304's own Cache-Control replaces the stored one.
                max_age = read_max_age(res.headers) if "cache-control" in res.headers else previous.max_age
                self.keyset = replace(previous, max_age=max_age, fresh_until=_fresh_until(started, max_age, res.headers))
            elif res.status_code != 200:
                raise ValueError(f"JWKS answered HTTP {res.status_code}")
            else:
                keys = parse_keys(res.json(), self._allowed, previous)
                max_age = read_max_age(res.headers)
                self.keyset = KeySet(
                    by_kid={k.kid: k for k in keys if k.kid is not None},
                    keys=keys,
                    etag=res.headers.get("etag"),
                    max_age=max_age,
                    fresh_until=_fresh_until(started, max_age, res.headers),
                )
            self._failing = False
        except Exception as err:  # noqa: BLE001 - remembered; callers decide whether a stale set will do
            self._failing = True
            self._last_error = err
        finally:
            self._attempts += 1


def _select(keyset: KeySet, kid: Optional[str], alg: str) -> Optional[VerifyKey]:
    if kid is not None:
        key = keyset.by_kid.get(kid)
        return key if key is not None and alg in key.algorithms else None
    # No kid (the service always sets one): only a set with a single candidate can answer.
    candidates = [k for k in keyset.keys if alg in k.algorithms]
    return candidates[0] if len(candidates) == 1 else None


def keyset_holds(keyset: Optional[KeySet], key: VerifyKey) -> bool:
    return keyset is not None and any(k is key for k in keyset.keys)


