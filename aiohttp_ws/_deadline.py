"""One way to bound an awaitable by a deadline and report it."""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

from .exceptions import ServerTimeoutError

T = TypeVar("T")


async def within(
    deadline: float | None, awaitable: Awaitable[T], message: str, error: type[ServerTimeoutError] = ServerTimeoutError
) -> T:
    """Await *awaitable* until *deadline* (a ``loop.time()`` value; ``None``:
    no bound). Past it: ``error(message)``. A ``ServerTimeoutError``
    raised inside (a read timeout, say) passes unchanged."""
    if deadline is None:
        return await awaitable
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        return await asyncio.wait_for(awaitable, max(remaining, 0))
    except asyncio.TimeoutError as exc:
        if isinstance(exc, ServerTimeoutError):
            raise
        raise error(message) from exc


def deadline_after(seconds: float | None) -> float | None:
    """The ``loop.time()`` value *seconds* from now, or ``None``."""
    return None if seconds is None else asyncio.get_running_loop().time() + seconds
