"""asyncio.Protocol around the Sans-I/O core: the connection's "reader".

Everything that must not wait for the user happens as bytes arrive (the
transport reads them in place, ``asyncio.BufferedProtocol``):
the bytes go through the core at once, pongs and the close reply are written
at once, and only data messages are queued for ``receive()``. The queue counts
payload bytes and pauses the transport's reading above a high-water mark,
resuming below a low one. Sends write a whole frame with one ``write()`` and
then wait for ``drain`` while the transport's buffer is over its limit.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Callable, cast

from .exceptions import ClientConnectionResetError, ServerTimeoutError
from ._debuglog import WireLog, wire_log
from ._heartbeat import Heartbeat
from ._hotpath import HotPath
from ._inbox import DEFAULT_MAX_QUEUE_BYTES, Inbox
from ._parts import PartReceiving
from ._pings import Pings
from ._send import EXECUTOR_COMPRESS_THRESHOLD, SendPath
from .http_proto import HttpHeadProtocol
from .models import WS_CLOSED_MESSAGE, WS_CLOSING_MESSAGE, WSMessage
from .sansio.protocol import WebSocketProtocol
from .sansio._members import MSG_BINARY, MSG_CHUNK, MSG_CLOSE, MSG_ERROR, MSG_PONG, MSG_TEXT, STATE_CLOSED, STATE_OPEN

__all__ = ("WebSocketConnection", "DEFAULT_MAX_QUEUE_BYTES", "EXECUTOR_COMPRESS_THRESHOLD")

#: After a protocol violation that follows data messages, the failure's close
#: frame waits at most this many seconds for the application to take the
#: ERROR (or call close()), so it can still answer the messages before it.
FAILURE_GRACE = 0.5
#: After the close handshake a client gives the server this many seconds to
#: end TCP first (RFC 6455 §7.1.1), then ends it itself with a FIN.
CLOSE_LINGER = 1.0


async def _wait_done(fut: asyncio.Future[None], timeout: float | None) -> bool:
    """Wait until *fut* is done or *timeout* seconds passed; whether it is
    done. ``asyncio.wait({fut}, timeout=...)`` for one future, without its
    sets and task bookkeeping (two of these run in every ``close()``); *fut*
    is never cancelled, also when the waiting task is."""
    if fut.done():
        return True
    loop = fut.get_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    fut.add_done_callback(wake)
    handle = None if timeout is None else loop.call_later(timeout, wake)
    try:
        await waiter
    finally:
        fut.remove_done_callback(wake)
        if handle is not None:
            handle.cancel()
    return fut.done()


class _Ending:
    """The wait of one ``close()`` for the end of TCP (the peer's close frame
    comes before it), bounded by the close timeout, with one timer that also
    ends the client's linger (``CLOSE_LINGER`` seconds after the close frame,
    RFC 6455 §7.1.1) if the server keeps TCP open. The timer is first armed
    for the earliest moment a linger could end; when the server ends TCP in
    time (the usual case) it is the only timer of the close, where separate
    waits and a linger timer armed three (on the default event loop a timer
    costs about an event-loop iteration), and the waiting task is woken once,
    directly by ``connection_lost``."""

    __slots__ = ("conn", "loop", "deadline", "linger", "closed_at", "handle", "waiter", "expired")

    def __init__(self, conn: WebSocketConnection, timeout: float | None) -> None:
        self.conn = conn
        loop = self.loop = conn._loop
        now = loop.time()
        self.deadline = None if timeout is None else now + timeout
        self.linger = CLOSE_LINGER if timeout is None else min(CLOSE_LINGER, timeout)
        self.closed_at: float | None = None  # the close frame came: the linger is ours to end
        self.waiter: asyncio.Future[None] | None = None
        self.expired = False
        self.handle: asyncio.TimerHandle | None = loop.call_at(now + self.linger, self._tick)

    def start_linger(self) -> None:
        """``_on_closed`` leaves the linger to this close(): the timer is due
        by ``linger`` seconds from now (it already is unless the close frame
        came later than ``linger`` after ``close()``)."""
        now = self.closed_at = self.loop.time()
        end = now + self.linger
        handle = self.handle
        if handle is None or handle.when() > end:
            if handle is not None:
                handle.cancel()
            self.handle = self.loop.call_at(end, self._tick)

    def _tick(self) -> None:
        self.handle = None
        now = self.loop.time()
        due = self.deadline
        if self.closed_at is not None:
            linger_end = self.closed_at + self.linger
            if now >= linger_end:  # the server kept TCP open: end it ourselves (a FIN)
                self.closed_at = None
                self.end_tcp()
            elif due is None or linger_end < due:
                due = linger_end
        if self.deadline is not None and now >= self.deadline:
            self.expired = True
            self.wake()
        elif due is not None:
            self.handle = self.loop.call_at(due, self._tick)

    def end_tcp(self) -> None:
        """Close the transport (its ``connection_lost`` is queued) and wake
        ``close()`` right behind it: both run in the next loop iteration
        instead of ``close()`` one iteration later (``until_lost`` checks)."""
        transport = self.conn.transport
        if transport is not None and not self.conn.lost:
            transport.close()
            self.wake()

    def wake(self) -> None:
        """End the wait: the connection is lost (``connection_lost`` calls
        this directly, no done callback on its future) or the time is up."""
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def until_lost(self) -> bool:
        """Wait for the end of TCP unless the close timeout passed; whether
        the connection is lost."""
        conn = self.conn
        while not conn.lost:  # woken early by eof_received: wait on for connection_lost
            if self.expired:
                return False
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return True

    def end(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        if self.conn._ending is self:
            self.conn._ending = None


def _expire(fut: asyncio.Future[WSMessage]) -> None:
    if not fut.done():
        fut.set_exception(asyncio.TimeoutError())


#: The transport classes whose write() starts with one send on the socket
#: when nothing is queued, and queues the rest: the plain TCP transports of
#: asyncio's own loop and of uvloop (``uv_try_write``). SSL and HTTP/2 stream
#: transports do not write to a socket of their own.
_SEND_FIRST = frozenset({("asyncio.selector_events", "_SelectorSocketTransport"), ("uvloop.loop", "TCPTransport")})


def direct_send_fd(transport: asyncio.BaseTransport) -> int:
    """The file descriptor of *transport*'s socket (int) when the compiled
    ``HotPath`` may make that first send(2) itself (a class in ``_SEND_FIRST``:
    a stream socket's transport), else -1."""
    cls = type(transport)
    if (cls.__module__, cls.__qualname__) in _SEND_FIRST:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            return int(sock.fileno())
    return -1


class WebSocketConnection(SendPath, Heartbeat, PartReceiving, HotPath, asyncio.BufferedProtocol):
    """Drives a ``WebSocketProtocol`` over an asyncio transport.

    Args:
        core: the Sans-I/O state machine, already OPEN.
        heartbeat: seconds without inbound data before a ping is sent; if no
            data (the pong or anything else) arrives within ``heartbeat / 2``
            seconds more, the connection fails with ``ServerTimeoutError`` and
            close code 1006. ``None`` disables it. Time spent with reading
            paused for a full queue is not silence: the check waits until
            ``heartbeat / 2`` seconds after reading resumes.
        max_queue_bytes: high-water mark in payload bytes (characters for text)
            of messages waiting for ``receive()``, or ``(high, low)``.
        close_timeout: seconds to wait for the peer to end TCP after the close
            handshake (RFC 6455 §7.1.1: the server closes first).
    """

    def __init__(
        self,
        core: WebSocketProtocol,
        *,
        heartbeat: float | None = None,
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
        close_timeout: float | None = 10.0,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self.core = core
        self.transport: asyncio.Transport | None = None
        self.exception: BaseException | None = None
        self._inbox = Inbox(max_queue_bytes, self._resume_reading)
        self._log: WireLog | None = None  # set in connection_made when DEBUG is on
        self._pings = Pings()
        self._parts_sent: asyncio.Event | None = None  # set while a message in parts is going out
        self._fd = -1  # the socket written to by HotPath._send_now, see direct_send_fd
        self._waiter: asyncio.Future[WSMessage] | None = None
        self._write_paused = False
        self._drain_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed_fut: asyncio.Future[None] = self._loop.create_future()
        self._lost_fut: asyncio.Future[None] = self._loop.create_future()
        self._close_timeout = close_timeout
        self._linger: asyncio.TimerHandle | None = None
        self._ending: _Ending | None = None  # while close() waits
        self._heartbeat = heartbeat
        self._hb_handle: asyncio.TimerHandle | None = None
        self._last_rx = 0.0
        self._ping_at = 0.0
        self._resumed_at = 0.0  # when reading last resumed after a pause for a full queue
        self.lost_callbacks: list[Callable[[], None]] = []
        self._deflate_lock: asyncio.Lock | None = None
        self._failure_timer: asyncio.TimerHandle | None = None
        # asyncio.BufferedProtocol.get_buffer: the transport asks the frame
        # parser directly, one C call per read (set before the transport sees
        # this protocol: uvloop looks the method up once).
        self.get_buffer = core.parser.get_buffer  # type: ignore[method-assign]

    # -- transport callbacks -------------------------------------------------

    def take_over(self, transport: asyncio.Transport, previous: HttpHeadProtocol) -> None:
        """Become the transport's protocol after the opening handshake, and
        process the bytes that arrived after the HTTP head, in order."""
        transport.set_protocol(self)
        self.connection_made(transport)
        data, lost = previous.take_over()
        if data:
            self.data_received(data)
        if lost:
            self.connection_lost(previous.lost_exc)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self._fd = direct_send_fd(transport)
        self._log = log = wire_log(self.core.is_client, lambda: transport.get_extra_info("peername"))
        if log is not None:  # DEBUG: the logged write (HotPath logs what it receives itself)
            self._write = self._write_logged  # type: ignore[method-assign]
        if self._heartbeat:
            self._last_rx = self._loop.time()
            self._hb_handle = self._loop.call_at(self._last_rx + self._heartbeat, self._hb_fire)

    def _on_events(self, messages: list[WSMessage]) -> None:
        """A batch with control messages, an ERROR or parts of a streamed
        message: replies, delivery in order, the failure and close rules."""
        core = self.core
        if self._pings.outstanding:
            now = self._loop.time()
            for msg in messages:
                if msg.tp is MSG_PONG:
                    self._pings.pong(msg.data, now)
        out = core.data_to_send(hold_pongs=self._write_paused)
        if out and self.transport is not None:
            self._write_replies(out)
        # Inbox.wanted, inlined: one pass over the batch.
        closing = self._inbox.closing_locally
        for msg in messages:
            tp = msg.tp
            if tp is MSG_BINARY or tp is MSG_TEXT or tp is MSG_CLOSE or tp is MSG_CHUNK:
                if not closing:
                    self._deliver(msg)
            elif tp is MSG_ERROR:
                self.exception = msg.data
                self._deliver(msg)
            elif not core.autoping:  # PING / PONG reach the application only without autoping
                self._deliver(msg)
        if core.failing and self._failure_timer is None:
            if any(m.tp is MSG_TEXT or m.tp is MSG_BINARY for m in messages) or self._inbox.queued:
                # Grace: the application may still answer the messages that
                # came before the violation (Autobahn 3.x, 4.x, 5.15). Receiving
                # the ERROR or calling close() ends it at once (_delivered, close).
                self._failure_timer = self._loop.call_later(FAILURE_GRACE, self._finish_failure)
            else:
                self._finish_failure()
        elif core.state is STATE_CLOSED:
            self._on_closed()

    def _finish_failure(self) -> None:
        if self._failure_timer is not None:
            self._failure_timer.cancel()
        data = self.core.finish_failure()
        if data and not self.lost and self.transport is not None and not self.transport.is_closing():
            self._write_replies([data])
        self._on_closed()

    def _write_replies(self, frames: list[bytes]) -> None:
        """Write frames the core made on its own (pongs, close reply, failure close)."""
        data = b"".join(frames)
        if self._log is not None:
            self._log.sent(data)
        assert self.transport is not None
        self.transport.write(data)

    def eof_received(self) -> bool | None:
        ending = self._ending
        if ending is not None and ending.waiter is not None:  # a close() waits for this end of TCP
            ending.end_tcp()
        return None  # the transport closes itself (again: a no-op)

    def connection_lost(self, exc: Exception | BaseException | None) -> None:
        if self._lost_fut.done():
            return
        core = self.core
        clean = core.close_received and core.close_sent
        core.receive_eof()
        if not clean and exc is not None and self.exception is None:
            err = ClientConnectionResetError(f"Connection lost: {exc}")
            err.__cause__ = exc
            self.exception = err
            self._deliver(WSMessage(MSG_ERROR, err, None))
        self._lost_fut.set_result(None)
        if self._ending is not None:
            self._ending.wake()
        if self._log is not None:
            self._log.event("TCP connection ended (%r)", exc)
        self._on_closed()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_result(WS_CLOSED_MESSAGE)
        for fut in self._drain_waiters:
            if not fut.done():
                fut.set_exception(ClientConnectionResetError("Connection lost"))
        self._drain_waiters.clear()
        if self._linger is not None:
            self._linger.cancel()
        for callback in self.lost_callbacks:
            callback()
        self.lost_callbacks.clear()
        self.transport = None  # get_extra_info() gives its default from now on
        self._fd = -1  # closed, and the number may be reused

    def add_lost_callback(self, callback: Callable[[], None]) -> None:
        """Call *callback* once the transport is gone (at once if it already is)."""
        if self.lost:
            callback()
        else:
            self.lost_callbacks.append(callback)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        out = self.core.data_to_send()  # the pong held while writing was paused
        if out and self.transport is not None and not self.lost:
            self._write_replies(out)
        for fut in self._drain_waiters:
            if not fut.done():
                fut.set_result(None)
        self._drain_waiters.clear()

    # -- state -------------------------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's ``get_extra_info``; *default* once it is gone."""
        transport = self.transport
        return default if transport is None else transport.get_extra_info(name, default)

    @property
    def closed(self) -> bool:
        """The close handshake completed, the connection failed, or TCP ended."""
        return self.core.state is STATE_CLOSED

    @property
    def lost(self) -> bool:
        """The transport is gone."""
        return self._lost_fut.done()

    def _on_closed(self) -> None:
        """The core reached CLOSED: stop the heartbeat, end TCP when it is our
        turn (at once for a server or a failure; a client lets the server close
        first, RFC 6455 §7.1.1, but for at most ``CLOSE_LINGER`` seconds: many
        servers wait for the client's FIN instead; on an HTTP/2 stream at once,
        its END_STREAM went with the close frame)."""
        if self._closed_fut.done():
            return
        self._closed_fut.set_result(None)
        self._pings.abandon()
        if self._log is not None:
            core = self.core
            self._log.event("closed: code %s reason %r exception %r", core.close_code, core.close_reason, self.exception)
        if self._hb_handle is not None:
            self._hb_handle.cancel()
            self._hb_handle = None
        transport = self.transport
        if transport is None or self.lost:
            return
        if (
            self.core.is_client
            and self.core.exception is None
            and self.core.close_received
            and not transport.get_extra_info("http2")  # a stream has no TIME_WAIT to leave to the server
        ):
            if self._ending is not None:
                self._ending.start_linger()  # a waiting close() ends it with its own timer
            else:
                linger = CLOSE_LINGER if self._close_timeout is None else min(CLOSE_LINGER, self._close_timeout)
                self._linger = self._loop.call_later(linger, transport.close)
        else:
            transport.close()

    # -- receiving ---------------------------------------------------------------

    def _resume_reading(self) -> None:
        self._resumed_at = self._loop.time()
        if self.transport is not None and not self.lost:
            self.transport.resume_reading()

    @property
    def latency(self) -> float | None:
        """Round-trip time in seconds of the last ping answered (heartbeat or
        ``ping()``), or ``None`` before the first."""
        return self._pings.latency

    @property
    def reading_paused(self) -> bool:
        """Reading is paused because the receive queue is over its high-water mark."""
        return self._inbox.paused

    @property
    def queued_bytes(self) -> int:
        """Payload bytes (characters for text) waiting for ``receive()``."""
        return self._inbox.queued

    async def receive(self, timeout: float | None = None, whole: bool = True) -> WSMessage:
        """The next message; CLOSED once no more can come. A streamed message
        (``stream_messages()``) is joined from its parts unless *whole* is
        false (``receive_part``).

        Raises ``asyncio.TimeoutError`` after *timeout* seconds (the connection
        stays open) and ``RuntimeError`` if another task is already waiting.
        """
        inbox = self._inbox
        if inbox.messages:
            msg = inbox.take()
            return msg if msg.tp is not MSG_ERROR and msg.tp is not MSG_CHUNK else await self.settle(msg, timeout, whole)
        core = self.core
        if core.state is not STATE_OPEN:  # OPEN: no close frame either way and TCP still up
            if core.close_received and not core.close_sent and not self.lost:
                await self.close(1000, b"", self._close_timeout)  # autoclose=False: reply now, as aiohttp
            if core.state is STATE_CLOSED or core.close_received or core.close_sent or self.lost:
                return WS_CLOSED_MESSAGE  # nothing more can come: the close handshake has begun
        if self._waiter is not None:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        fut: asyncio.Future[WSMessage] = self._loop.create_future()
        self._waiter = fut
        handle = self._loop.call_later(timeout, _expire, fut) if timeout else None
        try:
            msg = await fut
        except asyncio.CancelledError:
            self.drop_waiter(fut)  # a message handed over as we were cancelled is kept
            raise
        finally:
            if self._waiter is fut:
                self._waiter = None
            if handle is not None:
                handle.cancel()
        return msg if msg.tp is not MSG_ERROR and msg.tp is not MSG_CHUNK else await self.settle(msg, timeout, whole)

    async def settle(self, msg: WSMessage, timeout: float | None = None, whole: bool = True) -> WSMessage:
        """What ``receive()`` does with a message it took or was handed (also
        from ``message_waiter()``): an ERROR is returned once the failure's
        close frame is written, a part of a streamed message is joined with
        the rest unless *whole* is false."""
        if msg.tp is MSG_ERROR:
            return self._delivered(msg)
        return msg if msg.tp is not MSG_CHUNK else await self._on_part(msg, timeout, whole)

    def _now(self) -> float:
        return self._loop.time()

    def _delivered(self, msg: WSMessage) -> WSMessage:
        """A failure's ERROR is returned only after its close frame is on the
        wire (aiohttp's order), so whatever the application does next, the
        peer sees the failure's close code."""
        if msg.tp is MSG_ERROR and self.core.failing:
            self._finish_failure()
        return msg

    def fail(self, exc: BaseException, code: int = 1006) -> None:
        """End the connection at once, without a close handshake: close code
        *code*, ``exception`` *exc*, an ERROR message for the next ``receive()``."""
        if self.lost:
            return
        self.core.abort(code)
        if self.exception is None:
            self.exception = exc
        self._deliver(WSMessage(MSG_ERROR, exc, None))
        self._on_closed()
        if self.transport is not None:
            self.transport.abort()

    # -- closing ---------------------------------------------------------------------

    async def close(self, code: int | None, reason: bytes | str, timeout: float | None) -> bool:
        """Start (or finish) the close handshake and wait for it, at most
        *timeout* seconds, then for the TCP connection to end.

        Returns ``False`` if the connection was already closed or closing by
        another call, or had failed: then the failure's close frame (1002,
        1007, 1009, ...) goes out if it had not yet, never *code*. Raises
        ``ValueError`` for an invalid code or reason (nothing is sent). On
        timeout the connection is aborted, ``close_code`` is 1006 and
        ``exception`` is a ``ServerTimeoutError``.
        """
        core = self.core
        if core.failing:
            self._finish_failure()
            return False
        if self.lost or core.close_sent or core.state is STATE_CLOSED:
            deadline = None if timeout is None else self._loop.time() + timeout
            if not self.lost and core.close_sent and not self._closed_fut.done():
                await _wait_done(self._closed_fut, timeout)
            if not self.lost and self._closed_fut.done():
                await self._wait_lost(deadline)  # the peer closed first: TCP ends soon (§7.1.1)
            return False
        data = core.send_close(code, reason)
        if self._inbox.drop_unread(closing_locally=not core.close_received):
            self._resume_reading()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_result(WS_CLOSING_MESSAGE)
        try:
            self.write_frame(data)
        except ClientConnectionResetError:
            return True
        ending = self._ending = _Ending(self, timeout)
        try:
            if self.closed:  # the peer's close frame had arrived already (autoclose=False)
                self._on_closed()
            # One wait, for the end of TCP: the close frame comes before it.
            if not await ending.until_lost():
                if not self._closed_fut.done():
                    self.fail(ServerTimeoutError(f"No close frame received within {timeout} seconds"))
                elif self.transport is not None:
                    self.transport.abort()
                    await _wait_done(self._lost_fut, 1.0)
        except asyncio.CancelledError:
            self.abort()  # as aiohttp: a cancelled close() leaves the connection closed, not half-open
            raise
        finally:
            ending.end()
        return True

    async def _wait_lost(self, deadline: float | None) -> None:
        remaining = None if deadline is None else max(0.0, deadline - self._loop.time())
        if not await _wait_done(self._lost_fut, remaining) and self.transport is not None:
            self.transport.abort()
            await _wait_done(self._lost_fut, 1.0)

    def abort(self) -> None:
        """Drop the TCP connection at once (close code 1006 if not closed)."""
        self.core.abort(1006)
        if self.transport is not None and not self.lost:
            self.transport.abort()
