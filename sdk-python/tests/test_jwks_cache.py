"""The verifier's JWKS cache against a local JWKS server whose keys and headers the test changes."""

from __future__ import annotations

import base64
import time
from typing import Any, Dict, Iterator, List, Optional

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from _stubs import Reply, Seen, StubServer
from conftest import FakeClock
from scope_auth import ScopeAuthError, Verifier

ISSUER = "https://issuer.test"
AUD = "https://orders.example"


def _coordinate(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, kid: str, private: Optional[ec.EllipticCurvePrivateKey] = None) -> None:
        self.kid = kid
        self.private = private or ec.generate_private_key(ec.SECP256R1())
        # Written out, not PyJWT's to_jwk: Debian's PyJWT 2.6 drops a coordinate's leading zero bytes,
        # which RFC 7518 §6.2.1.2 forbids and its own from_jwk refuses (about 1 key in 128).
        numbers = self.private.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256", "x": _coordinate(numbers.x), "y": _coordinate(numbers.y), "kid": kid, "alg": "ES256", "use": "sig"}

    def token(self, now: float, **claims: Any) -> str:
        payload = {
            "iss": ISSUER, "sub": "key_1", "client_id": "key_1", "org_id": "org_1", "aud": AUD,
            "scope": "orders:read", "iat": int(now), "exp": int(now) + 3600, "jti": f"jti-{time.monotonic_ns()}", **claims,
        }
        return jwt.encode(payload, self.private, algorithm="ES256", headers={"kid": self.kid, "typ": "at+jwt"})


class JwksServer:
    """Serves ``keys`` with ``cache_control``, an ETag per key set, 304 on a matching If-None-Match."""

    def __init__(self) -> None:
        self.keys: List[SigningKey] = []
        self.cache_control = "public, max-age=60"
        self.extra_headers: Dict[str, str] = {}
        self.status = 200
        self.stub = StubServer(self._reply)

    def _reply(self, seen: Seen) -> Reply:
        if self.status != 200:
            return Reply(self.status, "down")
        etag = '"' + "-".join(k.kid for k in self.keys) + '"'
        headers = {"cache-control": self.cache_control, "etag": etag, **self.extra_headers}
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, b"", headers)
        return Reply(200, {"keys": [k.jwk for k in self.keys]}, {**headers, "content-type": "application/jwk-set+json"})

    @property
    def fetches(self) -> int:
        return len(self.stub.seen)


@pytest.fixture
def server() -> Iterator[JwksServer]:
    s = JwksServer()
    yield s
    s.stub.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())


def verifier(server: JwksServer, clock: FakeClock) -> Verifier:
    return Verifier(ISSUER, AUD, jwks_url=f"{server.stub.url}/jwks", revocation=False, clock=clock)


def refused(v: Verifier, token: str) -> str:
    with pytest.raises(ScopeAuthError) as err:
        v.verify(token)
    return err.value.code


def test_a_withdrawn_key_stops_verifying_once_max_age_has_passed(server: JwksServer, clock: FakeClock) -> None:
    old, new = SigningKey("old"), SigningKey("new")
    server.keys = [old]
    with verifier(server, clock) as v:
        token = old.token(clock.now)
        assert v.verify(token).sub == "key_1"
        server.keys = [new]  # the old key is withdrawn
        clock.advance(59)
        assert v.verify(token).sub == "key_1"  # cached, within max-age
        assert server.fetches == 1
        clock.advance(2)
        assert refused(v, token) == "invalid_token"
        assert v.verify(new.token(clock.now)).sub == "key_1"
        assert server.fetches == 2


def test_revalidates_with_if_none_match(server: JwksServer, clock: FakeClock) -> None:
    key = SigningKey("k1")
    server.keys = [key]
    server.cache_control = "max-age=10"
    with verifier(server, clock) as v:
        token = key.token(clock.now)
        v.verify(token)
        clock.advance(11)
        v.verify(token)
        assert server.fetches == 2
        assert server.stub.seen[1].headers["if-none-match"] == '"k1"'
        clock.advance(5)  # the 304 renewed the max-age
        v.verify(token)
        assert server.fetches == 2


def test_no_store_revalidates_on_use_but_not_twice_a_second(server: JwksServer, clock: FakeClock) -> None:
    key = SigningKey("k1")
    server.keys = [key]
    server.cache_control = "no-store"
    with verifier(server, clock) as v:
        token = key.token(clock.now)
        v.verify(token)
        clock.advance(0.5)
        v.verify(token)
        assert server.fetches == 1
        clock.advance(0.6)
        v.verify(token)
        assert server.fetches == 2


def test_age_uses_up_part_of_the_max_age(server: JwksServer, clock: FakeClock) -> None:
    key = SigningKey("k1")
    server.keys = [key]
    server.extra_headers = {"age": "50"}
    with verifier(server, clock) as v:
        token = key.token(clock.now)
        v.verify(token)
        clock.advance(11)
        v.verify(token)
        assert server.fetches == 2


def test_an_unknown_kid_refetches_at_most_once_per_30_seconds(server: JwksServer, clock: FakeClock) -> None:
    known, later = SigningKey("known"), SigningKey("later")
    server.keys = [known]
    with verifier(server, clock) as v:
        v.verify(known.token(clock.now))
        forged = SigningKey("forged")
        # Less than a second after the last fetch: no fetch, and the cooldown is not used up.
        assert refused(v, forged.token(clock.now)) == "invalid_token"
        assert server.fetches == 1
        clock.advance(1.5)
        assert refused(v, forged.token(clock.now)) == "invalid_token"
        assert server.fetches == 2
        clock.advance(10)
        assert refused(v, SigningKey("forged-2").token(clock.now)) == "invalid_token"
        assert server.fetches == 2
        clock.advance(21)
        server.keys = [known, later]  # published since: found by the next unknown-kid refetch
        assert v.verify(later.token(clock.now)).sub == "key_1"
        assert server.fetches == 3


def test_keeps_a_stale_set_five_minutes_while_the_service_fails_then_fails_closed(server: JwksServer, clock: FakeClock) -> None:
    key = SigningKey("k1")
    server.keys = [key]
    server.cache_control = "max-age=10"
    with verifier(server, clock) as v:
        token = key.token(clock.now)
        v.verify(token)
        server.status = 503
        clock.advance(11)
        assert v.verify(token).sub == "key_1"  # the refetch fails: stale, within the window
        assert server.fetches == 2
        for _ in range(50):  # meanwhile: the stale set, and at most one background refetch a second
            assert v.verify(token).sub == "key_1"
        time.sleep(0.3)
        assert server.fetches == 2
        clock.advance(1.5)
        v.verify(token)
        deadline = time.monotonic() + 2
        while server.fetches < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.fetches == 3
        clock.advance(300)
        assert refused(v, token) == "unavailable"


def test_without_any_set_verification_is_unavailable(server: JwksServer, clock: FakeClock) -> None:
    server.status = 500
    with verifier(server, clock) as v:
        with pytest.raises(ScopeAuthError) as err:
            v.verify(SigningKey("k1").token(clock.now))
        assert (err.value.code, err.value.status) == ("unavailable", 503)


def test_hmac_keys_in_the_set_are_never_used(server: JwksServer, clock: FakeClock) -> None:
    key = SigningKey("k1")
    server.keys = [key]
    with verifier(server, clock) as v:
        server.keys[0].jwk = {"kty": "oct", "k": "c2VjcmV0", "kid": "k1", "alg": "HS256"}
        clock.advance(61)
        forged = jwt.encode({"iss": ISSUER}, "secret", algorithm="HS256", headers={"kid": "k1", "typ": "at+jwt"})
        assert refused(v, forged) == "invalid_token"


def test_a_key_whose_coordinate_starts_with_a_zero_byte_verifies(server: JwksServer, clock: FakeClock) -> None:
    # One P-256 key in about 256 has an x below 2**248; its JWK carries the leading zero byte.
    private = ec.generate_private_key(ec.SECP256R1())
    while private.public_key().public_numbers().x >= 2**248:
        private = ec.generate_private_key(ec.SECP256R1())
    key = SigningKey("k0", private)
    server.keys = [key]
    with verifier(server, clock) as v:
        assert v.verify(key.token(clock.now)).sub == "key_1"
