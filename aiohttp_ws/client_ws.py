"""ClientWebSocketResponse: the public WebSocket object, with aiohttp's surface.

The connection's reader (``connection.WebSocketConnection``) answers pings,
completes the close handshake and runs the heartbeat whether or not anyone is
inside ``receive()``; this class adds aiohttp's calling conventions on top.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, AsyncIterable, AsyncIterator, Awaitable, Callable, Generic, Iterable, Literal, Protocol, TypeVar, overload

from multidict import CIMultiDictProxy

from .sansio.deflate import DeflateParams
from .exceptions import ClientConnectionResetError, WSMessageTypeError
from .sansio.frames import OP_BINARY, OP_PONG, OP_TEXT
from .sansio.protocol import WebSocketProtocol
from .tracing import Trace, TraceWSMessageReceivedParams, TraceWSMessageSentParams, send_all
from .models import (
    DEFAULT_WS_TIMEOUT,
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    ClientWSTimeout,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from .sansio._members import MSG_BINARY, MSG_CHUNK, MSG_CLOSE, MSG_CLOSED, MSG_CLOSING, MSG_ERROR, MSG_TEXT

__all__ = (
    "WSConnection",
    "WebSocketBase",
    "ClientWebSocketResponse",
    "ClientWSTimeout",
    "DEFAULT_WS_CLIENT_TIMEOUT",
    "DEFAULT_JSON_ENCODER",
    "DEFAULT_JSON_DECODER",
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
)

#: The default ``dumps`` of ``send_json`` and ``loads`` of ``receive_json`` (aiohttp's names).
DEFAULT_JSON_ENCODER: Callable[[Any], str] = json.dumps
DEFAULT_JSON_DECODER: Callable[[str], Any] = json.loads

#: aiohttp's name for the default ``ClientWSTimeout`` (``ws_close=10``, ``ws_handshake=10``).
DEFAULT_WS_CLIENT_TIMEOUT = DEFAULT_WS_TIMEOUT
#: ``True`` (TEXT data is ``str``) or ``False`` (TEXT data is ``bytes``): the
#: ``decode_text`` argument of ``ws_connect``, as aiohttp types it.
_DecodeText = TypeVar("_DecodeText", bound=bool, covariant=True)

#: After this many ``receive()`` calls on a closed connection, raise instead of
#: returning CLOSED again (aiohttp's guard against busy loops).
_CLOSED_RECEIVE_LIMIT = 5


class WSConnection(Protocol):
    """What the public WebSocket classes need of the I/O layer under them:
    the asyncio ``connection.WebSocketConnection`` or the anyio
    ``aiohttp_ws.anyio.connection.AnyioConnection``, both driving one
    ``WebSocketProtocol`` (``core``)."""

    core: WebSocketProtocol
    exception: BaseException | None

    @property
    def closed(self) -> bool: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...

    async def send_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> None: ...

    def write_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> Awaitable[None] | None: ...

    async def send_frame(self, payload: bytes, opcode: int, fin: bool = True) -> None: ...

    async def ping(self, payload: bytes, wait: bool) -> float | None: ...

    @property
    def latency(self) -> float | None: ...

    def receive_nowait(self) -> WSMessage | None: ...

    def message_waiter(self) -> Awaitable[WSMessage] | None: ...

    def drop_waiter(self, fut: Any) -> None: ...

    async def settle(self, msg: WSMessage, timeout: float | None = None, whole: bool = True) -> WSMessage: ...

    async def receive(self, timeout: float | None = None) -> WSMessage: ...

    async def receive_part(self, timeout: float | None = None) -> WSMessage: ...

    def stream_messages(self) -> None: ...

    async def send_parts(
        self, parts: Iterable[bytes] | AsyncIterable[bytes], opcode: int, compress: int | bool | None = None
    ) -> None: ...

    async def close(self, code: int | None, reason: bytes | str, timeout: float | None) -> bool: ...

    def abort(self) -> None: ...


def _as_bytes(data: bytes | bytearray | memoryview | str, what: str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes or str, got {type(data).__name__}")


class WebSocketBase(Generic[_DecodeText]):
    """The send/receive/close API shared by the client and the server role.

    Generic in ``decode_text`` as aiohttp's ``ClientWebSocketResponse[bool]``:
    with ``decode_text=False`` the data of TEXT messages is the UTF-8 ``bytes``
    (validated all the same, RFC 6455 §8.1) instead of ``str``.
    """

    def __init__(
        self,
        conn: WSConnection,
        *,
        protocol: str | None = None,
        timeout: ClientWSTimeout = DEFAULT_WS_TIMEOUT,
        autoclose: bool = True,
        autoping: bool = True,
        decode_text: bool = True,
    ) -> None:
        self._conn = conn
        self._protocol = protocol
        self._timeout = timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._decode_text = decode_text
        self._closed_receives = 0
        self._traces: tuple[Trace, ...] = ()

    async def _trace_sent(self, tp: WSMsgType, size: int) -> None:
        await send_all(self._traces, "on_ws_message_sent", TraceWSMessageSentParams(tp, size))

    # -- state -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """``True`` once the close handshake completed, the connection failed
        or the TCP connection ended."""
        return self._conn.closed

    @property
    def close_code(self) -> int | None:
        """The close code, RFC 6455 §7.1.5 — the peer's (1005 for a close frame
        without one), the code of a failure (1002, 1007, 1009, ...), 1006 for an
        abnormal end; ``None`` while open. A registered code is the
        ``WSCloseCode`` member (``ws.close_code is WSCloseCode.OK``), others
        (3000-4999) a plain ``int``, as in aiohttp."""
        code = self._conn.core.close_code
        if code is None:
            return None
        try:
            return WSCloseCode(code)
        except ValueError:
            return code

    @property
    def close_reason(self) -> str:
        """The peer's close reason (RFC 6455 §7.1.6), ``""`` if none."""
        return self._conn.core.close_reason

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose (Sec-WebSocket-Protocol), or ``None``."""
        return self._protocol

    @property
    def compress(self) -> int:
        """Window bits of our permessage-deflate compressor (8..15), 0 when the
        extension was not negotiated (aiohttp's attribute)."""
        codec = self._conn.core.codec
        return codec.local_bits if codec is not None else 0

    @property
    def client_notakeover(self) -> bool:
        """Whether the client compresses each message without context takeover."""
        codec = self._conn.core.codec
        return codec is not None and codec.params.client_no_context_takeover

    @property
    def deflate(self) -> DeflateParams | None:
        """All negotiated permessage-deflate parameters (RFC 7692 §7.1), or ``None``."""
        codec = self._conn.core.codec
        return codec.params if codec is not None else None

    @property
    def autoping(self) -> bool:
        """Pings are answered by the reader and PING/PONG are not returned."""
        return self._autoping

    @property
    def autoclose(self) -> bool:
        """A close frame from the peer is answered by the reader at once."""
        return self._autoclose

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information (``"peername"``, ``"sockname"``, ``"ssl_object"``,
        ``"peercert"``, ``"socket"``, ...), as ``asyncio.BaseTransport.get_extra_info``;
        *default* once the TCP connection has ended (after ``close()``)."""
        return self._conn.get_extra_info(name, default)

    def exception(self) -> BaseException | None:
        """The error that ended the connection (a ``WebSocketError`` for a
        protocol violation, ``ServerTimeoutError`` for a missed heartbeat pong,
        ``ClientConnectionResetError`` for a reset), or ``None``."""
        return self._conn.exception

    # -- sending -----------------------------------------------------------------

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a TEXT message (UTF-8). Raises ``TypeError`` if *data* is not
        ``str``, ``ClientConnectionResetError`` once closing has started.

        *compress*: with permessage-deflate negotiated, ``None`` (default) or a
        non-zero value deflates the message, 0 sends it uncompressed."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        payload = data.encode("utf-8")
        waiting = self._conn.write_message(payload, OP_TEXT, compress)
        if waiting is not None:
            await waiting
        if self._traces:
            await self._trace_sent(MSG_TEXT, len(payload))

    async def send_bytes(self, data: bytes | bytearray | memoryview, compress: int | None = None) -> None:
        """Send a BINARY message. Raises ``TypeError`` for other types,
        ``ClientConnectionResetError`` once closing has started. *compress* as
        for ``send_str``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        waiting = self._conn.write_message(bytes(data), OP_BINARY, compress)
        if waiting is not None:
            await waiting
        if self._traces:
            await self._trace_sent(MSG_BINARY, len(data))

    async def send_json(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send ``dumps(data)`` as a TEXT message."""
        await self.send_str(dumps(data), compress=compress)

    async def send_json_bytes(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], bytes],
    ) -> None:
        """Send ``dumps(data)``, which returns ``bytes`` (orjson's ``dumps``, say),
        as a BINARY message (aiohttp 3.14's ``send_json_bytes``)."""
        await self.send_bytes(dumps(data), compress=compress)

    async def send_frame(
        self, message: bytes, opcode: WSMsgType | int, compress: int | None = None, *, fin: bool = True
    ) -> None:
        """Send one raw frame with *opcode* (RFC 6455 §5.2). With ``fin=False`` a
        TEXT/BINARY frame starts a fragmented message that CONTINUATION frames
        carry on; the last one has ``fin=True`` (§5.4). Raises ``ValueError`` for
        control-frame rule breaks, ``ClientConnectionResetError`` when closing.
        A whole TEXT/BINARY message (``fin=True``) is deflated as by ``send_str``;
        fragments are sent as given."""
        opcode = int(opcode)
        if fin and opcode in (OP_TEXT, OP_BINARY):
            await self._conn.send_message(_as_bytes(message, "message"), opcode, compress)
            return
        await self._conn.send_frame(_as_bytes(message, "message"), opcode, fin)

    @overload
    async def ping(self, message: bytes | str = b"", *, wait: Literal[False] = False) -> None: ...

    @overload
    async def ping(self, message: bytes | str = b"", *, wait: Literal[True]) -> float: ...

    async def ping(self, message: bytes | str = b"", *, wait: bool = False) -> float | None:
        """Send a ping (aiohttp's signature: returns ``None``). Payload at most
        125 bytes, else ``ValueError`` (RFC 6455 §5.5).

        With ``wait=True``, wait for the matching pong and return the
        round-trip time in seconds. Pongs are matched to pings by payload,
        oldest first, so pings with equal payloads are not confused; a pong
        also answers the pings sent before its own (§5.5.3). Raises
        ``ClientConnectionResetError`` if the connection closes before the
        pong; bound the wait with ``asyncio.wait_for`` (or anyio's
        ``fail_after``). ``latency`` keeps the last round-trip time.
        """
        return await self._conn.ping(_as_bytes(message, "message"), wait)

    @property
    def latency(self) -> float | None:
        """Round-trip time in seconds of the last ping answered by a pong,
        the heartbeat's or ``ping()``'s; ``None`` before the first."""
        return self._conn.latency

    async def pong(self, message: bytes | str = b"") -> None:
        """Send an unsolicited pong (§5.5.3); at most 125 bytes, else ``ValueError``."""
        await self._conn.send_frame(_as_bytes(message, "message"), OP_PONG)

    # -- closing -------------------------------------------------------------------

    async def close(self, *, code: int = 1000, message: bytes | str = b"") -> bool:
        """Send a close frame with *code* and *message* (the close reason), wait
        for the peer's close frame and the end of TCP, bounded by
        ``ClientWSTimeout.ws_close`` seconds (then abort, close code 1006).

        Returns ``True`` if this call closed the connection, ``False`` if it
        was already closed. Raises ``ValueError`` before sending anything for a
        code a peer may not receive (RFC 6455 §7.4) or a reason over 123 bytes.
        """
        return await self._conn.close(code, message, self._timeout.ws_close)

    def abort(self) -> None:
        """Drop the TCP connection at once, without a close handshake
        (RFC 6455 §7.1.7 "fail"): ``closed`` becomes ``True``, ``close_code``
        1006 unless the connection had already closed; a waiting ``receive()``
        returns CLOSED. The socket and its connector slot are freed."""
        self._conn.abort()

    # -- receiving -----------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message (aiohttp's contract).

        TEXT/BINARY messages in order; with ``autoping=False`` also PING and
        PONG. Then, once: CLOSE (``data`` = close code, ``extra`` = reason) if
        the peer closed, ERROR (``data`` = exception) if the connection
        failed, or CLOSING when this side's ``close()`` began while waiting.
        After that CLOSED; after 5 more calls, ``RuntimeError``.

        *timeout* (seconds; ``None`` or 0: ``ClientWSTimeout.ws_receive``, as
        aiohttp) bounds the wait; on expiry
        ``asyncio.TimeoutError`` is raised and the connection stays open.
        Raises ``RuntimeError`` if another task is already receiving.
        """
        conn = self._conn
        msg = conn.receive_nowait()  # a data message already queued: no coroutine below this one
        if msg is None:
            if not timeout:  # None or 0: the default, as aiohttp's ``timeout or ws_receive``
                timeout = self._timeout.ws_receive
            fut = None if timeout else conn.message_waiter()
            if fut is None:
                msg = await conn.receive(timeout)
            else:  # the connection's receive() rules for a plain wait, without its coroutine
                try:
                    msg = await fut
                except BaseException:
                    conn.drop_waiter(fut)
                    raise
                if msg.tp is not MSG_TEXT and msg.tp is not MSG_BINARY:
                    msg = await conn.settle(msg)
        if self._traces:
            await send_all(self._traces, "on_ws_message_received", TraceWSMessageReceivedParams(msg))
        if msg.tp is MSG_CLOSED:
            self._closed_receives += 1
            if self._closed_receives > _CLOSED_RECEIVE_LIMIT:
                raise RuntimeError("WebSocket connection is closed.")
        elif msg.tp is MSG_TEXT and not self._decode_text:
            return WSMessage(MSG_TEXT, msg.data.encode("utf-8"), msg.extra)
        return msg

    async def _receive_type(self, tp: WSMsgType, timeout: float | None) -> Any:
        msg = await self.receive(timeout)
        if msg.tp is not tp:
            raise WSMessageTypeError(f"Received message {msg.tp}:{msg.data!r} is not WSMsgType.{tp.name}")
        return msg.data

    @overload
    async def receive_str(self: WebSocketBase[Literal[True]], *, timeout: float | None = None) -> str: ...

    @overload
    async def receive_str(self: WebSocketBase[Literal[False]], *, timeout: float | None = None) -> bytes: ...

    @overload
    async def receive_str(self: WebSocketBase[_DecodeText], *, timeout: float | None = None) -> str | bytes: ...

    async def receive_str(self, *, timeout: float | None = None) -> str | bytes:
        """The next message's text: ``str``, or its UTF-8 ``bytes`` with
        ``decode_text=False``. Raises ``WSMessageTypeError`` if it is not TEXT."""
        data: str | bytes = await self._receive_type(MSG_TEXT, timeout)
        return data

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """The next message's bytes. Raises ``WSMessageTypeError`` if it is not BINARY."""
        data: bytes = await self._receive_type(MSG_BINARY, timeout)
        return data

    async def receive_json(
        self, *, loads: Callable[[Any], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """``loads()`` of the next TEXT message's data (``str``, or ``bytes`` with
        ``decode_text=False``). Raises ``WSMessageTypeError`` if it is not TEXT,
        and whatever *loads* raises for bad JSON."""
        return loads(await self._receive_type(MSG_TEXT, timeout))

    async def receive_stream(self, *, timeout: float | None = None) -> AsyncIterator[Any]:
        """The next message, part by part as its frames arrive: an async
        iterator of ``str`` parts for a TEXT message (decoded at fragment
        boundaries; ``bytes`` with ``decode_text=False``) or ``bytes`` parts
        for a BINARY one, ending with the message's last frame. Only the
        current frame is held (``max_msg_size`` still bounds the whole
        message); a message in one frame comes as one part; empty frames give
        no part (an empty message gives one empty part). For aiohttp #7787::

            async for part in ws.receive_stream():
                await file.write(part)

        Streaming is switched on for the connection by the first call (frames
        that arrived before it come joined); a message that ``receive()``
        takes is still whole. Leaving the loop early drops the rest of that
        message. *timeout* (seconds) bounds each wait for a part, and, for a
        ``receive()`` that joins a streamed message, each wait after its first
        part. Raises ``WSMessageTypeError`` if the next message is
        not data (CLOSE, ERROR...), the ``WebSocketError`` of a violation in
        the middle of the message (``PayloadTooBig`` past ``max_msg_size``),
        and ``ClientConnectionResetError`` if the connection ends inside it.
        """
        conn = self._conn
        conn.stream_messages()
        msg = await conn.receive_part(timeout or self._timeout.ws_receive)
        if msg.tp is MSG_TEXT or msg.tp is MSG_BINARY:
            yield self._text_part(msg.data)
            return
        if msg.tp is not MSG_CHUNK:
            raise WSMessageTypeError(f"Received message {msg.tp}:{msg.data!r} is not a data message")
        yielded = False
        while True:
            fin = msg.extra[1]
            if msg.data or fin and not yielded:  # empty frames (a final one, say) carry nothing
                yielded = True
                yield self._text_part(msg.data)
            if fin:
                return
            msg = await conn.receive_part(timeout or self._timeout.ws_receive)
            if msg.tp is MSG_ERROR:
                raise msg.data  # the violation that failed the connection (1009: max_msg_size, ...)
            if msg.tp is not MSG_CHUNK:
                raise ClientConnectionResetError(f"the connection ended inside a message ({msg.tp.name})")

    def _text_part(self, data: Any) -> Any:
        return data.encode("utf-8") if isinstance(data, str) and not self._decode_text else data

    async def send_stream(
        self,
        parts: Iterable[str | bytes] | AsyncIterable[str | bytes],
        compress: int | None = None,
    ) -> None:
        """Send one message from *parts*, each part one frame (RFC 6455 §5.4),
        without joining them: ``str`` parts make a TEXT message, ``bytes``
        parts a BINARY one (``TypeError`` for a mix; the first part decides).
        Other sends wait until the message is out, so frames never
        interleave; pings and pongs may go between its frames. *compress*
        as for ``send_str``: the message is deflated part by part. If *parts*
        raises, the message cannot be finished: the connection is closed with
        1011 and the error propagates."""
        kind: list[type] = []

        async def encoded() -> AsyncIterator[bytes]:
            if isinstance(parts, AsyncIterable):
                async for part in parts:
                    yield check(part)
            else:
                for part in parts:
                    yield check(part)

        def check(part: str | bytes) -> bytes:
            if not isinstance(part, (str, bytes, bytearray, memoryview)):
                raise TypeError(f"parts must be str or bytes, got {type(part).__name__}")
            if not kind:
                kind.append(str if isinstance(part, str) else bytes)
            elif (kind[0] is str) != isinstance(part, str):
                raise TypeError("a message's parts are all str (TEXT) or all bytes (BINARY)")
            return part.encode("utf-8") if isinstance(part, str) else bytes(part)

        first: list[bytes] = []
        stream = encoded()
        async for head in stream:  # the first part decides the opcode
            first.append(head)
            break

        async def rest() -> AsyncIterator[bytes]:
            for part in first:
                yield part
            async for part in stream:
                yield part

        opcode = OP_TEXT if kind and kind[0] is str else OP_BINARY
        await self._conn.send_parts(rest(), opcode, compress)

    def __aiter__(self) -> WebSocketBase[_DecodeText]:
        return self

    async def __anext__(self) -> WSMessage:
        """Messages until CLOSE, CLOSING or CLOSED (ERROR is yielded)."""
        msg = await self.receive()
        tp = msg.tp
        if tp is MSG_CLOSE or tp is MSG_CLOSING or tp is MSG_CLOSED:
            raise StopAsyncIteration
        return msg

    async def __aenter__(self) -> WebSocketBase[_DecodeText]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class ClientWebSocketResponse(WebSocketBase[_DecodeText]):
    """A client WebSocket opened by ``ClientSession.ws_connect``.

    Do not create it yourself. Besides the shared API it has ``status`` (101)
    and ``headers``, the 101 response's header fields.
    """

    def __init__(
        self,
        conn: WSConnection,
        *,
        headers: CIMultiDictProxy[str],
        protocol: str | None = None,
        timeout: ClientWSTimeout = DEFAULT_WS_TIMEOUT,
        autoclose: bool = True,
        autoping: bool = True,
        decode_text: bool = True,
    ) -> None:
        super().__init__(
            conn, protocol=protocol, timeout=timeout, autoclose=autoclose, autoping=autoping, decode_text=decode_text
        )
        self.status = 101
        self.headers = headers

    async def __aenter__(self) -> ClientWebSocketResponse[_DecodeText]:
        return self
