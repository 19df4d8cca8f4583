"""Incremental parser for text/event-stream, per the WHATWG HTML spec §9.2.6 ("Interpreting an event stream")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_EOL = re.compile(r"[\r\n]")
#: A line longer than this is not an event stream we know: the connection is dropped.
MAX_LINE_CHARS = 1_000_000


@dataclass(frozen=True)
class SseEvent:
    type: str
    data: str
    last_event_id: str


def _ignore(_value: object) -> None:
    return None


class SseParser:
    """Feed it decoded text in any chunking; it calls back per event, ``retry:`` hint and comment."""

    def __init__(
        self,
        on_event: Callable[[SseEvent], None],
        on_retry: Callable[[int], None] = _ignore,
        on_comment: Callable[[str], None] = _ignore,
    ) -> None:
        self._on_event = on_event
        self._on_retry = on_retry
        self._on_comment = on_comment
        self._buffer = ""
        self._data = ""
        self._type = ""
        self._last_event_id = ""
        self._started = False
        self._skip_lf = False

    def push(self, chunk: str) -> None:
        if not self._started and chunk:
            self._started = True
            if chunk.startswith("\ufeff"):
                chunk = chunk[1:]
        # A CR that ended the previous chunk may be the first half of a CRLF.
        if self._skip_lf and chunk.startswith("\n"):
            chunk = chunk[1:]
        self._skip_lf = False
        self._buffer += chunk
        while True:
            m = _EOL.search(self._buffer)
            if m is None:
                if len(self._buffer) > MAX_LINE_CHARS:
                    raise ValueError("event stream line too long")
                return
            i = m.start()
            line = self._buffer[:i]
            width = 1
            if self._buffer[i] == "\r":
                if i == len(self._buffer) - 1:
                    self._skip_lf = True
                elif self._buffer[i + 1] == "\n":
                    width = 2
            self._buffer = self._buffer[i + width :]
            self._line(line)

    def _line(self, line: str) -> None:
        if line == "":
            self._dispatch()
            return
        if line.startswith(":"):
            self._on_comment(line[1:].strip())  # e.g. the ": ping" heartbeat
            return
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            self._data += value + "\n"
        elif field == "id":
            if "\0" not in value:
                self._last_event_id = value
        elif field == "retry":
            if re.fullmatch(r"\d+", value):
                self._on_retry(int(value))
        # unknown fields are ignored

    def _dispatch(self) -> None:
        data, kind = self._data, self._type or "message"
        self._data = ""
        self._type = ""
        if data == "":
            return
        self._on_event(SseEvent(kind, data[:-1], self._last_event_id))
