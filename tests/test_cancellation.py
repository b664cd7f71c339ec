"""Cancellation at every await of the client API, as users write it
(``asyncio.wait_for`` around each call), against real sockets: afterwards the
connection is either still usable or closed, and no socket is left open."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws import WSMsgType

from .conftest import RawServer, Script, accept, read_client_frame, server_frame


async def test_wait_for_around_ws_connect_closes_the_socket(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    eof = asyncio.get_running_loop().create_future()

    async def slow_101(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        eof.set_result(await reader.read())  # b"" once the client gives up

    server = await raw_server(slow_101)
    async with aiohttp_ws.ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(session.ws_connect(server.url), 0.2)
        assert await asyncio.wait_for(eof, 5) == b""
        assert not session.connector._conns  # nothing kept


async def test_wait_for_around_receive_loses_no_message(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    go = asyncio.Event()

    async def late_message(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await go.wait()
        writer.write(server_frame(0x1, b"late"))
        await read_client_frame(reader)  # the close frame
        writer.write(server_frame(0x8, b"\x03\xe8"))

    server = await raw_server(late_message)
    async with aiohttp_ws.ws_connect(server.url) as ws:
        for _ in range(3):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.receive(), 0.05)
        assert not ws.closed
        go.set()
        assert await asyncio.wait_for(ws.receive_str(), 5) == "late"
    assert ws.close_code == 1000


async def test_wait_for_around_close_leaves_it_closed(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    eof = asyncio.get_running_loop().create_future()

    async def never_answers_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await read_client_frame(reader)
        eof.set_result(await reader.read())

    server = await raw_server(never_answers_close)
    ws = await aiohttp_ws.ws_connect(server.url)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.close(), 0.2)
    assert ws.closed and ws.close_code == 1006  # aborted, not half-open
    assert await asyncio.wait_for(eof, 5) == b""
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_wait_for_around_a_blocked_send_then_close(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await asyncio.sleep(30)

    server = await raw_server(never_reads)
    ws = await aiohttp_ws.ws_connect(server.url, timeout=aiohttp_ws.ClientWSTimeout(ws_close=0.3))
    with pytest.raises(asyncio.TimeoutError):
        for _ in range(1000):  # fills the kernel buffers, then the transport's, then waits for drain
            await asyncio.wait_for(ws.send_bytes(bytes(256 * 1024)), 0.5)
    assert not ws.closed  # a cancelled send is not a failed connection
    assert await ws.close() is True  # the peer never answers: aborted after ws_close
    assert ws.closed and ws.close_code == 1006
    assert isinstance(ws.exception(), aiohttp_ws.ServerTimeoutError)


async def test_exception_inside_async_with_closes_with_1000(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    seen: list[tuple[int, bytes]] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        seen.append(await read_client_frame(reader))
        writer.write(server_frame(0x8, seen[-1][1][:2]))

    server = await raw_server(record)
    with pytest.raises(ZeroDivisionError):
        async with aiohttp_ws.ClientSession() as session:
            async with session.ws_connect(server.url) as ws:
                1 / 0
    assert seen == [(0x8, b"\x03\xe8")] and ws.closed


async def test_abort_drops_tcp_without_a_handshake(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    eof = asyncio.get_running_loop().create_future()

    async def watch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        eof.set_result(await reader.read())

    server = await raw_server(watch)
    ws = await aiohttp_ws.ws_connect(server.url)
    waiting = asyncio.create_task(ws.receive())
    await asyncio.sleep(0.05)
    ws.abort()
    assert (await asyncio.wait_for(waiting, 5)).type is WSMsgType.CLOSED
    assert ws.closed and ws.close_code == 1006
    assert await asyncio.wait_for(eof, 5) == b""  # no close frame: nothing but the end of TCP
    assert await ws.close() is False


async def test_receive_timeout_zero_means_the_default_as_in_aiohttp(our_server: str) -> None:
    timeout = aiohttp_ws.ClientWSTimeout(ws_receive=0.1)
    async with aiohttp_ws.ws_connect(our_server, timeout=timeout) as ws:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.receive(timeout=0), 5)  # ws_receive applies, not "forever"


async def test_a_head_arriving_after_read_head_was_cancelled_is_no_fatal_error() -> None:
    """``asyncio.wait_for`` around a connect can cancel ``read_head()`` in the
    loop iteration whose read brings the head: the head protocol must then
    leave the cancelled waiter alone (it raised ``InvalidStateError``, which
    asyncio reported as "Fatal error: protocol.buffer_updated() call failed"
    and answered by tearing the transport down; the caller closes the
    connection itself). Found by a ``wait_for`` storm
    against the websockets library's server."""
    from aiohttp_ws.http_proto import HttpHeadProtocol

    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    sent = asyncio.Event()
    served = loop.create_future()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await sent.wait()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()
        writer.close()
        await writer.wait_closed()
        served.set_result(None)

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        transport, protocol = await loop.create_connection(lambda: HttpHeadProtocol(is_response=True), "127.0.0.1", port)
        waiting = asyncio.create_task(protocol.read_head())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        sent.set()
        for _ in range(100):  # until the head has been read
            await asyncio.sleep(0.01)
            if protocol._parser is None:
                break
        assert errors == [] and not transport.is_closing()
        transport.close()
        await asyncio.wait_for(served, 5)
    finally:
        loop.set_exception_handler(None)
        server.close()
        await server.wait_closed()
