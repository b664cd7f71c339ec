"""The asyncio connection's send path (a part of ``WebSocketConnection``).

Every frame is built by the Sans-I/O core and written with one
``transport.write()``; a sender then waits for ``drain`` only while the
transport's buffer is over its high-water mark. Large compressed messages are
deflated in the default executor, one message at a time, so the deflate
context stays in step with the peer's (RFC 7692 §7.2.1); large uncompressed
client messages are masked into a reused per-thread buffer.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import TYPE_CHECKING, AsyncIterable, AsyncIterator, Iterable

from .exceptions import ClientConnectionResetError, InvalidStateError
from ._debuglog import WireLog
from ._hotpath import EXECUTOR_COMPRESS_THRESHOLD
from ._pings import Pings
from .sansio.frames import OP_CLOSE, OP_PING
from .sansio.protocol import WebSocketProtocol

__all__ = ("SendPath", "EXECUTOR_COMPRESS_THRESHOLD", "REUSED_OUTPUT_THRESHOLD")

#: Uncompressed client messages of at least this many bytes are masked into a
#: per-thread buffer, reused while the transport takes every byte at once
#: (fresh 1 MiB blocks cost page faults: see docs/performance.rst).
REUSED_OUTPUT_THRESHOLD = 128 * 1024
_output = threading.local()


async def with_fin(parts: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterator[tuple[bytes, bool]]:
    """``(part, is_last)`` for each of *parts* (sync or async); no parts at all
    give one empty last part (an empty message)."""
    pending: bytes | None = None
    if isinstance(parts, AsyncIterable):
        async for part in parts:
            if pending is not None:
                yield pending, False
            pending = part
    else:
        for part in parts:
            if pending is not None:
                yield pending, False
            pending = part
    yield pending or b"", True


def _consume_exception(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()  # reported to the sender; never "never retrieved"


class SendPath:
    """Sending for ``WebSocketConnection``, which provides the attributes below."""

    core: WebSocketProtocol
    transport: asyncio.Transport | None
    _loop: asyncio.AbstractEventLoop
    _write_paused: bool
    _drain_waiters: collections.deque[asyncio.Future[None]]
    _deflate_lock: asyncio.Lock | None
    _close_timeout: float | None
    _pings: Pings
    _log: WireLog | None
    _parts_sent: asyncio.Event | None  # set while a message in parts is going out

    if TYPE_CHECKING:

        @property
        def lost(self) -> bool: ...

        async def close(self, code: int | None, reason: bytes | str, timeout: float | None) -> bool: ...

    def _write(self, data: bytes | memoryview) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():  # a lost transport is closing, then None
            raise ClientConnectionResetError("Cannot write to closing transport")
        transport.write(data)

    def _write_logged(self, data: bytes | memoryview) -> None:
        """``_write`` while DEBUG logging is on (the connection swaps it in)."""
        assert self._log is not None
        self._log.sent(data)
        SendPath._write(self, data)

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
        if self._parts_sent is not None:  # a message in parts is going out: after it
            await self._after_parts()
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
        if self._write_paused or self.lost or lock is not None and lock.locked() or self._parts_sent is not None:
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
        if opcode == OP_PING:
            self._pings.sent(payload, self._loop.time())
        self._write(data)
        await self._drain()

    async def _after_parts(self) -> None:
        while self._parts_sent is not None:
            await self._parts_sent.wait()

    async def send_parts(
        self, parts: Iterable[bytes] | AsyncIterable[bytes], opcode: int, compress: int | bool | None = None
    ) -> None:
        """Send one TEXT or BINARY message whose payload is *parts*, each part
        one frame (RFC 6455 §5.4), without joining them: memory is one part.
        Other messages wait until it is done (pings and pongs may go between
        its frames); it waits for the previous message in parts. With
        permessage-deflate it is compressed part by part (RFC 7692 §6). If
        *parts* raises, the message cannot be finished: the connection is
        closed with 1011 and the error propagates."""
        await self._after_parts()
        done = self._parts_sent = asyncio.Event()
        core = self.core
        if self._deflate_lock is None:
            self._deflate_lock = asyncio.Lock()
        lock: asyncio.Lock | None = None
        try:
            # Compressed messages being deflated in the executor go out first
            # (they hold this lock), and later ones wait for this message.
            lock = self._deflate_lock
            await lock.acquire()
            async for part, fin in with_fin(parts):
                await self._send_part(part, opcode, fin, compress)
        except BaseException:
            if core.sending_in_parts:  # half a message is on the wire
                await self._abort_parts()
            raise
        finally:
            if lock is not None:
                lock.release()
            self._parts_sent = None
            done.set()

    async def _send_part(self, part: bytes, opcode: int, fin: bool, compress: int | bool | None) -> None:
        try:
            data = self.core.send_message_part(part, opcode, fin=fin, compress=compress)
        except InvalidStateError as exc:
            raise ClientConnectionResetError("Cannot write to closing transport") from exc
        self._write(data)
        if self._write_paused:
            await self._drain()

    async def _abort_parts(self) -> None:
        """A message in parts cannot be finished: close with 1011 (internal
        error); a close frame may follow an unfinished message (RFC 6455 §5.4)."""
        try:
            await asyncio.shield(self.close(1011, "message aborted", self._close_timeout))
        except (ClientConnectionResetError, asyncio.CancelledError):
            pass

    async def ping(self, payload: bytes, wait: bool) -> float | None:
        """Send a ping; with *wait*, wait for its pong and return the
        round-trip time in seconds. Raises ``ClientConnectionResetError`` if
        the connection closes first, ``ValueError`` for a payload over 125
        bytes."""
        if not wait:
            await self.send_frame(payload, OP_PING)
            return None
        try:
            data = self.core.send_ping(payload)
        except InvalidStateError as exc:
            raise ClientConnectionResetError("Cannot write to closing transport") from exc
        fut: asyncio.Future[float] = self._loop.create_future()

        def on_pong(rtt: float | None) -> None:
            if fut.done():
                return
            if rtt is None:
                fut.set_exception(ClientConnectionResetError("Connection closed before the pong"))
            else:
                fut.set_result(rtt)

        self._pings.sent(payload, self._loop.time(), on_pong)
        self._write(data)
        await self._drain()
        return await fut
