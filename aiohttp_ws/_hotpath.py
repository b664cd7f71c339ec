"""The asyncio connection's per-message path (a part of ``WebSocketConnection``).

``HotPath`` holds what runs once per message: bytes read in place go through
the core and its messages to the waiting receiver or the queue
(``buffer_updated``, ``_on_messages``, ``_deliver``), a queued message is taken
without a coroutine (``receive_nowait``), and a whole message is framed and
written in one call (``write_message``). Everything else a connection does
(control frames, failures, closing, flow control) stays in Python in
``connection.py`` and its parts.

Cython compiles this file as it is, as ``aiohttp_ws._hotpath_c`` with the
declarations of ``_hotpath_c.pxd`` (a typed base class: its attributes are
C fields, its methods C functions). ``WebSocketConnection`` derives from the
compiled class when it was built, else from this one
(``AIOHTTP_WS_NO_EXTENSIONS=1``); both run the same test suite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable

from .exceptions import ClientConnectionResetError, InvalidStateError
from .models import WSMessage
from .sansio.frames import compiled_twin
from .sansio._members import MSG_BINARY, MSG_CHUNK, MSG_TEXT, STATE_OPEN

if TYPE_CHECKING:
    import asyncio

    from ._debuglog import WireLog
    from ._inbox import Inbox
    from .sansio import _pure_mode as cython
    from .sansio.protocol import WebSocketProtocol
else:
    try:  # Cython reads ``cython.compiled`` as True when it compiles this file as _hotpath_c
        import cython
    except ImportError:
        from .sansio import _pure_mode as cython

__all__ = ("HotPath", "EXECUTOR_COMPRESS_THRESHOLD", "HAS_COMPILED_CONNECTION")

#: Messages of at least this many bytes are deflated in the default executor
#: (zlib releases the GIL) so the event loop keeps running; smaller ones inline.
EXECUTOR_COMPRESS_THRESHOLD = 64 * 1024


class HotPath:
    """The per-message methods of ``WebSocketConnection``, which sets the
    attributes declared here (C fields of the compiled class, in the .pxd)
    and provides the methods stubbed here. ``_write_paused`` is not a field
    (``aiohttp_server``'s hosted connection makes it a property): it is read
    by name. Raises what ``write_message`` documents; nothing else here raises."""

    if TYPE_CHECKING:
        core: WebSocketProtocol
        transport: asyncio.Transport | None
        _loop: asyncio.AbstractEventLoop
        _inbox: Inbox
        _log: WireLog | None
        _waiter: asyncio.Future[WSMessage] | None
        _heartbeat: float | None
        _last_rx: float
        _deflate_lock: asyncio.Lock | None
        _parts_sent: asyncio.Event | None
        _fd: int

        def _on_events(self, messages: list[WSMessage]) -> None:
            raise NotImplementedError  # Cython compiles these in: loud if the MRO ever stops shadowing them

        def _write(self, data: bytes | memoryview) -> None:
            raise NotImplementedError  # Cython compiles these in: loud if the MRO ever stops shadowing them

        async def _drain(self) -> None:
            raise NotImplementedError  # Cython compiles these in: loud if the MRO ever stops shadowing them

        async def send_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> None:
            raise NotImplementedError  # Cython compiles these in: loud if the MRO ever stops shadowing them

    # -- receiving ---------------------------------------------------------------

    def buffer_updated(self, nbytes: int) -> None:
        """asyncio.BufferedProtocol: *nbytes* were read into the parser's buffer."""
        self._on_messages(self.core.buffer_updated(nbytes))

    def data_received(self, data: bytes) -> None:
        """Bytes handed over rather than read in place (the handshake's leftovers)."""
        self._on_messages(self.core.receive_data(data))

    def _on_messages(self, messages: list[WSMessage]) -> None:
        log = self._log
        if log is not None:
            log.received(messages)
        if self._heartbeat:
            self._last_rx = self._loop.time()
        for msg in messages:
            tp = msg.tp
            if tp is not MSG_BINARY and tp is not MSG_TEXT:
                self._on_events(messages)
                return
        # Only data messages (the usual batch): no reply was made, the state
        # did not change, and nothing but delivery is left to do.
        if not self._inbox.closing_locally:
            for msg in messages:
                self._put(msg)

    def _deliver(self, msg: WSMessage) -> None:
        """Hand *msg* to the receiver waiting for it, else queue it (reading
        pauses over the queue's high-water mark: ``Inbox.put``, inlined)."""
        self._put(msg)

    def _put(self, msg: WSMessage) -> None:
        # _deliver's body: a C call from _on_messages (a cpdef method would
        # look for a Python override on every call).
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(msg)
                return
        inbox = self._inbox
        inbox.messages.append(msg)
        tp = msg.tp
        if tp is MSG_BINARY or tp is MSG_TEXT or tp is MSG_CHUNK:
            inbox.queued += len(msg.data)
            if inbox.queued > inbox.high and not inbox.paused and self.transport is not None:
                inbox.paused = True
                self.transport.pause_reading()

    def receive_nowait(self) -> WSMessage | None:
        """The next message if it is a TEXT or BINARY message already queued,
        else ``None`` (then ``receive()`` has the rules): the path of a reader
        that keeps up with a busy peer, without a coroutine."""
        inbox = self._inbox
        if inbox.messages:
            tp = inbox.messages[0].tp
            if tp is MSG_BINARY or tp is MSG_TEXT:
                return inbox.take()
        return None

    def message_waiter(self) -> asyncio.Future[WSMessage] | None:
        """The future the next message will be set on, registered as this
        connection's receiver, when ``receive()`` has nothing to do before
        waiting: nothing queued, the connection OPEN, nobody else receiving.
        Else ``None``: call ``receive()``. Lets ``ClientWebSocketResponse.receive``
        await the message without a second coroutine. The caller awaits it,
        calls ``drop_waiter(fut)`` if that raises (cancellation) and passes a
        message that is not TEXT or BINARY to ``settle()``."""
        if self._waiter is not None or self._inbox.messages or self.core.state is not STATE_OPEN:
            return None
        fut: asyncio.Future[WSMessage] = self._loop.create_future()
        self._waiter = fut
        return fut

    def drop_waiter(self, fut: asyncio.Future[WSMessage]) -> None:
        """The receiver awaiting *fut* (from ``message_waiter``) was cancelled:
        forget it, and queue again a message handed to it meanwhile, so
        nothing is lost."""
        if self._waiter is fut:
            self._waiter = None
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            self._inbox.put_back(fut.result())

    # -- sending -------------------------------------------------------------------

    def write_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> Awaitable[None] | None:
        """``send_message`` without a coroutine in the usual case: write one
        whole TEXT or BINARY message at once and return ``None``, or return
        what the caller must await: ``send_message`` itself when the message
        cannot go out now (the transport is over its limit, a message in
        parts or a compression is in progress, 64 KiB or more), or the wait
        for ``drain`` when this write took the transport over its limit.
        Raises ``ClientConnectionResetError`` once closing has started."""
        lock = self._deflate_lock
        if (
            getattr(self, "_write_paused")  # noqa: B009 (not a C field, see above)
            or self._parts_sent is not None
            or lock is not None and lock.locked()
            or len(payload) >= EXECUTOR_COMPRESS_THRESHOLD
        ):
            return self.send_message(payload, opcode, compress)
        try:
            data = self.core.send_message(payload, opcode, compress)
        except InvalidStateError as exc:
            raise ClientConnectionResetError("Cannot write to closing transport") from exc
        self._write_frame(data)
        return self._drain() if getattr(self, "_write_paused") else None  # noqa: B009

    def write_frame(self, data: bytes) -> None:
        """Write the bytes of whole frames (a close frame) as ``write_message``
        does: the direct first send where ``_send_now`` applies, else
        ``_write`` (which logs, or raises ``ClientConnectionResetError`` for a
        closing transport)."""
        self._write_frame(data)

    def _write_frame(self, data: bytes) -> None:
        transport = self.transport
        if self._log is not None or transport is None or transport.is_closing():
            self._write(data)  # logs it, or raises the error of a closing transport
        elif cython.compiled and self._fd >= 0:
            self._send_now(transport, data)
        else:
            transport.write(data)

    def _send_now(self, transport: asyncio.Transport, data: bytes) -> None:
        # Compiled only, for the plain TCP transports of asyncio and uvloop
        # (``_fd`` is the socket, see ``connection.direct_send_fd``): the one
        # send that their write() makes first when they hold nothing unsent,
        # made here without write()'s checks (Python ones on asyncio's loop).
        # What is not sent (a full socket buffer, an error) goes to write(),
        # which queues it or fails the transport as it always does.
        if not transport.get_write_buffer_size():
            sent = send_now(self._fd, data, len(data))  # type: ignore[name-defined]  # noqa: F821
            if sent == len(data):
                return
            if sent > 0:
                data = data[sent:]
        transport.write(data)


#: Whether ``WebSocketConnection`` derives from the compiled class.
HAS_COMPILED_CONNECTION = __name__ == "aiohttp_ws._hotpath" and compiled_twin("aiohttp_ws._hotpath_c")
if HAS_COMPILED_CONNECTION and not TYPE_CHECKING:
    from ._hotpath_c import HotPath  # noqa: F811
