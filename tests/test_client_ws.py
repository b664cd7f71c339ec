"""The client against real servers over loopback: ours, websockets', aiohttp's."""

from __future__ import annotations

import asyncio
import collections
import json
import time
from typing import Any, Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws import WSMsgType
from aiohttp_ws.sansio.frames import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT

from .conftest import BIG, RawServer, Script, accept, finish_close, read_client_frame, read_request, server_frame

RawServerFactory = Callable[[Script], Awaitable[RawServer]]


async def test_echo_text_binary_json(echo_url: str) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(echo_url) as ws:
            await ws.send_str("héllo")
            assert await ws.receive() == aiohttp_ws.WSMessage(WSMsgType.TEXT, "héllo", None)
            await ws.send_bytes(b"\x00\xff")
            msg = await ws.receive()
            assert (msg.type, msg.data) == (WSMsgType.BINARY, b"\x00\xff")
            await ws.send_json({"a": [1, 2]})
            assert await ws.receive_json() == {"a": [1, 2]}
            await ws.send_json({"b": 1}, dumps=lambda o: json.dumps(o, separators=(",", ":")))
            msg = await ws.receive()
            assert msg.data == '{"b":1}' and msg.json() == {"b": 1}
        assert ws.closed and ws.close_code == 1000


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20])
async def test_payload_sizes(echo_url: str, size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    async with aiohttp_ws.ws_connect(echo_url, max_msg_size=BIG) as ws:
        await ws.send_bytes(payload)
        assert await ws.receive_bytes() == payload
        text = "é" * (size // 2)
        await ws.send_str(text)
        assert await ws.receive_str() == text


async def test_subprotocol_negotiated(echo_url: str) -> None:
    async with aiohttp_ws.ws_connect(echo_url, protocols=("unknown", "chat")) as ws:
        assert ws.protocol == "chat"
    async with aiohttp_ws.ws_connect(echo_url, protocols=("unknown",)) as ws:
        assert ws.protocol is None


async def test_fragmented_message_from_server(fragmenting_url: str) -> None:
    async with aiohttp_ws.ws_connect(fragmenting_url) as ws:
        await ws.send_str("frag:5")
        assert await ws.receive_str() == "part0part1part2part3part4"


async def test_ping_answered_while_not_receiving(raw_server: RawServerFactory) -> None:
    seen: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        for i in range(3):
            writer.write(server_frame(OP_PING, b"hb%d" % i))
            seen.append(await asyncio.wait_for(read_client_frame(reader), 5))
        writer.write(server_frame(OP_TEXT, b"done"))
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        await asyncio.sleep(0.3)  # nobody is inside receive()
        assert seen == [(OP_PONG, b"hb0"), (OP_PONG, b"hb1"), (OP_PONG, b"hb2")]
        assert await ws.receive_str() == "done"  # pings never surface with autoping


async def test_server_ping_reaches_client_via_websockets(websockets_server: str) -> None:
    async with aiohttp_ws.ws_connect(websockets_server) as ws:
        await ws.send_str("ping-me")
        await asyncio.sleep(0.2)
        assert await ws.receive_str() == "pong received"


async def test_autoping_false_delivers_ping_and_pong(raw_server: RawServerFactory) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(server_frame(OP_PING, b"p1") + server_frame(OP_PONG, b"p2"))
        assert await read_client_frame(reader) == (OP_PONG, b"manual")
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url, autoping=False) as ws:
        assert await ws.receive() == aiohttp_ws.WSMessage(WSMsgType.PING, b"p1", None)
        assert await ws.receive() == aiohttp_ws.WSMessage(WSMsgType.PONG, b"p2", None)
        await ws.pong(b"manual")


async def test_heartbeat_keeps_live_connection_open(our_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_server, heartbeat=0.1) as ws:
        await asyncio.sleep(0.6)
        assert not ws.closed
        await ws.send_str("still here")
        assert await ws.receive_str() == "still here"


async def test_heartbeat_sends_pings_and_times_out_on_silent_server(raw_server: RawServerFactory) -> None:
    pings: list[float] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        while True:
            opcode, _ = await read_client_frame(reader)  # swallow everything, answer nothing
            if opcode == OP_PING:
                pings.append(time.monotonic())

    raw = await raw_server(script)
    ws = await aiohttp_ws.ws_connect(raw.url, heartbeat=0.2)
    start = time.monotonic()
    while not ws.closed and time.monotonic() - start < 5:
        await asyncio.sleep(0.05)  # nobody is inside receive()
    assert ws.closed and ws.close_code == 1006
    assert len(pings) == 1 and 0.15 < pings[0] - start < 1.0
    assert isinstance(ws.exception(), aiohttp_ws.ServerTimeoutError)
    msg = await ws.receive()
    assert msg.type is WSMsgType.ERROR and isinstance(msg.data, aiohttp_ws.ServerTimeoutError)
    assert (await ws.receive()).type is WSMsgType.CLOSED
    assert await ws.close() is False


async def test_close_initiated_by_server(echo_url: str) -> None:
    async with aiohttp_ws.ws_connect(echo_url) as ws:
        await ws.send_str("before")
        await ws.send_str("close:4001:bye")
        assert await ws.receive_str() == "before"  # delivered before the close
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4001, "bye")
        assert ws.close_code == 4001 and ws.close_reason == "bye"
        assert (await ws.receive()).type is WSMsgType.CLOSED
        assert ws.closed
        assert await ws.close() is False
        with pytest.raises(aiohttp_ws.ClientConnectionResetError):
            await ws.send_str("too late")


async def test_close_initiated_by_client_with_code_and_reason(raw_server: RawServerFactory) -> None:
    got: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        got.append(await read_client_frame(reader))
        got.append(await read_client_frame(reader))
        writer.write(server_frame(OP_TEXT, b"in flight") + server_frame(OP_CLOSE, got[-1][1][:2]))
        writer.close()

    raw = await raw_server(script)
    ws = await aiohttp_ws.ws_connect(raw.url)
    await ws.send_str("last message")
    assert await ws.close(code=4002, message=b"done") is True
    assert got == [(OP_TEXT, b"last message"), (OP_CLOSE, b"\x0f\xa2done")]
    assert ws.closed and ws.close_code == 4002 and ws.exception() is None
    # data that crossed our close frame is dropped once the application closed (aiohttp)
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_close_by_client_against_real_servers(echo_url: str) -> None:
    ws = await aiohttp_ws.ws_connect(echo_url)
    await ws.send_str("x")
    assert await ws.receive_str() == "x"
    assert await ws.close(code=4003, message="bye") is True
    assert ws.close_code in (4003, 1000)  # the server's reply code
    assert ws.exception() is None and ws.closed


async def test_close_wakes_pending_receive_with_closing(our_server: str) -> None:
    ws = await aiohttp_ws.ws_connect(our_server)
    receiver = asyncio.ensure_future(ws.receive())
    await asyncio.sleep(0.05)
    await ws.close()
    assert (await receiver).type is WSMsgType.CLOSING


async def test_close_timeout_when_server_never_answers(raw_server: RawServerFactory) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await reader.read()  # never answers the close frame

    raw = await raw_server(script)
    ws = await aiohttp_ws.ws_connect(raw.url, timeout=aiohttp_ws.ClientWSTimeout(ws_close=0.3))
    start = time.monotonic()
    assert await ws.close() is True
    assert 0.25 < time.monotonic() - start < 2
    assert ws.close_code == 1006
    assert isinstance(ws.exception(), aiohttp_ws.ServerTimeoutError)


async def test_concurrent_senders_never_interleave(echo_url: str) -> None:
    async with aiohttp_ws.ws_connect(echo_url, max_msg_size=BIG) as ws:

        async def sender(task: int) -> None:
            for i in range(20):
                await ws.send_str(f"{task}:{i}:" + chr(0x41 + task) * (1000 * (task + 1) * (i % 5 + 1)))

        await asyncio.gather(*(sender(t) for t in range(10)))
        per_task: dict[int, list[int]] = collections.defaultdict(list)
        for _ in range(200):
            task, i, body = (await ws.receive_str(timeout=10)).split(":", 2)
            assert body == chr(0x41 + int(task)) * (1000 * (int(task) + 1) * (int(i) % 5 + 1))
            per_task[int(task)].append(int(i))
        assert per_task == {t: list(range(20)) for t in range(10)}


async def test_max_msg_size_is_inclusive_and_1009_beyond(echo_url: str) -> None:
    async with aiohttp_ws.ws_connect(echo_url, max_msg_size=1000) as ws:
        await ws.send_bytes(bytes(1000))
        assert await ws.receive_bytes() == bytes(1000)
        await ws.send_bytes(bytes(1001))
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR and isinstance(msg.data, aiohttp_ws.PayloadTooBig)
        assert ws.close_code == 1009
        assert isinstance(ws.exception(), aiohttp_ws.PayloadTooBig)
        assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_invalid_utf8_fails_with_1007(raw_server: RawServerFactory) -> None:
    closes: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(OP_TEXT, b"ok") + server_frame(OP_TEXT, b"bad \xc3\x28"))
        closes.append(await read_client_frame(reader))
        await reader.read()

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        assert await ws.receive_str() == "ok"
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR and isinstance(msg.data, aiohttp_ws.InvalidPayloadError)
        assert ws.close_code == 1007
        await asyncio.sleep(0.1)
    assert closes[0][0] == OP_CLOSE and closes[0][1][:2] == (1007).to_bytes(2, "big")


@pytest.mark.parametrize(
    "bad, code",
    [
        (server_frame(OP_CLOSE, b"\x03\xed"), 1002),  # 1005 on the wire
        (bytes([0x81 | 0x40, 1]) + b"x", 1002),  # RSV1 without extension
        (bytes([0x81, 0x81]) + b"abcd" + b"x", 1002),  # masked frame from a server
        (server_frame(OP_CLOSE, b"\x03\xe8\xff"), 1007),
    ],
)
async def test_protocol_violations_from_server(raw_server: RawServerFactory, bad: bytes, code: int) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(OP_BINARY, b"first") + bad)
        opcode, payload = await read_client_frame(reader)
        assert opcode == OP_CLOSE and int.from_bytes(payload[:2], "big") == code
        await reader.read()

    raw = await raw_server(script)
    ws = await aiohttp_ws.ws_connect(raw.url)
    assert await ws.receive_bytes() == b"first"
    msg = await ws.receive()
    assert msg.type is WSMsgType.ERROR and msg.data.code == code
    assert ws.close_code == code
    await asyncio.sleep(0.1)


async def test_frames_in_same_packet_as_101_are_kept(raw_server: RawServerFactory) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(OP_TEXT, b"early") + server_frame(OP_CLOSE, b"\x03\xe8"))
        writer.close()

    raw = await raw_server(script)
    ws = await aiohttp_ws.ws_connect(raw.url)
    await asyncio.sleep(0.1)
    assert await ws.receive_str() == "early"
    msg = await ws.receive()
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1000)
    assert ws.close_code == 1000


async def test_handshake_failure_status_headers_body(aiohttp_server: str) -> None:
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await aiohttp_ws.ws_connect(aiohttp_server + "forbidden")
    err = info.value
    assert err.status == 403 and err.message == "Forbidden"
    assert err.headers is not None and err.headers["X-Reason"] == "test"
    assert err.body == b"go away"
    assert err.request_info is not None and str(err.request_info.url).endswith("/forbidden")
    assert isinstance(err, aiohttp_ws.ClientResponseError)
    # The refusal is readable from a log line (aiohttp #2279).
    assert (err.reason, err.body_text) == ("Forbidden", "go away")
    assert str(err).startswith("403, message='Forbidden', url=") and str(err).endswith(", body='go away'")


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        (b"text/plain; charset=iso-8859-1", "café refusé".encode("latin-1"), "café refusé"),
        (b"application/json", b'{"error": "missing token"}', '{"error": "missing token"}'),
        (b"text/plain; charset=no-such-charset", b"ok \xff", "ok \ufffd"),
        (b"text/plain", b"x" * 5000, "x" * 5000),
    ],
    ids=["latin-1", "json", "unknown-charset", "long"],
)
async def test_refusal_body_is_decoded_leniently_and_previewed(
    raw_server: RawServerFactory, content_type: bytes, body: bytes, text: str
) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: " + content_type
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await writer.drain()
        writer.close()

    raw = await raw_server(script)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await aiohttp_ws.ws_connect(raw.url)
    err = info.value
    assert (err.status, err.reason, err.body, err.body_text) == (401, "Unauthorized", body, text)
    shown = str(err).split(", body=", 1)[1]
    assert shown == repr(text[:200] + ("…" if len(text) > 200 else ""))


@pytest.mark.parametrize(
    "response, message",
    [
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n", "Accept"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", "OK"),
        (b"HTTP/1.1 101 Switching\r\nBroken header line\r\n\r\n", "Invalid HTTP response"),
        (b"HTTP/1.1 101 Switching\r\nX: " + b"a" * 9000 + b"\r\n\r\n", "Invalid HTTP response"),
    ],
)
async def test_bad_handshake_responses(raw_server: RawServerFactory, response: bytes, message: str) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await reader.read()

    raw = await raw_server(script)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError, match=message):
        await aiohttp_ws.ws_connect(raw.url)


async def test_unoffered_subprotocol_fails(raw_server: RawServerFactory) -> None:
    from .conftest import accept_for, read_request

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        headers = await read_request(reader)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_for(headers)}\r\nSec-WebSocket-Protocol: evil\r\n\r\n".encode()
        )
        await reader.read()

    raw = await raw_server(script)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError, match="subprotocol"):
        await aiohttp_ws.ws_connect(raw.url, protocols=("chat",))


def _slow_scripts() -> dict[str, Script]:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def dribble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for byte in b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n":
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    async def interim(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        while True:  # slowly, under MAX_INTERIM_RESPONSES within the deadline
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await asyncio.sleep(0.05)

    return {"silent": silent, "dribble": dribble, "interim": interim}


@pytest.mark.parametrize("kind", ["silent", "dribble", "interim"])
async def test_handshake_deadline(raw_server: RawServerFactory, kind: str) -> None:
    script = _slow_scripts()[kind]

    async def bounded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(script(reader, writer), 5)
        except asyncio.TimeoutError:
            pass

    raw = await raw_server(bounded)
    start = time.monotonic()
    with pytest.raises(aiohttp_ws.ServerTimeoutError) as info:
        await aiohttp_ws.ws_connect(raw.url, timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=0.4))
    assert 0.35 < time.monotonic() - start < 2
    assert str(info.value) == f"WebSocket handshake with {raw.url} timed out after 0.4 s"


async def test_silent_server_socket_closed_after_deadline(raw_server: RawServerFactory) -> None:
    eof = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        eof.set_result(await reader.read())

    raw = await raw_server(script)
    with pytest.raises(aiohttp_ws.ServerTimeoutError):
        await aiohttp_ws.ws_connect(raw.url, timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=0.2))
    assert await asyncio.wait_for(eof, 2) == b""  # the client closed its socket


async def test_receive_timeout_keeps_connection(our_server: str) -> None:
    with pytest.warns(DeprecationWarning, match="receive_timeout"):  # aiohttp 3.14's warning
        async with aiohttp_ws.ws_connect(our_server, receive_timeout=0.5) as ws:
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive()
    async with aiohttp_ws.ws_connect(our_server, timeout=aiohttp_ws.ClientWSTimeout(ws_receive=0.1)) as ws:
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive()
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.05)
        await ws.send_str("alive")
        assert await ws.receive_str() == "alive"
    assert ws.close_code == 1000


async def test_typed_receive_errors(our_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_server) as ws:
        await ws.send_bytes(b"b")
        with pytest.raises(aiohttp_ws.WSMessageTypeError):
            await ws.receive_str()
        await ws.send_str("t")
        with pytest.raises(aiohttp_ws.WSMessageTypeError) as info:
            await ws.receive_bytes()
        assert isinstance(info.value, TypeError) and isinstance(info.value, aiohttp_ws.ClientError)
        await ws.send_bytes(b"{}")
        with pytest.raises(aiohttp_ws.WSMessageTypeError):
            await ws.receive_json()


async def test_concurrent_receive_rejected(our_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_server) as ws:
        first = asyncio.ensure_future(ws.receive())
        await asyncio.sleep(0.01)
        with pytest.raises(RuntimeError, match="Concurrent"):
            await ws.receive()
        await ws.send_str("x")
        assert (await first).data == "x"


async def test_async_for_stops_at_close_and_closed_receive_guard(our_server: str) -> None:
    ws = await aiohttp_ws.ws_connect(our_server)
    for text in ("a", "b", "close:1000:end"):
        await ws.send_str(text)
    assert [m.data async for m in ws] == ["a", "b"]
    assert ws.close_code == 1000
    for _ in range(5):
        assert (await ws.receive()).type is WSMsgType.CLOSED
    with pytest.raises(RuntimeError, match="closed"):
        await ws.receive()


async def test_send_validation(our_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_server) as ws:
        with pytest.raises(TypeError):
            await ws.send_str(b"bytes")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_bytes("str")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await ws.ping(bytes(126))
        with pytest.raises(ValueError):
            await ws.close(code=1005)
        with pytest.raises(ValueError):
            await ws.close(code=1000, message="x" * 124)
        assert not ws.closed  # nothing reached the wire
        await ws.ping(bytes(125))
        await ws.send_str("ok")
        assert await ws.receive_str() == "ok"


async def test_flow_control_pauses_reading(our_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_server, max_queue_bytes=(64 * 1024, 16 * 1024)) as ws:
        await ws.send_str("flood:2048:1024")
        await asyncio.sleep(0.5)  # not receiving: the queue must stop growing
        conn: Any = ws._conn
        assert conn.reading_paused
        assert 64 * 1024 < conn.queued_bytes < 64 * 1024 + 1024 * 70
        for i in range(2048):
            assert await ws.receive_bytes(timeout=5) == i.to_bytes(4, "big") * 256
        assert not conn.reading_paused and conn.queued_bytes == 0


async def test_connect_errors() -> None:
    with pytest.raises(aiohttp_ws.NonHttpUrlClientError):
        await aiohttp_ws.ws_connect("ftp://127.0.0.1/")
    with pytest.raises(aiohttp_ws.InvalidURL):
        await aiohttp_ws.ws_connect("ws:///nohost")
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(aiohttp_ws.ClientConnectorError) as info:
        await aiohttp_ws.ws_connect(f"ws://127.0.0.1:{port}/")
    assert info.value.port == port and isinstance(info.value, OSError)


async def test_request_headers_auth_origin_params(raw_server: RawServerFactory) -> None:
    seen: list[dict[str, str]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append({"line": head.split(b"\r\n")[0].decode()})
        seen[-1].update(
            {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in head.decode().split("\r\n")[1:] if l)}
        )
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    raw = await raw_server(script)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError):
        await aiohttp_ws.ws_connect(
            f"ws://user:pass@127.0.0.1:{raw.port}/path?a=1",
            params={"b": "2"},
            origin="http://example.com",
            headers={"X-Custom": "1"},
        )
    got = seen[0]
    assert got["line"] == "GET /path?a=1&b=2 HTTP/1.1"
    assert got["host"] == f"127.0.0.1:{raw.port}"
    assert got["authorization"] == "Basic dXNlcjpwYXNz"
    assert got["origin"] == "http://example.com" and got["x-custom"] == "1"
    assert got["sec-websocket-version"] == "13" and got["upgrade"] == "websocket"
    with pytest.raises(ValueError):
        await aiohttp_ws.ws_connect(f"ws://127.0.0.1:{raw.port}/", headers={"X": "a\r\nEvil: 1"})


async def test_module_level_ws_connect_closes_its_session(our_server: str) -> None:
    connector = aiohttp_ws.TCPConnector()
    ws = await aiohttp_ws.ws_connect(our_server, connector=connector)
    await ws.send_str("x")
    assert await ws.receive_str() == "x"
    assert not connector.closed
    await ws.close()
    assert connector.closed  # the private session closed its connector with the socket
    assert ws.get_extra_info("peername") is None  # as aiohttp: no transport info once closed


async def test_module_level_ws_connect_closes_session_when_server_closes(our_server: str) -> None:
    connector = aiohttp_ws.TCPConnector()
    async with aiohttp_ws.ws_connect(our_server, connector=connector) as ws:
        await ws.send_str("close:1001:bye")
        assert (await ws.receive()).type is WSMsgType.CLOSE
        await asyncio.sleep(0.1)
        assert connector.closed


async def test_connector_limit_queues_connections(our_server: str) -> None:
    connector = aiohttp_ws.TCPConnector(limit=1)
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        first = await session.ws_connect(our_server)
        second = asyncio.ensure_future(session.ws_connect(our_server))
        await asyncio.sleep(0.2)
        assert not second.done()
        await first.close()
        ws2 = await asyncio.wait_for(second, 5)
        await ws2.send_str("second")
        assert await ws2.receive_str() == "second"
        await ws2.close()


async def test_session_close_aborts_open_websockets(our_server: str) -> None:
    session = aiohttp_ws.ClientSession()
    ws = await session.ws_connect(our_server)
    await session.close()
    assert session.closed
    msg = await ws.receive(timeout=2)
    assert msg.type in (WSMsgType.CLOSED, WSMsgType.ERROR)
    assert ws.closed and ws.close_code == 1006
    with pytest.raises(RuntimeError):
        await session.ws_connect(our_server)


async def test_autoclose_false_hands_close_to_user(raw_server: RawServerFactory) -> None:
    replies: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(OP_CLOSE, b"\x0f\xa0later"))
        replies.append(await read_client_frame(reader))
        replies.append(await read_client_frame(reader))
        writer.close()

    raw = await raw_server(script)
    ws = await aiohttp_ws.ws_connect(raw.url, autoclose=False)
    msg = await ws.receive()
    assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4000, "later")
    assert not ws.closed  # not answered yet: we may still send (RFC 6455 §5.5.1)
    await ws.send_str("parting words")
    assert (await ws.receive()).type is WSMsgType.CLOSED  # the next receive() answers, as aiohttp does
    assert replies == [(OP_TEXT, b"parting words"), (OP_CLOSE, b"\x03\xe8")]
    assert ws.closed and ws.close_code == 4000


@pytest.mark.parametrize("framing", ["content-length", "chunked", "eof"])
async def test_refusal_body_kept_up_to_1_mib(raw_server: RawServerFactory, framing: str) -> None:
    body = bytes(range(256)) * (6 * 1024)  # 1.5 MiB

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if framing == "content-length":
            writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        elif framing == "chunked":
            writer.write(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(body), 100_000):
                part = body[i : i + 100_000]
                writer.write(b"%x\r\n" % len(part) + part + b"\r\n")
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\n" + body)
        writer.close()

    raw = await raw_server(script)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await aiohttp_ws.ws_connect(raw.url)
    assert info.value.status == 500
    if framing == "content-length":  # declared over the limit: not waited for, what had arrived is kept
        assert body.startswith(info.value.body) and 0 < len(info.value.body) <= 1024 * 1024
    else:
        assert info.value.body == body[: 1024 * 1024]


async def test_limit_per_host(our_server: str, websockets_server: str) -> None:
    connector = aiohttp_ws.TCPConnector(limit_per_host=1)
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        first = await session.ws_connect(our_server)
        other_host = await asyncio.wait_for(session.ws_connect(websockets_server), 5)  # another endpoint: free
        same_host = asyncio.ensure_future(session.ws_connect(our_server))
        await asyncio.sleep(0.2)
        assert not same_host.done()
        await first.close()
        second = await asyncio.wait_for(same_host, 5)
        await second.close()
        await other_host.close()


@pytest.mark.parametrize("timeout", [None, 5.0], ids=["awaits-the-future", "through-connection-receive"])
async def test_message_handed_to_cancelled_receive_is_kept(our_server: str, timeout: float | None) -> None:
    """Both ways receive() waits (the future itself, or the connection's
    receive() when a timeout is set) keep a message handed over as the
    receiving task is cancelled, and leave no stale receiver behind."""
    async with aiohttp_ws.ws_connect(our_server) as ws:
        receiver = asyncio.ensure_future(ws.receive(timeout))
        await asyncio.sleep(0.01)
        assert ws._conn._waiter is not None
        ws._conn.data_received(server_frame(OP_TEXT, b"raced"))  # the reader hands it over...
        receiver.cancel()  # ...and the receiving task is cancelled before it resumes
        with pytest.raises(asyncio.CancelledError):
            await receiver
        assert await asyncio.wait_for(ws.receive_str(), 5) == "raced"


def test_client_and_server_on_uvloop() -> None:
    import uvloop

    async def main() -> tuple[str, int | None]:
        async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler) as server:
            async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", compress=15) as ws:
                await ws.send_str("on uvloop")
                text = await ws.receive_str()
                await ws.send_bytes(bytes(200_000))
                assert await ws.receive_bytes() == bytes(200_000)
            return text, ws.close_code

    assert uvloop.run(main()) == ("on uvloop", 1000)


@pytest.mark.parametrize("url", ["ws://127.0.0.1:99999/", "ws://[::1/"])
async def test_unparsable_url_raises_invalid_url_client_error_as_aiohttp(url: str) -> None:
    """The same exception class (by name) from aiohttp's client and ours, for
    ws_connect and a plain request; it is a ValueError in both."""
    import aiohttp

    for lib in (aiohttp, aiohttp_ws):
        async with lib.ClientSession() as session:
            with pytest.raises(lib.InvalidUrlClientError) as info:
                await session.ws_connect(url)
            assert isinstance(info.value, ValueError)
            with pytest.raises(lib.InvalidUrlClientError):
                await session.get(url.replace("ws://", "http://"))
