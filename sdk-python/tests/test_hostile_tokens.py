"""The TypeScript SDK's hostile-token list (test/integration/hostile.test.ts), ported: every one refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
from typing import Dict, Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from _service import Service
from scope_auth import ScopeAuthError, Verifier


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def enc(obj: object) -> str:
    return b64(json.dumps(obj).encode())


def hs256(header: dict, claims: dict, secret: bytes) -> str:
    # Built by hand: PyJWT (rightly) refuses to HMAC with anything that looks like a public key.
    signing_input = f"{enc(header)}.{enc(claims)}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


@pytest.fixture(scope="module")
def verifier(service: Service) -> Iterator[Verifier]:
    # The admin key's tokens carry the default audience, the issuer.
    v = Verifier(service.url, service.url, revocation=False)
    yield v
    v.close()


@pytest.fixture(scope="module")
def tokens(service: Service) -> Dict[str, str]:
    good = service.exchange(service.admin)["access_token"]
    h, p, s = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    header = jwt.get_unverified_header(good)
    kid, alg, private = service.signing_key()
    assert (kid, alg) == (header["kid"], "ES256")
    now = int(time.time())

    def sign_real(c: dict, **hdr: object) -> str:
        return jwt.encode(c, private, algorithm=alg, headers={"kid": kid, "typ": "at+jwt", **hdr})

    attacker = ed25519.Ed25519PrivateKey.generate()
    attacker_jwk = {**json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(attacker.public_key())), "kid": "attacker"}

    def sign_attacker(**hdr: object) -> str:
        return jwt.encode(claims, attacker, algorithm="EdDSA", headers={"typ": "at+jwt", **hdr})

    jwks_text = httpx.get(f"{service.url}/.well-known/jwks.json").text
    public = next(k for k in json.loads(jwks_text)["keys"] if k["kid"] == kid)
    other_deployment = ec.generate_private_key(ec.SECP256R1())
    return {
        "control: signed by the real key": sign_real(claims),
        "alg none": f"{enc({'alg': 'none', 'typ': 'at+jwt'})}.{p}.",
        "alg none, uppercase": f"{enc({'alg': 'NONE', 'kid': kid, 'typ': 'at+jwt'})}.{p}.",
        "HS256 keyed with the public key": hs256({"alg": "HS256", "kid": kid, "typ": "at+jwt"}, claims, base64.urlsafe_b64decode(public["x"] + "==")),
        "HS256 keyed with the JWKS text": hs256({"alg": "HS256", "kid": kid, "typ": "at+jwt"}, claims, jwks_text.encode()),
        "unknown kid": sign_attacker(kid="no-such-key"),
        "kid injection": sign_attacker(kid="../../../../dev/null' OR '1'='1"),
        "jku to an attacker JWKS": sign_attacker(kid="attacker", jku="https://attacker.example/jwks.json"),
        "x5u to an attacker": sign_attacker(kid="attacker", x5u="https://attacker.example/cert.pem"),
        "embedded jwk": sign_attacker(jwk=attacker_jwk),
        "crit extension": sign_real(claims, crit=["http://example.com/unknown"], **{"http://example.com/unknown": True}),
        # Validly signed, but far beyond any token this service issues (~700 characters).
        "oversized": sign_real({**claims, "pad": "x" * 7_000}),
        "expired": sign_real({**claims, "iat": now - 1000, "exp": now - 500}),
        "not yet valid": sign_real({**claims, "nbf": now + 3600}),
        "wrong issuer": sign_real({**claims, "iss": "https://evil.example"}),
        "wrong typ": sign_real(claims, typ="JWT"),
        "no typ": sign_real(claims, typ=None),
        "signature stripped": f"{h}.{p}.",
        "payload swapped": f"{h}.{enc({**claims, 'scope': 'keys:write'})}.{s}",
        "another deployment": jwt.encode(claims, other_deployment, algorithm="ES256", headers={"kid": "other-kid", "typ": "at+jwt"}),
        "another deployment, same kid": jwt.encode(claims, other_deployment, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"}),
        # Beyond the TypeScript list: shapes that have crashed other verifiers.
        "kid not a string": sign_real_raw(private, {"alg": alg, "kid": ["a"], "typ": "at+jwt"}, enc(claims).encode()),
        "header not JSON": f"{b64(b'{nope')}.{p}.{s}",
        "payload not an object": sign_real_raw(private, {"alg": alg, "kid": kid, "typ": "at+jwt"}, b64(b"[1,2,3]").encode()),
        "exp as a string": sign_real({**claims, "exp": str(now + 600)}),
        "exp as a boolean": sign_real({**claims, "exp": True}),
        "no sub": sign_real({k: v for k, v in claims.items() if k != "sub"}),
        "no jti": sign_real({k: v for k, v in claims.items() if k != "jti"}),
        "aud of another service": sign_real({**claims, "aud": ["https://evil.example"]}),
        "scope not a string": sign_real({**claims, "scope": ["keys:write"]}),
        "b64 false": sign_real(claims, b64=False, crit=["b64"]),
        "alg ES256 in a HS256 costume": hs256({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, claims, b"x"),
        "empty": "",
        "two segments": f"{h}.{p}",
        "four segments": f"{good}.x",
    }


def sign_real_raw(private: object, header: dict, encoded_payload: bytes) -> str:
    """A real-key signature over whatever header and payload PyJWT's encoder would not produce."""
    signing_input = enc(header).encode() + b"." + encoded_payload
    signature = jwt.algorithms.get_default_algorithms()[header["alg"]].sign(signing_input, private)
    return f"{signing_input.decode()}.{b64(signature)}"


def test_the_control_token_verifies(verifier: Verifier, tokens: Dict[str, str]) -> None:
    # Proves the real-key tokens below are refused for their one change, not for their signature.
    assert verifier.verify(tokens["control: signed by the real key"]).sub


NOT_ALLOWED = "token algorithm is not allowed"
NOT_OURS = "token was not signed by a key of the issuer"
BAD_SIGNATURE = "token signature is invalid"
MALFORMED = "token is malformed"
NOT_AN_ACCESS_TOKEN = 'token is not an access token (typ must be "at+jwt")'
CRIT = "token uses a critical header extension this verifier does not support"

#: Why each one is refused: the reason, not only the refusal, is what the test pins down.
EXPECTED = {
    "alg none": NOT_ALLOWED,
    "alg none, uppercase": NOT_ALLOWED,
    "HS256 keyed with the public key": NOT_ALLOWED,
    "HS256 keyed with the JWKS text": NOT_ALLOWED,
    "unknown kid": NOT_OURS,
    "kid injection": NOT_OURS,
    "jku to an attacker JWKS": NOT_OURS,
    "x5u to an attacker": NOT_OURS,
    "embedded jwk": NOT_OURS,
    # Debian's PyJWT refuses an unknown crit itself (malformed); upstream 2.6 leaves it to us.
    "crit extension": (MALFORMED, CRIT),
    "oversized": "token is too long",
    "expired": "token has expired",
    "not yet valid": "token is not valid yet",
    "wrong issuer": "token has an unexpected issuer",
    "wrong typ": NOT_AN_ACCESS_TOKEN,
    "no typ": NOT_AN_ACCESS_TOKEN,
    "signature stripped": BAD_SIGNATURE,
    "payload swapped": BAD_SIGNATURE,
    "another deployment": NOT_OURS,
    "another deployment, same kid": BAD_SIGNATURE,
    "kid not a string": MALFORMED,
    "header not JSON": MALFORMED,
    "payload not an object": MALFORMED,
    "exp as a string": 'token has no valid "exp" claim',
    "exp as a boolean": 'token has no valid "exp" claim',
    "no sub": 'token has no "sub" claim',
    "no jti": 'token has no "jti" claim',
    "aud of another service": "token has an unexpected audience",
    "scope not a string": 'token has no valid "scope" claim',
    "b64 false": (MALFORMED, CRIT),
    "alg ES256 in a HS256 costume": BAD_SIGNATURE,
    "empty": "token is empty",
    "two segments": MALFORMED,
    "four segments": MALFORMED,
}


def test_refuses_every_hostile_token(verifier: Verifier, tokens: Dict[str, str]) -> None:
    outcomes = {}
    for name, token in tokens.items():
        if name.startswith("control"):
            continue
        try:
            verifier.verify(token)
            outcomes[name] = "accepted"
        except ScopeAuthError as err:
            assert err.status == 401, (name, err)
            expected = EXPECTED[name]
            outcomes[name] = expected if isinstance(expected, tuple) and err.description in expected else err.description
    assert outcomes == EXPECTED


def test_refuses_an_expired_token_as_expired(verifier: Verifier, tokens: Dict[str, str]) -> None:
    with pytest.raises(ScopeAuthError, match="token_expired"):
        verifier.verify(tokens["expired"])


def test_refuses_an_oversized_token_before_parsing(verifier: Verifier, tokens: Dict[str, str]) -> None:
    assert len(tokens["oversized"]) > 8_192
    with pytest.raises(ScopeAuthError, match="too long"):
        verifier.verify(tokens["oversized"])


def test_refuses_random_token_shaped_strings(verifier: Verifier) -> None:
    rng = random.Random(23)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.\x00\u00e9 "

    def segment() -> str:
        if rng.random() < 0.5:
            return b64(bytes(rng.randrange(256) for _ in range(rng.randrange(120))))
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))

    for _ in range(300):
        token = ".".join(segment() for _ in range(3))
        with pytest.raises(ScopeAuthError):
            verifier.verify(token)
    for junk in (None, 42, b"bytes", ["a"], {"a": 1}):
        with pytest.raises(ScopeAuthError):
            verifier.verify(junk)  # type: ignore[arg-type]
