"""The revocation feed and stream, played by a local stub: paging, resume, polling while the stream is down."""

from __future__ import annotations

import json
import time
from typing import Callable, List

import httpx
import pytest

from _stubs import Reply, Seen, StubServer
from scope_auth._revocation_list import RevocationList, parse_entry
from scope_auth._revocation_source import HttpRevocationSource
from scope_auth._sse import SseEvent, SseParser
from scope_auth.options import RevocationOptions

FAR = 4_000_000_000


def entry(seq: int, key_id: str, kind: str = "key", jti: str = "") -> dict:
    e = {"seq": seq, "type": kind, "key_id": key_id, "revoked_at": 1, "expires_at": FAR}
    return {**e, "jti": jti} if jti else e


def page(entries: List[dict], last_seq: int, has_more: bool = False) -> Reply:
    return Reply(200, {"revocations": entries, "last_seq": last_seq, "has_more": has_more})


def sse(*events: dict, retry_ms: int = 50) -> List[bytes]:
    chunks = [f"retry: {retry_ms}\n: connected\n\n".encode()]
    for e in events:
        chunks.append(f"id: {e['seq']}\nevent: revocation\ndata: {json.dumps(e)}\n\n".encode())
    return chunks


def wait_for(condition: Callable[[], bool], seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def start(url: str, **options: float) -> tuple:
    revocations = RevocationList()
    http = httpx.Client()
    source = HttpRevocationSource(RevocationOptions(url, poll_interval_seconds=0.1, **options), revocations, time.time, 5, http)
    source.start()
    return source, revocations, http


def test_loads_every_page_of_the_feed_before_counting_as_loaded() -> None:
    def script(seen: Seen) -> Reply:
        if seen.path == "/v1/revocations":
            return page([entry(1, "key_a"), entry(2, "key_b", "token", "jti-b")], 2, has_more=True)
        if seen.path == "/v1/revocations?after=2":
            return page([entry(3, "key_c"), {"seq": "bogus"}], 3)
        return Reply(503, "")

    with StubServer(script) as stub:
        source, revocations, http = start(stub.url)
        try:
            assert source.loaded.wait(3)
            assert revocations.is_revoked("key_a", "x") and revocations.is_revoked("key_c", "x")
            assert revocations.is_revoked("key_other", "jti-b") and not revocations.is_revoked("key_b", "jti-other")
            assert revocations.last_seq == 3
            assert [s.path for s in stub.seen[:2]] == ["/v1/revocations", "/v1/revocations?after=2"]
        finally:
            source.close()
            http.close()


def test_a_feed_that_does_not_advance_never_counts_as_loaded() -> None:
    with StubServer([page([entry(1, "key_a")], 1, has_more=True)]) as stub:
        source, _revocations, http = start(stub.url)
        try:
            assert not source.loaded.wait(0.5)
        finally:
            source.close()
            http.close()


def test_follows_the_stream_and_resumes_after_the_last_event() -> None:
    streams: List[Seen] = []

    def script(seen: Seen) -> Reply:
        if seen.path.startswith("/v1/revocations/stream"):
            streams.append(seen)
            events = [entry(6, "key_six")] if len(streams) == 1 else [entry(7, "key_seven")]
            return Reply(200, headers={"content-type": "text/event-stream"}, chunks=sse(*events), hold_open=0.2 if len(streams) == 1 else 5)
        return page([], 5)

    with StubServer(script) as stub:
        source, revocations, http = start(stub.url)
        try:
            assert wait_for(lambda: revocations.is_revoked("key_seven", "x"))
            assert revocations.is_revoked("key_six", "x")
            assert [s.headers["last-event-id"] for s in streams[:2]] == ["5", "6"]
            assert streams[0].headers["accept"] == "text/event-stream"
        finally:
            started = time.monotonic()
            source.close()
            http.close()
            # The open stream is shut at once, not when its next byte arrives.
            assert time.monotonic() - started < 1.5


def test_polls_the_feed_while_the_stream_is_refused() -> None:
    feed = [page([], 0)]

    def script(seen: Seen) -> Reply:
        if seen.path.startswith("/v1/revocations/stream"):
            return Reply(429, {"error": "rate_limited", "error_description": "too many streams"})
        return feed[0]

    with StubServer(script) as stub:
        source, revocations, http = start(stub.url, max_reconnect_delay_seconds=0.5)
        try:
            assert source.loaded.wait(3)
            feed[0] = page([entry(1, "key_late")], 1)
            assert wait_for(lambda: revocations.is_revoked("key_late", "x"))
            assert any("?after=0" in s.path for s in stub.seen)
        finally:
            source.close()
            http.close()


def test_a_full_reload_repairs_an_entry_the_stream_missed() -> None:
    feed = [page([entry(1, "key_a")], 1)]

    def script(seen: Seen) -> Reply:
        if seen.path.startswith("/v1/revocations/stream"):
            return Reply(200, headers={"content-type": "text/event-stream"}, chunks=[b": ping\n\n"], hold_open=5)
        return feed[0]

    with StubServer(script) as stub:
        revocations = RevocationList()
        http = httpx.Client()
        options = RevocationOptions(stub.url, poll_interval_seconds=0.1)
        source = HttpRevocationSource(options, revocations, time.time, 5, http, full_reload_seconds=0.2)
        source.start()
        try:
            assert source.loaded.wait(3)
            # An entry below the seq already seen: no ?after= poll and no stream event would bring it.
            feed[0] = page([entry(1, "key_a"), {**entry(0, "key_missed")}], 1)
            assert wait_for(lambda: revocations.is_revoked("key_missed", "x"))
            assert any(s.path == "/v1/revocations" for s in stub.seen[1:])
        finally:
            source.close()
            http.close()


def test_confirms_freshness_on_pings() -> None:
    def script(seen: Seen) -> Reply:
        if seen.path.startswith("/v1/revocations/stream"):
            return Reply(200, headers={"content-type": "text/event-stream"}, chunks=[b": ping\n\n"] * 3, chunk_delay=0.3)
        return page([], 0)

    with StubServer(script) as stub:
        source, _revocations, http = start(stub.url)
        try:
            assert source.loaded.wait(3)
            loaded_at = source.confirmed_at
            assert wait_for(lambda: source.confirmed_at > loaded_at + 0.2)
        finally:
            source.close()
            http.close()


@pytest.mark.parametrize(
    "chunks",
    [
        ["id: 1\nevent: revocation\ndata: {\"a\":1}\n\n"],
        ["id: 1\r\nevent: revocation\r\ndata: {\"a\"", ":1}\r", "\n\r\n"],
        ["\ufeffid: 1\revent: revocation\rdata: {\"a\":1}\r\r"],
        [": ping\n", "id: 1\n", "event: revocation\ndata:", " {\"a\":1}\n", "\n"],
    ],
)
def test_sse_parser_handles_any_line_ending_and_chunking(chunks: List[str]) -> None:
    events: List[SseEvent] = []
    comments: List[str] = []
    parser = SseParser(events.append, on_comment=comments.append)
    for chunk in chunks:
        parser.push(chunk)
    assert events == [SseEvent("revocation", '{"a":1}', "1")]


def test_sse_parser_joins_data_lines_and_reads_retry() -> None:
    events: List[SseEvent] = []
    retries: List[int] = []
    parser = SseParser(events.append, on_retry=retries.append)
    parser.push("retry: 1500\ndata: a\ndata: b\n\ndata\n\nretry: x\n: comment only\n\n")
    # A bare "data" line is a data field with an empty value: the spec dispatches an event with empty data.
    assert events == [SseEvent("message", "a\nb", ""), SseEvent("message", "", "")]
    assert retries == [1500]


def test_parse_entry_accepts_only_the_wire_format() -> None:
    assert parse_entry(entry(1, "key_a")) is not None
    assert parse_entry(entry(1, "key_a", "token", "j")) is not None
    for bad in ({**entry(1, "k"), "seq": True}, {**entry(1, "k"), "type": "user"}, entry(1, "k", "token"), [], None, {**entry(1, "k"), "expires_at": "1"}):
        assert parse_entry(bad) is None
