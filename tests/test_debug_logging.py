"""DEBUG logging: handshakes with secrets redacted, frames both ways, state
changes, on both I/O layers and both roles; nothing at all when DEBUG is off."""

from __future__ import annotations

import asyncio
import logging

import anyio
import pytest

import aiohttp_ws
import aiohttp_ws.anyio
from aiohttp_ws import BasicAuth

from .anyio_layer.peers import websockets_url  # noqa: F401  (fixture)

LOGGERS = ("aiohttp_ws.client", "aiohttp_ws.websocket", "aiohttp_ws.server")


def lines(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name in LOGGERS)


async def test_client_and_server_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_ws")
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, compress=True) as server:
        url = f"ws://127.0.0.1:{server.port}/chat"
        async with aiohttp_ws.ClientSession(cookies={"session": "c00kie-secret"}) as session:
            async with session.ws_connect(url, auth=BasicAuth("me", "pa55-secret"), headers={"X-Trace": "t1"}) as ws:
                await ws.send_str("hello")
                assert await ws.receive_str() == "hello"
                await ws.send_bytes(b"\x00" * 300)
                await ws.receive_bytes()
                await ws.ping(b"p", wait=True)
    text = lines(caplog)
    assert "pa55" not in text and "c00kie" not in text and "bWU6cGE1NS" not in text  # never the secrets
    assert "Authorization: <redacted>" in text and "Cookie: <redacted>" in text and "X-Trace: t1" in text
    assert "> GET /chat HTTP/1.1" in text and "< HTTP/1.1 101 Switching Protocols" in text  # the client's view
    assert "< GET /chat HTTP/1.1" in text and "> HTTP/1.1 101 Switching Protocols" in text  # the server's
    assert "] > TEXT 'hello' [5 bytes]" in text and "] < TEXT 'hello' [5 bytes]" in text
    assert "] < BINARY " + repr(b"\x00" * 64) + "… [300 bytes]" in text  # previews are cut
    assert "] > PING b'p' [1 bytes]" in text and "] < PONG b'p' [1 bytes]" in text
    assert "] > CLOSE 1000 ''" in text and "] < CLOSE 1000 ''" in text
    assert "closed: code 1000" in text
    assert "[client 127.0.0.1:" in text and "[server 127.0.0.1:" in text


async def test_automatic_replies_and_failures_are_logged(caplog: pytest.LogCaptureFixture, raw_server: object) -> None:
    from .conftest import accept, read_client_frame, server_frame

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(0x9, b"are you there") + server_frame(0x1, b"\xff\xfe"))
        await read_client_frame(reader)
        await read_client_frame(reader)

    caplog.set_level(logging.DEBUG, logger="aiohttp_ws.websocket")
    raw = await raw_server(script)  # type: ignore[operator]
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        msg = await ws.receive()
    assert msg.type is aiohttp_ws.WSMsgType.ERROR
    text = lines(caplog)
    assert "< PING b'are you there'" in text and "> PONG b'are you there'" in text  # the reader's answer
    assert "< ERROR InvalidPayloadError" in text and "> CLOSE 1007" in text


async def test_silent_and_free_when_debug_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp_ws")
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            assert ws._conn._log is None  # type: ignore[attr-defined]  # no per-frame work at all
            await ws.send_str("quiet")
            await ws.receive()
    assert not [r for r in caplog.records if r.levelno < logging.INFO]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_layer_logs_too(backend: str, websockets_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_ws")

    async def main() -> None:
        async with aiohttp_ws.anyio.connect(websockets_url, headers={"Authorization": "Bearer t0ken"}) as ws:
            await ws.send_str("via anyio")
            await ws.receive()

    anyio.run(main, backend=backend)
    text = lines(caplog)
    assert "t0ken" not in text and "Authorization: <redacted>" in text
    assert "> TEXT 'via anyio' [9 bytes]" in text and "< TEXT 'via anyio' [9 bytes]" in text
    assert "> CLOSE 1000" in text


async def test_deflated_frames_show_their_size_and_messages_their_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_ws.websocket")
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, compress=True) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", compress=15) as ws:
            await ws.send_str("squeeze me " * 20)
            await ws.receive()
    text = lines(caplog)
    assert "> TEXT deflated [" in text and "bytes on the wire]" in text
    assert "< TEXT 'squeeze me squeeze me" in text and "[220 bytes]" in text
