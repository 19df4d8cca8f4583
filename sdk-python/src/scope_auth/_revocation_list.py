"""The in-memory revocation list: two dict lookups on the hot path, no I/O."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Dict, Optional, TypeGuard


@dataclass(frozen=True)
class RevocationEntry:
    """One entry of the wire format ``{"seq","type","key_id","jti"?,"revoked_at","expires_at"}`` (unix s).

    ``revoked_at`` is informational: a key entry refuses every token of the key, whatever its ``iat``.
    """

    seq: int
    type: str  # "key" or "token"
    key_id: str
    jti: Optional[str]
    revoked_at: int
    expires_at: int


def _is_int(v: Any) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_entry(value: Any) -> Optional[RevocationEntry]:
    """One entry, or None for anything else (which is skipped, never trusted)."""
    if not isinstance(value, dict):
        return None
    seq, kind, key_id, jti = value.get("seq"), value.get("type"), value.get("key_id"), value.get("jti")
    revoked_at, expires_at = value.get("revoked_at"), value.get("expires_at")
    if not _is_int(seq) or not _is_int(revoked_at) or not _is_int(expires_at) or not isinstance(key_id, str):
        return None
    if kind == "key":
        return RevocationEntry(seq, "key", key_id, None, revoked_at, expires_at)
    if kind == "token" and isinstance(jti, str) and jti:
        return RevocationEntry(seq, "token", key_id, jti, revoked_at, expires_at)
    return None


def parse_entry_json(text: str) -> Optional[RevocationEntry]:
    try:
        return parse_entry(json.loads(text))
    except ValueError:
        return None


class RevocationList:
    """Entries are only ever added (a reload merges) and dropped once expired, so a reload racing
    a stream event can never un-revoke anything. Thread-safe; lookups take no lock."""

    def __init__(self) -> None:
        #: Revoked key ID → latest expires_at of its entries; revoked jti → its expires_at.
        self._keys: Dict[str, int] = {}
        self._tokens: Dict[str, int] = {}
        self._last_seq = 0
        self._lock = threading.Lock()

    @property
    def last_seq(self) -> int:
        """Highest seq applied or confirmed so far (0 before any)."""
        return self._last_seq

    def __len__(self) -> int:
        return len(self._keys) + len(self._tokens)

    def apply(self, e: RevocationEntry) -> None:
        with self._lock:
            if e.seq > self._last_seq:
                self._last_seq = e.seq
            if e.type == "token" and e.jti is not None:
                self._tokens[e.jti] = max(e.expires_at, self._tokens.get(e.jti, 0))
            else:
                self._keys[e.key_id] = max(e.expires_at, self._keys.get(e.key_id, 0))

    def advance_to(self, seq: int) -> None:
        """The source has seen everything up to seq, even when no entry carried it."""
        with self._lock:
            if seq > self._last_seq:
                self._last_seq = seq

    def is_revoked(self, sub: str, jti: str) -> bool:
        """A revoked key refuses every token whose sub is that key, whenever it was issued: an instance
        with a stale key cache may still mint for it after the revoke (DESIGN.md "Revocation")."""
        return sub in self._keys or jti in self._tokens

    def prune(self, before: float) -> None:
        """Drops entries whose expires_at is before ``before`` (unix seconds)."""
        with self._lock:
            self._keys = {k: v for k, v in self._keys.items() if v >= before}
            self._tokens = {k: v for k, v in self._tokens.items() if v >= before}
