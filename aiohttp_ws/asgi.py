"""The server role inside an ASGI server (uvicorn, hypercorn, ...).

``websocket_app(handler, ...)`` returns an ASGI application: for each
``websocket`` scope it runs the same hooks as ``serve()`` (``process_request``,
``select_subprotocol``), accepts, and awaits ``handler(ws)`` with an
``AsgiWebSocket``: the send / receive / close API of ``ServerWebSocket``. The
ASGI server does the framing, the ping/pong and the close handshake; limits
and compression are its settings (uvicorn's ``ws_max_size``, ``ws_ping_interval``,
``ws_per_message_deflate``; hypercorn's ``websocket_max_message_size``...), and
``max_msg_size`` here is checked again on each message.
"""

from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, MutableMapping, Sequence

from multidict import CIMultiDict, CIMultiDictProxy

from .exceptions import ClientConnectionResetError, PayloadTooBig, WSMessageTypeError
from .models import WS_CLOSED_MESSAGE, WSCloseCode, WSMessage, WSMsgType
from .server_hooks import Accept, ProcessRequest, Refuse, SelectSubprotocol, UpgradeRequest, choose, decide
from .sansio._members import MSG_BINARY, MSG_CLOSE, MSG_CLOSED, MSG_ERROR, MSG_TEXT

__all__ = ("AsgiWebSocket", "websocket_app")

logger = logging.getLogger("aiohttp_ws.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _request(scope: Scope) -> UpgradeRequest:
    query = scope.get("query_string", b"").decode("latin-1")
    target = scope.get("raw_path", scope["path"].encode()).decode("latin-1") + (f"?{query}" if query else "")
    headers = CIMultiDictProxy(CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]))
    return UpgradeRequest("GET", target, headers, scope.get("client"))


class AsgiWebSocket:
    """One accepted WebSocket of an ASGI server, with ``ServerWebSocket``'s API.

    Attributes: ``request`` (the ``UpgradeRequest``), ``path``, ``protocol``
    (the subprotocol chosen), ``closed``, ``close_code``.
    """

    def __init__(self, request: UpgradeRequest, protocol: str | None, receive: Receive, send: Send, max_msg_size: int):
        self.request = request
        self.protocol = protocol
        self._receive = receive
        self._send = send
        self._max_msg_size = max_msg_size
        self.closed = False
        self.close_code: int | None = None

    @property
    def path(self) -> str:
        """The request target (path and query)."""
        return self.request.target

    async def _out(self, message: MutableMapping[str, Any]) -> None:
        if self.closed:
            raise ClientConnectionResetError("Cannot write to closing transport")
        await self._send(message)

    async def send_str(self, data: str) -> None:
        """Send a TEXT message."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        await self._out({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a BINARY message."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self._out({"type": "websocket.send", "bytes": bytes(data)})

    async def send_json(self, data: Any, *, dumps: Callable[[Any], str] = json.dumps) -> None:
        """Send ``dumps(data)`` as a TEXT message."""
        await self.send_str(dumps(data))

    async def receive(self) -> WSMessage:
        """The next message: TEXT, BINARY, then CLOSE (``data`` = close code)
        once the peer closed, then CLOSED. A message over ``max_msg_size``
        closes the connection with 1009 and returns ERROR."""
        if self.closed:
            return WS_CLOSED_MESSAGE
        event = await self._receive()
        if event["type"] == "websocket.disconnect":
            self.closed = True
            self.close_code = event.get("code", 1005)
            return WSMessage(MSG_CLOSE, self.close_code, event.get("reason") or "")
        text, data = event.get("text"), event.get("bytes")
        size = len(text.encode("utf-8")) if text is not None else len(data or b"")
        if self._max_msg_size and size > self._max_msg_size:
            error = PayloadTooBig(f"message of {size} bytes exceeds max_msg_size ({self._max_msg_size} bytes)")
            await self.close(code=WSCloseCode.MESSAGE_TOO_BIG)
            return WSMessage(MSG_ERROR, error, None)
        if text is not None:
            return WSMessage(MSG_TEXT, text, None)
        return WSMessage(MSG_BINARY, data or b"", None)

    async def _receive_type(self, tp: WSMsgType) -> Any:
        msg = await self.receive()
        if msg.tp is not tp:
            raise WSMessageTypeError(f"Received message {msg.tp}:{msg.data!r} is not WSMsgType.{tp.name}")
        return msg.data

    async def receive_str(self) -> str:
        """The next message's text; ``WSMessageTypeError`` if it is not TEXT."""
        text: str = await self._receive_type(WSMsgType.TEXT)
        return text

    async def receive_bytes(self) -> bytes:
        """The next message's bytes; ``WSMessageTypeError`` if it is not BINARY."""
        data: bytes = await self._receive_type(WSMsgType.BINARY)
        return data

    async def receive_json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """``loads()`` of the next TEXT message."""
        return loads(await self.receive_str())

    async def close(self, *, code: int = 1000, message: str = "") -> bool:
        """Close with *code* and *message*; ``False`` if already closed."""
        if self.closed:
            return False
        self.closed = True
        self.close_code = code
        await self._send({"type": "websocket.close", "code": int(code), "reason": message})
        return True

    def __aiter__(self) -> AsyncIterator[WSMessage]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[WSMessage]:
        while True:
            msg = await self.receive()
            if msg.tp is MSG_CLOSE or msg.tp is MSG_CLOSED:
                return
            yield msg


async def _refuse(scope: Scope, send: Send, refusal: Refuse) -> None:
    """A refusal: the HTTP answer itself where the server has the
    ``websocket.http.response`` extension, else a plain close (403)."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = refusal.body.encode("utf-8") if isinstance(refusal.body, str) else bytes(refusal.body)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in refusal.headers]
        await send({"type": "websocket.http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


def websocket_app(
    handler: Callable[[AsgiWebSocket], Awaitable[None]],
    *,
    protocols: Sequence[str] = (),
    process_request: ProcessRequest | None = None,
    select_subprotocol: SelectSubprotocol | None = None,
    max_msg_size: int = 4 * 1024 * 1024,
    fallback: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI application that serves *handler* on every WebSocket path.

    *protocols*, *process_request*, *select_subprotocol*: as for ``serve()``.
    *max_msg_size*: bytes per received message (0: no limit); more closes with
    1009. *fallback*: the ASGI app for other scopes (``http``, ``lifespan``);
    without it ``http`` requests get 404. When *handler* returns the
    connection is closed with 1000; when it raises, with 1011 (logged).
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            if fallback is not None:
                await fallback(scope, receive, send)
            elif scope["type"] == "http":
                await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"not found\n"})
            return
        if (await receive())["type"] != "websocket.connect":
            return
        request = _request(scope)
        decision = await decide(process_request, request)
        if isinstance(decision, Refuse):
            await _refuse(scope, send, decision)
            return
        choice = choose(decision, select_subprotocol, request, list(scope.get("subprotocols", [])), protocols)
        if isinstance(choice, Refuse):
            await _refuse(scope, send, choice)
            return
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in decision.headers] if isinstance(decision, Accept) else []
        await send({"type": "websocket.accept", "subprotocol": choice, "headers": headers})
        ws = AsgiWebSocket(request, choice, receive, send, max_msg_size)
        try:
            await handler(ws)
        except Exception:
            logger.exception("WebSocket handler failed")
            if not ws.closed:
                await ws.close(code=1011)
            return
        if not ws.closed:
            await ws.close()

    return app
