"""After the close handshake TCP ends within about a second, whichever side waits."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws.connection import CLOSE_LINGER

from ..conftest import RawServer, Script, accept, read_client_frame, server_frame


def waits_for_client_fin(ended: list[float]) -> Script:
    """Answers the close frame, then waits for the client to end TCP."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        opcode, payload = await read_client_frame(reader)
        assert opcode == 0x8
        writer.write(server_frame(0x8, payload[:2]))
        await reader.read()  # our FIN comes only after the client's
        ended.append(asyncio.get_running_loop().time())

    return script


async def test_exception_inside_async_with_against_a_server_waiting_for_our_fin(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    ended: list[float] = []
    server = await raw_server(waits_for_client_fin(ended))
    loop = asyncio.get_running_loop()
    start = loop.time()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        with pytest.raises(KeyError):
            async with aiohttp_ws.ClientSession() as session:
                async with session.ws_connect(server.url) as ws:
                    raise KeyError("application error")
        took = loop.time() - start
        gc.collect()
    assert took < CLOSE_LINGER + 0.5  # before: the whole ws_close, 10 s
    for _ in range(50):
        if ended:
            break
        await asyncio.sleep(0.02)
    assert ended and ended[0] - start < CLOSE_LINGER + 0.5  # the server saw our FIN
    assert ws.closed and ws.close_code == 1000 and ws.exception() is None


async def test_a_server_that_closes_first_is_not_delayed(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    async def closes_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        opcode, payload = await read_client_frame(reader)
        writer.write(server_frame(0x8, payload[:2]))
        writer.close()

    server = await raw_server(closes_first)
    loop = asyncio.get_running_loop()
    ws = await aiohttp_ws.ws_connect(server.url)
    start = loop.time()
    assert await ws.close() is True
    assert loop.time() - start < 0.3
