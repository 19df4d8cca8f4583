"""Checks of the verifier's arguments: unsafe or wrong values fail at construction, never at verify time."""

from __future__ import annotations

import math
from typing import Any, FrozenSet, Iterable, Mapping, Optional, Tuple, Union

from .options import RevocationOptions

RevocationArg = Union[RevocationOptions, Mapping[str, Any], bool]

DEFAULT_ALGORITHMS = ("ES256", "EdDSA")
#: Never "none", never HMAC: an HS256 token "signed" with the public key is the classic confusion attack.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
DEFAULT_CLOCK_TOLERANCE_SECONDS = 5.0
#: The service keeps a revocation entry 60 s past the expiry of the tokens it covers: a token accepted
#: later than that could be one whose entry is already gone.
MAX_CLOCK_TOLERANCE_SECONDS = 60.0
DEFAULT_TOKEN_CACHE_SIZE = 1_000


def check_token_cache_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("token_cache_size must be a non-negative int")
    return value


def check_audience(audience: Union[str, Iterable[str]]) -> Union[str, Tuple[str, ...]]:
    if isinstance(audience, str):
        if not audience:
            raise TypeError("audience is required")
        return audience
    values = tuple(audience) if audience is not None else ()
    if not values or not all(isinstance(a, str) and a for a in values):
        raise TypeError("audience is required: a string or a non-empty list of strings")
    return values


def check_revocation(revocation: RevocationArg) -> Optional[RevocationOptions]:
    if revocation is False:
        return None
    if revocation is True or revocation is None:
        raise TypeError('revocation is required: {"auth_url": …}, or False to go without revocation checks')
    return RevocationOptions.coerce(revocation)


def check_tolerance(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("clock_tolerance must be a number of seconds")
    if not math.isfinite(value) or value < 0:
        raise ValueError("clock_tolerance must be a non-negative number of seconds")
    if value > MAX_CLOCK_TOLERANCE_SECONDS:
        raise ValueError(
            f"clock_tolerance must be at most {MAX_CLOCK_TOLERANCE_SECONDS:g} seconds: the service drops a "
            "revocation entry 60 s after its tokens expire, so a longer tolerance could accept a revoked token"
        )
    return float(value)


def check_algorithms(algorithms: Iterable[str]) -> FrozenSet[str]:
    if isinstance(algorithms, str):
        raise TypeError('algorithms must be a list, e.g. ["ES256"]')
    chosen = frozenset(algorithms)
    if not chosen:
        raise ValueError("algorithms must not be empty")
    for alg in chosen:
        if alg not in ASYMMETRIC_ALGORITHMS:
            raise ValueError(f'algorithm "{alg}" is not allowed (asymmetric algorithms only)')
    return chosen
