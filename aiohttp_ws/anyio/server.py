"""``aiohttp_ws.anyio.serve`` and ``accept``: the server role under anyio.

The same decisions before the 101 as the asyncio ``serve()``
(``server_hooks``: ``process_request``, ``select_subprotocol``), the same
handler API (``ServerWebSocket``), on anyio's listeners and task groups.
"""

from __future__ import annotations

import contextlib
import logging
import ssl as ssl_module
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping, NoReturn, Sequence

import anyio
import anyio.abc
import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from .._debuglog import log_head, log_raw_head, server_log
from ..connection import DEFAULT_MAX_QUEUE_BYTES
from ..exceptions import HttpProcessingError, ServerDisconnectedError
from ..models import ClientWSTimeout, WSCloseCode
from ..sansio.deflate import PerMessageDeflate
from ..sansio.handshake import HandshakeRejected, accept_response, offered_protocols, process_request, reject_response
from ..sansio.http11 import RequestHead
from ..sansio.protocol import WebSocketProtocol
from ..server import _BUSY, ServerWebSocket
from ..server_hooks import Accept, ProcessRequest, Refuse, SelectSubprotocol, UpgradeRequest, choose, decide
from ._http import read_head
from .connection import AnyioConnection

__all__ = ("serve", "accept", "ServerOptions")

logger = logging.getLogger("aiohttp_ws.server")

Handler = Callable[[ServerWebSocket], Awaitable[None]]


@attrs.frozen(kw_only=True)
class ServerOptions:
    """The server's settings, with the asyncio ``serve()``'s names and defaults.

    ``protocols`` (the server's subprotocols, in its order of preference),
    ``max_msg_size`` (bytes, 4 MiB; 0 no limit), ``max_fragments`` (4096),
    ``autoping``, ``heartbeat`` (seconds or ``None``), ``handshake_timeout``
    (seconds for the request and the hooks, 10), ``close_timeout`` (seconds,
    10), ``max_queue_bytes``, ``compress`` (``True`` or a
    ``PerMessageDeflate``: accept permessage-deflate, RFC 7692 §5),
    ``process_request``, ``select_subprotocol`` (see ``server_hooks``) and
    ``max_connections`` (more are refused with 503).
    """

    protocols: Sequence[str] = ()
    max_msg_size: int = 4 * 1024 * 1024
    max_fragments: int = 4096
    autoping: bool = True
    heartbeat: float | None = None
    handshake_timeout: float = 10.0
    close_timeout: float = 10.0
    max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES
    compress: bool | PerMessageDeflate = False
    process_request: ProcessRequest | None = None
    select_subprotocol: SelectSubprotocol | None = None
    max_connections: int | None = None


def accept(
    stream: anyio.abc.ByteStream,
    *,
    request: RequestHead | Mapping[str, str] | None = None,
    **options: Any,
) -> contextlib.AbstractAsyncContextManager[ServerWebSocket]:
    """Serve one WebSocket on *stream*, an accepted connection, as the
    server side; use with ``async with``. Leaving the block closes it: 1000,
    1011 if the block raised, 1001 if it was cancelled (shutdown).

    *request*: the upgrade request if someone already read it (a
    ``RequestHead``, or only its header fields: ``GET /`` is assumed).
    *options*: ``ServerOptions``'s fields. Raises ``HandshakeRejected``
    (after answering) for a request that is refused, ``TimeoutError`` if no
    complete request came within ``handshake_timeout`` seconds,
    ``ServerDisconnectedError`` if the client left first.
    """
    if request is not None and not isinstance(request, RequestHead):
        request = RequestHead("GET", "/", (1, 1), CIMultiDictProxy(CIMultiDict(request)))
    return _accept(stream, request, ServerOptions(**options), busy=False)


@contextlib.asynccontextmanager
async def _accept(
    stream: anyio.abc.ByteStream, request: RequestHead | None, opts: ServerOptions, *, busy: bool
) -> AsyncIterator[ServerWebSocket]:
    try:
        with anyio.fail_after(opts.handshake_timeout):
            ws, leftover = await _upgrade(stream, request, opts, busy)
    except BaseException:
        await anyio.aclose_forcefully(stream)
        raise
    conn = ws._conn
    assert isinstance(conn, AnyioConnection)
    raised: BaseException | None = None  # re-raised as itself after the task group
    async with anyio.create_task_group() as tg:
        tg.start_soon(conn.run, leftover)
        code = WSCloseCode.OK
        try:
            yield ws
        except BaseException as exc:
            raised = exc
            cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
            code = WSCloseCode.GOING_AWAY if cancelled else WSCloseCode.INTERNAL_ERROR
        finally:
            with anyio.CancelScope(shield=True):
                await ws.close(code=code)
            conn.stop()
    if raised is not None:
        raise raised


async def _upgrade(
    stream: anyio.abc.ByteStream, head: RequestHead | None, opts: ServerOptions, busy: bool
) -> tuple[ServerWebSocket, bytes]:
    leftover = b""
    try:
        if head is None:
            try:
                read, leftover = await read_head(stream, is_response=False)
            except HttpProcessingError as exc:
                raise HandshakeRejected(exc.code, "Bad Request", exc.message) from exc
            assert isinstance(read, RequestHead)
            head = read
        if busy:
            await _refuse(stream, _BUSY)
        remote = stream.extra(anyio.abc.SocketAttribute.remote_address, None)
        upgrade = UpgradeRequest.from_head(head, remote)
        log_head(server_log, "<", f"{head.method} {head.target} HTTP/{head.version[0]}.{head.version[1]}", head.headers.items())
        decision = await decide(opts.process_request, upgrade)
        if isinstance(decision, Refuse):
            await _refuse(stream, decision)
        deflate = PerMessageDeflate() if opts.compress is True else (opts.compress or None)
        key, _, params = process_request(head, opts.protocols, deflate)
        choice = choose(decision, opts.select_subprotocol, upgrade, offered_protocols(head.headers), opts.protocols)
        if isinstance(choice, Refuse):
            await _refuse(stream, choice)
    except HandshakeRejected as exc:
        if exc.reason != "Refused":
            with contextlib.suppress(Exception):
                answer = reject_response(exc)
                log_raw_head(server_log, ">", answer)
                await stream.send(answer)
        raise
    extra = decision.headers if isinstance(decision, Accept) else ()
    answer = accept_response(key, choice, headers=extra, deflate=params)
    log_raw_head(server_log, ">", answer)
    await stream.send(answer)
    core = WebSocketProtocol(
        is_client=False,
        max_msg_size=opts.max_msg_size,
        max_fragments=opts.max_fragments,
        autoping=opts.autoping,
        deflate=params,
    )
    conn = AnyioConnection(
        core, stream, heartbeat=opts.heartbeat, max_queue_bytes=opts.max_queue_bytes, close_timeout=opts.close_timeout
    )
    ws = ServerWebSocket(
        conn,
        request=head,
        remote=upgrade.remote,
        protocol=choice,
        timeout=ClientWSTimeout(ws_close=opts.close_timeout),
        autoping=opts.autoping,
    )
    return ws, leftover


async def _refuse(stream: anyio.abc.ByteStream, refusal: Refuse) -> NoReturn:
    """Send a hook's refusal and raise ``HandshakeRejected``."""
    with contextlib.suppress(Exception):
        answer = refusal.response()
        log_raw_head(server_log, ">", answer)
        await stream.send(answer)
    raise HandshakeRejected(refusal.status, "Refused", "refused before the 101")


async def serve(
    handler: Handler,
    host: str | None = "127.0.0.1",
    port: int = 0,
    *,
    ssl: ssl_module.SSLContext | None = None,
    listener: anyio.abc.Listener[Any] | None = None,
    task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED,
    **options: Any,
) -> None:
    """Listen on *host*:*port* and run ``handler(ws)`` for each WebSocket,
    until cancelled; then every open WebSocket is closed with 1001.

    Start it in a task group: ``port = await tg.start(serve, handler)``
    returns the bound port (useful with port 0). *ssl* serves ``wss://``;
    *listener* replaces host and port with any anyio listener (a Unix
    socket, a pre-bound socket). *options* are ``ServerOptions``'s fields
    (``TypeError`` for others). A handler that raises closes its connection
    with 1011 and is logged; requests that are refused or never complete are
    answered (or dropped) without reaching the handler.
    """
    opts = ServerOptions(**options)
    if listener is None:
        tcp = await anyio.create_tcp_listener(local_host=host, local_port=port)
        listener = tcp
    bound = listener.extra(anyio.abc.SocketAttribute.local_port, 0)
    if ssl is not None:
        from anyio.streams.tls import TLSListener

        listener = TLSListener(listener, ssl, standard_compatible=False)
    open_count = 0

    async def serve_one(stream: anyio.abc.ByteStream) -> None:
        nonlocal open_count
        busy = opts.max_connections is not None and open_count >= opts.max_connections
        open_count += 1
        try:
            async with _accept(stream, None, opts, busy=busy) as ws:
                try:
                    await handler(ws)
                except Exception:
                    logger.exception("WebSocket handler failed")
                    await ws.close(code=WSCloseCode.INTERNAL_ERROR)
            logger.info("%s %s subprotocol=%s close_code=%s", ws.remote, ws.path, ws.protocol, ws.close_code)
        except (HandshakeRejected, TimeoutError, ServerDisconnectedError):
            pass  # answered (or dropped) before the handler
        except Exception:  # never let one connection end the listener's task group
            logger.exception("WebSocket connection failed")
        finally:
            open_count -= 1

    async with listener:
        task_status.started(bound)
        await listener.serve(serve_one)
