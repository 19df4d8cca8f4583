"""AsyncVerifier: the asyncio twin of Verifier."""

from __future__ import annotations

import asyncio
import functools
from typing import Callable, Iterable, Optional, Union

from ._jwks import WouldBlock
from ._verifier_options import DEFAULT_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE_SECONDS, DEFAULT_TOKEN_CACHE_SIZE, RevocationArg
from .claims import Claims
from .verifier import ScopesArg, Verifier


class AsyncVerifier:
    """The async twin of :class:`Verifier`: same arguments, same names, awaited.

    Verification is CPU work and runs inline; when it needs the network (the JWKS, or the first load of
    the revocation list) it moves to a worker thread, so the event loop never blocks. It is not tied to
    one event loop.
    """

    def __init__(
        self,
        issuer: str,
        audience: Union[str, Iterable[str]],
        jwks_url: Optional[str] = None,
        *,
        revocation: RevocationArg,
        required_scopes: ScopesArg = (),
        clock_tolerance: float = DEFAULT_CLOCK_TOLERANCE_SECONDS,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        token_cache_size: int = DEFAULT_TOKEN_CACHE_SIZE,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        self._sync = Verifier(
            issuer,
            audience,
            jwks_url=jwks_url,
            revocation=revocation,
            required_scopes=required_scopes,
            clock_tolerance=clock_tolerance,
            algorithms=algorithms,
            token_cache_size=token_cache_size,
            clock=clock,
        )

    async def verify(self, token: str, scopes: ScopesArg = ()) -> Claims:
        """See :meth:`Verifier.verify`."""
        try:
            return self._sync._verify(token, scopes, False)
        except WouldBlock:
            call = functools.partial(self._sync._verify, token, scopes, True)
            return await asyncio.get_running_loop().run_in_executor(None, call)

    async def ready(self, timeout: Optional[float] = None) -> None:
        """See :meth:`Verifier.ready`."""
        await asyncio.get_running_loop().run_in_executor(None, self._sync.ready, timeout)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._sync.close)

    async def __aenter__(self) -> "AsyncVerifier":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return "Async" + repr(self._sync)


