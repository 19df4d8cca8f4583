"""Verifier and AsyncVerifier against the real service: claims, audience, scopes, revocation, caching."""

from __future__ import annotations

import asyncio
import time
from typing import Iterator

import pytest

from _service import Service
from _stubs import Reply, StubServer
from conftest import FakeClock
from scope_auth import AsyncVerifier, Claims, ScopeAuthError, Verifier

AUD = "https://orders.example"


@pytest.fixture
def verifier(service: Service) -> Iterator[Verifier]:
    v = Verifier(service.url, AUD, revocation={"auth_url": service.url})
    v.ready()
    yield v
    v.close()


def refusal(v: Verifier, token: str, **kwargs) -> tuple:
    with pytest.raises(ScopeAuthError) as err:
        v.verify(token, **kwargs)
    return err.value.code, err.value.status


def test_verifies_a_token_and_returns_its_claims(service: Service, verifier: Verifier) -> None:
    key = service.create_key(scopes=["orders:read", "orders:write"])
    token = service.exchange(key)["access_token"]
    claims = verifier.verify(token)
    assert isinstance(claims, Claims)
    assert (claims.sub, claims.client_id, claims.org_id, claims.aud, claims.iss) == (key.id, key.id, service.org_id, AUD, service.url)
    assert claims.scopes == {"orders:read", "orders:write"} and claims.has_scope("orders:read")
    assert claims.env == "live" and claims.exp > claims.iat
    assert claims.raw["jti"] == claims.jti
    assert verifier.verify(token, scopes=["orders:write"]) is claims


def test_refuses_another_audience(service: Service) -> None:
    token = service.exchange(service.create_key())["access_token"]
    with Verifier(service.url, "https://billing.example", revocation=False) as v:
        assert refusal(v, token) == ("invalid_token", 401)


def test_accepts_one_of_several_audiences(service: Service) -> None:
    token = service.exchange(service.create_key())["access_token"]
    with Verifier(service.url, ["https://billing.example", AUD], revocation=False) as v:
        assert v.verify(token).aud == AUD


def test_refuses_a_missing_scope_with_403_and_names_the_required_ones(service: Service, verifier: Verifier) -> None:
    token = service.exchange(service.create_key(scopes=["orders:read"]))["access_token"]
    with pytest.raises(ScopeAuthError) as err:
        verifier.verify(token, scopes=["orders:read", "orders:delete"])
    assert (err.value.code, err.value.status, err.value.scope) == ("insufficient_scope", 403, "orders:read orders:delete")
    assert verifier.verify(token, scopes="orders:read").sub


def test_required_scopes_apply_to_every_call(service: Service) -> None:
    token = service.exchange(service.create_key(scopes=["orders:read"]))["access_token"]
    with Verifier(service.url, AUD, revocation=False, required_scopes=["orders:admin"]) as v:
        assert refusal(v, token) == ("insufficient_scope", 403)


def test_sees_a_revoked_key_within_a_second(service: Service, verifier: Verifier) -> None:
    key = service.create_key()
    token = service.exchange(key)["access_token"]
    assert verifier.verify(token).sub == key.id  # now in the verified-token cache too
    service.revoke(key.id)
    deadline = time.monotonic() + 1.0
    outcome = None
    while time.monotonic() < deadline:
        try:
            verifier.verify(token)
        except ScopeAuthError as err:
            outcome = err.code
            break
        time.sleep(0.01)
    assert outcome == "token_revoked"
    assert refusal(verifier, token) == ("token_revoked", 401)


def test_a_key_revoked_before_start_is_refused_from_the_first_load(service: Service) -> None:
    key = service.create_key()
    token = service.exchange(key)["access_token"]
    service.revoke(key.id)
    with Verifier(service.url, AUD, revocation={"auth_url": service.url}) as v:
        assert refusal(v, token) == ("token_revoked", 401)


def test_cached_tokens_still_expire(service: Service) -> None:
    clock = FakeClock(time.time())
    token = service.exchange(service.create_key())["access_token"]
    with Verifier(service.url, AUD, revocation=False, clock=clock, clock_tolerance=5) as v:
        claims = v.verify(token)
        clock.now = claims.exp + 4
        assert v.verify(token) == claims
        clock.now = claims.exp + 5
        assert refusal(v, token) == ("token_expired", 401)


def test_fails_closed_until_the_revocation_list_is_loaded(service: Service) -> None:
    token = service.exchange(service.create_key())["access_token"]
    with StubServer([Reply(503, {"error": "unavailable", "error_description": "down"})]) as feed:
        with Verifier(service.url, AUD, jwks_url=f"{service.url}/.well-known/jwks.json",
                      revocation={"auth_url": feed.url, "ready_timeout_seconds": 0.3}) as v:
            started = time.monotonic()
            assert refusal(v, token) == ("unavailable", 503)
            assert time.monotonic() - started >= 0.25
            with pytest.raises(ScopeAuthError, match="unavailable"):
                v.ready(timeout=0.1)


def test_fails_closed_when_the_list_is_older_than_max_staleness(service: Service) -> None:
    clock = FakeClock(time.time())
    token = service.exchange(service.create_key())["access_token"]
    with Verifier(service.url, AUD, clock=clock, revocation={"auth_url": service.url, "max_staleness_seconds": 30}) as v:
        v.ready()
        assert v.verify(token).sub
        clock.advance(31)  # no feed load, event or ping within 31 s of the verifier's clock
        assert refusal(v, token) == ("unavailable", 503)


def test_async_verifier_verifies_and_sees_revocations(service: Service) -> None:
    key = service.create_key()
    token = service.exchange(key)["access_token"]

    async def main() -> tuple:
        async with AsyncVerifier(service.url, AUD, revocation={"auth_url": service.url}) as v:
            first = await v.verify(token)  # the first call loads JWKS and list off the loop
            service.revoke(key.id)
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                try:
                    await v.verify(token)
                except ScopeAuthError as err:
                    return first.sub, err.code
                await asyncio.sleep(0.01)
            return first.sub, None

    assert asyncio.run(main()) == (key.id, "token_revoked")


@pytest.mark.parametrize(
    "options, error",
    [
        ({"clock_tolerance": 61}, ValueError),
        ({"clock_tolerance": "5"}, TypeError),
        ({"algorithms": ["HS256"]}, ValueError),
        ({"algorithms": ["none"]}, ValueError),
        ({"algorithms": []}, ValueError),
        ({"revocation": None}, TypeError),
        ({"revocation": {"url": "x"}}, TypeError),
        ({"revocation": {"auth_url": "ftp://x"}}, ValueError),
        ({"jwks_url": "not a url"}, ValueError),
    ],
)
def test_refuses_unsafe_or_wrong_options(options: dict, error: type) -> None:
    args = {"revocation": False, **options}
    with pytest.raises(error):
        Verifier("https://auth.example", "aud", **args)
