"""permessage-deflate against real peers: ours, websockets' and aiohttp's servers."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
import websockets.asyncio.server

import aiohttp_ws
from aiohttp_ws import PerMessageDeflate, WSMsgType
from aiohttp_ws.connection import EXECUTOR_COMPRESS_THRESHOLD

from .conftest import BIG, RawServer, Script, accept_for, our_handler, read_request, websockets_handler

RawServerFactory = Callable[[Script], Awaitable[RawServer]]


@pytest.fixture
async def our_deflate_server() -> AsyncIterator[str]:
    async with aiohttp_ws.serve(our_handler, max_msg_size=BIG, compress=True) as server:
        yield f"ws://127.0.0.1:{server.port}/"


@pytest.fixture
async def websockets_deflate_server() -> AsyncIterator[str]:
    async with websockets.asyncio.server.serve(websockets_handler, "127.0.0.1", 0, max_size=BIG) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


@pytest.fixture(params=["ours", "websockets", "aiohttp"])
def deflate_url(request: pytest.FixtureRequest) -> str:
    names = {"ours": "our_deflate_server", "websockets": "websockets_deflate_server", "aiohttp": "aiohttp_server"}
    url: str = request.getfixturevalue(names[request.param])
    return url


def text_of(size: int) -> str:
    words = "permessage deflate compresses repeated words rather well "
    return (words * (size // len(words) + 1))[:size]


async def test_compressed_echo(deflate_url: str) -> None:
    async with aiohttp_ws.ws_connect(deflate_url, compress=15, max_msg_size=BIG) as ws:
        assert 9 <= ws.compress <= 15 and ws.deflate is not None  # the server may cap our window
        for size in (0, 10, 1000, EXECUTOR_COMPRESS_THRESHOLD + 1, 3 << 20):
            await ws.send_str(text_of(size))
            assert await ws.receive_str() == text_of(size)
        await ws.send_bytes(b"\x00\x01" * 1000)
        assert await ws.receive_bytes() == b"\x00\x01" * 1000
        await ws.send_str("not compressed", compress=0)
        assert await ws.receive_str() == "not compressed"
    assert ws.close_code == 1000


async def test_no_compression_unless_offered(deflate_url: str) -> None:
    async with aiohttp_ws.ws_connect(deflate_url) as ws:
        assert ws.compress == 0 and ws.deflate is None and not ws.client_notakeover


async def test_offers_in_preference_order(websockets_deflate_server: str) -> None:
    offers = [PerMessageDeflate(server_max_window_bits=10, server_no_context_takeover=True), PerMessageDeflate()]
    async with aiohttp_ws.ws_connect(websockets_deflate_server, compress=offers) as ws:
        assert ws.deflate is not None
        assert ws.deflate.server_max_window_bits == 10 and ws.deflate.server_no_context_takeover
        for i in range(3):
            await ws.send_str(text_of(5000) + str(i))
            assert await ws.receive_str() == text_of(5000) + str(i)


async def test_client_no_context_takeover(deflate_url: str) -> None:
    offer = PerMessageDeflate(client_no_context_takeover=True, client_max_window_bits=10)
    async with aiohttp_ws.ws_connect(deflate_url, compress=offer) as ws:
        assert ws.client_notakeover and 9 <= ws.compress <= 10
        for i in range(5):
            await ws.send_str(text_of(20000) + str(i))
            assert await ws.receive_str() == text_of(20000) + str(i)


async def test_concurrent_compressing_senders_keep_the_context_intact(deflate_url: str) -> None:
    async with aiohttp_ws.ws_connect(deflate_url, compress=15, max_msg_size=BIG) as ws:

        async def sender(task: int) -> None:
            for i in range(8):
                size = EXECUTOR_COMPRESS_THRESHOLD * 2 if (task + i) % 3 == 0 else 700
                await ws.send_str(f"{task}:{i}:" + text_of(size))

        await asyncio.gather(*(sender(t) for t in range(10)))
        seen: dict[int, list[int]] = {t: [] for t in range(10)}
        for _ in range(80):
            task, i, body = (await ws.receive_str(timeout=20)).split(":", 2)
            size = EXECUTOR_COMPRESS_THRESHOLD * 2 if (int(task) + int(i)) % 3 == 0 else 700
            assert body == text_of(size)
            seen[int(task)].append(int(i))
        assert seen == {t: list(range(8)) for t in range(10)}


async def test_cancelled_compressing_send_does_not_corrupt_the_stream(our_deflate_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_deflate_server, compress=15, max_msg_size=BIG) as ws:
        big = text_of(4 << 20)
        sending = asyncio.ensure_future(ws.send_str(big))
        await asyncio.sleep(0)  # compression has started in a worker thread
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        await ws.send_str("after the cancel")
        # the cancelled message was written whole (the peer's context depends on it)
        assert await ws.receive_str(timeout=20) == big
        assert await ws.receive_str(timeout=20) == "after the cancel"


async def test_compressed_message_over_max_msg_size_is_1009(deflate_url: str) -> None:
    async with aiohttp_ws.ws_connect(deflate_url, compress=15, max_msg_size=100_000) as ws:
        await ws.send_str(text_of(100_000))
        assert await ws.receive_str() == text_of(100_000)  # exactly the limit, inflated
        await ws.send_str(text_of(100_001))
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR and ws.close_code == 1009


async def deflate_server_script(reader: Any, writer: Any, extension: str, frames: list[tuple[int, bytes]]) -> None:
    headers = await read_request(reader)
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept_for(headers)}\r\nSec-WebSocket-Extensions: {extension}\r\n\r\n".encode()
    )
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = (comp.compress(b"hello from the server") + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    writer.write(bytes([0x80 | 0x40 | 0x1, len(payload)]) + payload)
    b0, b1 = await reader.readexactly(2)
    await reader.readexactly(4 + (b1 & 0x7F))
    frames.append((b0, b1 & 0x7F))
    await reader.read()


async def test_eight_bit_client_window_sends_uncompressed(raw_server: RawServerFactory) -> None:
    frames: list[tuple[int, bytes]] = []
    raw = await raw_server(lambda r, w: deflate_server_script(r, w, "permessage-deflate; client_max_window_bits=8", frames))
    ws = await aiohttp_ws.ws_connect(raw.url, compress=15)
    assert ws.compress == 8
    assert await ws.receive_str() == "hello from the server"
    await ws.send_str("x" * 50)
    await asyncio.sleep(0.1)
    assert frames == [(0x81, 50)]  # RSV1 clear: sent uncompressed, as RFC 7692 allows
    ws._conn.abort()


@pytest.mark.parametrize(
    "extension, offer",
    [
        ("permessage-deflate; client_max_window_bits=10", PerMessageDeflate(client_max_window_bits=False)),
        ("permessage-deflate; server_max_window_bits=12", PerMessageDeflate(server_max_window_bits=10)),
        ("permessage-deflate; foo", PerMessageDeflate()),
        ("x-custom", PerMessageDeflate()),
    ],
)
async def test_bad_extension_responses_fail_the_handshake(
    raw_server: RawServerFactory, extension: str, offer: PerMessageDeflate
) -> None:
    raw = await raw_server(lambda r, w: deflate_server_script(r, w, extension, []))
    with pytest.raises(aiohttp_ws.WSServerHandshakeError, match="Sec-WebSocket-Extensions"):
        await aiohttp_ws.ws_connect(raw.url, compress=offer)
