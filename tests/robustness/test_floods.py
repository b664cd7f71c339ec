"""Peers that flood: pings while never reading, endless 1xx heads."""

from __future__ import annotations

import asyncio
import gc
from typing import Awaitable, Callable

import pytest

import aiohttp_ws

from ..conftest import (
    RawServer,
    Script,
    accept,
    accept_for,
    finish_close,
    read_client_frame,
    read_request,
    server_frame,
)
from .conftest import LagMeter, rss_bytes

MiB = 1024 * 1024


async def test_ping_flood_from_a_peer_that_never_reads_stays_bounded(
    raw_server: Callable[[Script], Awaitable[RawServer]], report: Callable[[str, str], None]
) -> None:
    """125-byte pings as fast as the client takes them, nothing read for 3 s:
    the client's write buffer and RSS stay bounded, and once the peer reads it
    gets the pong of its latest ping (RFC 6455 §5.5.3)."""
    sent: list[bytes] = []
    answered: list[bytes] = []

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        loop = asyncio.get_running_loop()
        stop = loop.time() + 3
        i = 0
        while loop.time() < stop:
            batch = []
            for _ in range(200):
                payload = i.to_bytes(8, "big") * 15 + b"12345"  # 125 bytes
                batch.append(server_frame(0x9, payload))
                i += 1
            sent.append(payload)
            writer.write(b"".join(batch))
            await writer.drain()
        while True:  # now read: the pongs the client kept for us
            opcode, payload = await read_client_frame(reader)
            if opcode == 0xA:
                answered.append(payload)
                if payload == sent[-1]:
                    writer.write(server_frame(0x8, b"\x03\xe8"))
                    await read_client_frame(reader)
                    return

    server = await raw_server(flood)
    gc.collect()
    before = rss_bytes()
    worst_buffer = 0
    async with aiohttp_ws.ws_connect(server.url) as ws:
        transport = ws._conn.transport
        for _ in range(30):
            await asyncio.sleep(0.1)
            worst_buffer = max(worst_buffer, transport.get_write_buffer_size())
        growth = rss_bytes() - before
        msg = await asyncio.wait_for(ws.receive(), 10)
        assert msg.type is aiohttp_ws.WSMsgType.CLOSE
    report("pings sent, worst write buffer, RSS growth", f"{len(sent) * 200}, {worst_buffer} B, {growth / MiB:.1f} MiB")
    assert len(sent) * 200 > 10_000  # it really was a flood
    assert worst_buffer < MiB, worst_buffer  # before: grew by ~20 MB/s
    assert growth < 16 * MiB, growth
    assert answered and answered[-1] == sent[-1]


async def test_interim_response_flood_fails_fast_without_stalling_the_loop(
    raw_server: Callable[[Script], Awaitable[RawServer]], lag: LagMeter, report: Callable[[str, str], None]
) -> None:
    """10,000 '100 Continue' heads before the 101: parsed in linear time,
    refused after MAX_INTERIM_RESPONSES with a clear error, loop never stalled."""

    async def interim_flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 10_000)
        await writer.drain()
        await reader.read()

    server = await raw_server(interim_flood)
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(aiohttp_ws.WSServerHandshakeError, match="interim"):
        await aiohttp_ws.ws_connect(server.url)
    report("time to the error, worst loop lag", f"{(loop.time() - start) * 1000:.0f} ms, {lag.worst * 1000:.1f} ms")
    assert loop.time() - start < 1.0
    assert lag.worst < 0.1, lag.worst  # before: up to 3.2 s


async def test_interim_responses_up_to_the_bound_are_skipped(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    from aiohttp_ws.http_proto import MAX_INTERIM_RESPONSES

    async def interim_then_101(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        headers = await read_request(reader)
        writer.write(
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" * MAX_INTERIM_RESPONSES
            + b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_for(headers)}\r\n\r\n".encode()
            + server_frame(0x1, b"after the 1xx")
        )
        await finish_close(reader, writer)

    server = await raw_server(interim_then_101)
    async with aiohttp_ws.ws_connect(server.url) as ws:
        assert await ws.receive_str() == "after the 1xx"

