"""The heartbeat never fails a connection because of our own read pause."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws import WSMsgType

from ..conftest import RawServer, Script, accept, read_client_frame, server_frame

CHUNK = server_frame(0x2, bytes(64 * 1024))


def streaming(answer_pings: bool, total: int | None) -> Script:
    """Stream 64 KiB binary messages as fast as the client takes them (all of
    them, or *total* bytes then silence), reading the client's frames aside and
    answering pings if told to."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)

        async def read_side() -> None:
            while True:
                opcode, payload = await read_client_frame(reader)
                if opcode == 0x9 and answer_pings:
                    writer.write(server_frame(0xA, payload))
                if opcode == 0x8:
                    return

        reading = asyncio.ensure_future(read_side())
        sent = 0
        try:
            while total is None or sent < total:
                writer.write(CHUNK)
                sent += len(CHUNK)
                await writer.drain()
            await reading
        finally:
            reading.cancel()

    return script


@pytest.mark.timeout(30)
async def test_slow_reader_with_heartbeat_survives_a_fast_stream(
    raw_server: Callable[[Script], Awaitable[RawServer]], report: Callable[[str, str], None]
) -> None:
    """Server streams as fast as it can and answers every ping; the
    application reads one message per 0.5 s; heartbeat=1 s; 10 s, no failure."""
    server = await raw_server(streaming(answer_pings=True, total=None))
    loop = asyncio.get_running_loop()
    async with aiohttp_ws.ws_connect(server.url, heartbeat=1.0) as ws:
        stop = loop.time() + 10
        got = 0
        while loop.time() < stop:
            msg = await ws.receive()
            assert msg.type is WSMsgType.BINARY, (msg, ws.exception())
            got += 1
            await asyncio.sleep(0.5)
        report("messages read in 10 s, failures", f"{got}, {ws.exception()!r}")
        assert not ws.closed and ws.exception() is None
        assert ws._conn.reading_paused  # the queue was full: reading paused, as designed
    assert got >= 15


@pytest.mark.timeout(30)
async def test_a_peer_silent_after_the_pause_is_still_detected(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    """4 MiB then silence, pings unanswered. The application does not read for
    3 s (paused, no failure), then reads everything: the heartbeat fails the
    connection within heartbeat * 1.5 s of the last data."""
    server = await raw_server(streaming(answer_pings=False, total=4 * 1024 * 1024))
    loop = asyncio.get_running_loop()
    async with aiohttp_ws.ws_connect(server.url, heartbeat=1.0) as ws:
        await asyncio.sleep(3)
        assert not ws.closed and ws._conn.reading_paused
        last_data = loop.time()
        while True:
            msg = await ws.receive()
            if msg.type is not WSMsgType.BINARY:
                break
            last_data = loop.time()
        assert msg.type is WSMsgType.ERROR
        assert isinstance(ws.exception(), aiohttp_ws.ServerTimeoutError)
        assert loop.time() - last_data < 1.5 + 0.3
        assert ws.close_code == 1006
