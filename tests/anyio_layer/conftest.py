"""Every test of the anyio layer runs once per backend: asyncio and trio."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import anyio
import pytest

from .peers import asyncio_server_url, websockets_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["asyncio", "trio"])
def run(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``run(async_fn, *args)`` under the backend of this test's parameter."""
    backend = request.param

    def runner(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return anyio.run(fn, *args, backend=backend)

    runner.backend = backend  # type: ignore[attr-defined]
    return runner
