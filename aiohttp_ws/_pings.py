"""Pings sent and not yet answered: round-trip times for both I/O layers.

Pure bookkeeping, no I/O. A pong answers the oldest outstanding ping with the
same payload, so pings with equal payloads are matched in order and never
confused; it also acknowledges every ping sent before that one (RFC 6455
§5.5.3 lets a peer answer only the most recent of several pings). A pong that
answers no ping (unsolicited, §5.5.3) changes nothing.
"""

from __future__ import annotations

import collections
from typing import Callable, Optional, Tuple

__all__ = ("Pings", "MAX_OUTSTANDING_PINGS")

#: Pings remembered while unanswered; sending one more forgets the oldest
#: (its waiter, if any, is told that no pong will come).
MAX_OUTSTANDING_PINGS = 1024

OnPong = Callable[[Optional[float]], None]  # the round-trip time in seconds, or None: no pong will come


class Pings:
    """Outstanding pings, oldest first, and ``latency``: the round-trip time
    in seconds of the last ping answered (heartbeat or application), or
    ``None`` before the first."""

    __slots__ = ("outstanding", "latency")

    def __init__(self) -> None:
        self.outstanding: collections.deque[Tuple[bytes, float, Optional[OnPong]]] = collections.deque()
        self.latency: float | None = None

    def sent(self, payload: bytes, at: float, on_pong: OnPong | None = None) -> None:
        """A ping with *payload* went out at time *at* (the loop's clock);
        *on_pong* is called with the round-trip time when it is answered."""
        if len(self.outstanding) >= MAX_OUTSTANDING_PINGS:
            _, _, dropped = self.outstanding.popleft()
            if dropped is not None:
                dropped(None)
        self.outstanding.append((payload, at, on_pong))

    def pong(self, payload: bytes, at: float) -> None:
        """A pong with *payload* arrived at time *at*."""
        outstanding = self.outstanding
        for index, entry in enumerate(outstanding):
            if entry[0] == payload:
                break
        else:
            return  # unsolicited
        for _ in range(index + 1):
            _, sent_at, on_pong = outstanding.popleft()
            if on_pong is not None:
                on_pong(at - sent_at)
        self.latency = at - sent_at

    def abandon(self) -> None:
        """The connection ended: no pong will come for any outstanding ping."""
        if not self.outstanding:
            return
        outstanding, self.outstanding = self.outstanding, collections.deque()
        for _, _, on_pong in outstanding:
            if on_pong is not None:
                on_pong(None)
