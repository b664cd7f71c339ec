"""The members of ``WSMsgType`` and ``State`` as plain module constants, for
code that tests them per message or per frame: on Python 3.11 reading a
member through its enum class (``WSMsgType.TEXT``) costs about 100 ns, a
module global 7 (counted by valgrind: it was 6-10 % of a 64-byte echo)."""

from __future__ import annotations

from ..models import WSMsgType
from .state import State

MSG_TEXT = WSMsgType.TEXT
MSG_BINARY = WSMsgType.BINARY
#: A part of a streamed message (``WebSocketProtocol.stream_fragments``).
MSG_CHUNK = WSMsgType.CONTINUATION
MSG_PING = WSMsgType.PING
MSG_PONG = WSMsgType.PONG
MSG_CLOSE = WSMsgType.CLOSE
MSG_CLOSING = WSMsgType.CLOSING
MSG_CLOSED = WSMsgType.CLOSED
MSG_ERROR = WSMsgType.ERROR

STATE_CONNECTING = State.CONNECTING
STATE_OPEN = State.OPEN
STATE_CLOSING = State.CLOSING
STATE_CLOSED = State.CLOSED
