"""The HTTP/2 connection: an asyncio protocol that owns an ``h2`` state machine.

``H2Protocol`` reads and writes the TCP (or TLS) transport, feeds the bytes
to ``h2.connection.H2Connection`` and hands each stream's events to its
``StreamTransport``; the WebSocket on a stream never sees HTTP/2. Flow control
(RFC 9113 §5.2): the connection's receive window is handed back as soon as
DATA arrives (``CONNECTION_WINDOW``), a stream's only as its WebSocket reads
(``stream.STREAM_WINDOW``), so a stream whose application does not read stops
only its own sender. Data written to streams goes out in turn as the peer's
windows allow, and not at all while the TCP transport is over its write limit.
The role-specific parts (opening streams, answering requests) are in
``client.py`` and ``server.py``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, cast

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from .stream import STREAM_WINDOW, StreamTransport

__all__ = ("H2Protocol", "CONNECTION_WINDOW", "StreamResetError")

logger = logging.getLogger("aiohttp_ws.http2")

#: Receive window of the whole connection, in bytes: large, since it is
#: handed back as soon as DATA arrives (each stream's window is the bound).
CONNECTION_WINDOW = 16 * 1024 * 1024


class StreamResetError(ConnectionResetError):
    """A stream was reset (RST_STREAM) or refused by GOAWAY; ``error_code``
    is the HTTP/2 error code (RFC 9113 §7)."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.error_code = error_code


def _code_name(code: int) -> str:
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return hex(code)


class H2Protocol(asyncio.Protocol):
    """One HTTP/2 connection, either role (``client_side``)."""

    def __init__(self, *, client_side: bool, settings: dict[h2.settings.SettingCodes, int] | None = None) -> None:
        config = h2.config.H2Configuration(client_side=client_side, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=config)
        self.client_side = client_side
        initial: dict[h2.settings.SettingCodes, int] = {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW}
        initial.update(settings or {})
        self.h2.local_settings = h2.settings.Settings(client=client_side, initial_values=initial)
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, StreamTransport] = {}
        self._conn_unacked = 0
        self._tcp_paused = False
        self._waiting: dict[int, StreamTransport] = {}  # streams with data waiting for window
        self._batch = False  # handling received frames: writes wait for the end
        self._failure: str | None = None  # why we ended the connection, for its streams' errors
        self._send_scheduled = False
        self.lost = False
        self.going_away = False  # GOAWAY sent or received: no new streams
        self.lost_callbacks: list[Callable[[], None]] = []

    # -- transport callbacks -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        self.send()

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            logger.debug("HTTP/2 protocol error from the peer: %s", exc)
            code = getattr(exc, "error_code", h2.errors.ErrorCodes.PROTOCOL_ERROR)
            self._failure = f"the peer broke HTTP/2 ({_code_name(int(code))}): {exc}"
            self.terminate(code)
            return
        # What the streams write while a batch is handled goes out after it,
        # once every END_STREAM in the batch is known (see flush).
        self._batch = True
        try:
            for event in events:
                self.on_event(event)
        finally:
            self._batch = False
        self.flush_all()
        self.send()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.lost:
            return
        self.lost = True
        self.going_away = True
        err = StreamResetError(self._failure or f"HTTP/2 connection lost: {exc or 'closed'}", 0)
        err.__cause__ = exc
        for stream in list(self.streams.values()):
            stream.reset(err)
        self.streams.clear()
        self.on_lost(err)
        for callback in self.lost_callbacks:
            callback()
        self.lost_callbacks.clear()

    def pause_writing(self) -> None:
        self._tcp_paused = True

    def resume_writing(self) -> None:
        self._tcp_paused = False
        self.flush_all()

    def eof_received(self) -> bool | None:
        return None

    # -- events ------------------------------------------------------------------------------

    def on_event(self, event: h2.events.Event) -> None:
        """One h2 event; the roles add theirs (headers) in ``on_other``."""
        if isinstance(event, h2.events.DataReceived):
            size = event.flow_controlled_length or 0
            self._conn_unacked += size
            if self._conn_unacked >= CONNECTION_WINDOW // 2:
                self.h2.increment_flow_control_window(self._conn_unacked)
                self._conn_unacked = 0
            stream = self.streams.get(event.stream_id or 0)
            if stream is not None:
                stream.received(event.data or b"", size)
        elif isinstance(event, h2.events.StreamEnded):
            stream = self.streams.get(event.stream_id or 0)
            if stream is not None:
                stream.eof()
        elif isinstance(event, h2.events.StreamReset):
            stream = self.streams.get(event.stream_id or 0)
            if stream is not None:
                code = int(event.error_code or 0)
                stream.reset(StreamResetError(f"HTTP/2 stream reset by the peer ({_code_name(code)})", code))
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self.flush_all()
            self.on_other(event)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._goaway(event)
        else:
            self.on_other(event)

    def on_other(self, event: h2.events.Event) -> None:
        """Role-specific events (headers, settings)."""

    def on_lost(self, exc: BaseException) -> None:
        """The connection ended (role-specific clean-up)."""

    def _goaway(self, event: h2.events.ConnectionTerminated) -> None:
        """GOAWAY (RFC 9113 §6.8): streams above its last stream ID were not
        processed and are reset; the others finish; no new streams open.
        With an error code every stream ends now."""
        self.going_away = True
        last = event.last_stream_id if event.last_stream_id is not None else 2**31
        code = int(event.error_code or 0)
        for stream_id, stream in list(self.streams.items()):
            if stream_id > last or code:
                stream.reset(StreamResetError(f"HTTP/2 connection going away ({_code_name(code)})", code))
        self.on_other(event)
        self.check_idle()

    # -- writing ---------------------------------------------------------------------------

    def send(self) -> None:
        """Write what h2 has queued (frames of every stream and the connection)."""
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.lost:
            self.transport.write(data)

    def send_soon(self) -> None:
        """``send()`` at the end of this event-loop iteration: what several
        callers queue meanwhile goes out in one write (one system call)."""
        if not self._send_scheduled:
            self._send_scheduled = True
            asyncio.get_running_loop().call_soon(self._scheduled_send)

    def _scheduled_send(self) -> None:
        self._send_scheduled = False
        self.send()

    def flush(self, stream: StreamTransport) -> None:
        """Send as much of *stream*'s pending data as the windows allow, then
        its END_STREAM when asked and everything is sent.

        A client whose server has ended the stream (END_STREAM, RFC 8441 §5:
        the TCP close of RFC 6455 §7.1.1, which the server does first) sends
        nothing more: what is still written (a close frame's reply in the same
        batch included) is dropped and the stream ends with RST_STREAM
        NO_ERROR (RFC 9113 §8.1). Some servers forget a stream once they end it
        and fail the whole connection on any later DATA. A server still
        answers a client that half-closed after its close frame."""
        if self._tcp_paused or self.lost or stream.done or self._batch:
            if self.lost:
                stream.pending.clear()
            elif not stream.done:
                self._waiting[stream.stream_id] = stream
            return
        h2conn = self.h2
        sid = stream.stream_id
        pending = stream.pending
        if stream.ended_remote and self.client_side:
            pending.clear()
        ending = stream.end_wanted and not stream.ended_local
        try:
            while pending:
                window = min(h2conn.local_flow_control_window(sid), h2conn.max_outbound_frame_size)
                if window <= 0:
                    self._waiting[sid] = stream
                    break
                if len(pending) <= window:  # the usual case: all of it, no slice and shift
                    chunk = bytes(pending)
                    pending.clear()
                else:
                    chunk = bytes(pending[:window])
                    del pending[:window]
                last = ending and not pending  # END_STREAM on the last DATA frame
                h2conn.send_data(sid, chunk, end_stream=last)
                if last:
                    self.send()
                    stream.ended()
            else:
                self._waiting.pop(sid, None)
                if stream.end_wanted and not stream.ended_local:
                    if stream.ended_remote and self.client_side:
                        h2conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.NO_ERROR)
                    else:
                        h2conn.end_stream(sid)
                    self.send()
                    stream.ended()
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError) as exc:
            pending.clear()
            self._waiting.pop(sid, None)
            stream.reset(StreamResetError(f"HTTP/2 stream closed: {exc}", 0))
        self.send()
        stream.drained()

    def flush_all(self) -> None:
        for stream in list(self._waiting.values()):
            self.flush(stream)

    def open_window(self, stream_id: int, size: int) -> None:
        """The stream's protocol read *size* more bytes: hand them back."""
        if self.lost or stream_id not in self.streams:
            return
        try:
            self.h2.increment_flow_control_window(size, stream_id)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError):
            return
        self.send()

    def reset_stream(self, stream_id: int, code: int = h2.errors.ErrorCodes.CANCEL) -> None:
        if self.lost:
            return
        try:
            self.h2.reset_stream(stream_id, error_code=code)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError):
            return
        self.send()

    def forget(self, stream: StreamTransport) -> None:
        """h2 is done with *stream*."""
        if self.streams.get(stream.stream_id) is stream:
            del self.streams[stream.stream_id]
        self._waiting.pop(stream.stream_id, None)
        self.check_idle()

    def check_idle(self) -> None:
        if not self.streams:
            self.on_idle()

    def on_idle(self) -> None:
        """The last stream ended (the roles decide what that means)."""

    def terminate(self, code: int = h2.errors.ErrorCodes.NO_ERROR) -> None:
        """Send GOAWAY with *code* and close the TCP connection."""
        if self.lost or self.transport is None:
            return
        self.going_away = True
        try:
            self.h2.close_connection(error_code=code)
        except h2.exceptions.ProtocolError:
            pass
        self.send()
        self.transport.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The TCP (or TLS) transport's ``get_extra_info``."""
        return default if self.transport is None else self.transport.get_extra_info(name, default)
