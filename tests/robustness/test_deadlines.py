"""The connect and handshake deadlines (``asyncio.timeout_at`` on Python
3.11+, nested: handshake > connect > socket connect) against a peer that
accepts and never answers, alone and under the user's own ``wait_for`` and
``cancel()``: the right error each time, the socket closed, no fd left."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

import aiohttp_ws

from ..conftest import RawServer, Script
from .conftest import open_fds


def silent(seen_eof: list[bool]) -> Script:
    """Reads the upgrade request, never answers, notes when the client hangs up."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen_eof.append(await reader.read() == b"")

    return script


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("how", ["handshake deadline", "total deadline", "outer wait_for", "outer cancel"])
async def test_a_silent_server_ends_in_the_right_error_and_leaks_nothing(
    raw_server: Callable[[Script], Awaitable[RawServer]], how: str
) -> None:
    seen_eof: list[bool] = []
    server = await raw_server(silent(seen_eof))
    before = open_fds()
    for _ in range(5):
        if how == "handshake deadline":
            with pytest.raises(aiohttp_ws.ServerTimeoutError, match="handshake .* timed out"):
                await aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=0.1))
        elif how == "total deadline":  # ClientTimeout.total bounds the handshake as well
            session = aiohttp_ws.ClientSession(timeout=aiohttp_ws.ClientTimeout(total=0.1))
            async with session:
                with pytest.raises(asyncio.TimeoutError):
                    await session.ws_connect(server.url)
        elif how == "outer wait_for":  # the user's bound is shorter than ours: theirs wins, untranslated
            with pytest.raises(asyncio.TimeoutError) as info:
                await asyncio.wait_for(
                    aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=5)), 0.1
                )
            assert not isinstance(info.value, aiohttp_ws.ServerTimeoutError)
        else:
            task = asyncio.ensure_future(
                aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=5))
            )
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    await until(lambda: len(seen_eof) == 5)
    assert seen_eof == [True] * 5  # every connection was closed by the client
    assert open_fds() <= before
