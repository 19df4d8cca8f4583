"""Keeps a RevocationList current from the service's feed and SSE stream, on background threads.

One load of ``GET /v1/revocations`` (every page, following ``after=last_seq`` while ``has_more``),
then the stream ``GET /v1/revocations/stream`` (resuming with ``Last-Event-ID``), polling the feed
with ``?after=`` whenever the stream is down; a full reload every minute repairs anything a dropped
event could have missed.
"""

from __future__ import annotations

import math
import random
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

import httpx

from ._revocation_list import RevocationList, parse_entry, parse_entry_json
from ._sse import SseEvent, SseParser
from ._urls import endpoint
from .options import RevocationOptions

FIRST_RECONNECT_SECONDS = 1.0
#: The server sends ": ping" every 15 s; three missed heartbeats mean the connection is dead.
STREAM_IDLE_SECONDS = 45.0
FEED_TIMEOUT_SECONDS = 10.0
FULL_RELOAD_SECONDS = 60.0
#: Entries are kept this long past their expires_at (the service's own margin, DESIGN.md "Revocation").
KEEP_PAST_EXPIRY_SECONDS = 60.0
#: A feed that keeps saying has_more past this many pages is broken; the load fails instead of looping.
MAX_FEED_PAGES = 10_000


class FeedError(Exception):
    pass


@dataclass(frozen=True)
class FeedPage:
    revocations: List[Any]
    last_seq: Optional[int]
    has_more: bool


def read_page(body: Any) -> FeedPage:
    """``{"revocations":[…],"last_seq","has_more"}``; no has_more (older services) is the last page."""
    if not isinstance(body, dict) or not isinstance(body.get("revocations"), list):
        raise FeedError("revocation feed sent a malformed body")
    last_seq = body.get("last_seq")
    ok = isinstance(last_seq, int) and not isinstance(last_seq, bool)
    return FeedPage(body["revocations"], last_seq if ok else None, body.get("has_more") is True)


class HttpRevocationSource:
    def __init__(
        self,
        options: RevocationOptions,
        revocations: RevocationList,
        clock: Callable[[], float],
        clock_tolerance_seconds: float,
        http: httpx.Client,
        full_reload_seconds: float = FULL_RELOAD_SECONDS,
    ) -> None:
        self._o = options
        self._list = revocations
        self._clock = clock
        self._tolerance = clock_tolerance_seconds
        self._http = http
        self._full_reload_seconds = full_reload_seconds
        self._feed_url = endpoint(options.auth_url, "/v1/revocations")
        self._stream_url = endpoint(options.auth_url, "/v1/revocations/stream")
        #: Set once the complete list has been loaded.
        self.loaded = threading.Event()
        #: Latest time (verifier clock) the list is known to have been current at: the start of a complete
        #: feed load, or a stream event or heartbeat (everything the service wrote before it has arrived).
        self.confirmed_at = -math.inf
        self._closed = threading.Event()
        self._stream_lock = threading.Lock()
        self._stream_response: Optional[httpx.Response] = None
        self._opened = False
        self._threads = [
            threading.Thread(target=self._run, name="scope-auth-revocations", daemon=True),
            threading.Thread(target=self._reload_periodically, name="scope-auth-revocations-reload", daemon=True),
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def close(self, timeout: float = 2.0) -> None:
        self._closed.set()
        self._abort_stream()
        for t in self._threads:
            if t.is_alive() and t is not threading.current_thread():
                t.join(timeout)

    def _confirm(self, at: float) -> None:
        if at > self.confirmed_at:
            self.confirmed_at = at

    def load(self, full: bool = False) -> None:
        """One load of the feed; it counts only once every page is in (a list missing its tail would
        accept revoked tokens)."""
        started = self._clock()
        after = None if full or not self.loaded.is_set() else self._list.last_seq
        for _ in range(MAX_FEED_PAGES):
            url = self._feed_url if after is None else f"{self._feed_url}?after={after}"
            res = self._http.get(url, headers={"accept": "application/json"}, timeout=FEED_TIMEOUT_SECONDS)
            if res.status_code != 200:
                raise FeedError(f"revocation feed answered HTTP {res.status_code}")
            page = read_page(res.json())
            for raw in page.revocations:
                entry = parse_entry(raw)
                if entry is not None:
                    self._list.apply(entry)
            if page.last_seq is not None:
                self._list.advance_to(page.last_seq)
            if not page.has_more:
                self.loaded.set()
                self._confirm(started)
                return
            if page.last_seq is None or page.last_seq <= (after or 0):
                raise FeedError("revocation feed has more pages but did not advance")
            after = page.last_seq
        raise FeedError("revocation feed did not end")

    def _run(self) -> None:
        failures = 0
        base_delay = FIRST_RECONNECT_SECONDS
        while not self._closed.is_set():
            if not self.loaded.is_set():
                self._try_load()
                if not self.loaded.is_set():
                    self._closed.wait(self._o.poll_interval_seconds)
                continue
            retry_hint: List[float] = []
            self._opened = False
            try:
                self._stream(retry_hint.append)
            except Exception:  # noqa: BLE001 - a dropped stream is reconnected, whatever dropped it
                pass
            if retry_hint:
                base_delay = retry_hint[-1]
            failures = 0 if self._opened else failures + 1
            ceiling = min(self._o.max_reconnect_delay_seconds, base_delay * 2 ** min(failures, 16))
            # Half fixed, half random: never a reconnect storm, never a tight loop.
            self._poll_until(time.monotonic() + ceiling / 2 + random.random() * ceiling / 2)

    def _poll_until(self, deadline: float) -> None:
        """While the stream is down: poll the feed at once, then every poll interval, until the deadline."""
        while not self._closed.is_set():
            self._try_load()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._closed.wait(min(self._o.poll_interval_seconds, left))

    def _try_load(self, full: bool = False) -> None:
        try:
            self.load(full)
        except Exception:  # noqa: BLE001 - the source retries; verify fails closed until the first load
            pass

    def _reload_periodically(self) -> None:
        while not self._closed.wait(self._full_reload_seconds):
            self._list.prune(self._clock() - self._tolerance - KEEP_PAST_EXPIRY_SECONDS)
            if self.loaded.is_set():
                self._try_load(full=True)

    def _stream(self, on_retry: Callable[[float], None]) -> None:
        """Reads one connection to its end; sets ``_opened`` once the service has accepted it."""
        headers = {
            "accept": "text/event-stream",
            "cache-control": "no-cache",
            "last-event-id": str(self._list.last_seq),
        }
        timeout = httpx.Timeout(FEED_TIMEOUT_SECONDS, read=STREAM_IDLE_SECONDS)
        parser = SseParser(self._on_event, lambda ms: on_retry(ms / 1000), self._on_comment)
        with self._http.stream("GET", self._stream_url, headers=headers, timeout=timeout) as res:
            kind = res.headers.get("content-type", "")
            if res.status_code != 200 or not kind.startswith("text/event-stream"):
                return
            with self._stream_lock:
                if self._closed.is_set():
                    return
                self._stream_response = res
            self._opened = True
            try:
                for chunk in res.iter_text():
                    parser.push(chunk)
                    if self._closed.is_set():
                        break
            finally:
                with self._stream_lock:
                    self._stream_response = None

    def _on_event(self, event: SseEvent) -> None:
        if event.type != "revocation":
            return
        entry = parse_entry_json(event.data)
        if entry is not None:
            self._list.apply(entry)
        self._confirm(self._clock())

    def _on_comment(self, text: str) -> None:
        if text == "ping":
            self._confirm(self._clock())

    def _abort_stream(self) -> None:
        # Shutting the socket down wakes the thread blocked reading it at once, so that the service
        # frees the stream slot now (closing it from another thread would not interrupt the read).
        with self._stream_lock:
            res = self._stream_response
        if res is None:
            return
        stream = res.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
