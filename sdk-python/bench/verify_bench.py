"""Verifier and token client figures (issue 23, "Performance"), on the loopback, no service needed.

    cd sdk-python && /usr/bin/python3 bench/verify_bench.py [--quick]

A tiny local server plays the auth service (JWKS, revocation feed and stream, token endpoint), so the
verifier runs as in production: revocation on, JWKS cached. First-seen figures are medians of
single calls, paired token by token with jwt.decode; the others are the best of several rounds (the
least disturbed by other work on the machine). Microseconds per call.

- first-seen token: Verifier.verify on tokens it has not seen, vs plain jwt.decode with the same key
  (target: within 1.2x);
- cached token: Verifier.verify on a token it has verified before, vs jwt.decode (target: >= 20x faster);
- get_token(): TokenClient.get_token on a cached token (target: < 100 us).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from scope_auth import TokenClient, Verifier  # noqa: E402

ISSUER = "https://auth.bench"
AUD = "https://orders.bench"


def serve(jwks: Dict[str, Any]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_a: Any) -> None:
            pass

        def _json(self, body: Any, headers: Dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            for k, v in {"content-type": "application/json", "content-length": str(len(data)), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/v1/revocations/stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b": ping\n\n")
                        self.wfile.flush()
                        time.sleep(15)
                except OSError:
                    return
            if self.path.startswith("/v1/revocations"):
                return self._json({"revocations": [], "last_seq": 0, "has_more": False}, {})
            return self._json(jwks, {"cache-control": "max-age=300"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._json({"access_token": "tok", "token_type": "Bearer", "expires_in": 900, "scope": "orders:read"}, {})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def per_call_us(fn: Callable[[], Any], calls: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls)
    return best * 1e6


def single_call_median_us(fn: Callable[[], Any], calls: int) -> float:
    clock = time.perf_counter_ns
    times = []
    for _ in range(calls):
        a = clock()
        fn()
        times.append(clock() - a)
    return statistics.median(times) / 1e3


def paired_medians_us(ours: Callable[[], Callable[[str], Any]], plain: Callable[[str], Any], tokens: List[str], rounds: int) -> "tuple[float, float]":
    """Each token through both, one right after the other (in alternating order), each call timed on
    its own: the medians shrug off the preemptions a shared machine inflicts on a few calls."""
    mine: List[int] = []
    theirs: List[int] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        verify = ours()  # a new verifier per round: every token is first-seen
        for i, t in enumerate(tokens):
            if i % 2:
                a = clock(); verify(t); b = clock(); plain(t); c = clock()  # noqa: E702
                mine.append(b - a)
                theirs.append(c - b)
            else:
                a = clock(); plain(t); b = clock(); verify(t); c = clock()  # noqa: E702
                theirs.append(b - a)
                mine.append(c - b)
    return statistics.median(mine) / 1e3, statistics.median(theirs) / 1e3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small counts: checks the script runs, figures are rough")
    args = parser.parse_args()
    n_tokens, n_calls, rounds = (200, 2_000, 2) if args.quick else (2_000, 50_000, 5)

    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    jwk = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public)), "kid": "bench", "alg": "ES256", "use": "sig"}
    server = serve({"keys": [jwk]})
    url = f"http://127.0.0.1:{server.server_address[1]}"
    now = int(time.time())

    def token() -> str:
        claims = {
            "iss": ISSUER, "sub": "key_01BENCH", "client_id": "key_01BENCH", "org_id": "org_01BENCH", "aud": AUD,
            "scope": "orders:read orders:write", "env": "live", "iat": now, "exp": now + 900, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, private, algorithm="ES256", headers={"kid": "bench", "typ": "at+jwt"})

    tokens = [token() for _ in range(n_tokens)]
    verifiers: List[Verifier] = []

    def new_verifier() -> Callable[[str], Any]:
        v = Verifier(ISSUER, AUD, revocation={"auth_url": url}, required_scopes=["orders:read"])
        v.ready()
        v.verify(token())  # JWKS fetched, list loaded: measure verification only
        verifiers.append(v)
        return v.verify

    def plain(t: str) -> Any:
        return jwt.decode(t, public, algorithms=["ES256"], audience=AUD, issuer=ISSUER)

    first_seen, plain_decode = paired_medians_us(new_verifier, plain, tokens, rounds)
    cached_verify = new_verifier()
    one = tokens[0]
    cached_verify(one)
    cached = per_call_us(lambda: cached_verify(one), n_calls, rounds)
    # jwt.decode costs ~100x more: as many calls would take minutes; medians of single calls instead.
    plain_one = single_call_median_us(lambda: plain(one), max(n_calls // 25, 200))

    client = TokenClient(org_id="org_01BENCH", api_key="key_01BENCH", api_secret="sk_test_bench", auth_url=url)
    client.get_token()
    get_token = per_call_us(client.get_token, n_calls, rounds)

    results = [
        ("first-seen token: Verifier.verify", first_seen, f"{first_seen / plain_decode:.2f}x plain jwt.decode ({plain_decode:.1f} us)", first_seen <= 1.2 * plain_decode),
        ("cached token: Verifier.verify", cached, f"{plain_one / cached:.0f}x faster than jwt.decode ({plain_one:.1f} us)", plain_one / cached >= 20),
        ("TokenClient.get_token (cached)", get_token, "target < 100 us", get_token < 100),
    ]
    print(f"python {sys.version.split()[0]}, PyJWT {jwt.__version__}, {n_tokens} tokens x {rounds} rounds, {n_calls} calls x {rounds} rounds")
    for name, us, note, ok in results:
        print(f"  {name:38s} {us:8.2f} us/call   {note}   {'ok' if ok else 'MISSED'}")
    client.close()
    for v in verifiers:
        v.close()
    server.shutdown()
    return 0 if all(ok for *_, ok in results) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
