"""The asyncio connection's heartbeat (a part of ``WebSocketConnection``).

aiohttp's rule: after ``heartbeat`` seconds without inbound data a ping is
sent; if nothing at all arrives within ``heartbeat / 2`` seconds more, the
connection fails with ``ServerTimeoutError`` and close code 1006. Two loop
timers, no task; time spent with reading paused for a full receive queue is
not counted as the peer's silence.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ._inbox import Inbox
from ._pings import Pings
from .exceptions import ServerTimeoutError
from .sansio.protocol import State, WebSocketProtocol

__all__ = ("Heartbeat", "heartbeat_timeout")


def heartbeat_timeout(heartbeat: float, late: float) -> ServerTimeoutError:
    """The error of a missed pong. *late*: seconds the pong check ran after
    its due time, i.e. how long the event loop was blocked just before it
    (a blocked loop cannot read a pong that has arrived, and often delays
    the peer's view of our pings too). Sets ``loop_blocked`` on the error."""
    message = f"No PONG received after {heartbeat / 2} seconds"
    if late >= 0.01:
        message += (
            f"; the event loop was blocked for {late:.3f} s just before this check"
            " (blocking code in the loop, not the network, may be the cause)"
        )
    exc = ServerTimeoutError(message)
    exc.loop_blocked = max(late, 0.0)
    return exc


class Heartbeat:
    """Heartbeat timers for ``WebSocketConnection``, which provides the attributes below."""

    core: WebSocketProtocol
    transport: asyncio.Transport | None
    _loop: asyncio.AbstractEventLoop
    _heartbeat: float | None
    _hb_handle: asyncio.TimerHandle | None
    _last_rx: float
    _ping_at: float
    _resumed_at: float
    _pings: Pings
    _inbox: Inbox

    if TYPE_CHECKING:

        @property
        def lost(self) -> bool: ...

        def _write(self, data: bytes | memoryview) -> None: ...

        def fail(self, exc: BaseException, code: int = 1006) -> None: ...

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
        self._pings.sent(b"", now)  # the pong gives ``latency``
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
        paused = self._inbox.paused
        if paused or now < self._resumed_at + heartbeat / 2:
            later = now if paused else self._resumed_at
            self._hb_handle = self._loop.call_at(later + heartbeat / 2, self._hb_check)
            return
        self.fail(heartbeat_timeout(heartbeat, now - (self._ping_at + heartbeat / 2)))
