"""Messages waiting for ``receive()``: the delivery rules both I/O layers share.

Pure bookkeeping, no I/O: which messages the application sees, the queue
counted in payload bytes (characters for text), and when reading should
pause (above the high-water mark) and resume (at or below the low one). The
asyncio connection pauses its transport, the anyio one stops reading.
"""

from __future__ import annotations

import collections
from typing import Callable

from .models import WSMessage
from .sansio._members import MSG_BINARY, MSG_CHUNK, MSG_CLOSE, MSG_ERROR, MSG_PING, MSG_PONG, MSG_TEXT

__all__ = ("Inbox", "DEFAULT_MAX_QUEUE_BYTES")

#: Default high-water mark of the receive queue, in payload bytes (1 MiB); the
#: low-water mark defaults to a quarter of it.
DEFAULT_MAX_QUEUE_BYTES = 1024 * 1024

_DATA = (MSG_TEXT, MSG_BINARY, MSG_CHUNK)


class Inbox:
    """The receive queue of one connection.

    Args:
        max_queue_bytes: high-water mark in payload bytes, or ``(high, low)``;
            the low-water mark defaults to a quarter of the high one. Raises
            ``ValueError`` unless ``0 <= low <= high``.

    ``closing_locally`` is set once this side's ``close()`` began: from then on
    data messages and the peer's CLOSE are not delivered (aiohttp's rule).
    The asyncio connection inlines ``wanted`` and ``put`` in its per-message
    path (the same rules; ``tests/test_client_ws.py`` and the anyio tests
    check both layers against the same peers).
    """

    __slots__ = ("messages", "queued", "high", "low", "paused", "closing_locally", "on_resume")

    def __init__(
        self,
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
        on_resume: Callable[[], None] = lambda: None,
    ) -> None:
        if isinstance(max_queue_bytes, tuple):
            self.high, self.low = max_queue_bytes
        else:
            self.high, self.low = max_queue_bytes, max_queue_bytes // 4
        if not 0 <= self.low <= self.high:
            raise ValueError("max_queue_bytes needs 0 <= low <= high")
        self.messages: collections.deque[WSMessage] = collections.deque()
        self.queued = 0  # payload bytes of the data messages queued
        self.paused = False  # reading is paused because the queue is over ``high``
        self.closing_locally = False
        #: Called when reading should resume (the queue fell to ``low`` while paused).
        self.on_resume = on_resume

    def wanted(self, messages: list[WSMessage], autoping: bool) -> list[WSMessage]:
        """The messages the application gets: data (TEXT, BINARY, parts of a
        streamed message) and CLOSE unless this side is closing, every ERROR,
        PING/PONG only without autoping."""
        closing = self.closing_locally
        if autoping and not closing:  # the usual case: only PING/PONG are not for the application
            for msg in messages:
                if msg.tp is MSG_PING or msg.tp is MSG_PONG:
                    break
            else:
                return messages
        return [
            msg
            for msg in messages
            if (msg.tp in _DATA or msg.tp is MSG_CLOSE)
            and not closing
            or msg.tp is MSG_ERROR
            or (msg.tp not in _DATA and msg.tp is not MSG_CLOSE and not autoping)
        ]

    def put(self, msg: WSMessage) -> None:
        """Queue *msg*; over the high-water mark ``paused`` becomes true (the
        reader stops reading until ``take()`` calls ``on_resume``)."""
        self.messages.append(msg)
        if msg.tp in _DATA:
            self.queued += len(msg.data)
            if self.queued > self.high:
                self.paused = True

    def take(self) -> WSMessage:
        """The oldest message; ``on_resume()`` is called when the queue falls to
        the low-water mark while paused."""
        msg = self.messages.popleft()
        tp = msg.tp
        if tp is MSG_BINARY or tp is MSG_TEXT or tp is MSG_CHUNK:
            self.queued -= len(msg.data)
            if self.paused and self.queued <= self.low:
                self.paused = False
                self.on_resume()
        return msg

    def put_back(self, msg: WSMessage) -> None:
        """Return a message taken by a receiver that was cancelled."""
        self.messages.appendleft(msg)
        if msg.tp in _DATA:
            self.queued += len(msg.data)

    def drop_unread(self, closing_locally: bool) -> bool:
        """This side's ``close()`` began: unread data messages are dropped
        (aiohttp's behaviour); with *closing_locally* (the peer had not closed
        first) later ones and the peer's CLOSE are not delivered either.
        ``True`` when reading should resume, so the peer's close frame can
        arrive."""
        self.closing_locally = closing_locally
        if self.messages:
            self.messages = collections.deque(m for m in self.messages if m.tp not in _DATA)
        self.queued = 0
        resume, self.paused = self.paused, False
        return resume
