"""Measurements taken from this process: RSS, open fds, event-loop lag."""

from __future__ import annotations

import asyncio
import os
import resource
from typing import Any, AsyncIterator, Callable

import pytest

from ..conftest import raw_server  # noqa: F401  (the scripted server fixture)

PAGE = resource.getpagesize()


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class LagMeter:
    """Largest delay of a 10 ms timer while running: how long the loop stalled."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, loop.time() - start - 0.01)

    def __enter__(self) -> LagMeter:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.fixture
async def lag() -> AsyncIterator[LagMeter]:
    with LagMeter() as meter:
        await asyncio.sleep(0)
        yield meter


_MEASURED: list[tuple[str, str]] = []


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``report(what, value)``: a measured number, printed at the end of the run."""

    def add(what: str, value: str) -> None:
        _MEASURED.append((f"{request.node.name}: {what}", value))

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _MEASURED:
        terminalreporter.section("robustness measurements")
        for what, value in _MEASURED:
            terminalreporter.write_line(f"{what}: {value}")
