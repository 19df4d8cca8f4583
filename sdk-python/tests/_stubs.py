"""A tiny scripted HTTP server on the loopback, standing in for an outside failure (or an outside
resource): each request takes the next scripted answer and is recorded."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Union


@dataclass
class Seen:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: Union[bytes, str, Dict[str, Any], List[Any]] = b""
    headers: Dict[str, str] = field(default_factory=dict)
    #: For event streams: chunks written one by one (with a flush), then the connection ends.
    chunks: Optional[List[bytes]] = None
    #: Seconds to wait between chunks, and after the last one before closing.
    chunk_delay: float = 0.0
    hold_open: float = 0.0


Script = Callable[[Seen], Reply]


class StubServer:
    def __init__(self, script: Union[Script, List[Reply]]) -> None:
        self.seen: List[Seen] = []
        self._lock = threading.Lock()
        if isinstance(script, list):
            replies = list(script)

            def next_reply(_seen: Seen) -> Reply:
                with self._lock:
                    return replies.pop(0) if len(replies) > 1 else replies[0]

            self._script: Script = next_reply
        else:
            self._script = script
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _handle(self) -> None:
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self._body(), time.monotonic())
                with stub._lock:
                    stub.seen.append(seen)
                reply = stub._script(seen)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.chunks is not None:
                    self.send_header("connection", "close")
                    self.end_headers()
                    for chunk in reply.chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(reply.chunk_delay)
                    time.sleep(reply.hold_open)
                    self.close_connection = True
                    return
                body = reply.body
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                    if "content-type" not in {k.lower() for k in reply.headers}:
                        self.send_header("content-type", "application/json")
                elif isinstance(body, str):
                    body = body.encode()
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                if "chunked" not in (self.headers.get("transfer-encoding") or "").lower():
                    return self.rfile.read(int(self.headers.get("content-length") or 0))
                body = b""
                for _ in range(10_000):
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    body += self.rfile.read(size)
                    self.rfile.readline()  # the CRLF after the chunk
                    if size == 0:
                        return body
                raise ValueError("chunked body too long")

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "StubServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def token_reply(token: str = "tok-1", expires_in: int = 900, scope: str = "orders:read") -> Reply:
    return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": scope})


def error_reply(status: int, code: str, description: str = "", headers: Optional[Dict[str, str]] = None) -> Reply:
    return Reply(status, {"error": code, "error_description": description or code}, headers or {})
