"""The server role as operators use it: broadcast with a stalled client,
connection limits, per-connection log lines."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

import aiohttp_ws
from aiohttp_ws.server import ServerWebSocket, broadcast



@pytest.mark.timeout(120)
async def test_broadcast_skips_a_stalled_client_among_1000() -> None:
    """1,000 clients; one completes the handshake and then never reads. Each
    broadcast returns at once, the stalled one is skipped once its buffers are
    full, and everyone else gets every message."""
    joined: list[ServerWebSocket] = []
    all_in = asyncio.Event()

    async def handler(ws: ServerWebSocket) -> None:
        joined.append(ws)
        if len(joined) == 1:  # the stalled client: small kernel buffers, so its backlog shows soon
            ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        if len(joined) == 1000:
            all_in.set()
        async for _ in ws:
            pass

    async with aiohttp_ws.serve(handler, "127.0.0.1", 0, backlog=1024) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        loop = asyncio.get_running_loop()
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", server.port))
        stalled.setblocking(False)
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        await loop.sock_sendall(
            stalled,
            f"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode(),
        )
        session = aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(limit=0))
        clients = [await session.ws_connect(url) for _ in range(999)]
        await asyncio.wait_for(all_in.wait(), 30)
        payload = b"x" * 64 * 1024
        worst = 0.0
        counts = []
        for _ in range(10):
            start = loop.time()
            counts.append(broadcast(joined, payload))
            worst = max(worst, loop.time() - start)
            for ws in clients:  # the healthy ones read it
                assert await asyncio.wait_for(ws.receive_bytes(), 10) == payload
        assert counts[0] == 1000 and counts[-1] == 999  # the stalled one was dropped from later rounds
        assert worst < 2.0
        stalled.close()
        for ws in clients:
            await ws.close()
        await session.close()


async def test_max_connections_refuses_with_503_and_frees_on_close() -> None:
    async def hold(ws: ServerWebSocket) -> None:
        async for _ in ws:
            pass

    async with aiohttp_ws.serve(hold, "127.0.0.1", 0, max_connections=2) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        first, second = await aiohttp_ws.ws_connect(url), await aiohttp_ws.ws_connect(url)
        with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
            await aiohttp_ws.ws_connect(url)
        assert info.value.status == 503 and info.value.headers["Retry-After"] == "1"
        await first.close()
        await asyncio.sleep(0.05)
        async with aiohttp_ws.ws_connect(url) as third:
            assert not third.closed
        await second.close()


async def test_each_connection_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp_ws.server")
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0, protocols=("chat",)) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/room?x=1", protocols=["chat"]) as ws:
            await ws.send_str("x")
            await ws.receive_str()
        await asyncio.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp_ws.server" and r.levelno == logging.INFO]
    assert any("/room?x=1" in line and "subprotocol=chat" in line and "close_code=1000" in line for line in lines)
    assert any("127.0.0.1" in line for line in lines)
