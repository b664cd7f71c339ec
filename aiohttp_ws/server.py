"""The server role (first version): ``serve(handler, host, port)``.

Each accepted connection reads the upgrade request, answers it (RFC 6455
§4.2) and hands a ``ServerWebSocket`` (the same send/receive/close API as the
client's) to ``await handler(ws)``. When the handler returns, the connection
is closed with 1000; if it raises, with 1011.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl as ssl_module
from typing import Any, Awaitable, Callable, Iterable, Literal, Mapping, NoReturn, Sequence

from multidict import CIMultiDict, CIMultiDictProxy

from ._context import AwaitableContext
from ._debuglog import log_head, log_raw_head, server_log
from .client_ws import WebSocketBase, WSConnection
from .connection import DEFAULT_MAX_QUEUE_BYTES, WebSocketConnection
from .sansio.deflate import DeflateParams, PerMessageDeflate
from .exceptions import ClientConnectionResetError, HttpProcessingError, ServerDisconnectedError
from .sansio.frames import OP_BINARY, OP_TEXT
from .sansio.handshake import HandshakeRejected, accept_response, offered_protocols, process_request, reject_response
from .sansio.http11 import RequestHead
from .http_proto import HttpHeadProtocol
from .models import ClientWSTimeout
from .sansio.protocol import WebSocketProtocol
from .server_hooks import Accept, ProcessRequest, Refuse, SelectSubprotocol, UpgradeRequest, choose, decide
from .sansio._members import MSG_BINARY, MSG_TEXT

__all__ = (
    "ServerWebSocket",
    "Server",
    "serve",
    "accept",
    "broadcast",
    "echo_handler",
    "Accept",
    "Refuse",
    "UpgradeRequest",
)

logger = logging.getLogger("aiohttp_ws.server")

Handler = Callable[["ServerWebSocket"], Awaitable[None]]


class ServerWebSocket(WebSocketBase[Literal[True]]):
    """The server side of one WebSocket; ``request`` is the upgrade request,
    ``remote`` the peer's address (kept after the connection ends)."""

    def __init__(self, conn: WSConnection, *, request: RequestHead, remote: Any = None, **kwargs: Any) -> None:
        super().__init__(conn, **kwargs)
        self.request = request
        self.remote = remote

    @property
    def path(self) -> str:
        """The request target (path and query) of the upgrade request."""
        return self.request.target


class _SwitchedToHttp2(Exception):
    """The connection turned out to be HTTP/2: no HTTP/1.1 head will come."""


class _ServerProtocol(HttpHeadProtocol):
    """Reads the upgrade request; with ``http2`` it first tells HTTP/2 from
    HTTP/1.1: by ALPN on TLS, by the client preface (RFC 9113 §3.4) on
    cleartext, and hands an HTTP/2 connection to ``H2ServerConnection``."""

    def __init__(self, server: Server) -> None:
        super().__init__(is_response=False)
        self._server = server
        self._sniff: bytearray | None = bytearray() if server._http2 else None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self._sniff is not None:
            sslobj = transport.get_extra_info("ssl_object")
            if sslobj is not None:
                self._sniff = None
                if sslobj.selected_alpn_protocol() == "h2":
                    self._to_http2(b"")
                    return
        self._server._start(self)

    def data_received(self, data: bytes) -> None:
        sniff = self._sniff
        if sniff is None:
            super().data_received(data)
            return
        from .http2.server import PREFACE

        sniff += data
        if PREFACE.startswith(bytes(sniff[: len(PREFACE)])) and len(sniff) < len(PREFACE):
            return  # too early to tell
        self._sniff = None
        if sniff.startswith(PREFACE):
            self._fail_waiter(_SwitchedToHttp2())
            self._to_http2(bytes(sniff))
        else:
            super().data_received(bytes(sniff))

    def _to_http2(self, data: bytes) -> None:
        from .http2.server import H2ServerConnection

        transport = self.transport
        assert transport is not None
        h2conn = H2ServerConnection(self._server)
        self._server._h2conns.add(h2conn)
        h2conn.lost_callbacks.append(lambda: self._server._h2conns.discard(h2conn))
        transport.set_protocol(h2conn)
        h2conn.connection_made(transport)
        if data:
            h2conn.data_received(data)


class Server:
    """A listening WebSocket server. Use ``async with`` or ``close()`` +
    ``wait_closed()``. Closing stops listening and closes every open
    WebSocket with 1001 (going away)."""

    def __init__(
        self,
        handler: Handler,
        *,
        protocols: Sequence[str] = (),
        max_msg_size: int = 4 * 1024 * 1024,
        max_fragments: int = 4096,
        autoping: bool = True,
        heartbeat: float | None = None,
        handshake_timeout: float = 10.0,
        close_timeout: float = 10.0,
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
        compress: bool | PerMessageDeflate = False,
        process_request: ProcessRequest | None = None,
        select_subprotocol: SelectSubprotocol | None = None,
        max_connections: int | None = None,
        http2: bool = False,
    ) -> None:
        if http2:
            from .http2 import require

            require()
        self._http2 = http2
        self._h2conns: set[Any] = set()  # http2.server.H2ServerConnection
        self._handler = handler
        self._max_connections = max_connections
        self._process_request = process_request
        self._select_subprotocol = select_subprotocol
        self._deflate = PerMessageDeflate() if compress is True else (compress or None)
        self._protocols = tuple(protocols)
        self._max_msg_size = max_msg_size
        self._max_fragments = max_fragments
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._handshake_timeout = handshake_timeout
        self._close_timeout = close_timeout
        self._max_queue_bytes = max_queue_bytes
        self._tasks: set[asyncio.Task[None]] = set()
        self._websockets: set[ServerWebSocket] = set()
        self._server: asyncio.Server | None = None

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets."""
        return tuple(self._server.sockets) if self._server is not None else ()

    @property
    def port(self) -> int:
        """The port of the first listening socket (useful with port 0)."""
        return int(self.sockets[0].getsockname()[1])

    def _start(self, proto: _ServerProtocol) -> None:
        task = asyncio.get_running_loop().create_task(self._serve_one(proto))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_one(self, proto: HttpHeadProtocol) -> None:
        try:
            ws = await self._upgrade(proto)
        except (HandshakeRejected, asyncio.TimeoutError, ServerDisconnectedError, _SwitchedToHttp2):
            return
        await self._run_handler(ws)

    def _start_http2(self, h2conn: Any, stream: Any, fields: list[tuple[str, str]]) -> None:
        """An HTTP/2 request stream (from ``H2ServerConnection``): decide and
        run the handler as for HTTP/1.1, in a task of its own."""
        task = asyncio.get_running_loop().create_task(self._serve_http2(h2conn, stream, fields))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_http2(self, h2conn: Any, stream: Any, fields: list[tuple[str, str]]) -> None:
        from .sansio.extended_connect import accept_headers, process_extended_connect, request_head

        head = request_head(fields)
        remote = stream.get_extra_info("peername")

        def refuse(refusal: Refuse) -> NoReturn:
            body = refusal.body.encode("utf-8") if isinstance(refusal.body, str) else bytes(refusal.body)
            h2conn.refuse(stream, refusal.status, refusal.headers, body)
            raise HandshakeRejected(refusal.status, "Refused", "refused before the 200")

        def check() -> tuple[None, Any]:
            if head.method == "CONNECT" and dict(fields).get(":protocol") != "websocket":
                raise HandshakeRejected(400, "Bad Request", "only extended CONNECT for WebSockets (RFC 8441) is served")
            return None, process_extended_connect(head, self._protocols, self._deflate)[1]

        try:
            decision, chosen, _, deflate = await self._negotiate(head, remote, refuse, check)
        except HandshakeRejected as exc:
            h2conn.refuse(stream, exc.status, exc.headers, (exc.message + "\n").encode("utf-8"))
            return
        except asyncio.TimeoutError:
            stream.abort()
            return
        extra = decision.headers if isinstance(decision, Accept) else ()
        h2conn.answer(stream, accept_headers(chosen, extra, deflate))
        conn = self._connection(deflate)
        stream.attach(conn, lambda: conn.core.close_sent)
        await self._run_handler(self._websocket(conn, head, remote, chosen))

    async def _upgrade(self, proto: HttpHeadProtocol, head: RequestHead | None = None) -> ServerWebSocket:
        """Read the upgrade request (unless *head* was read already), decide,
        answer 101 and return the WebSocket. A refusal is written, the
        connection closed and ``HandshakeRejected`` raised; a silent or gone
        client aborts the connection (``asyncio.TimeoutError``,
        ``ServerDisconnectedError``)."""
        transport = proto.transport
        assert transport is not None
        try:
            if head is None:
                try:
                    read = await asyncio.wait_for(proto.read_head(), self._handshake_timeout)
                except HttpProcessingError as exc:
                    raise HandshakeRejected(exc.code, "Bad Request", exc.message) from exc
                assert isinstance(read, RequestHead)
                head = read
            request_head = head

            def check() -> tuple[str, DeflateParams | None]:
                key, _, params = process_request(request_head, self._protocols, self._deflate)
                return key, params

            decision, chosen, key, deflate = await self._negotiate(
                head, transport.get_extra_info("peername"), lambda refusal: _refuse(transport, refusal), check
            )
        except HandshakeRejected as exc:
            if not transport.is_closing():
                answer = reject_response(exc)
                log_raw_head(server_log, ">", answer)
                transport.write(answer)
                transport.close()
            raise
        except (asyncio.TimeoutError, ServerDisconnectedError):
            transport.abort()
            raise
        extra = decision.headers if isinstance(decision, Accept) else ()
        answer = accept_response(key, chosen, headers=extra, deflate=deflate)
        log_raw_head(server_log, ">", answer)
        transport.write(answer)
        conn = self._connection(deflate)
        conn.take_over(transport, proto)
        return self._websocket(conn, head, transport.get_extra_info("peername"), chosen)

    async def _negotiate(
        self,
        head: RequestHead,
        remote: Any,
        refuse: Callable[[Refuse], NoReturn],
        check: Callable[[], tuple[Any, DeflateParams | None]],
    ) -> tuple[Accept | None, str | None, Any, DeflateParams | None]:
        """What both HTTP versions decide before answering: the connection
        limit, the ``process_request`` hook, the protocol's own checks (*check*
        returns its token and the permessage-deflate parameters, or raises
        ``HandshakeRejected``), the subprotocol. *refuse* answers a refusal and
        raises."""
        if self._max_connections is not None and len(self._websockets) >= self._max_connections:
            refuse(_BUSY)
        request = UpgradeRequest.from_head(head, remote)
        if server_log.isEnabledFor(logging.DEBUG):
            request_line = f"{head.method} {head.target} HTTP/{head.version[0]}.{head.version[1]}"
            log_head(server_log, "<", request_line, head.headers.items())
        decision = await asyncio.wait_for(decide(self._process_request, request), self._handshake_timeout)
        if isinstance(decision, Refuse):
            refuse(decision)
        token, deflate = check()
        offered = offered_protocols(head.headers)
        choice = choose(decision, self._select_subprotocol, request, offered, self._protocols)
        if isinstance(choice, Refuse):
            refuse(choice)
        return decision, choice, token, deflate

    def _connection(self, deflate: DeflateParams | None) -> WebSocketConnection:
        core = WebSocketProtocol(
            is_client=False,
            max_msg_size=self._max_msg_size,
            max_fragments=self._max_fragments,
            autoping=self._autoping,
            deflate=deflate,
        )
        return WebSocketConnection(
            core, heartbeat=self._heartbeat, max_queue_bytes=self._max_queue_bytes, close_timeout=self._close_timeout
        )

    def _websocket(self, conn: WebSocketConnection, head: RequestHead, remote: Any, chosen: str | None) -> ServerWebSocket:
        return ServerWebSocket(
            conn,
            request=head,
            remote=remote,
            protocol=chosen,
            timeout=ClientWSTimeout(ws_close=self._close_timeout),
            autoping=self._autoping,
        )

    async def _run_handler(self, ws: ServerWebSocket) -> None:
        self._websockets.add(ws)
        try:
            await self._handler(ws)
        except Exception:
            logger.exception("WebSocket handler failed")
            if not ws.closed:
                await ws.close(code=1011)
        finally:
            self._websockets.discard(ws)
        if not ws.closed:
            await ws.close()
        logger.info(
            "%s %s subprotocol=%s close_code=%s",
            ws.remote,
            ws.path,
            ws.protocol,
            ws.close_code,
        )

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the server runs on (``asyncio.Server.get_loop``)."""
        assert self._server is not None
        return self._server.get_loop()

    def is_serving(self) -> bool:
        """Whether the server accepts connections (``asyncio.Server.is_serving``)."""
        return self._server is not None and self._server.is_serving()

    async def start_serving(self) -> None:
        """Start accepting, for ``serve(..., start_serving=False)``."""
        assert self._server is not None
        await self._server.start_serving()

    async def serve_forever(self, *, stop_signals: Sequence[int] = ()) -> None:
        """Accept connections until cancelled (``asyncio.Server.serve_forever``)
        or, with *stop_signals* (e.g. ``(signal.SIGTERM, signal.SIGINT)``), until
        one of them arrives, which then returns normally. Either way every open
        WebSocket is closed with 1001 (going away) and the handlers get up to
        ``close_timeout`` seconds to finish. Signals are handled only where the
        loop can (the main thread, not on Windows)."""
        assert self._server is not None
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(self._server.serve_forever())
        handled = []
        for sig in stop_signals:
            try:
                loop.add_signal_handler(sig, task.cancel)
                handled.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            await task
        except asyncio.CancelledError:
            if not handled or not task.cancelled() or _current_task_cancelling():
                raise
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
            task.cancel()
            self.close()
            await self.wait_closed()

    def close(self) -> None:
        """Stop listening; open WebSockets are closed by ``wait_closed()``
        (HTTP/2 connections take no new streams and end with GOAWAY once
        their WebSockets have closed)."""
        if self._server is not None:
            self._server.close()
        for h2conn in list(self._h2conns):
            h2conn.shut_down()

    async def wait_closed(self) -> None:
        """Close every open WebSocket with 1001 and wait for the handlers."""
        await asyncio.gather(*(ws.close(code=1001) for ws in list(self._websockets) if not ws.closed))
        if self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=self._close_timeout)
            for task in pending:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
        await self.wait_closed()


#: ``serve()`` keywords passed on to ``loop.create_server`` as they are.
_LISTEN_OPTIONS = ("backlog", "reuse_address", "reuse_port", "start_serving")


async def _serve(
    handler: Handler,
    host: str | None,
    port: int,
    *,
    sock: socket.socket | None = None,
    ssl: ssl_module.SSLContext | None = None,
    **kwargs: Any,
) -> Server:
    listen = {name: kwargs.pop(name) for name in _LISTEN_OPTIONS if name in kwargs}
    server = Server(handler, **kwargs)
    if server._http2 and ssl is not None:
        ssl.set_alpn_protocols(["h2", "http/1.1"])
    loop = asyncio.get_running_loop()

    def factory() -> _ServerProtocol:
        return _ServerProtocol(server)

    if sock is not None:
        server._server = await loop.create_server(factory, sock=sock, ssl=ssl, **listen)
    else:
        server._server = await loop.create_server(factory, host, port, ssl=ssl, **listen)
    return server


#: The answer when ``max_connections`` WebSockets are open.
_BUSY = Refuse(503, headers=[("Retry-After", "1")], body="too many connections\n")


def broadcast(websockets: Iterable[WebSocketBase[Any]], message: str | bytes) -> int:
    """Send *message* (``str``: TEXT, ``bytes``: BINARY) to every open
    WebSocket at once, without waiting for any of them. A connection that is
    slow (its write buffer is over the limit), closing, or busy compressing
    another message is skipped for this message, so one stalled peer never
    holds up the others (the semantics of websockets' ``broadcast``).
    Returns how many connections got the message. Raises ``TypeError`` for
    a WebSocket of the anyio layer (its writes cannot happen without waiting)."""
    payload, opcode = (message.encode("utf-8"), OP_TEXT) if isinstance(message, str) else (bytes(message), OP_BINARY)
    sent = 0
    for ws in websockets:
        conn = ws._conn
        if not isinstance(conn, WebSocketConnection):
            raise TypeError("broadcast() takes asyncio WebSockets; under anyio send to each in a task group")
        if not ws.closed:
            sent += conn.send_now(payload, opcode)
    return sent


def _current_task_cancelling() -> bool:
    """Whether the calling task itself was cancelled (not only what it awaited)."""
    task = asyncio.current_task()
    return task is not None and bool(getattr(task, "cancelling", lambda: 0)())


def _refuse(transport: asyncio.Transport, refusal: Refuse) -> NoReturn:
    """Write a hook's refusal, close, and raise ``HandshakeRejected``."""
    answer = refusal.response()
    log_raw_head(server_log, ">", answer)
    transport.write(answer)
    transport.close()
    raise HandshakeRejected(refusal.status, "Refused", "refused before the 101")


async def accept(
    sock: socket.socket,
    *,
    request: RequestHead | Mapping[str, str] | None = None,
    ssl: ssl_module.SSLContext | None = None,
    **kwargs: Any,
) -> ServerWebSocket:
    """Serve one WebSocket on *sock*, a connection that was already accepted,
    and return its server side (the caller sends, receives and closes it).

    *request*: the upgrade request if someone already read it from *sock*: a
    ``RequestHead``, or just its header fields (a mapping: ``GET /`` is
    assumed). *ssl* runs TLS over *sock* first. Takes ``serve()``'s keywords
    (``protocols``, ``process_request``, ``select_subprotocol``, limits,
    ``compress``, ``heartbeat``...). Raises ``HandshakeRejected`` (status) after
    answering a request it refuses, ``asyncio.TimeoutError`` when no complete
    request arrives within ``handshake_timeout``.
    """
    if request is not None and not isinstance(request, RequestHead):
        request = RequestHead("GET", "/", (1, 1), CIMultiDictProxy(CIMultiDict(request)))
    server = Server(_no_handler, **kwargs)
    loop = asyncio.get_running_loop()
    _, proto = await loop.connect_accepted_socket(lambda: HttpHeadProtocol(is_response=False), sock, ssl=ssl)
    return await server._upgrade(proto, request)


async def _no_handler(ws: ServerWebSocket) -> None:
    """``accept()`` hands the WebSocket to its caller instead."""


async def _close_server(server: Server) -> None:
    server.close()
    await server.wait_closed()


def serve(
    handler: Handler,
    host: str | None = "127.0.0.1",
    port: int = 0,
    **kwargs: Any,
) -> AwaitableContext[Server]:
    """Listen on *host*:*port* (port 0: a free port, see ``Server.port``).

    Keyword arguments: ``sock`` (an existing listening socket instead of host
    and port), ``ssl`` (``SSLContext``), ``protocols`` (subprotocols the server
    supports, in its order of preference), ``max_msg_size`` (bytes, 4 MiB),
    ``max_fragments`` (frames per message, 4096),
    ``autoping``, ``heartbeat`` (seconds), ``handshake_timeout`` (10 s),
    ``close_timeout`` (10 s), ``max_queue_bytes``, ``compress`` (``True`` or a
    ``PerMessageDeflate``: accept the client's first acceptable
    permessage-deflate offer, RFC 7692 §5), ``process_request`` and
    ``select_subprotocol`` (hooks deciding before the 101, see
    ``server_hooks``), ``http2`` (also serve WebSockets over HTTP/2, RFC 8441:
    h2c with prior knowledge on cleartext, ALPN ``h2`` on TLS, whose
    ``SSLContext`` then offers ``h2, http/1.1``; the ``http2`` extra; the same
    handler and hooks for both), and asyncio's listening options
    ``backlog``, ``reuse_address``, ``reuse_port``, ``start_serving``. Use
    ``await serve(...)`` or ``async with serve(...) as server``.
    """
    return AwaitableContext(_serve(handler, host, port, **kwargs), _close_server)


async def echo_handler(ws: ServerWebSocket) -> None:
    """Send every TEXT and BINARY message back unchanged, until the peer closes."""
    try:
        async for msg in ws:
            if msg.tp is MSG_TEXT:
                await ws.send_str(msg.data)
            elif msg.tp is MSG_BINARY:
                await ws.send_bytes(msg.data)
    except ClientConnectionResetError:
        pass  # the peer's close frame was answered while messages were pending
