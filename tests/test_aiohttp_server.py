"""aiohttp_ws.aiohttp_server.accept: our server-side WebSocket inside a real
aiohttp.web application, with our client, aiohttp's client, websockets'
client and raw sockets as peers."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import AsyncIterator, Awaitable, Callable

import aiohttp
import aiohttp.web
import pytest
import websockets

import aiohttp_ws
from aiohttp_ws import WSMsgType
from aiohttp_ws.aiohttp_server import accept


Handler = Callable[[aiohttp.web.Request], Awaitable[aiohttp.web.StreamResponse]]


async def echo(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
    ws = await accept(request, protocols=("v1", "v2"), compress=True, max_msg_size=1 << 20, heartbeat=0.2)
    await ws.send_str(f"hello {ws.path} {ws.protocol}")
    async for msg in ws:
        if msg.tp is WSMsgType.TEXT and msg.data == "leave":
            break  # return without closing: aiohttp's finish closes with 1000
        if msg.tp is WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.tp is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws.response


async def plain(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
    return aiohttp.web.Response(text="plain http still works")


@pytest.fixture
async def app_url() -> AsyncIterator[str]:
    app = aiohttp.web.Application()
    app.router.add_get("/ws", echo)
    app.router.add_get("/plain", plain)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"127.0.0.1:{port}"
    await runner.cleanup()


async def test_our_client_echo_deflate_subprotocol_and_heartbeat(app_url: str) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(f"ws://{app_url}/ws?room=1", protocols=("v2", "v1"), compress=15) as ws:
            assert await ws.receive_str() == "hello /ws?room=1 v1"  # the server's preference
            assert ws.compress == 15 and ws.protocol == "v1"
            payload = os.urandom(100_000)
            await ws.send_bytes(payload)
            assert await ws.receive_bytes() == payload
            await asyncio.sleep(0.5)  # server heartbeats (0.2 s) are answered by our reader
            await ws.send_str("still open")
            assert await ws.receive_str() == "still open"
        assert ws.close_code == 1000
        async with session.get(f"http://{app_url}/plain") as resp:
            assert await resp.text() == "plain http still works"


async def test_aiohttp_and_websockets_clients(app_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://{app_url}/ws", compress=15) as ws:
            assert (await ws.receive_str()).startswith("hello /ws")
            await ws.send_str("via aiohttp")
            assert await ws.receive_str() == "via aiohttp"
            await ws.send_str("leave")
            msg = await ws.receive()
            assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1000
    async with websockets.connect(f"ws://{app_url}/ws", subprotocols=["v2"]) as client:
        assert await client.recv() == "hello /ws v2"
        await client.send(b"\x00" * 70_000)
        assert await client.recv() == b"\x00" * 70_000
    assert client.close_code == 1000


async def test_invalid_upgrades_get_aiohttp_answers(app_url: str) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{app_url}/ws") as resp:
            assert resp.status == 400
        headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "8"}
        async with session.get(f"http://{app_url}/ws", headers=headers) as resp:
            assert resp.status == 426 and resp.headers["Sec-WebSocket-Version"] == "13"


async def test_first_frame_in_the_upgrade_packet_and_violations(app_url: str) -> None:
    """A raw client writes the request and a frame in one packet (the bytes
    aiohttp buffered reach our reader), then an unmasked frame: 1002."""
    host, port = app_url.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    mask = os.urandom(4)
    text = b"early bird"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
    writer.write(
        f"GET /ws HTTP/1.1\r\nHost: {app_url}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        + bytes([0x81, 0x80 | len(text)]) + mask + masked
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101")

    async def frame() -> tuple[int, bytes]:
        b0, b1 = await reader.readexactly(2)
        return b0 & 0x0F, await reader.readexactly(b1 & 0x7F)

    assert await asyncio.wait_for(frame(), 5) == (0x1, b"hello /ws None")
    assert await asyncio.wait_for(frame(), 5) == (0x1, b"early bird")
    writer.write(b"\x81\x02hi")  # unmasked: RFC 6455 §5.1
    opcode, payload = await asyncio.wait_for(frame(), 5)
    assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1002
    assert await asyncio.wait_for(reader.read(), 5) == b""  # the server ends TCP
    writer.close()


async def test_sends_to_a_reader_that_stalls_wait_for_aiohttp_flow_control() -> None:
    sent: list[int] = []
    blocked = asyncio.Event()

    async def flood(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        ws = await accept(request)
        chunk = b"x" * (256 * 1024)
        try:
            while True:
                await asyncio.wait_for(ws.send_bytes(chunk), 0.5)
                sent.append(len(chunk))
        except asyncio.TimeoutError:
            blocked.set()
        ws.abort()
        return ws.response

    app = aiohttp.web.Application()
    app.router.add_get("/", flood)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp_ws.ClientSession() as session:
            async with session.ws_connect(f"ws://127.0.0.1:{port}/", max_queue_bytes=64 * 1024):
                await asyncio.wait_for(blocked.wait(), 10)  # we never receive
        # The kernel buffers and our reader's bounded queue took a few MiB,
        # then the server's sends waited instead of buffering without end.
        print(f"server sent {sum(sent)} bytes before its send waited")
        assert 0 < sum(sent) < 64 * 1024 * 1024
    finally:
        await runner.cleanup()
