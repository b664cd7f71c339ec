"""Receiving a message part by part, for both I/O layers.

With ``WebSocketProtocol.stream_fragments`` on, a message in several frames
(or a compressed one) reaches the queue as CONTINUATION parts, ``extra`` =
``(TEXT or BINARY, fin)``. ``receive_part()`` hands them out one by one
(``receive_stream()``); a whole ``receive()`` joins them, so code that never
streams sees whole messages. Pure logic over the connection's ``receive``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._inbox import Inbox
from .models import WSMessage, WSMsgType
from .sansio.protocol import WebSocketProtocol

__all__ = ("PartReceiving",)

_CHUNK = WSMsgType.CONTINUATION


class PartReceiving:
    """Mixed into a connection, which provides ``core``, ``_inbox``,
    ``receive(timeout, whole)`` and ``_now()`` (its clock, in seconds)."""

    core: WebSocketProtocol
    _inbox: Inbox
    #: A streamed message is being read part by part and is not finished.
    part_open = False

    if TYPE_CHECKING:

        async def receive(self, timeout: float | None = None, whole: bool = True) -> WSMessage: ...

        def _now(self) -> float: ...

    def stream_messages(self) -> None:
        """From the next frame on, messages in several frames (or compressed)
        arrive part by part."""
        self.core.stream_fragments = True

    async def receive_part(self, timeout: float | None = None) -> WSMessage:
        """The next message, or the next part of a streamed message. While a
        message is read part by part, ``part_open`` is true; a whole
        ``receive()`` first drops the rest of that message (its reader gave up)."""
        return await self.receive(timeout, whole=False)

    async def _on_part(self, msg: WSMessage, timeout: float | None, whole: bool) -> WSMessage:
        """``receive()`` took the part *msg*."""
        if not whole:
            self.part_open = not msg.extra[1]
            return msg
        if self.part_open:  # the rest of a message whose reader stopped early: drop it
            while not msg.extra[1]:
                msg = await self.receive(timeout, whole=False)
                if msg.tp is not _CHUNK:
                    self.part_open = False
                    return msg
            self.part_open = False
            return await self.receive(timeout)
        return await self._join_parts(msg, timeout)

    async def _join_parts(self, first: WSMessage, timeout: float | None) -> WSMessage:
        """The whole message *first* begins. If the wait is cut short (timeout,
        cancellation) the parts taken go back to the queue as one part, so
        nothing is lost; an ERROR or the end of the connection before the
        last part is returned instead (the incomplete message is dropped)."""
        kind, fin = first.extra
        parts = [first.data]
        deadline = None if not timeout else self._now() + timeout
        try:
            while not fin:
                remaining = None if deadline is None else max(deadline - self._now(), 1e-9)
                msg = await self.receive(remaining, whole=False)
                if msg.tp is not _CHUNK:
                    return msg
                parts.append(msg.data)
                fin = msg.extra[1]
        except BaseException:
            self.part_open = False
            self._inbox.put_back(WSMessage(_CHUNK, parts[0][:0].join(parts), (kind, False)))
            raise
        return WSMessage(kind, parts[0][:0].join(parts), None)
