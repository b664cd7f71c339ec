"""The per-message fast paths (``write_message``: a send with no coroutine
below ``send_bytes``; ``receive_nowait``: a queued message taken without one)
against peers we did not write, used as people use them: many sends without
reading, then ``async for`` left early by ``break`` or by an exception, and
``wait_for`` around each receive."""

from __future__ import annotations

import asyncio

import pytest

import aiohttp_ws
from aiohttp_ws import WSMsgType

from .robustness.conftest import open_fds

COUNT = 300


class Boom(Exception):
    pass


@pytest.mark.parametrize("leave", ["break", "exception"])
async def test_burst_then_leaving_the_loop_early(echo_url: str, leave: str) -> None:
    before = open_fds()
    received: list[bytes] = []
    try:
        async with aiohttp_ws.ws_connect(echo_url) as ws:
            for i in range(COUNT):  # no await in between has to wait: all written at once
                await ws.send_bytes(i.to_bytes(4, "big") * 16)
            await asyncio.sleep(0.2)  # let the echoes queue up
            assert ws._conn.queued_bytes > 0  # type: ignore[attr-defined]
            async for msg in ws:
                assert msg.type is WSMsgType.BINARY
                received.append(msg.data)
                if len(received) == 5:
                    if leave == "break":
                        break
                    raise Boom
    except Boom:
        assert leave == "exception"
    assert [int.from_bytes(m[:4], "big") for m in received] == list(range(5))  # in order, none lost
    assert all(m == m[:4] * 16 for m in received)
    assert ws.closed and ws.close_code == 1000
    for _ in range(200):  # the peers run in this process: their side of the socket closes a moment later
        if open_fds() <= before:
            break
        await asyncio.sleep(0.01)
    assert open_fds() <= before


async def test_wait_for_around_each_receive_of_a_burst_loses_nothing(echo_url: str) -> None:
    async with aiohttp_ws.ws_connect(echo_url) as ws:
        for i in range(COUNT):
            await ws.send_str(f"m{i}")
        got = []
        while len(got) < COUNT:
            try:
                got.append(await asyncio.wait_for(ws.receive_str(), 0.001 if len(got) % 7 else 5))
            except asyncio.TimeoutError:
                pass  # the connection stays open; the message comes with a later receive
        assert got == [f"m{i}" for i in range(COUNT)]
        await ws.send_str("last")
        assert await asyncio.wait_for(ws.receive_str(), 5) == "last"
    assert ws.close_code == 1000


def test_per_message_methods_look_up_no_enum_member() -> None:
    """On Python 3.11 reading an enum member through its class
    (``WSMsgType.TEXT``, ``State.CLOSED``) costs about 100 ns, a module
    constant 7: counted by valgrind, taking them out of ``receive()`` and
    ``__anext__`` cut 6 % and 10 % of the instructions of a 64-byte echo.
    The per-message methods (and ``closed``, which loops test each time)
    name no enum class at run time."""
    from aiohttp_ws import asgi, server
    from aiohttp_ws.anyio import connection as anyio_connection
    from aiohttp_ws.client_ws import WebSocketBase
    from aiohttp_ws.connection import WebSocketConnection

    functions = [
        WebSocketBase.receive, WebSocketBase.__anext__, WebSocketBase.send_str, WebSocketBase.send_bytes,
        WebSocketBase.receive_str, WebSocketBase.receive_bytes, WebSocketBase.receive_json,
        WebSocketConnection.closed.fget, anyio_connection.AnyioConnection.closed.fget,
        server.echo_handler, asgi.AsgiWebSocket.receive, asgi.AsgiWebSocket._iterate,
    ]
    for function in functions:
        code = function.__code__
        assert not {"WSMsgType", "State"} & set(code.co_names), function.__qualname__
