"""An HTTP/1.1 front for an RFC 8441 server, written on the h2 library alone
(none of our HTTP/2 code): each HTTP/1.1 WebSocket upgrade it takes (from
kosoku's fuzzing client) becomes an extended CONNECT stream on an h2c
connection to the server behind (our ``serve(http2=True)``), and the bytes are
relayed both ways unchanged: the fuzzing client judges the frames our server
sent over HTTP/2.

Ends map as RFC 8441 §5 says: the server's END_STREAM half-closes TCP (the
client may still send its close reply), a reset aborts it; the client closing
TCP ends the stream (END_STREAM).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from .h2relay import Relay, send_data

WINDOW = 16 * 1024 * 1024
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class H2Back(Relay):
    """``start()`` listens on 127.0.0.1 for HTTP/1.1; ``port`` is where to connect."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        super().__init__(upstream_host, upstream_port)
        self.streams_opened = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        path = request_line.split()[1]
        fields = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self.track(up_writer)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.local_settings = h2.settings.Settings(
            client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW}
        )
        conn.initiate_connection()
        conn.increment_flow_control_window(WINDOW)
        up_writer.write(conn.data_to_send())
        window_open = asyncio.Event()
        settings_seen = asyncio.Event()
        state: dict[str, Any] = {"sid": None, "status": None, "ended": False, "response": asyncio.Event()}
        stream_closed = asyncio.Event()  # the server ended or reset the stream

        async def from_server() -> None:
            while data := await up_reader.read(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RemoteSettingsChanged):
                        settings_seen.set()
                        window_open.set()
                    elif isinstance(event, h2.events.ResponseReceived):
                        state["status"] = dict(event.headers or [])
                        state["response"].set()
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id or 0)
                        if state["status"] is not None and event.data:
                            writer.write(event.data)
                    elif isinstance(event, h2.events.StreamEnded):
                        state["response"].set()
                        stream_closed.set()
                        if writer.can_write_eof() and not writer.is_closing():
                            writer.write_eof()  # the server's END_STREAM: it sends nothing more
                    elif isinstance(event, h2.events.StreamReset):
                        stream_closed.set()
                        state["ended"] = True
                        state["response"].set()
                        writer.transport.abort()
                    elif isinstance(event, h2.events.WindowUpdated):
                        window_open.set()
                up_writer.write(conn.data_to_send())
            state["response"].set()
            writer.transport.abort()

        pump = asyncio.ensure_future(from_server())
        try:
            await asyncio.wait_for(settings_seen.wait(), 10)
            sid = conn.get_next_available_stream_id()
            state["sid"] = sid
            headers = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", path),
                       (":authority", fields.get("host", "localhost")), ("sec-websocket-version", "13")]
            headers += [(k, fields[k]) for k in ("sec-websocket-protocol", "sec-websocket-extensions") if k in fields]
            conn.send_headers(sid, headers)
            up_writer.write(conn.data_to_send())
            self.streams_opened += 1
            await asyncio.wait_for(state["response"].wait(), 10)
            answer = state["status"] or {":status": "502"}
            if answer[":status"] != "200":
                writer.write(f"HTTP/1.1 {answer[':status']} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
                return
            accept = base64.b64encode(hashlib.sha1(fields["sec-websocket-key"].encode() + GUID).digest()).decode()
            out = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Accept: {accept}"]
            out += [f"{k}: {answer[k]}" for k in ("sec-websocket-protocol", "sec-websocket-extensions") if k in answer]
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode())
            while data := await reader.read(65536):
                if not await send_data(conn, sid, data, window_open, lambda: up_writer.write(conn.data_to_send()),
                                       lambda: bool(state["ended"])):
                    state["ended"] = True
                    break
            if not state["ended"]:
                conn.end_stream(sid)  # the client closed TCP: END_STREAM
                up_writer.write(conn.data_to_send())
                try:
                    await asyncio.wait_for(stream_closed.wait(), 5)
                except asyncio.TimeoutError:
                    pass
        finally:
            pump.cancel()
            up_writer.transport.abort()
