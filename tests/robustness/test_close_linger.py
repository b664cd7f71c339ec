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


async def closes_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers the close frame and ends TCP at once (the usual server)."""
    await accept(reader, writer)
    opcode, payload = await read_client_frame(reader)
    writer.write(server_frame(0x8, payload[:2]))
    writer.close()


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
    server = await raw_server(closes_first)
    loop = asyncio.get_running_loop()
    ws = await aiohttp_ws.ws_connect(server.url)
    start = loop.time()
    assert await ws.close() is True
    assert loop.time() - start < 0.3


@pytest.mark.parametrize("delay", [0.6, 1.5])
@pytest.mark.parametrize("ws_close", [10.0, None])
async def test_linger_counts_from_a_late_close_frame(
    raw_server: Callable[[Script], Awaitable[RawServer]], delay: float, ws_close: float | None
) -> None:
    """The close reply comes *delay* seconds after close() (before and after
    the moment a linger from close() itself would end), and the server then
    waits for our FIN: the linger runs from the close frame, whatever the
    close timeout (none at all included)."""
    ended: list[float] = []

    async def late_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        opcode, payload = await read_client_frame(reader)
        assert opcode == 0x8
        await asyncio.sleep(delay)
        writer.write(server_frame(0x8, payload[:2]))
        await reader.read()
        ended.append(asyncio.get_running_loop().time())

    server = await raw_server(late_reply)
    loop = asyncio.get_running_loop()
    ws = await aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_close=ws_close))
    start = loop.time()
    assert await asyncio.wait_for(ws.close(), 5) is True
    took = loop.time() - start
    assert delay + CLOSE_LINGER - 0.1 < took < delay + CLOSE_LINGER + 0.5
    for _ in range(50):
        if ended:
            break
        await asyncio.sleep(0.02)
    assert ended and ended[0] - start > delay + CLOSE_LINGER - 0.1  # our FIN, a linger after the frame
    assert ws.close_code == 1000 and ws.exception() is None


async def test_close_arms_one_timer_when_the_server_ends_tcp(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    """The usual close (the server answers and ends TCP at once) arms a single
    timer for the close timeout and the linger together; a silent server
    still gets ws_close (1006, ServerTimeoutError)."""

    server = await raw_server(closes_first)
    loop = asyncio.get_running_loop()
    ws = await aiohttp_ws.ws_connect(server.url)
    armed: list[object] = []
    call_at = loop.call_at

    def spy(when: float, callback: Callable[..., object], *args: object) -> asyncio.TimerHandle:
        armed.append(callback)
        return call_at(when, callback, *args)

    loop.call_at = spy  # type: ignore[method-assign]
    try:
        assert await ws.close() is True
    finally:
        del loop.call_at
    assert len(armed) == 1 and ws.close_code == 1000

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await reader.read()

    server = await raw_server(silent)
    ws = await aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_close=0.3))
    start = loop.time()
    assert await ws.close() is True
    assert 0.25 < loop.time() - start < 1.0
    assert ws.close_code == 1006 and isinstance(ws.exception(), aiohttp_ws.ServerTimeoutError)


async def test_close_returns_right_after_connection_lost(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    """When the server ends TCP, ``eof_received`` closes the transport and
    wakes ``close()`` behind the queued ``connection_lost``: ``close()``
    returns in the loop iteration that runs ``connection_lost`` (the slot is
    back, the fd closed), not one iteration later. Also when our linger ends
    TCP (the server waits for our FIN)."""
    loop = asyncio.get_running_loop()
    for script in (closes_first, waits_for_client_fin([])):
        server = await raw_server(script)
        async with aiohttp_ws.ClientSession() as session:
            ws = await session.ws_connect(server.url)
            iterations: list[None] = []
            lost_in: list[int] = []
            ws._conn.add_lost_callback(lambda: lost_in.append(len(iterations)))
            select = loop._selector.select  # type: ignore[attr-defined]

            def counting(timeout: float | None = None) -> object:
                iterations.append(None)
                return select(timeout)

            loop._selector.select = counting  # type: ignore[attr-defined]
            try:
                assert await ws.close() is True
                returned_in = len(iterations)
            finally:
                loop._selector.select = select  # type: ignore[attr-defined]
            assert ws.closed and ws.close_code == 1000
            assert session.connector._limiter.total == 0  # connection_lost released the slot
            assert lost_in == [returned_in], (lost_in, returned_in)
