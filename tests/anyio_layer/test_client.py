"""aiohttp_ws.anyio.connect under asyncio and trio, against websockets' server,
our asyncio server and scripted raw peers."""

from __future__ import annotations

import base64
import collections
import hashlib
import os
import ssl
import struct
from typing import Any, Callable

import anyio
import anyio.abc
import pytest
import trustme

import aiohttp_ws
from aiohttp_ws import (
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientWSTimeout,
    ServerTimeoutError,
    WSMsgType,
    WSServerHandshakeError,
)
from aiohttp_ws.anyio import connect, serve
from aiohttp_ws.anyio.connection import READ_SIZE
from aiohttp_ws.server import echo_handler
from aiohttp_ws.server_hooks import Refuse, UpgradeRequest

from .peers import GUID, answer_close, frame, raw_handshake, raw_server, read_frame, read_until

Run = Callable[..., Any]


@pytest.fixture(params=["websockets", "asyncio_server"])
def echo_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("websockets_url" if request.param == "websockets" else "asyncio_server_url")
    return url


def test_echo_text_binary_json(run: Run, echo_url: str) -> None:
    async def main() -> None:
        async with connect(echo_url) as ws:
            await ws.send_str("héllo")
            assert (await ws.receive()).data == "héllo"
            await ws.send_bytes(b"\x00\xff" * 1000)
            msg = await ws.receive()
            assert (msg.tp, msg.data) == (WSMsgType.BINARY, b"\x00\xff" * 1000)
            await ws.send_json({"a": [1, 2]})
            assert await ws.receive_json() == {"a": [1, 2]}
            assert ws.get_extra_info("peername")[0] == "127.0.0.1"
        assert ws.closed and ws.close_code == 1000
        assert ws.get_extra_info("peername") is None

    run(main)


def test_compressed_messages_both_sizes(run: Run, echo_url: str) -> None:
    """permessage-deflate with each peer; 1 MiB messages go through the worker thread."""
    big = b"".join(struct.pack("!I", i) for i in range(256 * 1024))

    async def main() -> None:
        async with connect(echo_url, compress=15) as ws:
            assert ws.compress
            for payload in (b"small" * 10, big):
                await ws.send_bytes(payload)
                assert await ws.receive_bytes() == payload

    run(main)


def test_many_tasks_send_concurrently(run: Run, websockets_url: str) -> None:
    async def main() -> None:
        async with connect(websockets_url, compress=15) as ws:

            async def sender(n: int) -> None:
                for i in range(50):
                    await ws.send_str(f"{n}:{i}:" + "x" * (i * 97 % 3000))

            async with anyio.create_task_group() as tg:
                for n in range(8):
                    tg.start_soon(sender, n)
            got = [await ws.receive_str() for _ in range(400)]
        per_task: dict[str, list[int]] = collections.defaultdict(list)
        for text in got:
            n, i, _ = text.split(":")
            per_task[n].append(int(i))
        assert all(seq == list(range(50)) for seq in per_task.values()) and len(per_task) == 8

    run(main)


def test_pings_are_answered_and_close_codes_reported(run: Run, websockets_url: str) -> None:
    async def main() -> None:
        async with connect(websockets_url) as ws:
            await ws.send_str("ping")  # the server pings and waits for our pong
            assert await ws.receive_str() == "pong ok"
            await ws.send_str("close:4001")
            msg = await ws.receive()
            assert (msg.tp, msg.data, msg.extra) == (WSMsgType.CLOSE, 4001, "bye")
            assert (await ws.receive()).tp is WSMsgType.CLOSED
        assert ws.close_code == 4001

    run(main)


def test_receive_timeout_and_cancellation_keep_the_connection(run: Run, websockets_url: str) -> None:
    async def main() -> None:
        async with connect(websockets_url) as ws:
            with pytest.raises(TimeoutError):
                await ws.receive(timeout=0.05)
            with anyio.move_on_after(0.05):
                await ws.receive()
            with anyio.fail_after(5):
                await ws.send_str("still here")
                assert await ws.receive_str() == "still here"

    run(main)


def test_the_aiohttp_docs_loop_sends_the_violations_close_code(run: Run) -> None:
    """break on ERROR, leave the context: the peer still gets 1002, and the
    message before the violation was delivered and answered."""
    seen: list[tuple[int, bytes]] = []

    async def script(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        await raw_handshake(stream, buf)
        await stream.send(frame(0x1, b"first") + frame(0x2, b"bad", rsv=0x20))
        with anyio.fail_after(5):
            while not seen or seen[-1][0] != 0x8:
                seen.append(await read_frame(stream, buf))

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, script)
            async with connect(f"ws://127.0.0.1:{port}/") as ws:
                async for msg in ws:
                    if msg.tp is WSMsgType.TEXT:
                        await ws.send_str(msg.data + " back")
                    elif msg.tp is WSMsgType.ERROR:
                        break
            assert ws.close_code == 1002
            tg.cancel_scope.cancel()

    run(main)
    assert seen[0] == (0x1, b"first back")
    assert seen[-1][0] == 0x8 and struct.unpack("!H", seen[-1][1][:2])[0] == 1002


@pytest.mark.parametrize(
    ("bad", "code", "options"),
    [
        (frame(0x1, b"\xff\xfe"), 1007, {}),
        (frame(0x2, b"x" * 2000), 1009, {"max_msg_size": 1000}),
        (frame(0x9, b"p", fin=False), 1002, {}),
    ],
    ids=["invalid-utf8", "too-big", "fragmented-ping"],
)
def test_violations_close_with_their_code(run: Run, bad: bytes, code: int, options: dict[str, Any]) -> None:
    closes: list[int] = []

    async def script(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        await raw_handshake(stream, buf)
        await stream.send(bad)
        with anyio.fail_after(5):
            opcode, payload = await read_frame(stream, buf)
        assert opcode == 0x8
        closes.append(struct.unpack("!H", payload[:2])[0])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, script)
            async with connect(f"ws://127.0.0.1:{port}/", **options) as ws:
                msg = await ws.receive()
                assert msg.tp is WSMsgType.ERROR
                assert ws.exception() is msg.data
            assert ws.close_code == code
            tg.cancel_scope.cancel()

    run(main)
    assert closes == [code]


def test_heartbeat_without_pong_fails_with_1006(run: Run) -> None:
    async def silent(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        await raw_handshake(stream, buf)
        with anyio.move_on_after(5):
            while True:
                await stream.receive()  # reads the pings, never answers

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, silent)
            start = anyio.current_time()
            async with connect(f"ws://127.0.0.1:{port}/", heartbeat=0.2) as ws:
                msg = await ws.receive()
                elapsed = anyio.current_time() - start
            assert msg.tp is WSMsgType.ERROR and isinstance(msg.data, ServerTimeoutError)
            assert ws.close_code == 1006
            assert 0.25 <= elapsed < 2.0
            tg.cancel_scope.cancel()

    run(main)


def test_heartbeat_with_pongs_stays_open(run: Run, websockets_url: str) -> None:
    async def main() -> None:
        async with connect(websockets_url, heartbeat=0.05) as ws:
            await anyio.sleep(0.4)
            assert not ws.closed
            await ws.send_str("alive")
            assert await ws.receive_str() == "alive"

    run(main)


def test_refusal_status_and_body(run: Run) -> None:
    def refuse(request: UpgradeRequest) -> Refuse | None:
        return Refuse(403, body="go away") if request.path == "/private" else None

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await tg.start(lambda task_status: serve(echo_handler, process_request=refuse, task_status=task_status))
            with pytest.raises(WSServerHandshakeError) as info:
                async with connect(f"ws://127.0.0.1:{port}/private"):
                    pass
            assert (info.value.status, info.value.body) == (403, b"go away")
            tg.cancel_scope.cancel()

    run(main)


def test_connect_errors(run: Run) -> None:
    async def never_answers(stream: anyio.abc.SocketStream, _: bytes) -> None:
        await anyio.sleep(5)

    async def main() -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()  # nothing listens there now
        with pytest.raises(ClientConnectorError):
            async with connect(f"ws://127.0.0.1:{port}/"):
                pass
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, never_answers)
            with pytest.raises(ServerTimeoutError):
                async with connect(f"ws://127.0.0.1:{port}/", timeout=ClientWSTimeout(ws_handshake=0.2)):
                    pass
            tg.cancel_scope.cancel()

    run(main)


def test_over_an_existing_stream(run: Run, websockets_url: str) -> None:
    port = int(websockets_url.rsplit(":", 1)[1].strip("/"))

    async def main() -> None:
        stream = await anyio.connect_tcp("127.0.0.1", port)
        async with connect("ws://tunnel.example/", stream=stream) as ws:
            await ws.send_str("via a stream")
            assert await ws.receive_str() == "via a stream"

    run(main)


def test_unread_messages_bound_memory(run: Run) -> None:
    """A peer floods 200 x 64 KiB while nobody reads: the queue stops near its
    high-water mark (reading pauses), then every message arrives intact."""
    sent = [os.urandom(8) * 8192 for _ in range(200)]
    queued: list[int] = []

    async def flood(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        await raw_handshake(stream, buf)
        for payload in sent:
            await stream.send(frame(0x2, payload))
        await answer_close(stream, buf)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, flood)
            async with connect(f"ws://127.0.0.1:{port}/", max_queue_bytes=256 * 1024) as ws:
                await anyio.sleep(0.5)
                queued.append(ws._conn.queued_bytes)  # type: ignore[attr-defined]
                got = [await ws.receive_bytes() for _ in sent]
            assert got == sent
            tg.cancel_scope.cancel()

    run(main)
    # At most the high-water mark, one read's bytes and the message cut by it.
    assert 256 * 1024 < queued[0] <= 256 * 1024 + READ_SIZE + 64 * 1024


def test_exception_inside_the_block_still_closes(run: Run) -> None:
    closes: list[bytes] = []

    async def script(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        await raw_handshake(stream, buf)
        with anyio.fail_after(5):
            opcode, payload = await read_frame(stream, buf)
        closes.append(payload)
        await stream.send(frame(0x8, payload))
        await stream.aclose()

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, script)
            with pytest.raises(ZeroDivisionError):
                async with connect(f"ws://127.0.0.1:{port}/"):
                    1 / 0
            tg.cancel_scope.cancel()

    run(main)
    assert closes == [struct.pack("!H", 1000)]


def test_wss_and_certificate_checks(run: Run) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await tg.start(lambda task_status: serve(echo_handler, ssl=server_ctx, task_status=task_status))
            async with connect(f"wss://localhost:{port}/", ssl=client_ctx) as ws:
                assert ws.get_extra_info("ssl_object") is not None
                await ws.send_str("secret")
                assert await ws.receive_str() == "secret"
            with pytest.raises(ClientConnectorCertificateError):
                async with connect(f"wss://localhost:{port}/"):  # the system CAs do not know ours
                    pass
            tg.cancel_scope.cancel()

    run(main)


def test_handshake_leftover_bytes_are_messages(run: Run) -> None:
    """A server that sends its first message in the same packet as the 101."""

    async def eager(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        head = await read_until(stream, b"\r\n\r\n", buf)
        assert head.startswith(b"GET /eager HTTP/1.1")
        key = next(ln.split(b":", 1)[1].strip() for ln in head.split(b"\r\n") if ln.lower().startswith(b"sec-websocket-key"))
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        await stream.send(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + frame(0x1, b"early")
        )
        await answer_close(stream, bytearray())

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, eager)
            async with connect(f"ws://127.0.0.1:{port}/eager") as ws:
                with anyio.fail_after(5):
                    assert await ws.receive_str() == "early"
            tg.cancel_scope.cancel()

    run(main)


def test_a_cancelled_block_still_completes_the_close_handshake(run: Run) -> None:
    """move_on_after around the whole block: the peer gets our close frame
    and its reply is read (the reader outlives the cancellation), promptly."""
    closes: list[bytes] = []

    async def script(stream: anyio.abc.SocketStream, _: bytes) -> None:
        buf = bytearray()
        await raw_handshake(stream, buf)
        closes.append(await answer_close(stream, buf))

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, script)
            start = anyio.current_time()
            with anyio.move_on_after(0.2):
                async with connect(f"ws://127.0.0.1:{port}/") as ws:
                    await ws.receive()  # nothing comes; cancelled here
            assert anyio.current_time() - start < 2.0
            assert ws.closed and ws.close_code == 1000
            tg.cancel_scope.cancel()

    run(main)
    assert closes == [struct.pack("!H", 1000)]


def test_cancelled_sends_and_close_never_hang(run: Run) -> None:
    """A peer that never reads: a cancelled large send ends the connection
    (part of a frame may be on the wire); a cancelled close() aborts."""

    async def stalled(stream: anyio.abc.SocketStream, _: bytes) -> None:
        await raw_handshake(stream, bytearray())
        await anyio.sleep(10)  # never reads again

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            port = await raw_server(tg, stalled)
            async with connect(f"ws://127.0.0.1:{port}/", timeout=ClientWSTimeout(ws_close=0.5)) as ws:
                with anyio.move_on_after(0.3) as scope:
                    while True:
                        await ws.send_bytes(b"x" * 1024 * 1024)
                assert scope.cancelled_caught
                assert ws.closed and ws.close_code == 1006
                with pytest.raises(aiohttp_ws.ClientConnectionResetError):
                    await ws.send_str("after")
            async with connect(f"ws://127.0.0.1:{port}/", timeout=ClientWSTimeout(ws_close=5)) as ws:
                with anyio.move_on_after(0.3):
                    await ws.close()
                assert ws.closed and ws.close_code == 1006
            tg.cancel_scope.cancel()

    run(main)
