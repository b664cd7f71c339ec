"""Hostile HTTP/2 servers: more DATA than the window allows, frames over the
frame size, a server that never sends SETTINGS, a stream that never answers;
and the tracing and DEBUG logging paths over HTTP/2."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import struct
import tracemalloc
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import pytest

import aiohttp_ws
from aiohttp_ws.http2.dial import pool_of


def raw_frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream_id) + payload


async def lying_server(behaviour: str) -> asyncio.Server:
    """Accepts the CONNECT with the h2 library, then breaks the rules by hand."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1}
        )
        conn.initiate_connection()
        if behaviour != "no-settings":
            writer.write(conn.data_to_send())
        try:
            while data := await reader.read(65536):
                if behaviour == "no-settings":
                    continue
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        conn.send_headers(event.stream_id or 0, [(":status", "200")])
                    elif isinstance(event, h2.events.DataReceived):  # the client's first message: now lie
                        sid = event.stream_id or 0
                        writer.write(conn.data_to_send())
                        # A WebSocket binary frame header announcing 8 MiB, then DATA past the window.
                        ws_header = bytes([0x82, 127]) + struct.pack("!Q", 8 * 1024 * 1024)
                        if behaviour == "overflow":
                            # 48 messages of 32 KiB (1.5 MiB) in 16 KiB DATA frames, whatever
                            # the window says: the client's queue fills, its stream
                            # window (1 MiB) stops being handed back, and the rest overflows it.
                            message = bytes([0x82, 126]) + struct.pack("!H", 32768 - 4) + b"\1" * (32768 - 4)
                            for _ in range(48):
                                writer.write(raw_frame(0, 0, sid, message[:16384]))
                                writer.write(raw_frame(0, 0, sid, message[16384:]))
                        elif behaviour == "huge-frame":
                            writer.write(raw_frame(0, 0, sid, ws_header + b"\0" * 20000))  # over 16 KiB
                writer.write(conn.data_to_send())
        except (ConnectionError, h2.exceptions.ProtocolError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


@pytest.mark.parametrize("behaviour", ["overflow", "huge-frame"])
async def test_flow_control_and_frame_size_violations_fail_the_connection(behaviour: str) -> None:
    server = await lying_server(behaviour)
    port = server.sockets[0].getsockname()[1]
    try:
        tracemalloc.start()
        async with aiohttp_ws.ClientSession() as session:
            ws = await session.ws_connect(
                f"ws://127.0.0.1:{port}/", http2="prior-knowledge", max_msg_size=16 * 1024 * 1024, max_queue_bytes=64 * 1024
            )
            await ws.send_str("go")
            await asyncio.sleep(0.5)  # everything sent has arrived; nothing read yet
            received = 0
            while (msg := await ws.receive(timeout=5)).type is aiohttp_ws.WSMsgType.BINARY:
                received += 1  # the messages that came within the window are delivered first
            assert received < 48
            assert msg.type is aiohttp_ws.WSMsgType.ERROR
            assert isinstance(msg.data, aiohttp_ws.ClientConnectionResetError)
            reason = {"overflow": "FLOW_CONTROL_ERROR", "huge-frame": "FRAME_SIZE_ERROR"}[behaviour]
            assert reason in str(msg.data), msg.data
            assert ws.close_code == 1006
            _, peak = tracemalloc.get_traced_memory()
            assert peak < 8 * 1024 * 1024  # what arrived, never the 8 MiB the frame declared
            assert not session.connector.h2_pool.conns  # the connection was ended (GOAWAY), not reused
        tracemalloc.stop()
    finally:
        server.close()
        await server.wait_closed()


async def test_no_settings_falls_back_after_the_settings_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiohttp_ws.http2 import dial

    monkeypatch.setattr(dial, "SETTINGS_TIMEOUT", 0.3)
    server = await lying_server("no-settings")
    port = server.sockets[0].getsockname()[1]
    try:
        async with aiohttp_ws.ClientSession() as session:
            with pytest.raises((aiohttp_ws.ServerTimeoutError, aiohttp_ws.ServerDisconnectedError, asyncio.TimeoutError)):
                await asyncio.wait_for(session.ws_connect(f"ws://127.0.0.1:{port}/", http2="prior-knowledge"), 2)
            assert "SETTINGS" in next(iter(pool_of(session.connector).refused.values()))
    finally:
        server.close()
        await server.wait_closed()


async def test_tracing_and_debug_logging_over_http2(caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []

    async def record(session: Any, ctx: Any, params: Any) -> None:
        events.append(type(params).__name__)

    config = aiohttp_ws.TraceConfig()
    config.on_request_start.append(record)
    config.on_request_end.append(record)
    config.on_ws_handshake_end.append(record)
    config.on_ws_closed.append(record)
    from ..conftest import our_handler

    caplog.set_level(logging.DEBUG, logger="aiohttp_ws")
    async with aiohttp_ws.serve(our_handler, http2=True) as server:
        async with aiohttp_ws.ClientSession(trace_configs=[config], http2="prior-knowledge") as session:
            async with session.ws_connect(f"ws://127.0.0.1:{server.port}/traced") as ws:
                await ws.send_str("t")
                assert await ws.receive_str() == "t"
            await asyncio.sleep(0.05)
    assert events == ["TraceRequestStartParams", "TraceRequestEndParams", "TraceWSHandshakeEndParams", "TraceWSClosedParams"]
    assert any("(HTTP/2)" in r.getMessage() for r in caplog.records)


async def test_data_then_reset_in_one_read_delivers_the_data_first() -> None:
    """The answer, a text message and a close frame, END_STREAM and then
    RST_STREAM CANCEL, all in one TCP read, before ws_connect has even
    returned (what HAProxy does when its backend hangs up): the message and
    the close arrive, and the end is clean."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.local_settings = h2.settings.Settings(client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        sid = event.stream_id or 0
                        conn.send_headers(sid, [(":status", "200")])
                        conn.send_data(sid, b"\x81\x05hello" + b"\x88\x02\x03\xe8", end_stream=True)
                        conn.reset_stream(sid, error_code=8)
                writer.write(conn.data_to_send())
        except (ConnectionError, h2.exceptions.ProtocolError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{port}/", http2="prior-knowledge") as ws:
            assert (await ws.receive(timeout=5)).data == "hello"
            msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp_ws.WSMsgType.CLOSE and msg.data == 1000
        assert ws.close_code == 1000 and ws.exception() is None
    finally:
        server.close()
        await server.wait_closed()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_fds_and_memory_come_back_after_many_websockets_and_resets() -> None:
    """Three rounds of 100 WebSockets over HTTP/2 to our server, each round
    ended a different way (close, abort = RST_STREAM, the session closing
    under them): afterwards the process has the file descriptors it had, and
    traced memory after the last round is within 256 KiB of after the first
    (caches filled by the first round stay; a leak would grow per round)."""
    from ..conftest import our_handler

    async with aiohttp_ws.serve(our_handler, http2=True) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        fds = _open_fds()
        tracemalloc.start()
        try:
            after: list[int] = []
            for ending in ("close", "abort", "session", "close"):
                async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
                    sockets = await asyncio.gather(*(session.ws_connect(url) for _ in range(100)))
                    assert len({ws.get_extra_info("sockname") for ws in sockets}) == 1
                    await asyncio.gather(*(ws.send_bytes(b"x" * 1000) for ws in sockets))
                    await asyncio.gather(*(ws.receive_bytes(timeout=5) for ws in sockets))
                    if ending == "close":
                        await asyncio.gather(*(ws.close() for ws in sockets))
                    elif ending == "abort":
                        for ws in sockets:
                            ws._conn.abort()  # type: ignore[attr-defined]
                for _ in range(100):  # the server's side of the TCP connection ends too
                    await asyncio.sleep(0.02)
                    if _open_fds() <= fds and not server._websockets:
                        break
                assert _open_fds() <= fds, ending
                assert not server._websockets, ending
                gc.collect()
                after.append(tracemalloc.get_traced_memory()[0])
            print("traced bytes after each round:", after)
            assert after[-1] - after[0] < 256 * 1024, after
        finally:
            tracemalloc.stop()
