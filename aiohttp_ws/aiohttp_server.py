"""Our server-side WebSocket inside an aiohttp.web application.

``await accept(request)`` in an aiohttp.web handler checks the upgrade request
with our handshake (RFC 6455 §4.2), answers 101 through aiohttp's response
machinery and returns an ``AiohttpServerWebSocket``: the ``ServerWebSocket``
API (``send_*``, ``receive*``, ``close``, ``async for``, heartbeat,
``max_msg_size``, permessage-deflate) on our connection and our Sans-I/O core.
The handler returns ``ws.response`` to aiohttp::

    from aiohttp import web
    from aiohttp_ws.aiohttp_server import accept

    async def chat(request: web.Request) -> web.StreamResponse:
        ws = await accept(request, protocols=("chat",), heartbeat=20)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws.response

aiohttp keeps the socket: received bytes reach our reader through the
request protocol's ``set_parser`` (the hook aiohttp's own WebSocketResponse
uses), writes go to the same transport and wait on aiohttp's writer for
flow control, and aiohttp closes the connection once the handler returned.
Requires aiohttp (``pip install aiohttp``); nothing else imports this module.
"""

from __future__ import annotations

from typing import Any, Sequence

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from .connection import DEFAULT_MAX_QUEUE_BYTES, WebSocketConnection
from .models import ClientWSTimeout
from .sansio.deflate import PerMessageDeflate
from .sansio.handshake import HandshakeRejected, accept_key, offered_protocols, process_request
from .sansio.http11 import RequestHead
from .sansio.protocol import WebSocketProtocol
from .server import ServerWebSocket
from .server_hooks import SelectSubprotocol, UpgradeRequest, choose

__all__ = ("accept", "AiohttpServerWebSocket")


class AiohttpServerWebSocket(ServerWebSocket):
    """A ``ServerWebSocket`` hosted by aiohttp.web. ``response`` is the
    (already sent) 101 response the handler must return."""

    response: web.StreamResponse


class _SwitchingResponse(web.StreamResponse):
    """The 101 answer. When aiohttp finishes the response after the handler
    returned, the WebSocket is closed (1000) if the handler left it open."""

    ws: AiohttpServerWebSocket | None = None

    async def write_eof(self, data: bytes = b"") -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()


class _HostedConnection(WebSocketConnection):
    """Our connection on a transport whose protocol stays aiohttp's request
    handler: bytes arrive through ``feed_data``, the end through
    ``feed_eof``, and write flow control is aiohttp's (its writer's
    ``drain()`` and the protocol's ``writing_paused``)."""

    def __init__(self, core: WebSocketProtocol, request: web.BaseRequest, writer: Any, **kwargs: Any) -> None:
        self._host = request.protocol
        self._writer = writer
        super().__init__(core, **kwargs)

    @property
    def _write_paused(self) -> bool:
        return bool(self._host.writing_paused)

    @_write_paused.setter
    def _write_paused(self, value: bool) -> None:
        pass  # aiohttp's protocol tracks it

    async def _drain(self) -> None:
        await self._writer.drain()

    # The parser interface aiohttp's request handler feeds (``set_parser``).
    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.data_received(bytes(data))
        return False, b""

    def feed_eof(self) -> None:
        self.connection_lost(None)


_REFUSALS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    426: web.HTTPUpgradeRequired,
}


async def accept(
    request: web.BaseRequest,
    *,
    protocols: Sequence[str] = (),
    select_subprotocol: SelectSubprotocol | None = None,
    headers: Sequence[tuple[str, str]] = (),
    compress: bool | PerMessageDeflate = False,
    max_msg_size: int = 4 * 1024 * 1024,
    max_fragments: int = 4096,
    autoping: bool = True,
    heartbeat: float | None = None,
    close_timeout: float = 10.0,
    max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
) -> AiohttpServerWebSocket:
    """Upgrade an aiohttp.web *request* to our server-side WebSocket.

    Args (the names and defaults of ``serve()``): ``protocols`` (the
    server's subprotocols, its order of preference), ``select_subprotocol``
    (a hook, see ``server_hooks``), ``headers`` (extra 101 header fields),
    ``compress`` (``True`` or a ``PerMessageDeflate``: accept
    permessage-deflate, RFC 7692), ``max_msg_size`` (bytes), ``max_fragments``,
    ``autoping``, ``heartbeat`` (seconds), ``close_timeout`` (seconds),
    ``max_queue_bytes``.

    Raises aiohttp's ``HTTPBadRequest`` (400), ``HTTPMethodNotAllowed`` (405)
    or ``HTTPUpgradeRequired`` (426, with ``Sec-WebSocket-Version: 13``) for
    a request that is not a valid upgrade (RFC 6455 §4.2.1), as aiohttp's
    ``WebSocketResponse.prepare`` does; aiohttp turns them into the answer.
    Refuse requests (auth, origin) in the handler before calling this.
    """
    head = RequestHead(
        request.method,
        request.raw_path,
        (request.version.major, request.version.minor),
        CIMultiDictProxy(CIMultiDict(request.headers)),
    )
    deflate = PerMessageDeflate() if compress is True else (compress or None)
    try:
        key, _, params = process_request(head, protocols, deflate)
    except HandshakeRejected as exc:
        if exc.status == 405:
            raise web.HTTPMethodNotAllowed(request.method, ["GET"], text=exc.message) from exc
        raise _REFUSALS.get(exc.status, web.HTTPBadRequest)(headers=exc.headers, text=exc.message) from exc
    upgrade = UpgradeRequest.from_head(head, request.remote)
    chosen = choose(None, select_subprotocol, upgrade, offered_protocols(head.headers), protocols)
    if not isinstance(chosen, str) and chosen is not None:
        raise web.HTTPInternalServerError(text="select_subprotocol failed")
    fields = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept_key(key))]
    if chosen is not None:
        fields.append(("Sec-WebSocket-Protocol", chosen))
    if params is not None:
        fields.append(("Sec-WebSocket-Extensions", params.response_value()))
    response = _SwitchingResponse(status=101, headers=[*fields, *headers])
    response.force_close()
    writer = await response.prepare(request)
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("Connection lost")
    core = WebSocketProtocol(
        is_client=False, max_msg_size=max_msg_size, max_fragments=max_fragments, autoping=autoping, deflate=params
    )
    conn = _HostedConnection(
        core, request, writer, heartbeat=heartbeat, max_queue_bytes=max_queue_bytes, close_timeout=close_timeout
    )
    conn.connection_made(transport)
    ws = AiohttpServerWebSocket(
        conn,
        request=head,
        remote=request.remote,
        protocol=chosen,
        timeout=ClientWSTimeout(ws_close=close_timeout),
        autoping=autoping,
    )
    ws.response = response
    response.ws = ws
    request.protocol.keep_alive(False)
    request.protocol.set_parser(conn)  # type: ignore[arg-type]  # our feed_data/feed_eof
    return ws
