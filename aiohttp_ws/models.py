"""Public value types: message types, close codes, messages and timeout settings.

Names and values mirror aiohttp (``aiohttp.WSMsgType``, ``aiohttp.WSCloseCode``,
``aiohttp.WSMessage``, ``aiohttp.ClientWSTimeout``, ``aiohttp.ClientTimeout``,
``aiohttp.BasicAuth``) so that aiohttp programs run unchanged.
"""

from __future__ import annotations

import base64
import enum
import json
from typing import Any, Callable, NamedTuple

import attrs
from multidict import CIMultiDictProxy
from yarl import URL

__all__ = (
    "WSMsgType",
    "MsgType",
    "WSCloseCode",
    "WSMessage",
    "Message",
    "ClientWSTimeout",
    "ClientTimeout",
    "BasicAuth",
    "RequestInfo",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "encode_basic_auth",
)


class WSMsgType(enum.IntEnum):
    """Type of a :class:`WSMessage`.

    The data types carry their RFC 6455 §5.2 opcode as value (TEXT = 0x1,
    BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xA); CLOSING, CLOSED and
    ERROR are local states that never appear on the wire (aiohttp's values).
    """

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    # aiohttp keeps lower-case aliases for old code (``MsgType.text``).
    continuation = CONTINUATION
    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


MsgType = WSMsgType


class WSCloseCode(enum.IntEnum):
    """Close codes registered by RFC 6455 §7.4.1 and the IANA registry.

    NO_STATUS_RECEIVED (1005), ABNORMAL_CLOSURE (1006) and TLS_HANDSHAKE (1015)
    are reported locally and never sent on the wire.
    """

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


class WSMessage(NamedTuple):
    """One message returned by ``receive()``: ``(tp, data, extra)``.

    ============  ======================  ===========================
    ``tp``        ``data``                ``extra``
    ============  ======================  ===========================
    TEXT          ``str``                 ``None``
    BINARY        ``bytes``               ``None``
    PING / PONG   ``bytes`` (payload)     ``None``
    CLOSE         close code (``int``)    close reason (``str``)
    ERROR         the exception           ``None``
    CLOSING       ``None``                ``None``
    CLOSED        ``None``                ``None``
    ============  ======================  ===========================
    """

    tp: WSMsgType
    data: Any
    extra: Any

    @property
    def type(self) -> WSMsgType:
        """The message type (aiohttp's name for ``tp``)."""
        return self.tp

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Decode ``data`` as JSON with *loads* (``json.loads`` by default).

        Raises whatever *loads* raises (``json.JSONDecodeError`` for bad JSON).
        """
        return loads(self.data)


Message = WSMessage

WS_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
WS_CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)


def _optional_seconds(
    _instance: object, attribute: "attrs.Attribute[Any]", value: float | None
) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be None or >= 0 seconds, got {value!r}")


@attrs.frozen
class ClientWSTimeout:
    """Timeouts of one WebSocket connection, in seconds (``None``: no limit).

    Attributes:
        ws_receive: how long ``receive()`` waits for a message before raising
            ``asyncio.TimeoutError`` (the connection stays open), as in aiohttp.
        ws_close: how long ``close()`` waits for the peer's close frame and then
            for the TCP connection to end; on expiry the connection is aborted
            and ``close_code`` is 1006.
        ws_handshake: deadline for connecting and completing the opening
            handshake (RFC 6455 §4.1); on expiry ``ws_connect`` raises
            ``ServerTimeoutError`` and closes the socket. Default 10 s.
    """

    ws_receive: float | None = attrs.field(default=None, validator=_optional_seconds)
    ws_close: float | None = attrs.field(default=None, validator=_optional_seconds)
    ws_handshake: float | None = attrs.field(default=10.0, validator=_optional_seconds)


DEFAULT_WS_TIMEOUT = ClientWSTimeout(ws_receive=None, ws_close=10.0)


@attrs.frozen
class ClientTimeout:
    """Session timeouts in seconds (``None``: no limit), as aiohttp's ClientTimeout.

    Attributes:
        total: bound on a whole request, including the WebSocket handshake.
        connect: bound on getting a connection (pool wait plus connect).
        sock_read: bound on the gap between two reads of an HTTP response.
        sock_connect: bound on one TCP (and TLS) connect.
    """

    total: float | None = attrs.field(default=None, validator=_optional_seconds)
    connect: float | None = attrs.field(default=None, validator=_optional_seconds)
    sock_read: float | None = attrs.field(default=None, validator=_optional_seconds)
    sock_connect: float | None = attrs.field(default=None, validator=_optional_seconds)


DEFAULT_TIMEOUT = ClientTimeout(total=300.0, sock_connect=30.0)


class BasicAuth(NamedTuple):
    """HTTP Basic credentials (RFC 7617): ``(login, password, encoding)``."""

    login: str
    password: str = ""
    encoding: str = "latin1"

    def encode(self) -> str:
        """The ``Authorization`` header value, ``"Basic <base64>"``.

        Raises ``ValueError`` if the login contains ``:`` (RFC 7617 §2).
        """
        if ":" in self.login:
            raise ValueError('A ":" is not allowed in a Basic auth login (RFC 7617 §2)')
        raw = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(raw).decode("ascii")

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """Credentials from ``user:pass@`` in *url*, or ``None`` if it has none."""
        if url.user is None:
            return None
        return cls(url.user, url.password or "", encoding=encoding)


class HttpVersion(NamedTuple):
    """An HTTP version ``(major, minor)`` (aiohttp's ``HttpVersion``)."""

    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)


def encode_basic_auth(login: str, password: str = "", encoding: str = "latin1") -> str:
    """The ``Authorization`` value for HTTP Basic credentials (RFC 7617),
    ``"Basic <base64>"``: aiohttp 3.14's helper, same as ``BasicAuth(...).encode()``.
    Raises ``ValueError`` if *login* contains ``:``."""
    return BasicAuth(login, password, encoding).encode()


@attrs.frozen
class RequestInfo:
    """What was sent: method, URL and request headers (aiohttp's RequestInfo)."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL
