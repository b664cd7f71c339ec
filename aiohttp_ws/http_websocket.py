"""WebSocket value types under aiohttp's module path ``aiohttp.http_websocket``.

Re-exports only: the types live in ``models.py`` and ``exceptions.py``; the
frame reader and writer that aiohttp keeps here are ``frames.py`` and
``protocol.py`` in this package, with another API.
"""

from __future__ import annotations

from typing import Final

from .exceptions import WebSocketError
from .sansio.handshake import WS_GUID
from .models import WS_CLOSED_MESSAGE, WS_CLOSING_MESSAGE, WSCloseCode, WSMessage, WSMsgType

#: RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing, as bytes.
WS_KEY: Final[bytes] = WS_GUID.encode("ascii")

#: aiohttp types a message by its ``decode_text`` setting; here every message is
#: a ``WSMessage`` whose TEXT ``data`` is ``str`` (``decode_text=True``, the
#: default) or ``bytes`` (``decode_text=False``).
WSMessageDecodeText = WSMessage
WSMessageNoDecodeText = WSMessage
WSMessageTextBytes = WSMessage

__all__ = (
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WS_KEY",
    "WSCloseCode",
    "WSMessage",
    "WSMessageDecodeText",
    "WSMessageNoDecodeText",
    "WSMessageTextBytes",
    "WSMsgType",
    "WebSocketError",
)
