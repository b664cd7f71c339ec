"""The connection state of RFC 6455 §4 and §7 (``protocol.State`` is this enum)."""

from __future__ import annotations

import enum

__all__ = ("State",)


class State(enum.IntEnum):
    """Connection state (RFC 6455 §4, §7)."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3
