"""The anyio connection's send path and heartbeat (a part of ``AnyioConnection``).

Each frame is built by the Sans-I/O core and written under the connection's
one write lock, so frames never interleave and the permessage-deflate context
stays in step with the peer's (RFC 7692 §7.2.1); messages of 64 KiB or more
are deflated in a worker thread. A write cancelled midway may have put part
of a frame on the wire, so it ends the connection (close code 1006).

The heartbeat is aiohttp's rule: a ping after ``heartbeat`` seconds without
inbound data; nothing within ``heartbeat / 2`` more fails the connection with
``ServerTimeoutError`` (1006). Time with reading stopped for a full receive
queue does not count as the peer's silence.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, AsyncIterable, AsyncIterator, Awaitable, Iterable

import anyio
import anyio.abc

from .._inbox import Inbox
from .._send import EXECUTOR_COMPRESS_THRESHOLD, with_fin
from ..exceptions import ClientConnectionResetError, InvalidStateError
from .._heartbeat import heartbeat_timeout
from .._debuglog import WireLog
from .._pings import Pings
from ..sansio.frames import OP_CLOSE, OP_PING
from ..sansio.protocol import State, WebSocketProtocol

__all__ = ("AnyioSendPath",)

_STREAM_ENDED = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)


class AnyioSendPath:
    """Sending and the heartbeat for ``AnyioConnection``, which provides the
    attributes below."""

    core: WebSocketProtocol
    _stream: anyio.abc.ByteStream
    _write_lock: anyio.Lock
    _close_timeout: float | None
    _inbox: Inbox
    _last_rx: float
    _resumed_at: float
    _pings: Pings
    _parts_sent: anyio.Event | None
    _log: WireLog | None

    if TYPE_CHECKING:

        @property
        def lost(self) -> bool: ...

        def abort(self) -> None: ...

        async def close(self, code: int | None, reason: bytes | str, timeout: float | None) -> bool: ...

        async def _fail(self, exc: BaseException, code: int = 1006) -> None: ...

    async def _write(self, data: bytes) -> None:
        """Write *data* whole, under the write lock. A write cancelled midway
        may have put part of a frame on the wire, so it ends the connection."""
        if self.lost:
            raise ClientConnectionResetError("Cannot write to closing transport")
        async with self._write_lock:
            await self._write_locked(data)

    async def _write_locked(self, data: bytes) -> None:
        if self.lost:
            raise ClientConnectionResetError("Cannot write to closing transport")
        if self._log is not None:
            self._log.sent(data)
        try:
            await self._stream.send(data)
        except anyio.get_cancelled_exc_class():
            self.abort()
            raise
        except _STREAM_ENDED as exc:
            raise ClientConnectionResetError(f"Cannot write to closing transport: {exc!r}") from exc

    def write_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> Awaitable[None] | None:
        """What to await to send one whole message: ``send_message`` (writes
        on this layer always go through the write lock)."""
        return self.send_message(payload, opcode, compress)

    async def send_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> None:
        """Send one whole TEXT or BINARY message. *compress* as the asyncio
        layer's; messages of 64 KiB or more are deflated in a worker thread.
        Raises ``ClientConnectionResetError`` once closing has started."""
        core = self.core
        async with self._message_turn():
            try:
                if core.will_compress(compress) and len(payload) >= EXECUTOR_COMPRESS_THRESHOLD:
                    core.check_can_send_message()
                    codec = core.codec
                    assert codec is not None
                    compressed = await anyio.to_thread.run_sync(codec.compress, payload)
                    data = core.send_compressed(compressed, opcode)
                else:
                    data = core.send_message(payload, opcode, compress)
            except InvalidStateError as exc:
                raise ClientConnectionResetError("Cannot write to closing transport") from exc
            await self._write_locked(data)
            held = core.data_to_send()  # pongs held while this write had the stream
            if held:
                await self._write_locked(b"".join(held))

    async def _after_parts(self) -> None:
        while self._parts_sent is not None:
            await self._parts_sent.wait()

    @contextlib.asynccontextmanager
    async def _message_turn(self) -> AsyncIterator[None]:
        """The write lock, at a moment no message in parts is going out."""
        while True:
            await self._after_parts()
            await self._write_lock.acquire()
            if self._parts_sent is None:
                break
            self._write_lock.release()
        try:
            yield
        finally:
            self._write_lock.release()

    async def send_parts(
        self, parts: Iterable[bytes] | AsyncIterable[bytes], opcode: int, compress: int | bool | None = None
    ) -> None:
        """Send one message whose payload is *parts*, each part one frame,
        without joining them; the asyncio layer's ``send_parts``. The write
        lock is taken per part, so pings and pongs may go between frames,
        while other messages wait for this one. If *parts* raises, the
        connection is closed with 1011 and the error propagates."""
        await self._after_parts()
        done = self._parts_sent = anyio.Event()
        try:
            async for part, fin in with_fin(parts):
                await self._send_part(part, opcode, fin, compress)
        except BaseException:
            if self.core.sending_in_parts:  # half a message is on the wire
                with anyio.CancelScope(shield=True):
                    try:
                        await self.close(1011, "message aborted", self._close_timeout)
                    except ClientConnectionResetError:
                        pass
            raise
        finally:
            self._parts_sent = None
            done.set()

    async def _send_part(self, part: bytes, opcode: int, fin: bool, compress: int | bool | None) -> None:
        async with self._write_lock:
            try:
                data = self.core.send_message_part(part, opcode, fin=fin, compress=compress)
            except InvalidStateError as exc:
                raise ClientConnectionResetError("Cannot write to closing transport") from exc
            await self._write_locked(data)

    async def send_frame(self, payload: bytes, opcode: int, fin: bool = True) -> None:
        """Send one frame of any opcode (see ``WebSocketProtocol.send_frame``)."""
        if opcode == OP_CLOSE:
            await self.close(int.from_bytes(payload[:2], "big") if payload else None, payload[2:], self._close_timeout)
            return
        async with self._write_lock:
            try:
                data = self.core.send_frame(payload, opcode, fin=fin)
            except InvalidStateError as exc:
                raise ClientConnectionResetError("Cannot write to closing transport") from exc
            if opcode == OP_PING:
                self._pings.sent(payload, anyio.current_time())
            if data:  # b"": a pong after the peer's close frame, nothing is due
                await self._write_locked(data)

    async def ping(self, payload: bytes, wait: bool) -> float | None:
        """Send a ping; with *wait*, wait for its pong and return the
        round-trip time in seconds. Raises ``ClientConnectionResetError`` if
        the connection closes first, ``ValueError`` for over 125 bytes."""
        if not wait:
            await self.send_frame(payload, OP_PING)
            return None
        answered = anyio.Event()
        rtts: list[float | None] = []

        def on_pong(rtt: float | None) -> None:
            rtts.append(rtt)
            answered.set()

        async with self._write_lock:
            try:
                data = self.core.send_ping(payload)
            except InvalidStateError as exc:
                raise ClientConnectionResetError("Cannot write to closing transport") from exc
            self._pings.sent(payload, anyio.current_time(), on_pong)
            await self._write_locked(data)
        await answered.wait()
        if rtts[0] is None:
            raise ClientConnectionResetError("Connection closed before the pong")
        return rtts[0]

    async def _heartbeat_loop(self, heartbeat: float) -> None:
        core = self.core
        while True:
            await anyio.sleep_until(self._last_rx + heartbeat)
            if core.state is not State.OPEN or core.close_sent or self.lost:
                return
            if anyio.current_time() < self._last_rx + heartbeat:
                continue
            ping_at = anyio.current_time()
            try:
                async with self._write_lock:
                    data = core.send_ping(b"")
                    self._pings.sent(b"", ping_at)  # the pong gives ``latency``
                    await self._write_locked(data)
            except (ClientConnectionResetError, InvalidStateError):
                return
            due = ping_at + heartbeat / 2
            await anyio.sleep_until(due)
            # Our own read pause (a full queue) keeps the pong unread: wait
            # while paused, then heartbeat / 2 more after reading resumes.
            while self._last_rx <= ping_at and (
                self._inbox.paused or anyio.current_time() < self._resumed_at + heartbeat / 2
            ):
                due = anyio.current_time() + heartbeat / 2
                await anyio.sleep_until(due)
            if self._last_rx <= ping_at:
                await self._fail(heartbeat_timeout(heartbeat, anyio.current_time() - due))
                return
