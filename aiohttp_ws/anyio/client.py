"""``aiohttp_ws.anyio.connect``: a client WebSocket under anyio (asyncio or trio)."""

from __future__ import annotations

import contextlib
import ssl as ssl_module
from typing import Any, AsyncIterator, Mapping, Sequence

import anyio
import anyio.abc
from yarl import URL

from .._debuglog import client_log, log_head, log_raw_head
from ..client_base import _SCHEMES, USER_AGENT, _host_header
from ..client_ws import ClientWebSocketResponse
from ..connection import DEFAULT_MAX_QUEUE_BYTES
from ..connector import _connect_error
from ..exceptions import (
    HttpProcessingError,
    InvalidURL,
    NonHttpUrlClientError,
    ServerTimeoutError,
    WSServerHandshakeError,
)
from ..models import DEFAULT_WS_TIMEOUT, BasicAuth, ClientWSTimeout, RequestInfo
from ..sansio.deflate import CompressArg, offers_from
from ..sansio.handshake import ClientHandshake
from ..sansio.http11 import ResponseHead
from ..sansio.protocol import WebSocketProtocol
from ._http import read_body, read_head
from .connection import AnyioConnection

__all__ = ("connect",)

@contextlib.asynccontextmanager
async def connect(
    url: str | URL,
    *,
    protocols: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    origin: str | None = None,
    auth: BasicAuth | None = None,
    timeout: ClientWSTimeout = DEFAULT_WS_TIMEOUT,
    autoclose: bool = True,
    autoping: bool = True,
    heartbeat: float | None = None,
    ssl: bool | ssl_module.SSLContext = True,
    server_hostname: str | None = None,
    stream: anyio.abc.ByteStream | None = None,
    compress: CompressArg = 0,
    max_msg_size: int = 4 * 1024 * 1024,
    max_fragments: int = 4096,
    max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
    decode_text: bool = True,
) -> AsyncIterator[ClientWebSocketResponse[Any]]:
    """Open a WebSocket (RFC 6455 §4.1) under anyio; use with ``async with``.

    The yielded object is a ``ClientWebSocketResponse``: the same
    ``send_str``/``send_bytes``/``send_json``/``ping``/``receive*``/``close``/
    ``async for`` as ``ClientSession.ws_connect`` gives, with ``TimeoutError``
    where the asyncio layer raises ``asyncio.TimeoutError``. Its reader (pongs,
    the close reply, the heartbeat) runs in a task group that lives as long as
    the ``async with`` block; leaving the block closes the WebSocket (1000).

    Args:
        url: ``ws://``, ``wss://`` (or ``http://``, ``https://``) URL.
        protocols: subprotocols offered, in order of preference (a bare
            string is one subprotocol).
        headers: extra request header fields; origin: the Origin field;
            auth: ``BasicAuth`` (also taken from ``user:pass@`` in the URL).
        timeout: ``ClientWSTimeout`` in seconds: ``ws_handshake`` bounds
            connecting plus the handshake (``ServerTimeoutError``),
            ``ws_receive`` each ``receive()``, ``ws_close`` the close handshake.
        autoclose, autoping, heartbeat, compress, max_msg_size, max_fragments,
            max_queue_bytes, decode_text: as ``ClientSession.ws_connect``.
        ssl: for ``wss://``: ``True`` (verify with the system's CAs),
            ``False`` (no verification) or an ``SSLContext``.
        server_hostname: TLS SNI and certificate host name override.
        stream: an already connected ``anyio.abc.ByteStream`` (a Unix socket,
            a tunnel, a socketpair, an inherited descriptor wrapped by anyio);
            the URL then gives only the Host field and the request target,
            and TLS is wrapped over it for ``wss://``.

    Not here (use ``ClientSession`` on asyncio): redirects, proxies, cookies.
    Raises ``WSServerHandshakeError`` (status, headers, body),
    ``ClientConnectorError`` (``ClientConnectorCertificateError`` /
    ``ClientConnectorSSLError`` for TLS, ``ClientConnectorDNSError``),
    ``ServerTimeoutError``, ``NonHttpUrlClientError`` and ``InvalidURL``.
    """
    url = URL(url)
    if url.scheme not in _SCHEMES:
        raise NonHttpUrlClientError(url)
    if not url.raw_host:
        raise InvalidURL(url, "no host")
    offers = offers_from(compress)
    tls, default_port = _SCHEMES[url.scheme]
    if auth is None and url.user is not None:
        auth = BasicAuth(url.user, url.password or "")
    fields: dict[str, str] = {"User-Agent": USER_AGENT}
    if auth is not None:
        fields["Authorization"] = auth.encode()
    if origin is not None:
        fields["Origin"] = origin
    fields.update(headers or {})
    handshake = ClientHandshake(
        host=_host_header(url, default_port),
        target=url.raw_path_qs or "/",
        protocols=protocols,
        headers=fields.items(),
        extensions=offers,
    )
    handshake.request_info = RequestInfo(url, "GET", handshake.headers, url)
    seconds = timeout.ws_handshake
    try:
        with anyio.fail_after(seconds):
            stream = await _open(url, tls, ssl, server_hostname, stream)
            head, leftover, chosen = await _handshake(stream, handshake)
    except TimeoutError as exc:
        if stream is not None:
            await anyio.aclose_forcefully(stream)
        raise ServerTimeoutError(f"WebSocket handshake with {url} timed out after {seconds} s") from exc
    core = WebSocketProtocol(
        is_client=True,
        max_msg_size=max_msg_size,
        max_fragments=max_fragments,
        autoping=autoping,
        autoclose=autoclose,
        deflate=handshake.deflate,
    )
    conn = AnyioConnection(
        core, stream, heartbeat=heartbeat, max_queue_bytes=max_queue_bytes, close_timeout=timeout.ws_close
    )
    ws: ClientWebSocketResponse[Any] = ClientWebSocketResponse(
        conn,
        headers=head.headers,
        protocol=chosen,
        timeout=timeout,
        autoclose=autoclose,
        autoping=autoping,
        decode_text=decode_text,
    )
    # The block's own exception is re-raised after the task group, so it
    # reaches the caller as itself, not inside an exception group.
    raised: BaseException | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(conn.run, leftover)
        try:
            yield ws
        except BaseException as exc:
            raised = exc
        finally:
            with anyio.CancelScope(shield=True):
                await ws.close()
            conn.stop()
    if raised is not None:
        raise raised


async def _open(
    url: URL,
    tls: bool,
    ssl: bool | ssl_module.SSLContext,
    server_hostname: str | None,
    stream: anyio.abc.ByteStream | None,
) -> anyio.abc.ByteStream:
    host = url.raw_host or ""
    port = url.port or (443 if tls else 80)
    context = _ssl_context(ssl) if tls else None
    try:
        if stream is None:
            stream = await anyio.connect_tcp(host, port)
    except OSError as exc:
        raise _connect_error(host, port, tls, exc) from exc
    if context is None:
        return stream
    from anyio.streams.tls import TLSStream

    try:
        return await TLSStream.wrap(stream, hostname=server_hostname or host, ssl_context=context, standard_compatible=False)
    except BaseException as exc:
        await anyio.aclose_forcefully(stream)
        if isinstance(exc, anyio.BrokenResourceError):  # the ssl error is its cause
            raise _connect_error(host, port, tls, exc.__cause__ if isinstance(exc.__cause__, OSError) else exc) from exc
        if isinstance(exc, OSError):  # ssl.SSLError included
            raise _connect_error(host, port, tls, exc) from exc
        raise


def _ssl_context(ssl: bool | ssl_module.SSLContext) -> ssl_module.SSLContext:
    if isinstance(ssl, ssl_module.SSLContext):
        return ssl
    context = ssl_module.create_default_context()
    if ssl is False:
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    return context


async def _handshake(
    stream: anyio.abc.ByteStream, handshake: ClientHandshake
) -> tuple[ResponseHead, bytes, str | None]:
    """Send the upgrade request, read and check the answer; return the head,
    the bytes after it and the chosen subprotocol. A refusal's body (up to
    1 MiB) goes into the ``WSServerHandshakeError``."""
    info = handshake.request_info
    try:
        log_raw_head(client_log, ">", handshake.request)
        await stream.send(handshake.request)
        read, leftover = await read_head(stream, is_response=True)
        assert isinstance(read, ResponseHead)
        head = read
        log_head(client_log, "<", f"HTTP/{head.version[0]}.{head.version[1]} {head.status} {head.reason}", head.headers.items())
        if head.status != 101:
            body = await read_body(stream, head, leftover)
            raise WSServerHandshakeError(
                info, status=head.status, message=head.reason or "Invalid response status", headers=head.headers, body=body, reason=head.reason
            )
        chosen = handshake.process_response(head)
    except HttpProcessingError as exc:
        await anyio.aclose_forcefully(stream)
        raise WSServerHandshakeError(info, status=exc.code, message=f"Invalid HTTP response: {exc.message}") from exc
    except BaseException:
        await anyio.aclose_forcefully(stream)
        raise
    return head, leftover, chosen
