from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from _service import Service, start_service, stop_service


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real scope-auth service, one for the whole session (start-up takes a few seconds)."""
    svc = start_service(Path(tmp_path_factory.mktemp("scope-auth")))
    try:
        yield svc
    finally:
        svc.http.close()
        stop_service(svc.process, svc.env)


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
