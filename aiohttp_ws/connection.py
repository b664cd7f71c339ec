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
import threading
from typing import Any, Callable, cast

from .exceptions import ClientConnectionResetError, InvalidStateError, ServerTimeoutError
from .sansio.frames import OP_CLOSE
from .http_proto import HttpHeadProtocol
from .models import WS_CLOSED_MESSAGE, WS_CLOSING_MESSAGE, WSMessage, WSMsgType
from .sansio.protocol import State, WebSocketProtocol

__all__ = ("WebSocketConnection", "DEFAULT_MAX_QUEUE_BYTES")

#: Default high-water mark of the receive queue, in payload bytes (1 MiB); the
#: low-water mark defaults to a quarter of it.
DEFAULT_MAX_QUEUE_BYTES = 1024 * 1024
#: Messages of at least this many bytes are deflated in the default executor
#: (zlib releases the GIL) so the event loop keeps running; smaller ones inline.
EXECUTOR_COMPRESS_THRESHOLD = 64 * 1024
#: After a protocol violation that follows data messages, the failure's close
#: frame waits at most this many seconds for the application to take the
#: ERROR (or call close()), so it can still answer the messages before it.
FAILURE_GRACE = 0.5
#: After the close handshake a client gives the server this many seconds to
#: end TCP first (RFC 6455 §7.1.1), then ends it itself with a FIN.
CLOSE_LINGER = 1.0
#: Uncompressed client messages of at least this many bytes are masked into a
#: per-thread buffer, reused while the transport takes every byte at once
#: (fresh 1 MiB blocks cost page faults: see docs/performance.rst).
REUSED_OUTPUT_THRESHOLD = 128 * 1024
_output = threading.local()

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CLOSE = WSMsgType.CLOSE
_ERROR = WSMsgType.ERROR


def _consume_exception(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # reported to the sender; never "never retrieved"


def _expire(fut: asyncio.Future[WSMessage]) -> None:
    if not fut.done():
        fut.set_exception(asyncio.TimeoutError())


class WebSocketConnection(asyncio.BufferedProtocol):
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
        if isinstance(max_queue_bytes, tuple):
            self._high, self._low = max_queue_bytes
        else:
            self._high, self._low = max_queue_bytes, max_queue_bytes // 4
        if not 0 <= self._low <= self._high:
            raise ValueError("max_queue_bytes needs 0 <= low <= high")
        self._queue: collections.deque[WSMessage] = collections.deque()
        self._queued = 0
        self._reading_paused = False
        self._waiter: asyncio.Future[WSMessage] | None = None
        self._write_paused = False
        self._drain_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed_fut: asyncio.Future[None] = self._loop.create_future()
        self._lost_fut: asyncio.Future[None] = self._loop.create_future()
        self._closing_locally = False
        self._close_timeout = close_timeout
        self._linger: asyncio.TimerHandle | None = None
        self._heartbeat = heartbeat
        self._hb_handle: asyncio.TimerHandle | None = None
        self._last_rx = 0.0
        self._ping_at = 0.0
        self._resumed_at = 0.0  # when reading last resumed after a pause for a full queue
        self.lost_callbacks: list[Callable[[], None]] = []
        self._deflate_lock: asyncio.Lock | None = None
        self._failure_timer: asyncio.TimerHandle | None = None

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
        if self._heartbeat:
            self._last_rx = self._loop.time()
            self._hb_handle = self._loop.call_at(self._last_rx + self._heartbeat, self._hb_fire)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.core.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        self._on_messages(self.core.buffer_updated(nbytes))

    def data_received(self, data: bytes) -> None:
        """Bytes handed over rather than read in place (the handshake's leftovers)."""
        self._on_messages(self.core.receive_data(data))

    def _on_messages(self, messages: list[WSMessage]) -> None:
        core = self.core
        if self._heartbeat:
            self._last_rx = self._loop.time()
        out = core.data_to_send(hold_pongs=self._write_paused)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        for msg in messages:
            tp = msg.tp
            if tp is _TEXT or tp is _BINARY:
                if not self._closing_locally:  # after our close(), unread data is dropped (aiohttp)
                    self._deliver(msg, len(msg.data))
            elif tp is _CLOSE:
                if not self._closing_locally:
                    self._deliver(msg, 0)
            elif tp is _ERROR:
                self.exception = msg.data
                self._deliver(msg, 0)
            elif not core.autoping:  # PING / PONG go to the user only without autoping
                self._deliver(msg, 0)
        if core.failing and self._failure_timer is None:
            if any(m.tp is _TEXT or m.tp is _BINARY for m in messages) or self._queued:
                # Grace: the application may still answer the messages that
                # came before the violation (Autobahn 3.x, 4.x, 5.15). Receiving
                # the ERROR or calling close() ends it at once (_delivered, close).
                self._failure_timer = self._loop.call_later(FAILURE_GRACE, self._finish_failure)
            else:
                self._finish_failure()
        elif core.state is State.CLOSED:
            self._on_closed()

    def _finish_failure(self) -> None:
        if self._failure_timer is not None:
            self._failure_timer.cancel()
        data = self.core.finish_failure()
        if data and not self.lost and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
        self._on_closed()

    def eof_received(self) -> bool | None:
        return None  # let the transport close itself

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
            self._deliver(WSMessage(_ERROR, err, None), 0)
        self._lost_fut.set_result(None)
        self._on_closed()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
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
            self.transport.write(b"".join(out))
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
        return self.core.state is State.CLOSED

    @property
    def lost(self) -> bool:
        """The transport is gone."""
        return self._lost_fut.done()

    def _on_closed(self) -> None:
        """The core reached CLOSED: stop the heartbeat, end TCP when it is our
        turn (at once for a server or a failure; a client lets the server close
        first, RFC 6455 §7.1.1, but for at most ``CLOSE_LINGER`` seconds: many
        servers wait for the client's FIN instead)."""
        if self._closed_fut.done():
            return
        self._closed_fut.set_result(None)
        if self._hb_handle is not None:
            self._hb_handle.cancel()
            self._hb_handle = None
        transport = self.transport
        if transport is None or self.lost:
            return
        if self.core.is_client and self.core.exception is None and self.core.close_received:
            linger = CLOSE_LINGER if self._close_timeout is None else min(CLOSE_LINGER, self._close_timeout)
            self._linger = self._loop.call_later(linger, transport.close)
        else:
            transport.close()

    # -- receiving ---------------------------------------------------------------

    def _deliver(self, msg: WSMessage, size: int) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(msg)
                return
        self._queue.append(msg)
        if size:
            self._queued += size
            if self._queued > self._high and not self._reading_paused and self.transport is not None:
                self._reading_paused = True
                self.transport.pause_reading()

    def _pop(self) -> WSMessage:
        msg = self._queue.popleft()
        if msg.tp is _TEXT or msg.tp is _BINARY:
            self._queued -= len(msg.data)
            if self._reading_paused and self._queued <= self._low:
                self._resume_reading()
        return msg

    def _resume_reading(self) -> None:
        self._reading_paused = False
        self._resumed_at = self._loop.time()
        if self.transport is not None and not self.lost:
            self.transport.resume_reading()

    @property
    def queued_bytes(self) -> int:
        """Payload bytes (characters for text) waiting for ``receive()``."""
        return self._queued

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message; CLOSED once no more can come.

        Raises ``asyncio.TimeoutError`` after *timeout* seconds (the connection
        stays open) and ``RuntimeError`` if another task is already waiting.
        """
        if self._queue:
            return self._delivered(self._pop())
        core = self.core
        if core.close_received and not core.close_sent and not self.lost:
            await self.close(1000, b"", self._close_timeout)  # autoclose=False: reply now, as aiohttp
        if core.state is State.CLOSED or core.close_received or core.close_sent or self.lost:
            return WS_CLOSED_MESSAGE  # nothing more can come: the close handshake has begun
        if self._waiter is not None:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        fut: asyncio.Future[WSMessage] = self._loop.create_future()
        self._waiter = fut
        handle = self._loop.call_later(timeout, _expire, fut) if timeout else None
        try:
            return self._delivered(await fut)
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._requeue(fut.result())  # handed over as we were cancelled: keep it
            raise
        finally:
            if self._waiter is fut:
                self._waiter = None
            if handle is not None:
                handle.cancel()

    def _delivered(self, msg: WSMessage) -> WSMessage:
        """A failure's ERROR is returned only after its close frame is on the
        wire (aiohttp's order), so whatever the application does next, the
        peer sees the failure's close code."""
        if msg.tp is _ERROR and self.core.failing:
            self._finish_failure()
        return msg

    def _requeue(self, msg: WSMessage) -> None:
        self._queue.appendleft(msg)
        if msg.tp is _TEXT or msg.tp is _BINARY:
            self._queued += len(msg.data)

    # -- sending -----------------------------------------------------------------

    def _write(self, data: bytes | memoryview) -> None:
        transport = self.transport
        if transport is None or self.lost or transport.is_closing():
            raise ClientConnectionResetError("Cannot write to closing transport")
        transport.write(data)

    async def _drain(self) -> None:
        if not self._write_paused:
            return
        if self.lost:
            raise ClientConnectionResetError("Connection lost")
        fut: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters.append(fut)
        await fut

    async def send_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> None:
        """Send one whole TEXT or BINARY message and wait for the buffer to drain.

        *compress*: ``None`` deflates when permessage-deflate was negotiated,
        0/``False`` sends this message uncompressed. Raises
        ``ClientConnectionResetError`` once closing has started.
        """
        core = self.core
        lock = self._deflate_lock
        deflated = core.will_compress(compress)
        if deflated and (len(payload) >= EXECUTOR_COMPRESS_THRESHOLD or lock and lock.locked()):
            await self._send_deflated_in_order(payload, opcode)
        elif not deflated and core.is_client and len(payload) >= REUSED_OUTPUT_THRESHOLD:
            self._write_masked_in_place(payload, opcode)
        else:
            try:
                data = core.send_message(payload, opcode, compress)
            except InvalidStateError as exc:
                raise ClientConnectionResetError("Cannot write to closing transport") from exc
            self._write(data)
        if self._write_paused:
            await self._drain()

    def send_now(self, payload: bytes, opcode: int) -> bool:
        """Write one whole TEXT or BINARY message at once, without waiting:
        ``False`` (nothing written) if the peer is slow (the transport's buffer
        is over its limit), a compressed send is in progress, or the
        connection is closing. For ``broadcast()``."""
        core = self.core
        lock = self._deflate_lock
        if self._write_paused or self.lost or lock is not None and lock.locked():
            return False
        try:
            data = core.send_message(payload, opcode)
            self._write(data)
        except (InvalidStateError, ClientConnectionResetError):
            return False
        return True

    def _write_masked_in_place(self, payload: bytes, opcode: int) -> None:
        """Mask a large message into the thread's output buffer and write it.
        If the transport kept any of it (its write buffer is not empty), the
        buffer is left to the transport and a new one is made next time."""
        out: bytearray | None = getattr(_output, "buffer", None)
        if out is None:
            out = _output.buffer = bytearray()
        try:
            n = self.core.send_message_into(out, payload, opcode)
        except InvalidStateError as exc:
            raise ClientConnectionResetError("Cannot write to closing transport") from exc
        try:
            self._write(memoryview(out)[:n])
        finally:
            transport = self.transport
            if transport is None or transport.get_write_buffer_size():
                _output.buffer = None

    async def _send_deflated_in_order(self, payload: bytes, opcode: int) -> None:
        """Deflate (in the executor when large) and write, one message at a time.

        The compression context is shared by every message, so compression and
        write run as one shielded task: a cancelled sender cannot leave the
        peer's context out of step with ours (RFC 7692 §7.2.1)."""
        if self._deflate_lock is None:
            self._deflate_lock = asyncio.Lock()
        task = self._loop.create_task(self._deflate_and_write(self._deflate_lock, payload, opcode))
        task.add_done_callback(_consume_exception)
        await asyncio.shield(task)

    async def _deflate_and_write(self, lock: asyncio.Lock, payload: bytes, opcode: int) -> None:
        core = self.core
        codec = core.codec
        assert codec is not None
        async with lock:
            try:
                core.check_can_send_message()  # before compressing: nothing to undo
                if len(payload) >= EXECUTOR_COMPRESS_THRESHOLD:
                    compressed = await self._loop.run_in_executor(None, codec.compress, payload)
                else:
                    compressed = codec.compress(payload)
                data = core.send_compressed(compressed, opcode)
            except InvalidStateError as exc:
                raise ClientConnectionResetError("Cannot write to closing transport") from exc
            self._write(data)

    async def send_frame(self, payload: bytes, opcode: int, fin: bool = True) -> None:
        """Send one frame of any opcode (see ``WebSocketProtocol.send_frame``)."""
        if opcode == OP_CLOSE:
            await self.close(int.from_bytes(payload[:2], "big") if payload else None, payload[2:], self._close_timeout)
            return
        try:
            data = self.core.send_frame(payload, opcode, fin=fin)
        except InvalidStateError as exc:
            raise ClientConnectionResetError("Cannot write to closing transport") from exc
        if not data:  # a pong after the peer's close frame: nothing is due
            return
        self._write(data)
        await self._drain()

    # -- heartbeat -----------------------------------------------------------------

    def _hb_fire(self) -> None:
        self._hb_handle = None
        heartbeat = self._heartbeat
        assert heartbeat is not None
        core = self.core
        transport = self.transport
        if transport is None or transport.is_closing() or core.state is not State.OPEN or core.close_sent:
            return
        now = self._loop.time()
        due = self._last_rx + heartbeat
        if now < due:
            self._hb_handle = self._loop.call_at(due, self._hb_fire)
            return
        self._write(core.send_ping(b""))
        self._ping_at = now
        self._hb_handle = self._loop.call_at(now + heartbeat / 2, self._hb_check)

    def _hb_check(self) -> None:
        self._hb_handle = None
        heartbeat = self._heartbeat
        assert heartbeat is not None
        if self.lost or self.core.state is State.CLOSED:
            return
        if self._last_rx > self._ping_at:
            self._hb_handle = self._loop.call_at(self._last_rx + heartbeat, self._hb_fire)
            return
        # Our own read pause (a full receive queue) keeps the pong in the kernel
        # buffer: wait while paused, then heartbeat / 2 more after resuming.
        now = self._loop.time()
        if self._reading_paused or now < self._resumed_at + heartbeat / 2:
            later = now if self._reading_paused else self._resumed_at
            self._hb_handle = self._loop.call_at(later + heartbeat / 2, self._hb_check)
            return
        self.fail(ServerTimeoutError(f"No PONG received after {heartbeat / 2} seconds"))

    def fail(self, exc: BaseException, code: int = 1006) -> None:
        """End the connection at once, without a close handshake: close code
        *code*, ``exception`` *exc*, an ERROR message for the next ``receive()``."""
        if self.lost:
            return
        self.core.abort(code)
        if self.exception is None:
            self.exception = exc
        self._deliver(WSMessage(_ERROR, exc, None), 0)
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
        if self.lost or core.close_sent or core.state is State.CLOSED:
            deadline = None if timeout is None else self._loop.time() + timeout
            if not self.lost and core.close_sent and not self._closed_fut.done():
                await asyncio.wait({self._closed_fut}, timeout=timeout)
            if not self.lost and self._closed_fut.done():
                await self._wait_lost(deadline)  # the peer closed first: TCP ends soon (§7.1.1)
            return False
        data = core.send_close(code, reason)
        self._closing_locally = not core.close_received
        self._discard_unread()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_result(WS_CLOSING_MESSAGE)
        deadline = None if timeout is None else self._loop.time() + timeout
        try:
            self._write(data)
        except ClientConnectionResetError:
            return True
        try:
            if self.closed:  # the peer's close frame had arrived already (autoclose=False)
                self._on_closed()
            else:
                done, _ = await asyncio.wait({self._closed_fut}, timeout=timeout)
                if not done:
                    self.fail(ServerTimeoutError(f"No close frame received within {timeout} seconds"))
                    return True
            await self._wait_lost(deadline)
        except asyncio.CancelledError:
            self.abort()  # as aiohttp: a cancelled close() leaves the connection closed, not half-open
            raise
        return True

    def _discard_unread(self) -> None:
        """The application closed: data messages it has not read are dropped
        (aiohttp's behaviour) and reading resumes so the peer's close frame
        can arrive."""
        if self._queue:
            self._queue = collections.deque(m for m in self._queue if m.tp is not _TEXT and m.tp is not _BINARY)
        self._queued = 0
        if self._reading_paused:
            self._resume_reading()

    async def _wait_lost(self, deadline: float | None) -> None:
        remaining = None if deadline is None else max(0.0, deadline - self._loop.time())
        done, _ = await asyncio.wait({self._lost_fut}, timeout=remaining)
        if not done and self.transport is not None:
            self.transport.abort()
            await asyncio.wait({self._lost_fut}, timeout=1.0)

    def abort(self) -> None:
        """Drop the TCP connection at once (close code 1006 if not closed)."""
        self.core.abort(1006)
        if self.transport is not None and not self.lost:
            self.transport.abort()
