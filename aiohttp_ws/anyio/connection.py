"""The connection's reader over an anyio byte stream (asyncio or trio).

The same rules as the asyncio layer (``aiohttp_ws.connection``), on anyio's
primitives: a reader task feeds received bytes through the Sans-I/O core,
writes pongs and the close reply at once and queues data messages for
``receive()``; the queue counts payload bytes and the reader stops reading
above a high-water mark until ``receive()`` takes it below the low one. Writes
are serialized by one lock, each frame built and written under it, so frames
never interleave and the permessage-deflate context stays in step with the
peer's (RFC 7692 §7.2.1).

The reader, the heartbeat and the close timers run in a task group that
``run()`` opens; ``aiohttp_ws.anyio.connect`` and ``serve`` own it.
"""

from __future__ import annotations

import math
from typing import Any

import anyio
import anyio.abc
from anyio.streams.tls import TLSAttribute

from .._debuglog import wire_log
from .._inbox import DEFAULT_MAX_QUEUE_BYTES, Inbox
from .._parts import PartReceiving
from .._pings import Pings
from ..connection import CLOSE_LINGER, FAILURE_GRACE
from ..exceptions import ClientConnectionResetError, ServerTimeoutError
from ..models import WS_CLOSED_MESSAGE, WS_CLOSING_MESSAGE, WSMessage
from ..sansio.frames import build_close_payload
from ..sansio.protocol import WebSocketProtocol
from ._send import AnyioSendPath
from ..sansio._members import MSG_BINARY, MSG_CHUNK, MSG_ERROR, MSG_PONG, MSG_TEXT, STATE_CLOSED

__all__ = ("AnyioConnection",)

#: Bytes asked of the stream per read.
READ_SIZE = 256 * 1024
#: ``get_extra_info`` names (asyncio's) and the anyio typed attributes behind them.
_EXTRA: dict[str, Any] = {
    "peername": anyio.abc.SocketAttribute.remote_address,
    "sockname": anyio.abc.SocketAttribute.local_address,
    "socket": anyio.abc.SocketAttribute.raw_socket,
    "ssl_object": TLSAttribute.ssl_object,
    "peercert": TLSAttribute.peer_certificate,
    "cipher": TLSAttribute.cipher,
}


class AnyioConnection(AnyioSendPath, PartReceiving):
    """Drives a ``WebSocketProtocol`` over an ``anyio.abc.ByteStream``.

    Args:
        core: the Sans-I/O state machine, already OPEN.
        stream: the connected byte stream (TCP, TLS, Unix, or any other).
        heartbeat: seconds without inbound data before a ping; no data
            within ``heartbeat / 2`` more fails the connection with
            ``ServerTimeoutError`` and close code 1006 (aiohttp's rule).
        max_queue_bytes: high-water mark of unread messages in payload bytes
            (characters for text), or ``(high, low)``.
        close_timeout: seconds ``close()`` waits for the peer's close frame and
            then for the stream to end.

    The asyncio layer's ``WebSocketConnection`` has the same contract; the
    public classes (``ClientWebSocketResponse``, ``ServerWebSocket``) work on
    either.
    """

    def __init__(
        self,
        core: WebSocketProtocol,
        stream: anyio.abc.ByteStream,
        *,
        heartbeat: float | None = None,
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
        close_timeout: float | None = 10.0,
    ) -> None:
        self.core = core
        self.exception: BaseException | None = None
        self._stream = stream
        self._inbox = Inbox(max_queue_bytes, self._resume)
        self._log = wire_log(core.is_client, stream.extra(anyio.abc.SocketAttribute.remote_address, None))
        self._pings = Pings()
        self._parts_sent: anyio.Event | None = None  # set while a message in parts is going out
        self._heartbeat = heartbeat
        self._close_timeout = close_timeout
        self._write_lock = anyio.Lock()
        self._arrived = anyio.Event()  # replaced by each waiting receive()
        self._room = anyio.Event()  # replaced each time reading pauses
        self._closed_event = anyio.Event()  # the core reached CLOSED
        self._lost_event = anyio.Event()  # the stream is gone
        self._receiving = False
        self._closing_wakeup = False  # close() began while a receive() was waiting
        self._resumed_at = -math.inf
        self._last_rx = anyio.current_time()
        self._tg: anyio.abc.TaskGroup | None = None
        self._run_scope = anyio.CancelScope(shield=True)
        self._failure_timer: anyio.CancelScope | None = None

    # -- running -----------------------------------------------------------------

    async def run(self, leftover: bytes = b"") -> None:
        """The reader: feed *leftover* (bytes that followed the HTTP head),
        then every read, until the stream ends or ``stop()``. Runs the
        heartbeat beside it. It is shielded from the cancellation of the
        scopes around it, so that a cancelled application can still complete
        the close handshake (bounded by ``close_timeout``) before ``stop()``."""
        with self._run_scope:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                if self._heartbeat:
                    tg.start_soon(self._heartbeat_loop, self._heartbeat)
                try:
                    if leftover:
                        await self._feed(leftover)
                    await self._read_loop()
                finally:
                    tg.cancel_scope.cancel()
                    self._tg = None

    def stop(self) -> None:
        """End ``run()`` (after ``close()``, or to abandon the connection)."""
        self._run_scope.cancel()

    async def _read_loop(self) -> None:
        stream = self._stream
        while not self._lost_event.is_set():
            if self._inbox.paused:
                self._room = room = anyio.Event()
                await room.wait()
                self._resumed_at = anyio.current_time()
                continue
            try:
                data = await stream.receive(READ_SIZE)
            except anyio.EndOfStream:
                await self._lost(None)
                return
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                await self._lost(exc)
                return
            await self._feed(data)

    async def _feed(self, data: bytes) -> None:
        core = self.core
        messages = core.receive_data(data)
        if self._log is not None:
            self._log.received(messages)
        self._last_rx = now = anyio.current_time()
        if self._pings.outstanding:
            for msg in messages:
                if msg.tp is MSG_PONG:
                    self._pings.pong(msg.data, now)
        # Queue first, then write the replies: while a write waits, receive()
        # must already see what the core has accepted (the CLOSE, say).
        for msg in self._inbox.wanted(messages, core.autoping):
            if msg.tp is MSG_ERROR:
                self.exception = msg.data
            self._deliver(msg)
        await self._flush_replies()
        if core.failing and self._failure_timer is None:
            data_came = any(m.tp is MSG_TEXT or m.tp is MSG_BINARY for m in messages) or self._inbox.queued
            if data_came and self._tg is not None:
                # Grace, as the asyncio layer: the application may still answer
                # the messages before the violation; taking the ERROR or
                # calling close() ends it at once.
                self._failure_timer = anyio.CancelScope()
                self._tg.start_soon(self._failure_grace, self._failure_timer)
            else:
                await self._finish_failure()
        elif core.state is STATE_CLOSED:
            await self._on_closed()

    async def _flush_replies(self) -> None:
        """Write what the core produced on its own (pongs, the close reply).
        While another write holds the stream, pongs wait in the core, only
        the latest kept (RFC 6455 §5.5.3); the next write takes them."""
        out = self.core.data_to_send(hold_pongs=self._write_lock.locked())
        if out:
            try:
                await self._write(b"".join(out))
            except ClientConnectionResetError:
                pass  # the stream ended: the reader sees it next

    async def _failure_grace(self, scope: anyio.CancelScope) -> None:
        with scope:
            await anyio.sleep(FAILURE_GRACE)
        if not scope.cancelled_caught:  # else receive() or close() finished it
            await self._finish_failure()

    async def _finish_failure(self) -> None:
        if self._failure_timer is not None:
            self._failure_timer.cancel()
        data = self.core.finish_failure()
        if data:
            try:
                await self._write(data)
            except ClientConnectionResetError:
                pass
        await self._on_closed()

    async def _lost(self, exc: BaseException | None) -> None:
        if self._lost_event.is_set():
            return
        core = self.core
        clean = core.close_received and core.close_sent
        core.receive_eof()
        if not clean and exc is not None and self.exception is None:
            err = ClientConnectionResetError(f"Connection lost: {exc}")
            err.__cause__ = exc
            self.exception = err
            self._deliver(WSMessage(MSG_ERROR, err, None))
        self._lost_event.set()
        self._closed_event.set()
        self._arrived.set()
        self._room.set()
        if self._log is not None:
            self._log.event("stream ended (%r); close code %s", exc, core.close_code)
        await self._close_stream()

    async def _close_stream(self) -> None:
        self._pings.abandon()
        with anyio.CancelScope(shield=True):
            try:
                await self._stream.aclose()
            except Exception:  # already broken: nothing more to release
                pass
        self._lost_event.set()
        self._arrived.set()

    async def _on_closed(self) -> None:
        """The core reached CLOSED: end the stream when it is our turn (at once
        for a server or a failure; a client lets the server close first,
        RFC 6455 §7.1.1, for at most ``CLOSE_LINGER`` seconds)."""
        if self._closed_event.is_set():
            return
        self._closed_event.set()
        self._arrived.set()
        self._pings.abandon()
        core = self.core
        if self._log is not None:
            self._log.event("closed: code %s reason %r exception %r", core.close_code, core.close_reason, self.exception)
        if core.is_client and core.exception is None and core.close_received and self._tg is not None:
            linger = CLOSE_LINGER if self._close_timeout is None else min(CLOSE_LINGER, self._close_timeout)
            self._tg.start_soon(self._linger, linger)
        else:
            await self._close_stream()

    async def _linger(self, seconds: float) -> None:
        with anyio.move_on_after(seconds):
            await self._lost_event.wait()
        await self._close_stream()

    # -- state -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """The close handshake completed, the connection failed, or the stream ended."""
        return self.core.state is STATE_CLOSED

    @property
    def lost(self) -> bool:
        """The stream is gone."""
        return self._lost_event.is_set()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """asyncio's names (``"peername"``, ``"sockname"``, ``"socket"``,
        ``"ssl_object"``, ``"peercert"``, ``"cipher"``) mapped to anyio's
        typed attributes; *default* for others and once the stream is gone."""
        attribute = _EXTRA.get(name)
        if attribute is None or self.lost:
            return default
        return self._stream.extra(attribute, default)

    @property
    def queued_bytes(self) -> int:
        """Payload bytes (characters for text) waiting for ``receive()``."""
        return self._inbox.queued

    @property
    def latency(self) -> float | None:
        """Round-trip time in seconds of the last ping answered, or ``None``."""
        return self._pings.latency

    @property
    def reading_paused(self) -> bool:
        """Reading stopped because the receive queue is over its high-water mark."""
        return self._inbox.paused

    # -- receiving ---------------------------------------------------------------

    def _deliver(self, msg: WSMessage) -> None:
        self._inbox.put(msg)  # the reader checks ``paused`` before its next read
        self._arrived.set()

    def _pop(self) -> WSMessage:
        return self._inbox.take()

    def _resume(self) -> None:
        self._room.set()

    def receive_nowait(self) -> WSMessage | None:
        """Always ``None``: on this layer taking a message may wait (for the
        failure's close frame to be written), so ``receive()`` takes them all."""
        return None

    def message_waiter(self) -> None:
        """Always ``None``: ``receive()`` does all the waiting on this layer."""
        return None

    def drop_waiter(self, fut: object) -> None:
        """Never called (``message_waiter`` gives no future)."""
        raise NotImplementedError

    async def settle(self, msg: WSMessage, timeout: float | None = None, whole: bool = True) -> WSMessage:
        """Never called (``message_waiter`` gives no future)."""
        raise NotImplementedError

    async def receive(self, timeout: float | None = None, whole: bool = True) -> WSMessage:
        """The next message; CLOSED once no more can come. A streamed message
        is joined from its parts unless *whole* is false (``receive_part``).

        Raises ``TimeoutError`` after *timeout* seconds (the connection stays
        open) and ``RuntimeError`` if another task is already waiting. A
        cancelled ``receive()`` loses nothing: the message stays queued.
        """
        if self._inbox.messages:
            msg = await self._delivered(self._pop())
            return msg if msg.tp is not MSG_CHUNK else await self._on_part(msg, timeout, whole)
        core = self.core
        if core.close_received and not core.close_sent and not self.lost:
            await self.close(1000, b"", self._close_timeout)  # autoclose=False: reply now, as aiohttp
        if core.state is STATE_CLOSED or core.close_received or core.close_sent or self.lost:
            return WS_CLOSED_MESSAGE
        if self._receiving:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        self._receiving = True
        self._closing_wakeup = False
        try:
            with anyio.fail_after(timeout):
                while not self._inbox.messages and not self._closing_wakeup and not self._closed_event.is_set():
                    self._arrived = arrived = anyio.Event()
                    await arrived.wait()
        finally:
            self._receiving = False
        if self._inbox.messages:
            msg = await self._delivered(self._pop())
            return msg if msg.tp is not MSG_CHUNK else await self._on_part(msg, timeout, whole)
        return WS_CLOSING_MESSAGE if self._closing_wakeup else WS_CLOSED_MESSAGE

    def _now(self) -> float:
        return anyio.current_time()

    async def _delivered(self, msg: WSMessage) -> WSMessage:
        """A failure's ERROR is returned only after its close frame is on the
        wire (aiohttp's order)."""
        if msg.tp is MSG_ERROR and self.core.failing:
            await self._finish_failure()
        return msg

    async def _fail(self, exc: BaseException, code: int = 1006) -> None:
        """End at once without a close handshake: *code*, ``exception``, and
        an ERROR message for the next ``receive()``."""
        if self.lost:
            return
        self.core.abort(code)
        if self.exception is None:
            self.exception = exc
        self._deliver(WSMessage(MSG_ERROR, exc, None))
        self._closed_event.set()
        await self._close_stream()

    # -- closing ---------------------------------------------------------------------

    async def close(self, code: int | None, reason: bytes | str, timeout: float | None) -> bool:
        """Start (or finish) the close handshake and wait for it, at most
        *timeout* seconds, then for the stream to end. Returns ``False`` if
        it was already closed or closing, or had failed (then the failure's
        close frame goes out, never *code*). Raises ``ValueError`` for an
        invalid code or reason (nothing is sent). On timeout the connection
        is aborted, ``close_code`` 1006, ``exception`` a ``ServerTimeoutError``.
        A cancelled ``close()`` aborts the connection."""
        core = self.core
        if core.failing:
            await self._finish_failure()
            return False
        try:
            if self.lost or core.close_sent or core.state is STATE_CLOSED:
                with anyio.move_on_after(timeout):
                    await self._closed_event.wait()
                    await self._lost_event.wait()
                return False
            build_close_payload(code, reason)  # ValueError for a bad code or reason, before anything
            answered = False  # the reader answered the peer's close frame while we waited for the lock
            with anyio.move_on_after(timeout) as scope:
                async with self._write_lock:
                    if core.close_sent or self.closed:
                        answered = True
                        data = b""
                    else:
                        data = core.send_close(code, reason)
                    self._inbox.drop_unread(closing_locally=not core.close_received)
                    self._room.set()  # reading resumes, so the peer's close frame can arrive
                    if self._receiving:  # a task waiting in receive() gets CLOSING
                        self._closing_wakeup = True
                        self._arrived.set()
                    try:
                        if data:
                            await self._write_locked(data)
                    except ClientConnectionResetError:
                        return True
                if self.closed:  # the peer's close frame had arrived already (autoclose=False)
                    await self._on_closed()
                await self._closed_event.wait()
                await self._lost_event.wait()
            if scope.cancelled_caught:
                if not self._closed_event.is_set():
                    await self._fail(ServerTimeoutError(f"No close frame received within {timeout} seconds"))
                else:
                    await self._close_stream()
        except anyio.get_cancelled_exc_class():
            self.abort()  # as aiohttp: a cancelled close() leaves the connection closed, not half-open
            raise
        return not answered

    def abort(self) -> None:
        """Drop the connection at once (close code 1006 if not closed); the
        stream is closed by the connection's task group."""
        self.core.abort(1006)
        self._pings.abandon()
        self._closed_event.set()
        self._arrived.set()
        self._room.set()
        if self._tg is not None and not self.lost:
            self._tg.start_soon(self._close_stream)
        elif not self.lost:
            self._lost_event.set()
