"""The real scope-auth service for the test session: started from the repository's dist/, on its own
Postgres database and Redis prefix, removed (process, database, keys) at the end."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import httpx
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwt import PyJWK

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "dist" / "src" / "cli.js"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
REDIS_DB = "9"
START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Key:
    id: str
    secret: str = field(repr=False)


@dataclass
class Service:
    url: str
    org_id: str
    admin: Key
    env: Dict[str, str] = field(repr=False)
    process: "subprocess.Popen[bytes]"
    log_path: Path
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10), repr=False)
    _admin_token: Optional[Tuple[str, float]] = field(default=None, repr=False)

    def exchange(self, key: Key, **extra: str) -> Dict[str, Any]:
        res = self.http.post(
            f"{self.url}/v1/token", json={"org_id": self.org_id, "key_id": key.id, "secret": key.secret, **extra}
        )
        assert res.status_code == 200, res.text
        return res.json()  # type: ignore[no-any-return]

    def admin_token(self) -> str:
        if self._admin_token is None or self._admin_token[1] < time.monotonic():
            answer = self.exchange(self.admin)
            self._admin_token = (answer["access_token"], time.monotonic() + answer["expires_in"] / 2)
        return self._admin_token[0]

    def create_key(
        self, scopes: Sequence[str] = ("orders:read",), audiences: Sequence[str] = ("https://orders.example",)
    ) -> Key:
        res = self.http.post(
            f"{self.url}/v1/keys",
            headers={"authorization": f"Bearer {self.admin_token()}"},
            json={"name": f"py-{secrets.token_hex(4)}", "scopes": list(scopes), "audiences": list(audiences)},
        )
        assert res.status_code == 201, res.text
        return Key(res.json()["id"], res.json()["secret"])

    def revoke(self, key_id: str) -> None:
        res = self.http.post(
            f"{self.url}/v1/keys/{key_id}/revoke", headers={"authorization": f"Bearer {self.admin_token()}"}, json={}
        )
        assert res.status_code == 200, res.text

    def signing_key(self) -> Tuple[str, str, Any]:
        """The active private signing key (kid, alg, key), read from the store and decrypted, so that the
        hostile-token tests can sign what only the service could."""
        out = _run(
            ["psql", *PG, "-d", _db_name(self.env), "-At", "-F", "\t", "-c",
             "SELECT kid, alg, private_jwk_enc FROM signing_keys WHERE retired_at IS NULL ORDER BY activates_at DESC LIMIT 1"]
        ).strip()
        kid, alg, sealed = out.split("\t")
        version, iv, tag, ct = sealed.split(".")
        assert version == "v1"
        kek = base64.b64decode(self.env["KEY_ENCRYPTION_KEY"])
        unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
        jwk = json.loads(AESGCM(kek).decrypt(unb64(iv), unb64(ct) + unb64(tag), kid.encode()))
        return kid, alg, PyJWK(jwk, algorithm=alg).key

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _db_name(env: Dict[str, str]) -> str:
    return env["DATABASE_URL"].rsplit("/", 1)[1]


def _run(cmd: List[str], env: Optional[Dict[str, str]] = None) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} {cmd[1]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout.decode()


def start_service(tmp_dir: Path) -> Service:
    if not CLI.exists():
        raise RuntimeError(
            f"{CLI} is missing: build the service first (npm ci, or npx tsc -p tsconfig.build.json in {REPO})"
        )
    port = free_port()
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")},
        "NODE_ENV": "test",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/scope_auth_py_{tag}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "REDIS_KEY_PREFIX": f"py-{tag}:",
        "ISSUER": f"http://127.0.0.1:{port}",
        "SIGNING_ALG": "ES256",
        "SECRET_PEPPER": secrets.token_urlsafe(32),
        "KEY_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "RATE_LIMIT_ENABLED": "false",
        "LOG_LEVEL": "warn",
    }
    log_path = tmp_dir / "service.log"
    log = open(log_path, "wb")  # noqa: SIM115 - the child writes to it for the whole session
    process = subprocess.Popen(
        ["node", str(CLI), "serve", "--migrate"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    url = env["ISSUER"]
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"scope-auth exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"scope-auth not ready after {START_TIMEOUT_SECONDS:g} s:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        boot = json.loads(_run(["node", str(CLI), "bootstrap", "--org-name", "py", "--json"], env={**env, "LOG_LEVEL": "error"}))
    except BaseException:
        stop_service(process, env)
        raise
    return Service(url, boot["org_id"], Key(boot["key_id"], boot["secret"]), env, process, log_path)


def stop_service(process: "subprocess.Popen[bytes]", env: Dict[str, str]) -> None:
    """Stops the service (its whole process group), drops its database and deletes its Redis keys."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    if shutil.which("psql"):
        _run(["psql", *PG, "-d", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{_db_name(env)}" WITH (FORCE)'])
    if shutil.which("redis-cli"):
        cli = ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "-n", REDIS_DB]
        keys = _run([*cli, "--scan", "--pattern", f"{env['REDIS_KEY_PREFIX']}*"]).split()
        for i in range(0, len(keys), 500):
            _run([*cli, "DEL", *keys[i : i + 500]])
