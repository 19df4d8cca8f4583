"""TokenClient and AsyncTokenClient against the real service: exchange, caching, refresh, concurrency."""

from __future__ import annotations

import asyncio
import threading

import httpx
import jwt
import pytest

from _service import Service
from conftest import FakeClock
from scope_auth import AsyncTokenClient, ScopeAuthError, TokenClient


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def client_for(service: Service, key, **kwargs) -> TokenClient:
    return TokenClient(org_id=service.org_id, api_key=key.id, api_secret=key.secret, auth_url=service.url, **kwargs)


def test_exchanges_a_key_for_a_token_and_caches_it(service: Service) -> None:
    key = service.create_key(scopes=["orders:read", "orders:write"])
    with client_for(service, key) as client:
        token = client.get_token()
        assert claims_of(token)["sub"] == key.id
        assert set(claims_of(token)["scope"].split()) == {"orders:read", "orders:write"}
        assert client.get_token() == token


def test_reads_the_scope_environment_variables(service: Service) -> None:
    key = service.create_key()
    env = {"SCOPE_ORG_ID": service.org_id, "SCOPE_API_KEY": key.id, "SCOPE_API_SECRET": key.secret, "SCOPE_AUTH_API_URL": service.url}
    with TokenClient(env=env) as client:
        assert claims_of(client.get_token())["org_id"] == service.org_id


@pytest.mark.parametrize(
    "missing, variable",
    [("org_id", "SCOPE_ORG_ID"), ("api_key", "SCOPE_API_KEY"), ("api_secret", "SCOPE_API_SECRET"), ("auth_url", "SCOPE_AUTH_API_URL")],
)
def test_a_missing_setting_names_the_argument_and_the_variable(missing: str, variable: str) -> None:
    env = {"SCOPE_ORG_ID": "org_1", "SCOPE_API_KEY": "key_1", "SCOPE_API_SECRET": "sk_test_x", "SCOPE_AUTH_API_URL": "http://127.0.0.1:1"}
    del env[variable]
    with pytest.raises(TypeError, match=rf"{missing}=.*{variable}"):
        TokenClient(env=env)


def test_caches_one_token_per_scope_and_audience(service: Service) -> None:
    key = service.create_key(scopes=["orders:read", "orders:write"], audiences=["https://orders.example", "https://billing.example"])
    with client_for(service, key) as client:
        read = client.get_token(scope="orders:read")
        both = client.get_token(scope=["orders:write", "orders:read"])
        billing = client.get_token(scope="orders:read", audience="https://billing.example")
        assert claims_of(read)["scope"] == "orders:read"
        assert claims_of(billing)["aud"] == "https://billing.example"
        assert len({read, both, billing}) == 3
        assert client.get_token(scope="orders:read orders:write") == both
        assert client.get_token(scope="orders:read") == read


def test_refreshes_before_expiry_on_its_own_clock(service: Service, fake_clock: FakeClock) -> None:
    key = service.create_key()
    with client_for(service, key, token_refresh_buffer=60, clock=fake_clock) as client:
        first = client.get_token()
        lifetime = claims_of(first)["exp"] - claims_of(first)["iat"]
        # The refresh point is 60 s before expiry, up to a quarter of the buffer earlier (jitter).
        fake_clock.advance(lifetime - 60 * 1.25 - 1)
        assert client.get_token() == first
        fake_clock.advance(60 * 0.25 + 2)
        second = client.get_token()
        assert second != first
        assert claims_of(second)["jti"] != claims_of(first)["jti"]
        assert client.get_token() == second


def test_a_wrong_secret_is_invalid_client_and_not_retried(service: Service) -> None:
    key = service.create_key()
    calls: list = []
    http = httpx.Client(event_hooks={"request": [calls.append]})
    client = TokenClient(org_id=service.org_id, api_key=key.id, api_secret="sk_live_" + "A" * 49, auth_url=service.url, http_client=http)
    with pytest.raises(ScopeAuthError) as err:
        client.get_token()
    assert (err.value.code, err.value.status) == ("invalid_client", 401)
    assert err.value.description == "client authentication failed"
    assert len(calls) == 1
    http.close()


def test_a_scope_the_key_lacks_is_invalid_scope(service: Service) -> None:
    key = service.create_key(scopes=["orders:read"])
    with client_for(service, key) as client, pytest.raises(ScopeAuthError) as err:
        client.get_token(scope="orders:delete")
    assert (err.value.code, err.value.status) == ("invalid_scope", 400)


def test_fifty_threads_share_one_exchange(service: Service) -> None:
    key = service.create_key()
    exchanges: list = []
    http = httpx.Client(event_hooks={"request": [exchanges.append]})
    client = client_for(service, key, http_client=http)
    start = threading.Barrier(50)
    tokens: list = []

    def call() -> None:
        start.wait()
        tokens.append(client.get_token())

    threads = [threading.Thread(target=call) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(tokens) == 50 and len(set(tokens)) == 1
    assert len(exchanges) == 1
    client.close()
    http.close()


def test_fifty_tasks_share_one_exchange(service: Service) -> None:
    key = service.create_key()

    async def main() -> tuple:
        exchanges: list = []

        async def count(request: httpx.Request) -> None:
            exchanges.append(request)

        async with httpx.AsyncClient(event_hooks={"request": [count]}) as http:
            async with AsyncTokenClient(org_id=service.org_id, api_key=key.id, api_secret=key.secret, auth_url=service.url, http_client=http) as client:
                tokens = await asyncio.gather(*(client.get_token() for _ in range(50)))
                again = await client.get_token()
        return tokens, again, exchanges

    tokens, again, exchanges = asyncio.run(main())
    assert len(set(tokens)) == 1 and again == tokens[0]
    assert len(exchanges) == 1
    assert claims_of(tokens[0])["sub"] == key.id


def test_auth_adds_the_bearer_header(service: Service) -> None:
    with client_for(service, service.admin) as client, httpx.Client(auth=client.auth) as http:
        res = http.get(f"{service.url}/v1/keys")
        assert res.status_code == 200, res.text
        assert res.request.headers["authorization"] == f"Bearer {client.get_token()}"


def test_async_auth_adds_the_bearer_header(service: Service) -> None:
    async def main() -> httpx.Response:
        async with AsyncTokenClient(org_id=service.org_id, api_key=service.admin.id, api_secret=service.admin.secret, auth_url=service.url) as client:
            async with httpx.AsyncClient(auth=client.auth) as http:
                return await http.get(f"{service.url}/v1/keys")

    assert asyncio.run(main()).status_code == 200


def test_a_closed_client_refuses_use(service: Service) -> None:
    client = client_for(service, service.admin)
    client.close()
    with pytest.raises(TypeError, match="closed"):
        client.get_token()
