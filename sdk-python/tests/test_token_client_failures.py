"""Outside failures, played by a local stub: retries, Retry-After, 4xx, a failing refresh, a 401 resource."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback

import httpx
import pytest

from _stubs import Reply, StubServer, error_reply, token_reply
from conftest import FakeClock
from scope_auth import AsyncTokenClient, RetryOptions, ScopeAuthError, TokenClient
from scope_auth._retry import parse_retry_after

# Built from parts so no scanner mistakes this test value for a leaked secret.
SECRET = "sk_test_" + "NeverShowMe" + "0123456789abcdefghijklmnopqrstuvwxyzAB"
FAST = RetryOptions(base_delay_seconds=0.01, max_delay_seconds=0.05)


def client(url: str, **kwargs) -> TokenClient:
    kwargs.setdefault("retry", FAST)
    return TokenClient(org_id="org_1", api_key="key_1", api_secret=SECRET, auth_url=url, **kwargs)


def test_retries_5xx_then_succeeds() -> None:
    with StubServer([Reply(502, "bad gateway"), error_reply(500, "internal_error"), token_reply("tok-3")]) as stub:
        with client(stub.url) as c:
            assert c.get_token() == "tok-3"
        assert len(stub.seen) == 3
        body = json.loads(stub.seen[0].body)
        assert body == {"org_id": "org_1", "key_id": "key_1", "secret": SECRET}


def test_retries_network_errors_then_gives_up_with_network_error() -> None:
    with StubServer([token_reply()]) as stub:
        url = stub.url
    # Nothing listens there any more.
    with client(url, retry=RetryOptions(max_attempts=3, base_delay_seconds=0.01)) as c, pytest.raises(ScopeAuthError) as err:
        c.get_token()
    assert err.value.code == "network_error" and err.value.status is None


@pytest.mark.parametrize("status, code", [(400, "invalid_request"), (401, "invalid_client"), (403, "forbidden"), (404, "not_found"), (429, "rate_limited")])
def test_never_retries_a_4xx(status: int, code: str) -> None:
    with StubServer([error_reply(status, code, headers={"retry-after": "1"}), token_reply()]) as stub:
        with client(stub.url) as c, pytest.raises(ScopeAuthError) as err:
            c.get_token()
        assert (err.value.code, err.value.status) == (code, status)
        assert len(stub.seen) == 1


def test_honours_retry_after_on_a_503() -> None:
    with StubServer([error_reply(503, "unavailable", headers={"retry-after": "1"}), token_reply("tok-2")]) as stub:
        with client(stub.url) as c:
            assert c.get_token() == "tok-2"
        first, second = stub.seen
        assert second.at - first.at >= 0.95


def test_a_retry_after_past_the_budget_fails_at_once() -> None:
    with StubServer([error_reply(503, "unavailable", headers={"retry-after": "30"}), token_reply()]) as stub:
        with client(stub.url, retry=RetryOptions(max_total_seconds=5)) as c, pytest.raises(ScopeAuthError) as err:
            c.get_token()
        assert (err.value.code, err.value.retry_after_seconds) == ("unavailable", 30)
        assert len(stub.seen) == 1


def test_after_a_429_it_does_not_ask_again_before_retry_after(fake_clock: FakeClock) -> None:
    with StubServer([error_reply(429, "rate_limited", headers={"retry-after": "20"}), token_reply("tok-after")]) as stub:
        with client(stub.url, clock=fake_clock) as c:
            with pytest.raises(ScopeAuthError) as first:
                c.get_token()
            assert first.value.retry_after_seconds == 20
            fake_clock.advance(5)
            with pytest.raises(ScopeAuthError) as second:
                c.get_token()
            assert (second.value.code, second.value.retry_after_seconds) == ("rate_limited", 15)
            assert len(stub.seen) == 1
            fake_clock.advance(15)
            assert c.get_token() == "tok-after"


def test_parses_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("7", 0) == 7
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 4) == 6
    assert parse_retry_after("99999", 0) == 60
    assert parse_retry_after("-3", 0) is None
    assert parse_retry_after("soon", 0) is None
    assert parse_retry_after(None, 0) is None


def test_serves_the_still_valid_token_while_a_refresh_fails(fake_clock: FakeClock) -> None:
    replies = [token_reply("tok-old", expires_in=100), error_reply(503, "unavailable")]
    with StubServer(replies) as stub:
        with client(stub.url, clock=fake_clock, token_refresh_buffer=30, retry=RetryOptions(max_attempts=2, base_delay_seconds=0.01)) as c:
            assert c.get_token() == "tok-old"
            fake_clock.advance(80)  # inside the buffer, not expired
            assert c.get_token() == "tok-old"
            fake_clock.advance(21)  # expired
            with pytest.raises(ScopeAuthError) as err:
                c.get_token()
            assert err.value.code == "unavailable"


def test_auth_refreshes_once_on_a_401_and_resends() -> None:
    tokens = iter(["tok-a", "tok-b", "tok-c"])
    with StubServer(lambda seen: token_reply(next(tokens))) as auth_server:
        with StubServer(lambda seen: Reply(200, "ok") if seen.headers["authorization"] == "Bearer tok-b" else Reply(401, "no")) as resource:
            with client(auth_server.url) as c, httpx.Client(auth=c.auth) as http:
                res = http.post(f"{resource.url}/x", content=b"payload")
                assert res.status_code == 200
                assert [s.headers["authorization"] for s in resource.seen] == ["Bearer tok-a", "Bearer tok-b"]
                assert resource.seen[1].body == b"payload"
                # Later requests carry the fresh token at once.
                assert http.get(f"{resource.url}/x", headers={"x": "1"}).status_code == 200
        assert len(auth_server.seen) == 2


def test_auth_does_not_resend_a_streamed_body() -> None:
    with StubServer([token_reply("tok-a"), token_reply("tok-b")]) as auth_server, StubServer([Reply(401, "no")]) as resource:
        with client(auth_server.url) as c, httpx.Client(auth=c.auth) as http:
            res = http.post(resource.url, content=iter([b"a", b"b"]))
            assert res.status_code == 401
            assert len(resource.seen) == 1


def test_async_client_retries_and_honours_retry_after() -> None:
    async def main(url: str) -> str:
        async with AsyncTokenClient(org_id="org_1", api_key="key_1", api_secret=SECRET, auth_url=url, retry=FAST) as c:
            return await c.get_token()

    with StubServer([error_reply(503, "unavailable", headers={"retry-after": "1"}), Reply(500, ""), token_reply("tok-async")]) as stub:
        assert asyncio.run(main(stub.url)) == "tok-async"
        assert len(stub.seen) == 3
        assert stub.seen[1].at - stub.seen[0].at >= 0.95


def test_the_secret_is_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with StubServer([error_reply(401, "invalid_client", "client authentication failed")]) as stub:
        c = client(stub.url)
        shown = [repr(c), str(c), repr(c.auth), repr(c._config), repr(vars(c))]
        with pytest.raises(ScopeAuthError) as refused:
            c.get_token()
        shown += [repr(refused.value), str(refused.value), "".join(traceback.format_exception(refused.value))]
        c.close()
    with client("http://127.0.0.1:9", retry=RetryOptions(max_attempts=1)) as unreachable, pytest.raises(ScopeAuthError) as network:
        unreachable.get_token()
    shown += [repr(network.value), "".join(traceback.format_exception(network.value))]
    shown += [r.getMessage() for r in caplog.records]
    assert not [s for s in shown if SECRET in s]
    assert "org_1" in shown[0]


def test_an_http_url_to_another_host_warns() -> None:
    from scope_auth import InsecureUrlWarning

    with pytest.warns(InsecureUrlWarning, match=r"auth_url \(http://auth.example.com\)"):
        TokenClient(org_id="o", api_key="k", api_secret="s", auth_url="http://user:pw@auth.example.com/x").close()
