"""ping(wait=True), ws.latency and the heartbeat's diagnostics, against
websockets' and aiohttp.web's servers, ours, and scripted raw servers that
answer pings late, out of order, only the last one, or never."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import anyio
import pytest

import aiohttp_ws
import aiohttp_ws.anyio
from aiohttp_ws import ServerTimeoutError, WSMsgType

from .anyio_layer.peers import websockets_url  # noqa: F401  (fixture)
from .conftest import RawServer, Script, accept, finish_close, read_client_frame, server_frame

RawServerFactory = Callable[[Script], Awaitable[RawServer]]


async def test_ping_keeps_aiohttps_signature_and_can_wait(echo_url: str) -> None:
    async with aiohttp_ws.ws_connect(echo_url) as ws:
        assert ws.latency is None
        assert await ws.ping(b"plain") is None  # aiohttp's contract
        rtt = await asyncio.wait_for(ws.ping(b"timed", wait=True), 5)
        assert 0 < rtt < 1 and ws.latency == rtt
        await ws.send_str("still fine")
        assert await ws.receive_str() == "still fine"


async def test_equal_payloads_are_matched_in_order(raw_server: RawServerFactory) -> None:
    """Two pings with the same payload, answered 0.1 s and 0.3 s later: each
    waiter gets its own round-trip time."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        for delay in (0.1, 0.2):
            opcode, payload = await read_client_frame(reader)
            assert (opcode, payload) == (0x9, b"same")
            await asyncio.sleep(delay)
            writer.write(server_frame(0xA, payload))
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        first = asyncio.create_task(ws.ping(b"same", wait=True))
        await asyncio.sleep(0)
        second = asyncio.create_task(ws.ping(b"same", wait=True))
        rtt1, rtt2 = await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert 0.09 <= rtt1 < rtt2 and rtt2 >= 0.28
    assert ws.latency == rtt2


async def test_a_pong_answers_earlier_pings_and_unsolicited_pongs_answer_none(raw_server: RawServerFactory) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        assert await read_client_frame(reader) == (0x9, b"a")
        assert await read_client_frame(reader) == (0x9, b"b")
        writer.write(server_frame(0xA, b"unsolicited"))  # RFC 6455 §5.5.3: ignored
        await asyncio.sleep(0.2)
        writer.write(server_frame(0xA, b"b"))  # only the most recent (allowed by §5.5.3)
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        a = asyncio.create_task(ws.ping(b"a", wait=True))
        await asyncio.sleep(0)
        b = asyncio.create_task(ws.ping(b"b", wait=True))
        rtt_a, rtt_b = await asyncio.wait_for(asyncio.gather(a, b), 5)
    assert rtt_a >= 0.19 and rtt_b >= 0.19


async def test_closing_before_the_pong_raises(raw_server: RawServerFactory) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        assert await read_client_frame(reader) == (0x9, b"lost")
        writer.write(server_frame(0x8, b"\x03\xe9"))  # closes instead of answering
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        with pytest.raises(aiohttp_ws.ClientConnectionResetError):
            await asyncio.wait_for(ws.ping(b"lost", wait=True), 5)
    assert ws.close_code == 1001


async def test_the_heartbeat_records_latency(websockets_server: str) -> None:
    async with aiohttp_ws.ws_connect(websockets_server, heartbeat=0.1) as ws:
        await asyncio.sleep(0.35)
        assert ws.latency is not None and 0 < ws.latency < 0.1


def silent_after_handshake() -> Script:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        while await reader.read(65536):
            pass  # reads our pings, never answers

    return script


async def test_heartbeat_timeout_reports_a_blocked_loop(raw_server: RawServerFactory) -> None:
    """The loop is blocked for 0.4 s while the client waits for a pong: the
    error says so, with the number."""
    raw = await raw_server(silent_after_handshake())
    async with aiohttp_ws.ws_connect(raw.url, heartbeat=0.2) as ws:
        asyncio.get_running_loop().call_later(0.25, time.sleep, 0.4)  # blocking code in the loop
        msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type is WSMsgType.ERROR and isinstance(msg.data, ServerTimeoutError)
    assert msg.data.loop_blocked is not None and 0.3 <= msg.data.loop_blocked < 1.0
    assert "event loop was blocked for 0.3" in str(msg.data) or "event loop was blocked for 0.4" in str(msg.data)
    assert ws.close_code == 1006


async def test_heartbeat_timeout_without_a_blocked_loop_says_nothing_of_it(raw_server: RawServerFactory) -> None:
    raw = await raw_server(silent_after_handshake())
    async with aiohttp_ws.ws_connect(raw.url, heartbeat=0.2) as ws:
        msg = await asyncio.wait_for(ws.receive(), 5)
    assert isinstance(msg.data, ServerTimeoutError)
    assert msg.data.loop_blocked is not None and msg.data.loop_blocked < 0.05
    assert "blocked" not in str(msg.data)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_layer_ping_wait_and_heartbeat_latency(backend: str, websockets_url: str) -> None:
    async def main() -> tuple[Any, ...]:
        async with aiohttp_ws.anyio.connect(websockets_url, heartbeat=0.1) as ws:
            with anyio.fail_after(5):
                rtt = await ws.ping(b"x", wait=True)
            plain = await ws.ping()
            await anyio.sleep(0.35)
            return rtt, plain, ws.latency

    rtt, plain, latency = anyio.run(main, backend=backend)
    assert 0 < rtt < 1 and plain is None and latency is not None and latency < 0.1
