"""One way to bound an awaitable by a deadline and report it."""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

from .exceptions import ServerTimeoutError

T = TypeVar("T")
_timeout_at = getattr(asyncio, "timeout_at", None)  # Python 3.11+


async def bounded(awaitable: Awaitable[T], deadline: float | None) -> T:
    """Await *awaitable* in the calling task until *deadline* (a ``loop.time()``
    value; ``None``: no bound), then cancel it and raise ``asyncio.TimeoutError``.
    On Python 3.11+ this is ``asyncio.timeout_at``: no task is made for the
    awaitable (as ``asyncio.wait_for`` does before 3.12), which saves two
    event-loop iterations per call on the connect path."""
    if deadline is None:
        return await awaitable
    if _timeout_at is None:
        return await asyncio.wait_for(awaitable, max(deadline - asyncio.get_running_loop().time(), 0))
    async with _timeout_at(deadline):
        return await awaitable


async def within(
    deadline: float | None, awaitable: Awaitable[T], message: str, error: type[ServerTimeoutError] = ServerTimeoutError
) -> T:
    """Await *awaitable* until *deadline* (a ``loop.time()`` value; ``None``:
    no bound). Past it: ``error(message)``. A ``ServerTimeoutError``
    raised inside (a read timeout, say) passes unchanged, as does any error
    when there is no deadline."""
    if deadline is None:
        return await awaitable
    try:
        return await bounded(awaitable, deadline)
    except asyncio.TimeoutError as exc:
        if isinstance(exc, ServerTimeoutError):
            raise
        raise error(message) from exc


def deadline_after(seconds: float | None) -> float | None:
    """The ``loop.time()`` value *seconds* from now, or ``None``."""
    return None if seconds is None else asyncio.get_running_loop().time() + seconds
