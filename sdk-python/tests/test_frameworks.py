"""require_auth for FastAPI (through its TestClient) and WSGI, against tokens from the real service."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from _service import Service
from scope_auth import AsyncVerifier, Claims, Verifier
from scope_auth import fastapi as scope_fastapi
from scope_auth import wsgi as scope_wsgi

AUD = "https://orders.example"
METADATA = "https://orders.example/.well-known/oauth-protected-resource"


@pytest.fixture(scope="module")
def verifier(service: Service) -> Iterator[Verifier]:
    v = Verifier(service.url, AUD, revocation={"auth_url": service.url})
    v.ready()
    yield v
    v.close()


def make_app(v: Any, with_handler: bool = True) -> FastAPI:
    app = FastAPI()
    if with_handler:
        scope_fastapi.add_exception_handler(app)

    @app.get("/orders")
    def orders(claims: Claims = Depends(scope_fastapi.require_auth(v, scopes=["orders:read"], resource_metadata_url=METADATA))) -> Dict[str, str]:
        return {"org": claims.org_id, "key": claims.sub}

    @app.delete("/orders")
    async def delete(claims: Claims = Depends(scope_fastapi.require_auth(v, scopes=["orders:delete"]))) -> Dict[str, str]:
        return {"deleted_by": claims.sub}

    return app


def test_fastapi_accepts_a_valid_token_and_hands_over_the_claims(service: Service, verifier: Verifier) -> None:
    key = service.create_key(scopes=["orders:read"])
    token = service.exchange(key)["access_token"]
    res = TestClient(make_app(verifier)).get("/orders", headers={"Authorization": f"Bearer {token}"})
    assert (res.status_code, res.json()) == (200, {"org": service.org_id, "key": key.id})


def test_fastapi_answers_rfc_6750_errors(service: Service, verifier: Verifier) -> None:
    key = service.create_key(scopes=["orders:read"])
    token = service.exchange(key)["access_token"]
    client = TestClient(make_app(verifier))

    res = client.get("/orders")
    assert (res.status_code, res.json()) == (401, {"error": "invalid_token", "error_description": "an access token is required"})
    assert res.headers["www-authenticate"] == f'Bearer realm="scope-auth", resource_metadata="{METADATA}"'

    res = client.get("/orders", headers={"Authorization": f"Basic {token}"})
    assert res.status_code == 401
    assert 'error="invalid_token"' in res.headers["www-authenticate"]

    res = client.get("/orders", headers={"Authorization": "Bearer not.a.token"})
    assert (res.status_code, res.json()) == (401, {"error": "invalid_token", "error_description": "token is malformed"})
    assert res.headers["www-authenticate"] == (
        f'Bearer realm="scope-auth", resource_metadata="{METADATA}", error="invalid_token", error_description="token is malformed"'
    )

    res = client.delete("/orders", headers={"Authorization": f"Bearer {token}"})
    assert (res.status_code, res.json()) == (403, {"error": "insufficient_scope", "error_description": 'token lacks scope "orders:delete"'})
    assert res.headers["www-authenticate"] == (
        'Bearer realm="scope-auth", error="insufficient_scope", error_description="token lacks scope \'orders:delete\'", scope="orders:delete"'
    )

    service.revoke(key.id)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and client.get("/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200:
        time.sleep(0.01)
    res = client.get("/orders", headers={"Authorization": f"Bearer {token}"})
    assert (res.status_code, res.json()) == (401, {"error": "invalid_token", "error_description": "token has been revoked"})


def test_fastapi_without_the_handler_keeps_status_and_challenge(service: Service, verifier: Verifier) -> None:
    res = TestClient(make_app(verifier, with_handler=False)).get("/orders")
    assert res.status_code == 401 and "www-authenticate" in res.headers
    assert res.json() == {"detail": {"error": "invalid_token", "error_description": "an access token is required"}}


def test_fastapi_with_the_async_verifier(service: Service) -> None:
    key = service.create_key(scopes=["orders:read"])
    token = service.exchange(key)["access_token"]
    v = AsyncVerifier(service.url, AUD, revocation={"auth_url": service.url})
    try:
        client = TestClient(make_app(v))
        # The first call waits, off the event loop, for the JWKS and the revocation list.
        assert client.get("/orders", headers={"Authorization": f"Bearer {token}"}).json()["key"] == key.id
        assert client.get("/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.delete("/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    finally:
        v._sync.close()


def test_fastapi_answers_503_when_revocation_cannot_load(service: Service) -> None:
    token = service.exchange(service.create_key())["access_token"]
    jwks_url = f"{service.url}/.well-known/jwks.json"
    with Verifier(service.url, AUD, jwks_url=jwks_url, revocation={"auth_url": "http://127.0.0.1:9", "ready_timeout_seconds": 0.2}) as v:
        res = TestClient(make_app(v)).get("/orders", headers={"Authorization": f"Bearer {token}"})
    assert (res.status_code, res.headers["retry-after"]) == (503, "5")
    assert res.json() == {"error": "unavailable", "error_description": "revocation list not loaded yet"}


def test_fastapi_documents_the_bearer_scheme(verifier: Verifier) -> None:
    schema = TestClient(make_app(verifier)).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def call_wsgi(app: Any, headers: Dict[str, str]) -> Tuple[str, Dict[str, str], Any]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    seen: List[Any] = []
    body = b"".join(app(environ, lambda status, hdrs, exc_info=None: seen.extend([status, dict(hdrs)])))
    return seen[0], seen[1], json.loads(body)


def test_wsgi_protects_an_app(service: Service, verifier: Verifier) -> None:
    def inner(environ: Dict[str, Any], start_response: Any) -> List[bytes]:
        claims: Claims = environ[scope_wsgi.CLAIMS_KEY]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"key": claims.sub}).encode()]

    app = scope_wsgi.require_auth(verifier, scopes=["orders:read"])(inner)
    key = service.create_key(scopes=["orders:read"])
    token = service.exchange(key)["access_token"]
    assert call_wsgi(app, {"authorization": f"Bearer {token}"})[::2] == ("200 OK", {"key": key.id})

    status, headers, body = call_wsgi(app, {})
    assert (status, headers["WWW-Authenticate"], body["error"]) == ("401 Unauthorized", 'Bearer realm="scope-auth"', "invalid_token")
    status, headers, body = call_wsgi(scope_wsgi.require_auth(verifier, scopes=["orders:delete"])(inner), {"authorization": f"Bearer {token}"})
    assert (status, body["error"]) == ("403 Forbidden", "insufficient_scope")
