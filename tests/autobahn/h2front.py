"""An HTTP/2 front for an HTTP/1.1 WebSocket server, written on the h2
library alone (none of our HTTP/2 code): it takes RFC 8441 extended CONNECT
streams over h2c and, for each, opens an HTTP/1.1 upgrade to the server
behind it, then relays the bytes both ways unchanged. WebSocket frames are the
same on both (RFC 8441 §5), so the fuzzing server behind it judges exactly the
frames our client sent over HTTP/2, and our client gets exactly the server's.

The end of the stream and of TCP map onto each other as RFC 8441 §5 says:
the server closing TCP ends the stream (END_STREAM), an abort resets it; a
client's END_STREAM (sent with its close frame) leaves TCP to the server to
close first (RFC 6455 §7.1.1), for at most ``CLIENT_END_GRACE`` seconds.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from .h2relay import Relay, send_data

#: Seconds the server behind gets to close TCP after the client ended its stream.
CLIENT_END_GRACE = 2.0
WINDOW = 16 * 1024 * 1024


class _Stream:
    def __init__(self) -> None:
        self.writer: asyncio.StreamWriter | None = None
        self.early = bytearray()  # DATA before the upstream is open
        self.window_open = asyncio.Event()
        self.client_ended = False
        self.done = False


class H2Front(Relay):
    """``start()`` listens on 127.0.0.1; ``port`` is where to connect."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        super().__init__(upstream_host, upstream_port)
        self.streams_served = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW,
            },
        )
        conn.initiate_connection()
        conn.increment_flow_control_window(WINDOW)
        streams: dict[int, _Stream] = {}
        tasks: set[asyncio.Task[None]] = set()

        def flush() -> None:
            if not writer.is_closing():
                writer.write(conn.data_to_send())

        flush()
        try:
            while data := await reader.read(65536):
                try:
                    events = conn.receive_data(data)
                except h2.exceptions.ProtocolError:
                    flush()
                    break
                for event in events:
                    if isinstance(event, h2.events.RequestReceived):
                        sid = event.stream_id or 0
                        streams[sid] = _Stream()
                        task = asyncio.ensure_future(self._relay(conn, sid, dict(event.headers or []), streams[sid], flush))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    elif isinstance(event, h2.events.DataReceived):
                        sid = event.stream_id or 0
                        conn.acknowledge_received_data(event.flow_controlled_length or 0, sid)
                        stream = streams.get(sid)
                        if stream is not None and event.data:
                            if stream.writer is None:
                                stream.early += event.data
                            elif not stream.writer.is_closing():
                                stream.writer.write(event.data)
                    elif isinstance(event, h2.events.StreamEnded):
                        stream = streams.get(event.stream_id or 0)
                        if stream is not None:
                            stream.client_ended = True
                            if stream.writer is not None:
                                asyncio.get_running_loop().call_later(CLIENT_END_GRACE, _close, stream.writer)
                    elif isinstance(event, h2.events.StreamReset):
                        stream = streams.pop(event.stream_id or 0, None)
                        if stream is not None:
                            stream.done = True
                            stream.window_open.set()
                            if stream.writer is not None:
                                stream.writer.transport.abort()
                    elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
                        for stream in streams.values():
                            stream.window_open.set()
                flush()
        except ConnectionError:
            pass
        finally:
            for stream in streams.values():
                stream.done = True
                stream.window_open.set()
                if stream.writer is not None:
                    stream.writer.transport.abort()
            writer.close()
            for task in list(tasks):
                task.cancel()

    async def _relay(self, conn: Any, sid: int, request: dict[str, str], stream: _Stream, flush: Any) -> None:
        self.streams_served += 1
        try:
            reader, writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            conn.send_headers(sid, [(":status", "502")], end_stream=True)
            flush()
            return
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {request.get(':path', '/')} HTTP/1.1", f"Host: {request.get(':authority', '')}",
                 "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        for name in ("sec-websocket-protocol", "sec-websocket-extensions"):
            if name in request:
                lines.append(f"{name}: {request[name]}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *fields = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        answer = {k.strip().lower(): v.strip() for k, v in (f.split(":", 1) for f in fields if ":" in f)}
        if status != 101:
            conn.send_headers(sid, [(":status", str(status))], end_stream=True)
            flush()
            writer.close()
            return
        out = [(":status", "200")]
        out += [(k, answer[k]) for k in ("sec-websocket-protocol", "sec-websocket-extensions") if k in answer]
        conn.send_headers(sid, out)
        flush()
        stream.writer = writer
        if stream.early:
            writer.write(bytes(stream.early))
        if stream.client_ended:
            asyncio.get_running_loop().call_later(CLIENT_END_GRACE, _close, writer)
        try:
            while data := await reader.read(65536):
                if not await send_data(conn, sid, data, stream.window_open, flush, lambda: stream.done):
                    stream.done = True
                    break
            if not stream.done:
                conn.end_stream(sid)  # the server closed TCP: END_STREAM
                flush()
        except (ConnectionError, h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
            if not stream.done:
                try:
                    conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.CONNECT_ERROR)
                    flush()
                except (h2.exceptions.ProtocolError, h2.exceptions.StreamClosedError):
                    pass
        finally:
            writer.close()


def _close(writer: asyncio.StreamWriter) -> None:
    if not writer.is_closing():
        writer.close()
