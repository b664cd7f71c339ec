"""The client's HTTP/2 connections: extended CONNECT streams (RFC 8441 §4) and
the per-origin pool that shares one connection between WebSockets.

``H2ClientConnection.open_stream`` sends a request's header fields on a new
stream and returns the stream with the response head, honouring the server's
``SETTINGS_MAX_CONCURRENT_STREAMS`` (a stream waits for a slot). ``H2Pool``
keeps the connections of one connector by ``ConnectionKey`` and remembers the
origins that do not do WebSockets over HTTP/2 (no ALPN ``h2``, no
``SETTINGS_ENABLE_CONNECT_PROTOCOL``, or a refused stream), so the next
``ws_connect`` goes straight to HTTP/1.1.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Generic, TypeVar

import h2.events
import h2.exceptions

from ..sansio.extended_connect import response_head
from ..sansio.http11 import ResponseHead
from .connection import H2Protocol, StreamResetError
from .stream import StreamTransport

__all__ = ("H2ClientConnection", "H2Pool")

_K = TypeVar("_K")


class H2ClientConnection(H2Protocol):
    """The client side of one HTTP/2 connection.

    Args:
        idle_timeout: seconds the connection stays open with no stream before
            it is closed with GOAWAY (``None``: until the server closes it).
    """

    def __init__(self, *, idle_timeout: float | None = 15.0) -> None:
        super().__init__(client_side=True)
        self._loop = asyncio.get_running_loop()
        #: Set once the server's first SETTINGS frame arrived (RFC 9113 §3.4).
        self.settings_received: asyncio.Future[None] = self._loop.create_future()
        self._reserved = 0
        self._slot_waiters: list[asyncio.Future[None]] = []
        self._idle_timeout = idle_timeout
        self._idle_handle: asyncio.TimerHandle | None = None

    @property
    def supports_websocket(self) -> bool:
        """The server sent ``SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`` (RFC 8441 §3)."""
        return bool(self.h2.remote_settings.enable_connect_protocol)

    @property
    def usable(self) -> bool:
        """Whether new streams may open (neither GOAWAY nor the end of TCP yet)."""
        return not self.going_away and not self.lost

    @property
    def max_streams(self) -> int:
        """The server's ``SETTINGS_MAX_CONCURRENT_STREAMS`` (unlimited: 2**31)."""
        value = self.h2.remote_settings.max_concurrent_streams
        return 2**31 if value is None else int(value)

    @property
    def free_slots(self) -> int:
        """Streams that may still open now (reserved ones counted as open;
        ``streams`` holds ours until h2 is done with them)."""
        return self.max_streams - len(self.streams) - self._reserved

    def reserve(self) -> bool:
        """Take a slot for a stream about to open; ``False`` if none is free."""
        if not self.usable or self.free_slots <= 0:
            return False
        self._reserved += 1
        self._cancel_idle()
        return True

    def unreserve(self) -> None:
        """Give back a slot taken with ``reserve()`` and not used."""
        self._reserved -= 1
        self._wake_one()
        if not self.streams and not self._reserved:
            self.on_idle()

    async def open_stream(
        self, headers: list[tuple[str, str]], *, reserved: bool = False, body: bytes | None = None
    ) -> tuple[StreamTransport, ResponseHead]:
        """Open a stream with *headers* (pseudo-header fields first) and wait
        for the (final) response head. *body*: ``None`` keeps our side open
        (a WebSocket); bytes are sent and our side ended (a request; ``b""``:
        END_STREAM on the HEADERS). Waits for a free slot first unless
        *reserved* (a slot from ``reserve()``). Raises ``StreamResetError`` if
        the stream is reset or the connection goes away first; cancelling
        resets it."""
        if not reserved:
            while not self.reserve():
                if not self.usable:
                    raise StreamResetError("HTTP/2 connection going away", 0x7)
                waiter: asyncio.Future[None] = self._loop.create_future()
                self._slot_waiters.append(waiter)
                try:
                    await waiter
                finally:
                    if waiter in self._slot_waiters:
                        self._slot_waiters.remove(waiter)
        self._reserved -= 1
        if not self.usable:
            raise StreamResetError("HTTP/2 connection going away", 0x7)
        stream_id = self.h2.get_next_available_stream_id()
        stream = StreamTransport(self, stream_id)
        stream.response = self._loop.create_future()
        self.streams[stream_id] = stream
        try:
            self.h2.send_headers(stream_id, headers, end_stream=body == b"")
            if body == b"":
                stream.end_wanted = stream.ended_local = True
        except h2.exceptions.ProtocolError as exc:  # the connection closed under us
            stream.reset(StreamResetError(f"HTTP/2 stream not opened: {exc}", 0x7))
            raise StreamResetError(f"HTTP/2 stream not opened: {exc}", 0x7) from exc
        self.send_soon()  # the HEADERS of every stream opened in this loop iteration in one write
        if body:
            stream.write(body)  # as the peer's windows allow
            stream.write_eof()
        try:
            status, fields = await stream.response
        except asyncio.CancelledError:
            stream.abort()
            raise
        return stream, response_head(status, fields)

    # -- events ----------------------------------------------------------------------------

    def on_other(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RemoteSettingsChanged):
            if not self.settings_received.done():
                self.settings_received.set_result(None)
            self._wake_all()
        elif isinstance(event, h2.events.ResponseReceived):
            stream = self.streams.get(event.stream_id or 0)
            fields = [(str(k), str(v)) for k, v in event.headers or []]
            status = next((int(v) for k, v in fields if k == ":status"), 0)
            if stream is not None and stream.response is not None and not stream.response.done():
                stream.response.set_result((status, fields))
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._fail_settings(StreamResetError("HTTP/2 connection refused (GOAWAY)", int(event.error_code or 0)))
            self._wake_all()

    def on_lost(self, exc: BaseException) -> None:
        self._fail_settings(exc)
        self._wake_all()
        self._cancel_idle()

    def _fail_settings(self, exc: BaseException) -> None:
        if not self.settings_received.done():
            self.settings_received.set_exception(exc)
            self.settings_received.exception()  # retrieved: nobody may be waiting

    def forget(self, stream: StreamTransport) -> None:
        super().forget(stream)
        self._wake_one()

    def _wake_one(self) -> None:
        for waiter in self._slot_waiters:
            if not waiter.done():
                waiter.set_result(None)
                return

    def _wake_all(self) -> None:
        for waiter in self._slot_waiters:
            if not waiter.done():
                waiter.set_result(None)

    def on_idle(self) -> None:
        if self._reserved or self.lost or self._idle_handle is not None:
            return
        if self.going_away or self._idle_timeout == 0:
            self.terminate()
        elif self._idle_timeout is not None:
            self._idle_handle = self._loop.call_later(self._idle_timeout, self._idle_expired)

    def _idle_expired(self) -> None:
        self._idle_handle = None
        if not self.streams and not self._reserved:
            self.terminate()

    def _cancel_idle(self) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None


class H2Pool(Generic[_K]):
    """The HTTP/2 connections of one connector, by key, and the keys known
    not to take WebSockets over HTTP/2 (``refused``: key → why)."""

    def __init__(self) -> None:
        self.conns: dict[_K, list[H2ClientConnection]] = {}
        self.refused: dict[_K, str] = {}
        self._opening: dict[_K, asyncio.Future[None]] = {}

    def take(self, key: _K) -> H2ClientConnection | None:
        """A pooled connection to *key* with a free stream slot, reserved."""
        for conn in self.conns.get(key, ()):
            if conn.reserve():
                return conn
        return None

    async def get(self, key: _K, open_one: Callable[[], Awaitable[Any]]) -> Any:
        """A connection with a reserved slot, ``None`` when *key* is refused,
        or whatever else *open_one* returned (an HTTP/1.1 connection ALPN
        gave). One connection opens at a time per key: the others wait for it
        and share it (one TCP and TLS handshake for many WebSockets)."""
        while True:
            if key in self.refused:
                return None
            conn = self.take(key)
            if conn is not None:
                return conn
            opening = self._opening.get(key)
            if opening is not None:
                await asyncio.shield(opening)
                continue
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._opening[key] = done
            try:
                result = await open_one()
            finally:
                del self._opening[key]
                done.set_result(None)
            if not isinstance(result, H2ClientConnection):
                return result
            self.add(key, result)
            if result.reserve():
                return result

    def add(self, key: _K, conn: H2ClientConnection) -> None:
        self.conns.setdefault(key, []).append(conn)

        def drop() -> None:
            conns = self.conns.get(key, [])
            if conn in conns:
                conns.remove(conn)
            if not conns:
                self.conns.pop(key, None)

        conn.lost_callbacks.append(drop)

    def close(self) -> None:
        """Close every connection (GOAWAY, then TCP)."""
        for conns in list(self.conns.values()):
            for conn in list(conns):
                conn.terminate()
                if conn.transport is not None:
                    conn.transport.abort()
        self.conns.clear()
