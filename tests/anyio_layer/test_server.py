"""aiohttp_ws.anyio.serve / accept under asyncio and trio, with websockets'
client (in a thread), our asyncio client (in a thread), our anyio client
and scripted raw clients."""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any, Callable

import anyio
import anyio.abc
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as websockets_connect

import aiohttp_ws
from aiohttp_ws import ServerWebSocket, WSMsgType
from aiohttp_ws.anyio import accept, connect, serve
from aiohttp_ws.server import echo_handler
from aiohttp_ws.server_hooks import Accept, Refuse, UpgradeRequest

from .peers import client_frame, read_until

Run = Callable[..., Any]


async def start(tg: anyio.abc.TaskGroup, handler: Any, **options: Any) -> int:
    port: int = await tg.start(lambda task_status: serve(handler, task_status=task_status, **options))
    return port


def test_websockets_client_echo_subprotocol_and_deflate(run: Run) -> None:
    def client(port: int) -> tuple[Any, ...]:
        with websockets_connect(f"ws://127.0.0.1:{port}/chat", subprotocols=["v2", "v1"]) as ws:
            ws.send("hello")
            text = ws.recv(5)
            ws.send(b"\x01" * 100_000)
            data = ws.recv(5)
            return ws.subprotocol, text, data, ws.response.headers.get("Sec-WebSocket-Extensions")

    async def main() -> tuple[Any, ...]:
        async with anyio.create_task_group() as tg:
            port = await start(tg, echo_handler, protocols=("v1", "v2"), compress=True)
            result: tuple[Any, ...] = await anyio.to_thread.run_sync(client, port)
            tg.cancel_scope.cancel()
        return result

    protocol, text, data, extensions = run(main)
    assert (protocol, text, data) == ("v1", "hello", b"\x01" * 100_000)  # the server's preference wins
    assert extensions and extensions.startswith("permessage-deflate")


def test_asyncio_client_in_another_thread(run: Run) -> None:
    async def handler(ws: ServerWebSocket) -> None:
        await ws.send_str(f"path={ws.path}")
        async for msg in ws:
            await ws.send_str(msg.data.upper())

    def client(port: int) -> list[Any]:
        async def talk() -> list[Any]:
            async with aiohttp_ws.ClientSession() as session:
                async with session.ws_connect(f"ws://127.0.0.1:{port}/room/1?x=2", compress=15) as ws:
                    first = await ws.receive_str()
                    await ws.send_str("abc")
                    second = await ws.receive_str()
                    await ws.close(code=4000, message=b"done")
                    return [first, second, ws.close_code]

        return asyncio.run(talk())

    async def main() -> list[Any]:
        async with anyio.create_task_group() as tg:
            port = await start(tg, handler)
            got: list[Any] = await anyio.to_thread.run_sync(client, port)
            tg.cancel_scope.cancel()
        return got

    assert run(main) == ["path=/room/1?x=2", "ABC", 4000]  # the request target, as the asyncio server's


def test_hooks_refuse_accept_and_health_checks(run: Run) -> None:
    def process_request(request: UpgradeRequest) -> Accept | Refuse | None:
        if request.path == "/health":
            return Refuse(200, body="ok\n")
        if request.headers.get("Authorization") != "Bearer t":
            return Refuse(401, headers=[("WWW-Authenticate", "Bearer")], body="who are you?")
        return Accept(headers=[("X-Session", "42")])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await start(tg, echo_handler, process_request=process_request)
            stream = await anyio.connect_tcp("127.0.0.1", port)
            async with stream:
                await stream.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                buf = bytearray()
                head = await read_until(stream, b"\r\n\r\n", buf)
                assert head.startswith(b"HTTP/1.1 200 OK")
            with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
                async with connect(f"ws://127.0.0.1:{port}/"):
                    pass
            assert (info.value.status, info.value.body) == (401, b"who are you?")
            async with connect(f"ws://127.0.0.1:{port}/", headers={"Authorization": "Bearer t"}) as ws:
                assert ws.headers["X-Session"] == "42"
                await ws.send_str("in")
                assert await ws.receive_str() == "in"
            tg.cancel_scope.cancel()

    run(main)


def test_hook_errors_answer_500(run: Run, caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: UpgradeRequest) -> None:
        raise RuntimeError("hook bug")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await start(tg, echo_handler, process_request=broken)
            with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
                async with connect(f"ws://127.0.0.1:{port}/"):
                    pass
            assert info.value.status == 500
            tg.cancel_scope.cancel()

    with caplog.at_level(logging.ERROR, logger="aiohttp_ws.server"):
        run(main)
    assert "hook bug" in caplog.text


def test_handler_error_closes_1011_and_shutdown_closes_1001(run: Run) -> None:
    async def failing(ws: ServerWebSocket) -> None:
        await ws.receive()
        raise ValueError("handler bug")

    async def waiting(ws: ServerWebSocket) -> None:
        async for _ in ws:
            pass

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await start(tg, failing)
            async with connect(f"ws://127.0.0.1:{port}/") as ws:
                await ws.send_str("boom")
                msg = await ws.receive()
            assert (msg.tp, msg.data) == (WSMsgType.CLOSE, 1011)
            tg.cancel_scope.cancel()
        async with anyio.create_task_group() as outer:
            async with anyio.create_task_group() as server_tg:
                port = await start(server_tg, waiting)
                async with connect(f"ws://127.0.0.1:{port}/") as ws:
                    server_tg.cancel_scope.cancel()  # shutdown
                    with anyio.fail_after(5):
                        msg = await ws.receive()
                assert (msg.tp, msg.data) == (WSMsgType.CLOSE, 1001)
            outer.cancel_scope.cancel()

    logging.getLogger("aiohttp_ws.server").disabled = True
    try:
        run(main)
    finally:
        logging.getLogger("aiohttp_ws.server").disabled = False


def test_max_connections_refuses_with_503(run: Run) -> None:
    def client(port: int) -> int:
        try:
            with websockets_connect(f"ws://127.0.0.1:{port}/"):
                return 101
        except InvalidStatus as exc:
            return int(exc.response.status_code)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await start(tg, echo_handler, max_connections=1)
            async with connect(f"ws://127.0.0.1:{port}/"):
                assert await anyio.to_thread.run_sync(client, port) == 503
            with anyio.fail_after(5):
                while await anyio.to_thread.run_sync(client, port) != 101:  # the slot is free again
                    await anyio.sleep(0.01)
            tg.cancel_scope.cancel()

    run(main)


def test_unmasked_client_frame_is_1002(run: Run) -> None:
    async def main() -> bytes:
        async with anyio.create_task_group() as tg:
            port = await start(tg, echo_handler)
            async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                await stream.send(
                    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                )
                buf = bytearray()
                await read_until(stream, b"\r\n\r\n", buf)
                await stream.send(b"\x81\x02hi")  # not masked: RFC 6455 §5.1
                with anyio.fail_after(5):
                    while len(buf) < 4:
                        buf += await stream.receive()
            tg.cancel_scope.cancel()
        return bytes(buf)

    data = run(main)
    assert data[0] == 0x88 and struct.unpack("!H", data[2:4])[0] == 1002


def test_accept_on_a_stream_whose_request_was_read(run: Run) -> None:
    """simple-websocket's accept(sock=, headers=): someone else read the request."""

    async def main() -> list[Any]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        got: list[Any] = []
        async with listener, anyio.create_task_group() as tg:

            async def client() -> None:
                async with connect(f"ws://127.0.0.1:{port}/", protocols=("p",)) as ws:
                    got.append(ws.protocol)
                    await ws.send_bytes(b"raw")
                    got.append(await ws.receive_bytes())

            tg.start_soon(client)
            stream = await listener.listeners[0].accept()
            buf = bytearray()
            head = await read_until(stream, b"\r\n\r\n", buf)
            fields = dict(
                line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:]
            )  # the application's own parsing
            async with accept(stream, request=fields, protocols=("p",)) as ws:
                got.append((await ws.receive()).data)
                await ws.send_bytes(b"back")
                await ws.receive()  # the client's close
        return got

    assert run(main) == ["p", b"raw", b"back"]


def test_raw_client_close_handshake(run: Run) -> None:
    async def main() -> bytes:
        async with anyio.create_task_group() as tg:
            port = await start(tg, echo_handler)
            async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                await stream.send(
                    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                )
                buf = bytearray()
                head = await read_until(stream, b"\r\n\r\n", buf)
                assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head  # RFC 6455 §1.3's example
                await stream.send(client_frame(0x1, b"echo me"))
                with anyio.fail_after(5):
                    while len(buf) < 9:
                        buf += await stream.receive()
                    await stream.send(client_frame(0x8, struct.pack("!H", 1000)))
                    try:
                        while True:
                            buf += await stream.receive()
                    except anyio.EndOfStream:
                        pass  # the server ends TCP first (RFC 6455 §7.1.1)
            tg.cancel_scope.cancel()
        return bytes(buf)

    assert run(main) == b"\x81\x07echo me" + b"\x88\x02" + struct.pack("!H", 1000)
