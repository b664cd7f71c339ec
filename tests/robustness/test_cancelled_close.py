"""A cancelled close() (or async-with exit) leaves no socket and no pool slot."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

import aiohttp_ws

from ..conftest import RawServer, Script, accept, finish_close, read_client_frame
from .conftest import open_fds


def never_answers_close(eofs: list[bytes]) -> Script:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await read_client_frame(reader)  # the close frame: never answered
        eofs.append(await reader.read())

    return script


async def test_150_cancelled_closes_leave_no_socket_and_the_session_connects(
    raw_server: Callable[[Script], Awaitable[RawServer]], report: Callable[[str, str], None]
) -> None:
    eofs: list[bytes] = []
    server = await raw_server(never_answers_close(eofs))
    fds = open_fds()
    async with aiohttp_ws.ClientSession() as session:  # TCPConnector(limit=100)
        for _ in range(150):
            ws = await session.ws_connect(server.url)
            closing = asyncio.create_task(ws.close())
            await asyncio.sleep(0.005)  # inside close(), waiting for the peer's close frame
            closing.cancel()
            with pytest.raises(asyncio.CancelledError):
                await closing
            assert ws.closed
        for _ in range(100):
            if open_fds() <= fds + 1 and len(eofs) == 150:
                break
            await asyncio.sleep(0.02)
        report("fds before, after", f"{fds}, {open_fds()}")
        assert open_fds() <= fds + 1  # the session's own resolver/loop fds aside: no socket left
        assert len(eofs) == 150  # every socket was closed, the server saw each end
        assert session.connector._limiter.total == 0  # every pool slot given back

        async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await accept(reader, writer)
            await finish_close(reader, writer)

        good = await raw_server(answers)
        async with session.ws_connect(good.url, timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=2)) as ws:
            assert not ws.closed  # connect #151 works: no slot was leaked


async def test_cancelled_async_with_exit_leaves_no_socket(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    eofs: list[bytes] = []
    server = await raw_server(never_answers_close(eofs))
    fds = open_fds()

    async def user_task() -> None:
        async with aiohttp_ws.ws_connect(server.url) as ws:
            await ws.receive()  # cancelled here; the exit's close() is cancelled again below

    task = asyncio.create_task(user_task())
    await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.sleep(0.05)  # now inside __aexit__ → close(), waiting
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if eofs:
            break
        await asyncio.sleep(0.02)
    assert eofs == [b""]
    assert open_fds() <= fds
