"""Fixtures: real peers on 127.0.0.1, port 0 — our server role, the websockets
library's server, aiohttp's server, and a scripted raw TCP server for
misbehaving peers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any, AsyncIterator, Awaitable, Callable

import aiohttp
import aiohttp.web
import pytest
import websockets
import websockets.asyncio.server

import aiohttp_ws
from aiohttp_ws.server import ServerWebSocket

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BIG = 32 * 1024 * 1024


async def our_handler(ws: ServerWebSocket) -> None:
    """Echo, plus commands: 'close:CODE:REASON', 'frag:N' (N fragments)."""
    async for msg in ws:
        if msg.tp is aiohttp_ws.WSMsgType.TEXT and msg.data.startswith("close:"):
            _, code, reason = msg.data.split(":", 2)
            await ws.close(code=int(code), message=reason)
            return
        if msg.tp is aiohttp_ws.WSMsgType.TEXT and msg.data.startswith("frag:"):
            n = int(msg.data[5:])
            await ws.send_frame(b"part0", aiohttp_ws.WSMsgType.TEXT, fin=False)
            for i in range(1, n):
                await ws.send_frame(f"part{i}".encode(), aiohttp_ws.WSMsgType.CONTINUATION, fin=i == n - 1)
            continue
        if msg.tp is aiohttp_ws.WSMsgType.TEXT and msg.data.startswith("flood:"):
            count, size = map(int, msg.data[6:].split(":"))
            for i in range(count):
                await ws.send_bytes(i.to_bytes(4, "big") * (size // 4))
            continue
        if msg.tp is aiohttp_ws.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.tp is aiohttp_ws.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)


async def websockets_handler(ws: Any) -> None:
    async for msg in ws:
        if isinstance(msg, str) and msg.startswith("close:"):
            _, code, reason = msg.split(":", 2)
            await ws.close(int(code), reason)
            return
        if isinstance(msg, str) and msg.startswith("frag:"):
            n = int(msg[5:])
            await ws.send([f"part{i}" for i in range(n)])
            continue
        if msg == "ping-me":
            pong = await ws.ping(b"srv")
            await asyncio.wait_for(pong, 5)
            await ws.send("pong received")
            continue
        await ws.send(msg)


async def aiohttp_handler(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
    if request.path == "/forbidden":
        return aiohttp.web.Response(status=403, text="go away", headers={"X-Reason": "test"})
    ws = aiohttp.web.WebSocketResponse(protocols=("chat",), max_msg_size=BIG)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT and msg.data.startswith("close:"):
            _, code, reason = msg.data.split(":", 2)
            await ws.close(code=int(code), message=reason.encode())
            break
        if msg.type is aiohttp.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is aiohttp.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


@pytest.fixture
async def our_server() -> AsyncIterator[str]:
    async with aiohttp_ws.serve(our_handler, "127.0.0.1", 0, max_msg_size=BIG, protocols=("chat",)) as server:
        yield f"ws://127.0.0.1:{server.port}/"


@pytest.fixture
async def websockets_server() -> AsyncIterator[str]:
    async with websockets.asyncio.server.serve(
        websockets_handler,
        "127.0.0.1",
        0,
        max_size=BIG,
        select_subprotocol=lambda _conn, offered: "chat" if "chat" in offered else None,
        compression=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


@pytest.fixture
async def aiohttp_server() -> AsyncIterator[str]:
    app = aiohttp.web.Application()
    app.router.add_get("/", aiohttp_handler)
    app.router.add_get("/forbidden", aiohttp_handler)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"ws://127.0.0.1:{port}/"
    await runner.cleanup()


@pytest.fixture(params=["ours", "websockets", "aiohttp"])
def echo_url(request: pytest.FixtureRequest) -> str:
    """The URL of each of the three real echo servers in turn."""
    name = {"ours": "our_server", "websockets": "websockets_server", "aiohttp": "aiohttp_server"}[request.param]
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(params=["ours", "websockets"])
def fragmenting_url(request: pytest.FixtureRequest) -> str:
    """Servers that can send a fragmented message on the 'frag:N' command."""
    url: str = request.getfixturevalue({"ours": "our_server", "websockets": "websockets_server"}[request.param])
    return url


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> dict[str, str]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}


def accept_for(headers: dict[str, str]) -> str:
    return base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()).decode()


async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, extra: bytes = b"") -> None:
    """Read the upgrade request and answer 101 (plus *extra* bytes in the same write)."""
    headers = await read_request(reader)
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept_for(headers)}\r\n\r\n".encode()
        + extra
    )
    await writer.drain()


def server_frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    from aiohttp_ws.sansio.frames import build_frame

    return build_frame(opcode, payload, mask=False, fin=fin)


async def read_client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one masked frame from the client: (opcode, unmasked payload)."""
    from aiohttp_ws.sansio.frames import apply_mask

    b0, b1 = await reader.readexactly(2)
    length = b1 & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    key = await reader.readexactly(4)
    return b0 & 0x0F, apply_mask(await reader.readexactly(length), key)


async def finish_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[int, bytes]:
    """Read client frames up to its close frame, answer it and close TCP first,
    as RFC 6455 §7.1.1 asks of a server. Returns the close frame."""
    while True:
        opcode, payload = await read_client_frame(reader)
        if opcode == 0x8:
            writer.write(server_frame(0x8, payload[:2]))
            writer.close()
            return opcode, payload


class RawServer:
    """A TCP server that runs *script* per connection and records results."""

    def __init__(self) -> None:
        self.script: Script | None = None
        self.port = 0
        self.server: asyncio.Server | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.errors: list[BaseException] = []
        self.writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def _run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.script is not None
        self.writers.append(writer)
        try:
            await self.script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except BaseException as exc:  # recorded and re-raised by the fixture
            self.errors.append(exc)
        finally:
            writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Script], Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(script: Script) -> RawServer:
        raw = RawServer()
        raw.script = script
        raw.server = await asyncio.start_server(raw._run, "127.0.0.1", 0)
        raw.port = raw.server.sockets[0].getsockname()[1]
        servers.append(raw)
        return raw

    yield start
    for raw in servers:
        assert raw.server is not None
        raw.server.close()
        for writer in raw.writers:
            writer.transport.abort()
        await raw.server.wait_closed()
        assert not raw.errors, raw.errors
