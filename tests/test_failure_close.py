"""A protocol violation closes with its own close code whatever the application
does next (RFC 6455 §7.1.7): the loops users write, over real sockets against a
scripted server that sends a good message and then a bad frame."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws import WSMsgType

from .conftest import RawServer, Script, accept, read_client_frame, server_frame

# (bytes the server sends after the good message, the close code it must get back)
VIOLATIONS = {
    "rsv2": (bytes([0x80 | 0x20 | 0x1, 0]), 1002),
    "bad-utf8": (server_frame(0x1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), 1007),
    "too-big": (server_frame(0x2, bytes(2000)), 1009),
    "bad-close-code": (server_frame(0x8, (999).to_bytes(2, "big")), 1002),
    "continuation-first": (server_frame(0x0, b"x"), 1002),
}


async def docs_loop(ws: aiohttp_ws.ClientWebSocketResponse) -> None:
    """The loop printed in aiohttp's client docs: break on ERROR."""
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.ERROR:
            break


async def receive_loop(ws: aiohttp_ws.ClientWebSocketResponse) -> None:
    """A while loop with wait_for around every call, then an explicit close."""
    while True:
        msg = await asyncio.wait_for(ws.receive(), 5)
        if msg.type is WSMsgType.TEXT:
            await asyncio.wait_for(ws.send_str(msg.data), 5)
        else:
            break
    assert await ws.close(code=1000) is False  # failed already: nothing more is sent


async def close_with_own_code(ws: aiohttp_ws.ClientWebSocketResponse) -> None:
    """Reads the good message, then closes with a code of its own at once."""
    assert (await ws.receive()).data == "good"
    await ws.close(code=4000, message="app")


async def raise_inside(ws: aiohttp_ws.ClientWebSocketResponse) -> None:
    """An exception escapes the async with block after the first message."""
    assert (await ws.receive()).data == "good"
    await asyncio.sleep(0.05)
    raise KeyError("application bug")


async def never_receives(ws: aiohttp_ws.ClientWebSocketResponse) -> None:
    """Never calls receive(): the reader alone must close."""
    await asyncio.sleep(0.2)


LOOPS: dict[str, Callable[[aiohttp_ws.ClientWebSocketResponse], Awaitable[None]]] = {
    "docs": docs_loop,
    "receive": receive_loop,
    "own-close": close_with_own_code,
    "raise": raise_inside,
    "idle": never_receives,
}


def script_for(violation: bytes, seen: list[tuple[int, bytes]]) -> Script:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(0x1, b"good") + violation + server_frame(0x9, b"after"))
        while True:
            opcode, payload = await read_client_frame(reader)
            seen.append((opcode, payload))
            if opcode == 0x8:
                writer.write(server_frame(0x8, payload[:2]))
                return

    return script


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
async def test_the_failure_code_reaches_the_peer_whatever_the_loop(
    raw_server: Callable[[Script], Awaitable[RawServer]], loop_name: str, violation: str
) -> None:
    data, code = VIOLATIONS[violation]
    seen: list[tuple[int, bytes]] = []
    server = await raw_server(script_for(data, seen))
    try:
        async with aiohttp_ws.ClientSession() as session:
            async with session.ws_connect(server.url, max_msg_size=1000) as ws:
                await LOOPS[loop_name](ws)
    except KeyError:
        assert loop_name == "raise"
    for _ in range(100):
        if seen and seen[-1][0] == 0x8:
            break
        await asyncio.sleep(0.01)
    closes = [payload for opcode, payload in seen if opcode == 0x8]
    assert len(closes) == 1, seen
    assert int.from_bytes(closes[0][:2], "big") == code
    assert ws.close_code == code and ws.closed
    assert isinstance(ws.exception(), aiohttp_ws.WebSocketError)
    assert ws.exception().code == code  # type: ignore[union-attr]
    if loop_name in ("docs", "receive"):  # the good message was answered before the close frame
        assert seen[0] == (0x1, b"good")


async def test_error_is_returned_after_its_close_frame_was_sent(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    """aiohttp's order: the close frame is on the wire when ERROR is returned."""
    seen: list[tuple[int, bytes]] = []
    server = await raw_server(script_for(VIOLATIONS["rsv2"][0], seen))
    async with aiohttp_ws.ws_connect(server.url) as ws:
        assert (await ws.receive()).data == "good"
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR and ws.close_code == 1002
        transport: Any = ws._conn.transport
        assert transport.is_closing()  # close frame written, TCP being closed
        assert (await ws.receive()).type is WSMsgType.CLOSED
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.01)
    assert seen and seen[0][0] == 0x8 and seen[0][1][:2] == b"\x03\xea"
