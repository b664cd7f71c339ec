"""Our server role against real clients: websockets', aiohttp's, raw sockets."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import websockets.asyncio.client
import websockets.exceptions

import aiohttp_ws
from aiohttp_ws.server import ServerWebSocket

from .conftest import our_handler


async def test_websockets_client_against_our_server(our_server: str) -> None:
    async with websockets.asyncio.client.connect(our_server, subprotocols=["chat"], compression=None) as ws:
        assert ws.subprotocol == "chat"
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x00" * 70000)
        assert await ws.recv() == b"\x00" * 70000
        await asyncio.wait_for(await ws.ping(b"x"), 2)  # our server answers pings
        await ws.send("frag:3")
        assert await ws.recv() == "part0part1part2"
        await ws.send("close:4005:server says bye")
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4005 and ws.close_reason == "server says bye"


async def test_aiohttp_client_against_our_server(our_server: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(our_server, protocols=("chat",)) as ws:
            assert ws.protocol == "chat"
            await ws.send_str("hi")
            assert await ws.receive_str() == "hi"
            await ws.send_bytes(b"bin")
            assert await ws.receive_bytes() == b"bin"
        assert ws.close_code == 1000


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 405),
        (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 426),
        (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
async def test_server_refuses_bad_upgrade_requests(our_server: str, request_bytes: bytes, status: int) -> None:
    port = int(our_server.rsplit(":", 1)[1].strip("/"))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes)
    response = await asyncio.wait_for(reader.read(), 5)
    assert response.startswith(b"HTTP/1.1 %d " % status)
    writer.close()


async def test_handler_failure_closes_with_1011() -> None:
    async def failing(ws: ServerWebSocket) -> None:
        await ws.receive()
        raise RuntimeError("handler bug")

    async with aiohttp_ws.serve(failing) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            await ws.send_str("trigger")
            msg = await ws.receive()
            assert (msg.type, msg.data) == (aiohttp_ws.WSMsgType.CLOSE, 1011)


async def test_server_shutdown_closes_clients_with_1001() -> None:
    server = await aiohttp_ws.serve(our_handler)
    ws = await aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/")
    server.close()
    await server.wait_closed()
    msg = await ws.receive(timeout=5)
    assert (msg.type, msg.data) == (aiohttp_ws.WSMsgType.CLOSE, 1001)


async def test_server_handshake_timeout_drops_silent_client() -> None:
    async with aiohttp_ws.serve(our_handler, handshake_timeout=0.2) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert await asyncio.wait_for(reader.read(), 3) == b""
        writer.close()


async def test_server_heartbeat_detects_dead_client() -> None:
    results: list[BaseException | None] = []

    async def handler(ws: ServerWebSocket) -> None:
        msg = await ws.receive()
        results.append(msg.data if msg.type is aiohttp_ws.WSMsgType.ERROR else None)

    async with aiohttp_ws.serve(handler, heartbeat=0.1) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        await reader.readuntil(b"\r\n\r\n")
        ping = await asyncio.wait_for(reader.readexactly(2), 2)
        assert ping == b"\x89\x00"  # an unmasked empty ping from the server
        await asyncio.sleep(0.3)  # we never answer
        assert len(results) == 1 and isinstance(results[0], aiohttp_ws.ServerTimeoutError)
        writer.close()


async def test_serve_takes_asyncio_listening_options_and_server_methods() -> None:
    from aiohttp_ws.server import echo_handler

    async with aiohttp_ws.serve(echo_handler, "127.0.0.1", 0, backlog=5, reuse_address=True, start_serving=False) as server:
        assert not server.is_serving() and server.get_loop() is asyncio.get_running_loop()
        await server.start_serving()
        assert server.is_serving()
        forever = asyncio.create_task(server.serve_forever())
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            await ws.send_str("x")
            assert await ws.receive_str() == "x"
            forever.cancel()
            msg = await ws.receive()
            assert (msg.type, msg.data) == (aiohttp_ws.WSMsgType.CLOSE, 1001)  # closed by serve_forever's end
        with pytest.raises(asyncio.CancelledError):
            await forever
