"""Our client over HTTP/2 (RFC 8441) against real servers: hypercorn and our
own serve(http2=True), cleartext h2c and TLS with ALPN."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

import aiohttp_ws
from aiohttp_ws import WSMsgType

from .conftest import Peer

BIG = 16 * 1024 * 1024


async def test_echo_text_binary_and_16_mib(peer: Peer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(peer.url("/echo"), max_msg_size=2 * BIG, **peer.kwargs) as ws:
            assert ws.get_extra_info("http2") is True
            assert isinstance(ws.get_extra_info("stream_id"), int)
            await ws.send_str("héllo")
            assert await ws.receive_str() == "héllo"
            await ws.send_bytes(b"\x00\xff" * 100)
            assert await ws.receive_bytes() == b"\x00\xff" * 100
            payload = bytes(range(256)) * (BIG // 256)
            await ws.send_bytes(payload)
            got = await ws.receive_bytes(timeout=30)
            assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()
        assert ws.close_code == 1000


async def test_hundred_websockets_share_one_tcp_connection(peer: Peer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        sockets = await asyncio.gather(*(session.ws_connect(peer.url(f"/n{i}"), **peer.kwargs) for i in range(100)))
        try:
            assert len({ws.get_extra_info("sockname") for ws in sockets}) == 1  # one TCP connection
            assert len({ws.get_extra_info("stream_id") for ws in sockets}) == 100
            await asyncio.gather(*(ws.send_str(f"m{i}") for i, ws in enumerate(sockets)))
            answers = await asyncio.gather(*(ws.receive_str(timeout=10) for ws in sockets))
            assert answers == [f"m{i}" for i in range(100)]
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))
        assert {ws.close_code for ws in sockets} == {1000}


async def test_subprotocol_and_permessage_deflate(peer: Peer) -> None:
    async with aiohttp_ws.ws_connect(peer.url(), protocols=["chat"], compress=15, **peer.kwargs) as ws:
        assert ws.protocol == "chat"
        assert ws.compress == 15
        text = "compressible " * 5000
        await ws.send_str(text)
        assert await ws.receive_str() == text


async def test_server_close_code_and_reason(peer: Peer) -> None:
    async with aiohttp_ws.ws_connect(peer.url(), **peer.kwargs) as ws:
        await ws.send_str("close:4001:bye")
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.CLOSE and msg.data == 4001 and msg.extra == "bye"
        assert (await ws.receive()).type is WSMsgType.CLOSED
    assert ws.close_code == 4001


async def test_server_close_leaves_other_streams_working(peer: Peer) -> None:
    """A WebSocket the server closes ends its stream only (one server in
    this set drops its whole connection on DATA after its END_STREAM)."""
    async with aiohttp_ws.ClientSession() as session:
        a = await session.ws_connect(peer.url("/a"), **peer.kwargs)
        b = await session.ws_connect(peer.url("/b"), **peer.kwargs)
        await a.send_str("close:4002:only a")
        assert (await a.receive(timeout=5)).data == 4002
        await asyncio.sleep(0.2)
        for i in range(3):
            await b.send_str(f"still {i}")
            assert await b.receive_str(timeout=5) == f"still {i}"
        await b.close()
        assert b.close_code == 1000 and a.close_code == 4002


async def test_heartbeat_measures_latency_per_websocket(peer: Peer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        a = await session.ws_connect(peer.url("/a"), heartbeat=0.2, **peer.kwargs)
        b = await session.ws_connect(peer.url("/b"), heartbeat=0.2, **peer.kwargs)
        await asyncio.sleep(0.8)
        assert a.latency is not None and b.latency is not None
        assert 0 < a.latency < 0.5 and not a.closed and not b.closed
        await a.close()
        await b.close()


async def test_slow_reader_on_one_stream_does_not_stall_the_others(peer: Peer) -> None:
    """Stream A gets 24 MiB it never reads; B keeps echoing. A's receive
    queue pauses reading: its stream window stops the server's sends on A,
    while the connection window is handed back, so B flows."""
    async with aiohttp_ws.ClientSession() as session:
        a = await session.ws_connect(peer.url("/a"), max_queue_bytes=256 * 1024, **peer.kwargs)
        b = await session.ws_connect(peer.url("/b"), **peer.kwargs)
        await a.send_str("flood:96:262144")  # 96 x 256 KiB
        await asyncio.sleep(0.5)
        for i in range(20):
            await b.send_str(f"b{i}")
            assert await b.receive_str(timeout=5) == f"b{i}"
        conn = a._conn
        assert conn.reading_paused  # type: ignore[attr-defined]
        held = conn.queued_bytes  # type: ignore[attr-defined]
        # The queue, one window (1 MiB) of held DATA and one message in progress at most.
        assert held < 256 * 1024 + 2 * 1024 * 1024 + 262144
        got = 0
        for _ in range(96):
            got += len(await a.receive_bytes(timeout=10))
        assert got == 96 * 262144
        await a.close()
        await b.close()


async def test_cancelled_connect_leaves_the_connection_usable(peer: Peer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        first = await session.ws_connect(peer.url("/first"), **peer.kwargs)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(session.ws_connect(peer.url("/cancelled"), **peer.kwargs), 0.0001)
        second = await session.ws_connect(peer.url("/second"), **peer.kwargs)
        assert second.get_extra_info("sockname") == first.get_extra_info("sockname")
        await second.send_str("ok")
        assert await second.receive_str(timeout=5) == "ok"
        await first.close()
        await second.close()


async def test_break_and_exception_inside_async_with(peer: Peer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(peer.url(), **peer.kwargs) as ws:
            for i in range(5):
                await ws.send_str(str(i))
            async for msg in ws:
                if msg.data == "2":
                    break
        assert ws.close_code == 1000
        with pytest.raises(ZeroDivisionError):
            async with session.ws_connect(peer.url(), **peer.kwargs) as ws2:
                await ws2.send_str("x")
                1 / 0
        assert ws2.closed
        async with session.ws_connect(peer.url(), **peer.kwargs) as ws3:  # the connection is still good
            await ws3.send_str("after")
            assert await ws3.receive_str(timeout=5) == "after"
