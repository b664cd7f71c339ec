"""One HTTP/2 stream as an asyncio transport (RFC 8441 §5).

``WebSocketConnection`` runs on a ``StreamTransport`` exactly as on a TCP
transport: ``write`` becomes DATA frames as the flow-control windows allow,
``pause_reading`` stops handing back the stream's receive window (RFC 9113
§5.2), so a WebSocket whose application does not read stops its own peer and
no other stream, ``close`` ends the stream (END_STREAM, the TCP FIN of RFC 8441
§5), ``abort`` resets it (RST_STREAM CANCEL). The peer's END_STREAM is the
protocol's ``eof_received``; a reset or the end of the HTTP/2 connection is
``connection_lost`` with a ``ConnectionResetError``.
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .connection import H2Protocol

_PROTOCOLS = (asyncio.Protocol, asyncio.BufferedProtocol)

__all__ = ("StreamTransport", "STREAM_WINDOW", "WRITE_HIGH", "WRITE_LOW", "END_GRACE")

#: Receive window of each stream, in bytes (SETTINGS_INITIAL_WINDOW_SIZE):
#: the most a peer can send on one stream beyond what its WebSocket has read;
#: handed back in halves as the application reads.
STREAM_WINDOW = 1024 * 1024
#: Bytes a stream holds waiting for flow-control window above which its
#: protocol's ``pause_writing`` is called (asyncio's default transport limit),
#: and below which ``resume_writing`` is.
WRITE_HIGH = 64 * 1024
WRITE_LOW = 16 * 1024
#: Seconds after ``close()`` for the peer to end its side too before the
#: stream is reset (CANCEL), so a silent peer cannot keep a stream slot.
END_GRACE = 1.0


class StreamTransport(asyncio.Transport):
    """The transport of one stream of an ``H2Protocol`` (client or server)."""

    def __init__(self, owner: H2Protocol, stream_id: int) -> None:
        super().__init__()
        self._owner = owner
        self.stream_id = stream_id
        self._protocol: asyncio.BaseProtocol | None = None
        self._data_received: Callable[[bytes], object] | None = None
        self.pending = bytearray()  # written, waiting for window
        self.end_wanted = False  # END_STREAM once pending is sent
        self._lose_on_end = False  # close() (not a half-close): the protocol is done once END_STREAM is out
        #: Asked after each write, true once the WebSocket has written its
        #: close frame, which then carries END_STREAM (nothing may follow it,
        #: RFC 6455 §5.5.1); the other direction stays open for the reply.
        self.last_write_probe: Callable[[], bool] | None = None
        self.ended_local = False
        self.ended_remote = False
        self._closing = False
        self.lost = False
        self._lost_exc: BaseException | None = None
        self._reading_paused = True  # until a protocol is attached: held
        self._held: collections.deque[tuple[bytes, int]] = collections.deque()
        self._eof_held = False
        self._unacked = 0
        self._write_paused = False
        self._high = WRITE_HIGH
        self._low = WRITE_LOW
        self._grace: asyncio.TimerHandle | None = None
        self.done = False  # h2 is done with the stream: ended both ways or reset
        #: The client's future for the response head (set by its owner).
        self.response: asyncio.Future[Any] | None = None

    # -- asyncio.BaseTransport ------------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``stream_id`` and ``http2`` (``True``) here; everything else
        (``peername``, ``sslcontext``, ``ssl_object``, ``socket``, ...) from the
        connection's transport."""
        if name == "stream_id":
            return self.stream_id
        if name == "http2":
            return True
        return self._owner.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._closing or self.lost

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol
        # WebSocketConnection (a BufferedProtocol with data_received too) and
        # plain Protocols take the stream's DATA through data_received.
        self._data_received = getattr(protocol, "data_received", None)

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self._protocol is not None
        return self._protocol

    def attach(self, protocol: asyncio.BaseProtocol, last_write_probe: Callable[[], bool] | None = None) -> None:
        """Make *protocol* this stream's protocol (``connection_made``) and
        hand it what arrived before; *last_write_probe*: see the attribute."""
        self.set_protocol(protocol)
        self.last_write_probe = last_write_probe
        protocol.connection_made(self)
        if self.lost:
            self._hand_over_held()
            protocol.connection_lost(self._lost_exc)  # type: ignore[arg-type]
            return
        self.resume_reading()

    def close(self) -> None:
        """End our side once the data written is sent (END_STREAM);
        ``connection_lost(None)`` follows (the peer gets ``END_GRACE``
        seconds to end its side before a reset)."""
        if self._closing or self.lost:
            return
        self._closing = True
        self._lose_on_end = True
        if self.ended_local:
            self.ended()
            return
        self.end_wanted = True
        self._owner.flush(self)

    def abort(self) -> None:
        """Reset the stream (RST_STREAM CANCEL) now, dropping unsent data."""
        self._closing = True
        self.pending.clear()
        if not self.done:
            self._owner.reset_stream(self.stream_id)
            self._finish()
        self.lose(None)

    # -- writing --------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or self.lost or self.end_wanted:
            return  # as asyncio's transports: a write after close is dropped
        self.pending += data
        if self.last_write_probe is not None and self.last_write_probe():
            self.end_wanted = True
        self._owner.flush(self)
        if not self._write_paused and len(self.pending) > self._high and not self.lost:
            self._write_paused = True
            protocol = self._protocol
            if isinstance(protocol, _PROTOCOLS):
                protocol.pause_writing()

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def write_eof(self) -> None:
        """Half-close: END_STREAM after what was written; reading goes on."""
        if not self.end_wanted and not self.lost:
            self.end_wanted = True
            self._owner.flush(self)

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return len(self.pending)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._low, self._high

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._high = WRITE_HIGH if high is None else high
        self._low = min(self._high, self._high // 4 if low is None else low)

    def drained(self) -> None:
        """The owner sent some of ``pending``: resume the protocol's writing
        below the low-water mark."""
        if self._write_paused and len(self.pending) <= self._low:
            self._write_paused = False
            protocol = self._protocol
            if isinstance(protocol, _PROTOCOLS):
                protocol.resume_writing()

    # -- reading --------------------------------------------------------------------------

    def is_reading(self) -> bool:
        return not self._reading_paused

    def pause_reading(self) -> None:
        """Stop delivering and stop handing back this stream's window: the
        peer can send at most ``STREAM_WINDOW`` bytes more on this stream."""
        self._reading_paused = True

    def resume_reading(self) -> None:
        self._reading_paused = False
        while self._held and not self._reading_paused and not self.lost:
            data, size = self._held.popleft()
            self._deliver(data, size)
        if self._eof_held and not self._held and not self._reading_paused:
            self._eof_held = False
            self.eof()

    def received(self, data: bytes, size: int) -> None:
        """DATA for this stream (*size*: its flow-controlled length, padding included)."""
        if self.lost:
            return
        if self._reading_paused:
            self._held.append((data, size))
        else:
            self._deliver(data, size)

    def _deliver(self, data: bytes, size: int) -> None:
        self._unacked += size
        if self._unacked >= STREAM_WINDOW // 2:
            self._owner.open_window(self.stream_id, self._unacked)
            self._unacked = 0
        if data and self._data_received is not None:
            self._data_received(data)

    def eof(self) -> None:
        """The peer ended the stream (END_STREAM)."""
        self.ended_remote = True
        if self.lost:  # our side was closed already
            self._finish()
            return
        if self._reading_paused or self._held:
            self._eof_held = True
            return
        protocol = self._protocol
        keep = protocol.eof_received() if isinstance(protocol, _PROTOCOLS) else None
        if self.ended_local:
            self.lose(None)
            self._finish()
        elif not keep:
            self.close()

    # -- the end --------------------------------------------------------------------------

    def ended(self) -> None:
        """Our END_STREAM is out. After ``close()`` the protocol is done with
        the stream (as after a TCP ``close()``) and the peer gets ``END_GRACE``
        seconds to end its side before the stream is reset; after a
        half-close, reading goes on until the peer ends its side."""
        self.ended_local = True
        if self.ended_remote:
            self.lose(None)
            self._finish()
        elif self._lose_on_end:
            self.lose(None)
            if self._grace is None and not self.done:
                self._grace = asyncio.get_running_loop().call_later(END_GRACE, self.abort)

    def reset(self, exc: BaseException) -> None:
        """The peer reset the stream, or the HTTP/2 connection ended."""
        fut = self.response
        if fut is not None and not fut.done():
            fut.set_exception(exc)
            fut.exception()  # retrieved: nobody may be waiting
        self._finish()
        self.lose(exc)

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        self._owner.forget(self)

    def lose(self, exc: BaseException | None) -> None:
        """The stream is gone for its protocol: ``connection_lost(exc)``, once."""
        if self.lost:
            return
        self.lost = True
        self._closing = True
        self._lost_exc = exc
        self.pending.clear()
        protocol = self._protocol
        if protocol is not None:
            self._hand_over_held()
            asyncio.get_running_loop().call_soon(protocol.connection_lost, exc)  # type: ignore[arg-type]

    def _hand_over_held(self) -> None:
        """The stream ends: DATA that arrived before (held while reading was
        paused or no protocol was attached yet) still goes to the protocol,
        before ``connection_lost``: messages received before a reset are
        delivered. At most one receive window of it."""
        while self._held and self._data_received is not None:
            data, _ = self._held.popleft()
            if data:
                self._data_received(data)
        self._held.clear()
        self._eof_held = False
