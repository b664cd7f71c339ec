"""Our serve(http2=True) as an RFC 8441 server, driven by a client written
with the h2 library alone (nothing of ours on the client side): the
settings it advertises, extended CONNECT answers, refusals, WebSocket
frames on the stream, HTTP/1.1 on the same port."""

from __future__ import annotations

import asyncio
import os
import struct
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

import aiohttp_ws

from ..conftest import our_handler


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.events: list[Any] = []

    @classmethod
    async def open(cls, port: int) -> RawClient:
        client = cls(*await asyncio.open_connection("127.0.0.1", port))
        client.conn.initiate_connection()
        client.flush()
        await client.until(lambda e: isinstance(e, h2.events.RemoteSettingsChanged))
        return client

    def flush(self) -> None:
        self.writer.write(self.conn.data_to_send())

    async def until(self, match: Any, timeout: float = 5) -> Any:
        async def wait() -> Any:
            while True:
                for event in self.events:
                    if match(event):
                        self.events.remove(event)
                        return event
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError("closed")
                self.events.extend(self.conn.receive_data(data))
                self.flush()

        return await asyncio.wait_for(wait(), timeout)

    def request(self, path: str = "/", *, method: str = "CONNECT", protocol: str | None = "websocket", extra: list[tuple[str, str]] | None = None) -> int:
        sid = self.conn.get_next_available_stream_id()
        fields = [(":method", method)]
        if protocol is not None:
            fields.append((":protocol", protocol))
        fields += [(":scheme", "http"), (":path", path), (":authority", "localhost")]
        if method == "CONNECT":
            fields.append(("sec-websocket-version", "13"))
        fields += extra or []
        self.conn.send_headers(sid, fields, end_stream=method != "CONNECT")
        self.flush()
        return sid

    async def response(self, sid: int) -> dict[str, str]:
        event = await self.until(lambda e: isinstance(e, h2.events.ResponseReceived) and e.stream_id == sid)
        return dict(event.headers)

    async def body(self, sid: int) -> bytes:
        data = b""
        while True:
            event = await self.until(lambda e: isinstance(e, (h2.events.DataReceived, h2.events.StreamEnded)) and e.stream_id == sid)
            if isinstance(event, h2.events.StreamEnded):
                return data
            data += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, sid)

    def send_frame(self, sid: int, opcode: int, payload: bytes, end_stream: bool = False) -> None:
        key = os.urandom(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 126
        self.conn.send_data(sid, bytes([0x80 | opcode, 0x80 | len(payload)]) + key + masked, end_stream=end_stream)
        self.flush()

    async def read_frame(self, sid: int) -> tuple[int, bytes]:
        event = await self.until(lambda e: isinstance(e, h2.events.DataReceived) and e.stream_id == sid)
        self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
        data = event.data
        assert data[1] & 0x80 == 0  # a server does not mask (RFC 6455 §5.1, unchanged by RFC 8441)
        return data[0] & 0x0F, data[2 : 2 + (data[1] & 0x7F)]

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def server() -> Any:
    async with aiohttp_ws.serve(our_handler, http2=True, protocols=["chat"]) as srv:
        yield srv


async def test_settings_connect_echo_and_close(server: Any) -> None:
    client = await RawClient.open(server.port)
    try:
        assert client.conn.remote_settings.enable_connect_protocol == 1
        sid = client.request("/echo", extra=[("sec-websocket-protocol", "x, chat")])
        headers = await client.response(sid)
        assert headers[":status"] == "200" and headers["sec-websocket-protocol"] == "chat"
        assert "sec-websocket-accept" not in headers and "upgrade" not in headers
        client.send_frame(sid, 0x1, b"over h2")
        assert await client.read_frame(sid) == (0x1, b"over h2")
        client.send_frame(sid, 0x9, b"pinged")
        assert await client.read_frame(sid) == (0xA, b"pinged")
        client.send_frame(sid, 0x8, struct.pack("!H", 1000), end_stream=True)  # close + END_STREAM together
        opcode, payload = await client.read_frame(sid)
        assert opcode == 0x8 and payload == struct.pack("!H", 1000)
        await client.until(lambda e: isinstance(e, h2.events.StreamEnded) and e.stream_id == sid)
    finally:
        client.close()


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"method": "GET", "protocol": None}, "405"),
        ({"protocol": "bytestream"}, "400"),
        ({"extra": [("sec-websocket-version", "8")]}, "426"),
    ],
)
async def test_refusals(server: Any, kwargs: dict[str, Any], status: str) -> None:
    client = await RawClient.open(server.port)
    try:
        sid = client.request("/", **kwargs)
        headers = await client.response(sid)
        assert headers[":status"] == status
        assert (await client.body(sid)).endswith(b"\n")
        # The connection stays usable for a good request.
        good = client.request("/")
        assert (await client.response(good))[":status"] == "200"
    finally:
        client.close()


async def test_plain_connect_without_protocol_is_refused(server: Any) -> None:
    client = await RawClient.open(server.port)
    try:
        sid = client.conn.get_next_available_stream_id()
        client.conn.send_headers(sid, [(":method", "CONNECT"), (":authority", "example.com:443")])
        client.flush()
        assert (await client.response(sid))[":status"] == "400"
    finally:
        client.close()


async def test_http11_and_http2_on_one_port(server: Any) -> None:
    async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:  # HTTP/1.1 upgrade
        assert not ws.get_extra_info("http2")
        await ws.send_str("h1")
        assert await ws.receive_str() == "h1"
    async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", http2="prior-knowledge") as ws:
        assert ws.get_extra_info("http2")
        await ws.send_str("h2")
        assert await ws.receive_str() == "h2"


async def test_max_connections_refuses_with_503() -> None:
    async with aiohttp_ws.serve(our_handler, http2=True, max_connections=1) as srv:
        async with aiohttp_ws.ClientSession() as session:
            first = await session.ws_connect(f"ws://127.0.0.1:{srv.port}/", http2="prior-knowledge")
            with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
                await session.ws_connect(f"ws://127.0.0.1:{srv.port}/", http2="prior-knowledge")
            assert info.value.status == 503 and info.value.headers is not None and info.value.headers["Retry-After"] == "1"
            await first.close()


def test_both_roles_over_http2_on_uvloop() -> None:
    """uvloop's transports under HTTP/2 on both sides, TLS off: 20 WebSockets, one connection."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> tuple[int, list[str], set[int]]:
        async with aiohttp_ws.serve(our_handler, http2=True) as srv:
            async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
                sockets = [await session.ws_connect(f"ws://127.0.0.1:{srv.port}/") for _ in range(20)]
                for i, ws in enumerate(sockets):
                    await ws.send_str(f"uv{i}")
                got = [await ws.receive_str(timeout=5) for ws in sockets]
                tcp = len({ws.get_extra_info("sockname") for ws in sockets})
                await asyncio.gather(*(ws.close() for ws in sockets))
                return tcp, got, {int(ws.close_code or 0) for ws in sockets}

    tcp, got, codes = uvloop.run(main())
    assert tcp == 1 and got == [f"uv{i}" for i in range(20)] and codes == {1000}
