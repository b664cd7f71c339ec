"""Peers for the anyio layer's tests: real servers in threads (websockets'
sync server, our asyncio server) and scripted raw peers on anyio itself,
so every test runs under asyncio and trio alike."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import threading
from typing import Any, Awaitable, Callable, Iterator

import anyio
import anyio.abc
import pytest
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as websockets_serve

import aiohttp_ws

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def websockets_echo(ws: ServerConnection) -> None:
    """websockets' sync server: echo; "close:<code>" closes with that code;
    "ping" pings and answers "pong ok" once the pong came back."""
    for message in ws:
        if message == "ping":
            ws.send("pong ok" if ws.ping(b"check").wait(5) else "no pong")
        elif isinstance(message, str) and message.startswith("close:"):
            ws.close(int(message[6:]), "bye")
            return
        else:
            ws.send(message)


@pytest.fixture(scope="module")
def websockets_url() -> Iterator[str]:
    server = websockets_serve(
        websockets_echo, "127.0.0.1", 0, compression="deflate", max_size=2**25
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def asyncio_server_url() -> Iterator[str]:
    """Our asyncio ``serve()`` with its echo handler, on a loop in a thread."""
    ready: list[Any] = []
    started = threading.Event()
    loop = asyncio.new_event_loop()

    async def run() -> None:
        server = await aiohttp_ws.serve(aiohttp_ws.server.echo_handler, compress=True)
        ready.append(server)
        started.set()
        await server.serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(_quiet(run())), daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"ws://127.0.0.1:{ready[0].port}/"
    loop.call_soon_threadsafe(ready[0].close)
    thread.join(5)
    loop.close()


async def _quiet(coro: Awaitable[None]) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        pass


# -- scripted raw peers -------------------------------------------------------------

Script = Callable[[anyio.abc.SocketStream, bytes], Awaitable[None]]


async def read_until(stream: anyio.abc.ByteStream, marker: bytes, buf: bytearray) -> bytes:
    while marker not in buf:
        buf += await stream.receive()
    head, _, rest = bytes(buf).partition(marker)
    buf[:] = rest
    return head


async def raw_handshake(stream: anyio.abc.ByteStream, buf: bytearray, extra: bytes = b"") -> dict[str, str]:
    """Read a request and answer 101 by hand (RFC 6455 §4.2.2)."""
    head = await read_until(stream, b"\r\n\r\n", buf)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest())
    await stream.send(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n"
    )
    headers["request-line"] = lines[0]
    return headers


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0) -> bytes:
    """A server frame (unmasked), written by hand."""
    first = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    if n < 126:
        return bytes([first, n]) + payload
    if n < 65536:
        return bytes([first, 126]) + struct.pack("!H", n) + payload
    return bytes([first, 127]) + struct.pack("!Q", n) + payload


async def read_frame(stream: anyio.abc.ByteStream, buf: bytearray) -> tuple[int, bytes]:
    """One masked client frame: (opcode, unmasked payload)."""

    async def need(n: int) -> bytes:
        while len(buf) < n:
            buf.extend(await stream.receive())
        data = bytes(buf[:n])
        del buf[:n]
        return data

    b0, b1 = await need(2)
    assert b1 & 0x80, "client frames are masked"
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await need(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await need(8))
    key = await need(4)
    data = await need(n)
    return b0 & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data))


async def answer_close(stream: anyio.abc.ByteStream, buf: bytearray) -> bytes:
    """Read frames until the client's close frame; answer it; return its payload."""
    with anyio.fail_after(10):
        while True:
            opcode, payload = await read_frame(stream, buf)
            if opcode == 0x8:
                await stream.send(frame(0x8, payload[:2]))
                return payload


def client_frame(opcode: int, payload: bytes = b"") -> bytes:
    """A masked client frame, written by hand."""
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    if n < 126:
        return bytes([0x80 | opcode, 0x80 | n]) + key + masked
    return bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", n) + key + masked


async def raw_server(tg: anyio.abc.TaskGroup, script: Script) -> int:
    """Listen on a free port; run *script(stream, b"")* for each connection."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)

    async def serve(task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
        async with listener:
            task_status.started(listener.extra(anyio.abc.SocketAttribute.local_port))
            await listener.serve(handle)

    async def handle(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await script(stream, b"")

    port: int = await tg.start(serve)
    return port
