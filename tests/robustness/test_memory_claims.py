"""Memory follows bytes received, never a length a peer declares (RFC 6455
§10.4): frame headers that announce huge payloads and then stall."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws.sansio.frames import FrameParser, build_frame

from ..conftest import RawServer, Script, accept
from ..ports import served
from .conftest import rss_bytes

MiB = 1024 * 1024


def header(length: int, opcode: int = 0x2) -> bytes:
    """An unmasked server frame header declaring *length* bytes (64-bit form)."""
    return bytes([0x80 | opcode, 127]) + length.to_bytes(8, "big")


def stalling(*parts: bytes) -> Script:
    """After the 101, each part in its own segment, then silence."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        for part in parts:
            await asyncio.sleep(0.02)
            writer.write(part)
            await writer.drain()
        await reader.read()  # then silence until the client leaves

    return script


@pytest.mark.parametrize("max_msg_size", [8 * MiB, 0])
async def test_200_header_only_connections_cost_little(
    raw_server: Callable[[Script], Awaitable[RawServer]], max_msg_size: int, report: Callable[[str, str], None]
) -> None:
    server = await raw_server(stalling(header(4 * MiB), bytes(100)))
    gc.collect()
    rss_before = rss_bytes()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(limit=0)) as session:
            sockets = [await session.ws_connect(server.url, max_msg_size=max_msg_size) for _ in range(200)]
            await asyncio.sleep(0.3)  # every header and its first bytes have arrived
            held = sum(ws._conn.core._parser.held_bytes for ws in sockets)
            traced, _ = tracemalloc.get_traced_memory()
            rss_growth = rss_bytes() - rss_before
            for ws in sockets:
                ws._conn.abort()
    finally:
        tracemalloc.stop()
    report("parser buffers, traced, RSS growth", f"{held / MiB:.1f} MiB, {(traced - base) / MiB:.1f} MiB, {rss_growth / MiB:.1f} MiB")
    assert held < 200 * 32 * 1024, held  # 16 KiB of read room each; before: 4 MiB each (the declared length)
    assert traced - base < 20 * MiB, traced - base
    assert rss_growth < 20 * MiB, rss_growth


async def test_a_declared_terabyte_without_limit_allocates_nothing(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    server = await raw_server(stalling(header(2**40 - 1), bytes(1000)))
    timeout = aiohttp_ws.ClientWSTimeout(ws_close=0.2)
    async with aiohttp_ws.ws_connect(server.url, max_msg_size=0, timeout=timeout) as ws:
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.2)  # no MemoryError inside the reader, just waiting
        assert ws._conn.core._parser.held_bytes < 64 * 1024
        assert not ws.closed


def test_parser_buffer_grows_with_bytes_not_with_the_declared_length() -> None:
    parser = FrameParser(expect_masked=False)
    payload = bytes(range(256)) * 16384  # 4 MiB
    data = build_frame(0x2, payload, False)
    fed = 0
    worst = 0.0
    while fed < len(data):
        buf = parser.get_buffer(-1)
        n = min(len(buf), 64 * 1024, len(data) - fed)
        buf[:n] = data[fed : fed + n]
        del buf
        fed += n
        parser.buffer_updated(n)
        frame = parser.next_frame()
        parser.release_scratch()
        if frame is None:
            worst = max(worst, parser.held_bytes / max(fed, 1))
    assert frame is not None and frame.payload == payload
    assert worst <= 2.5, worst  # at most about twice what arrived, at every step
    assert parser.held_bytes == 0  # idle: nothing held


@pytest.mark.parametrize("length", [2**62, 2**63 - 10, 2**63 - 1])
def test_lengths_near_the_64_bit_limit_fail_on_both_parsers(length: int) -> None:
    """Found by the fuzzer: the compiled parser's positions overflowed for a
    declared 2**63 - 10 bytes and it returned an empty frame. Any length of
    2**62 or more is now 1009 on both paths, with or without a limit."""
    from aiohttp_ws.exceptions import PayloadTooBig

    from ..core.test_hot_path import PURE

    data = bytes([0x00, 127]) + length.to_bytes(8, "big") + b"\x00"
    for parser_class in (FrameParser, PURE.FrameParser):
        parser = parser_class(expect_masked=False)
        parser.feed(data)
        with pytest.raises(PayloadTooBig):
            parser.next_frame()


def test_a_length_just_under_2_62_waits_for_its_bytes() -> None:
    parser = FrameParser(expect_masked=False)
    parser.feed(header(2**62 - 1) + b"abc")
    assert parser.next_frame() is None and parser.held_bytes < 64 * 1024


async def test_reading_the_handshake_answer_allocates_no_read_buffer() -> None:
    """The 101 answer is read into the thread's buffer and copied out: a
    connect allocates no 256 KiB read buffer (asyncio's reads for a plain
    protocol allocate one per read, which glibc maps and unmaps each time).
    The echo server (``python -m aiohttp_ws serve``) runs in its own process,
    so that only the client's allocations are traced."""
    async with served(log=False) as (_, url):
        async with aiohttp_ws.ClientSession() as session:
            async with session.ws_connect(url) as ws:  # the thread's buffers are made here
                await ws.send_str("hello")
                assert await ws.receive_str() == "hello"
            tracemalloc.start()
            try:
                async with session.ws_connect(url) as ws:
                    await ws.send_str("hello")
                    assert await ws.receive_str() == "hello"
                    _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert peak < 128 * 1024
