"""The compiled hot path's first send(2) (``HotPath._send_now``): on the plain
TCP transports of asyncio's loop and of uvloop a whole message goes out with
one send on the socket when the transport holds nothing unsent; whatever the
socket does not take goes to the transport's ``write()``, in order with
everything else written. Checked against the websockets library's server and
aiohttp.web, with a reader that stalls so that sends are partial and the
transport queues, on both loops."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import socket
import ssl
import tracemalloc
from typing import Any, AsyncIterator

import pytest
import trustme
import websockets.asyncio.server

import aiohttp_ws
from aiohttp_ws._hotpath import HAS_COMPILED_CONNECTION
from aiohttp_ws.connection import direct_send_fd

from .conftest import our_handler


def count_writes(ws: aiohttp_ws.ClientWebSocketResponse) -> list[int]:
    """Wrap the transport's write(): the lengths of what it was given."""
    transport: Any = ws._conn.transport  # type: ignore[attr-defined]
    lengths: list[int] = []
    write = transport.write

    def counted(data: bytes) -> None:
        lengths.append(len(data))
        write(data)

    transport.write = counted
    return lengths


async def test_messages_go_out_without_the_transports_write(echo_url: str) -> None:
    """Each echo is answered before the next send, so the transport holds
    nothing unsent: compiled, no message passes through its write(); pure
    Python, every one does. Every echo comes back whole."""
    rng = random.Random(7)
    async with aiohttp_ws.ws_connect(echo_url, max_msg_size=0) as ws:
        writes = count_writes(ws)
        for i in range(60):
            payload = rng.randbytes(rng.choice([0, 1, 125, 126, 65535 - 14, 60_000, rng.randrange(1, 60_000)]))
            await ws.send_bytes(payload)
            assert await ws.receive_bytes() == payload, i
            text = f"{i}:" + "é" * rng.randrange(0, 3000)
            await ws.send_str(text)
            assert await ws.receive_str() == text
        assert len(writes) == (0 if HAS_COMPILED_CONNECTION else 120)  # the close frame is written by write()


async def _stalling_digest(ws: Any) -> None:
    """websockets server: read nothing for a while (the client's sends fill
    the sockets and the transport queues), then the SHA-256 of every message
    in order, answered on 'digest'."""
    await asyncio.sleep(0.5)
    digest = hashlib.sha256()
    async for msg in ws:
        if msg == "digest":
            await ws.send(digest.hexdigest())
            continue
        data = msg.encode() if isinstance(msg, str) else msg
        digest.update(len(data).to_bytes(8, "big") + data)


@contextlib.asynccontextmanager
async def stalling_websockets_server() -> AsyncIterator[str]:
    """A websockets server with small receive buffers running ``_stalling_digest``."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # accepted sockets inherit it
    listener.bind(("127.0.0.1", 0))
    async with websockets.asyncio.server.serve(
        _stalling_digest, sock=listener, max_size=None, max_queue=4, compression=None
    ) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


@pytest.fixture
async def stalling_server() -> AsyncIterator[str]:
    async with stalling_websockets_server() as url:
        yield url


async def stalled_reader_digest(url: str, count_write_calls: bool = True) -> None:
    """Sends into full socket buffers: the first send takes part of a message
    (or nothing), write() queues the rest, later messages and pings queue
    behind it, writing pauses and resumes. The server's digest of what it
    read equals ours of what we sent. (uvloop's transport cannot be wrapped:
    *count_write_calls* False.)"""
    rng = random.Random(11)
    digest = hashlib.sha256()
    queued = 0
    async with aiohttp_ws.ws_connect(url) as ws:
        ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
        writes = count_writes(ws) if count_write_calls else None
        conn: Any = ws._conn  # type: ignore[attr-defined]
        for i in range(600):
            size = rng.choice([1, 200, 4096, 60_000, rng.randrange(1, 64 * 1024 - 1)])
            if i % 3:
                payload = rng.randbytes(size)
                await ws.send_bytes(payload)
            else:
                text = chr(0x41 + i % 26) * size
                await ws.send_str(text)
                payload = text.encode()
            digest.update(len(payload).to_bytes(8, "big") + payload)
            if i % 50 == 0:
                await ws.ping(b"p%d" % i)
            queued += conn.transport.get_write_buffer_size() > 0
        await ws.send_str("digest")
        assert await asyncio.wait_for(ws.receive_str(), 30) == digest.hexdigest()
    assert queued > 100  # the transport held bytes the socket did not take: the path under test ran
    if writes is not None:
        assert writes  # pings, and what the socket did not take, went through write()
    assert ws.close_code == 1000


async def test_a_reader_that_stalls_gets_every_byte_in_order(stalling_server: str) -> None:
    await stalled_reader_digest(stalling_server)


def test_on_uvloop_a_reader_that_stalls_gets_every_byte_in_order() -> None:
    """The same on uvloop, whose transport writes the rest (libuv's queue)."""
    import uvloop

    async def main() -> None:
        async with stalling_websockets_server() as url:
            await stalled_reader_digest(url, count_write_calls=False)

    uvloop.run(main())


def test_only_plain_tcp_transports_are_written_to_directly() -> None:
    """The socket is used for the plain TCP transports of asyncio's loop and
    of uvloop: not on TLS, and never after the connection is lost."""
    ca = trustme.CA()

    async def main() -> list[tuple[str, bool]]:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        seen = []
        async with aiohttp_ws.serve(our_handler, "127.0.0.1", 0) as plain:
            async with aiohttp_ws.serve(our_handler, "127.0.0.1", 0, ssl=server_ctx) as tls:
                urls: tuple[tuple[str, ssl.SSLContext | bool], ...] = (
                    (f"ws://127.0.0.1:{plain.port}/", True),
                    (f"wss://127.0.0.1:{tls.port}/", client_ctx),
                )
                for url, ctx in urls:
                    async with aiohttp_ws.ws_connect(url, ssl=ctx) as ws:
                        conn: Any = ws._conn  # type: ignore[attr-defined]
                        fd = conn._fd
                        assert fd == direct_send_fd(conn.transport)
                        if fd >= 0:
                            assert fd == ws.get_extra_info("socket").fileno()
                        await ws.send_str("x" * 1000)
                        assert await ws.receive_str() == "x" * 1000
                    assert conn._fd == -1
                    seen.append((url.split(":")[0], fd >= 0))
        return seen

    import uvloop

    assert asyncio.run(main()) == [("ws", True), ("wss", False)]
    assert uvloop.run(main()) == [("ws", True), ("wss", False)]


async def test_a_peer_that_never_reads_holds_sends_at_the_write_limit(raw_server: Any) -> None:
    """A scripted server that accepts and then never reads: a sender's
    messages (the first ones straight to the socket) stop at the kernel
    buffers plus the transport's limit, where ``send_bytes`` waits for the
    drain; memory does not grow with what the application still wants to
    send; the waiting sender can be cancelled; a close that gets no answer
    ends the connection (1006) with no fd left. (As in aiohttp, a message is
    written before its drain is awaited: cancelling that wait does not take
    it back.)"""
    from .conftest import accept
    from .robustness.conftest import open_fds

    async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await asyncio.sleep(30)

    server = await raw_server(never_reads)
    before = open_fds()
    payload = bytes(60_000)
    sent = 0
    tracemalloc.start()
    try:
        async with aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_close=0.5)) as ws:
            ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
            transport: Any = ws._conn.transport  # type: ignore[attr-defined]
            start = tracemalloc.get_traced_memory()[0]

            async def sender() -> None:
                nonlocal sent
                for _ in range(200):  # 12 MB offered
                    await ws.send_bytes(payload)
                    sent += 1

            task = asyncio.create_task(sender())
            await asyncio.sleep(0.5)
            assert not task.done()  # waiting for the drain
            queued = transport.get_write_buffer_size()
            grown = tracemalloc.get_traced_memory()[0] - start
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        tracemalloc.stop()
    assert sent < 50, sent  # the peer's buffers filled after a few messages
    assert 0 < queued <= 64 * 1024 + len(payload) + 64, queued  # the transport's high-water mark plus one frame
    assert grown < 1024 * 1024, grown
    assert ws.close_code == 1006
    for writer in server.writers:  # the server's end, in this process too
        writer.transport.abort()
    for _ in range(100):
        if open_fds() <= before:
            break
        await asyncio.sleep(0.01)
    assert open_fds() <= before
