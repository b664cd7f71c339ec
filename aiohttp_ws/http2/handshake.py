"""One hop of ``ws_connect`` over HTTP/2: extended CONNECT on a pooled
connection (RFC 8441 §4-5), or the word to use HTTP/1.1.

``hop`` returns the stream with its response head and the handshake that
checks it; the HTTP/1.1 ``Connection`` TLS negotiated instead (ALPN); or
``None``: the origin does not do WebSockets over HTTP/2 (no ALPN ``h2``, no
``SETTINGS_ENABLE_CONNECT_PROTOCOL``, a reset stream, or a 405/501 answer to
the CONNECT), remembered in the connector's pool so later hops skip HTTP/2.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Sequence

from multidict import CIMultiDict

from ..connector import BaseConnector, Connection, SSLArg
from ..models import BasicAuth, RequestInfo
from ..sansio.deflate import PerMessageDeflate
from ..sansio.extended_connect import ExtendedConnectHandshake
from ..sansio.http11 import ResponseHead
from ..tracing import Trace
from . import dial
from .connection import StreamResetError
from .stream import StreamTransport

if TYPE_CHECKING:
    from yarl import URL

__all__ = ("hop", "error_body", "FALLBACK_STATUSES")

#: Answers to an extended CONNECT that mean "not here over HTTP/2" (the
#: server's HTTP/2 side does not take CONNECT for WebSockets): fall back.
FALLBACK_STATUSES = frozenset({405, 501})


async def hop(
    connector: BaseConnector,
    url: URL,
    *,
    authority: str,
    fields: CIMultiDict[str],
    protocols: Sequence[str],
    offers: Sequence[PerMessageDeflate],
    ssl: SSLArg | None,
    server_hostname: str | None,
    timeout: float | None,
    proxy: URL | None,
    proxy_auth: BasicAuth | None,
    proxy_headers: CIMultiDict[str] | None,
    info: RequestInfo,
    traces: tuple[Trace, ...] = (),
) -> tuple[StreamTransport, ResponseHead, ExtendedConnectHandshake] | Connection | None:
    """Open the WebSocket's stream to *url* (see the module). A stream that
    the connection's GOAWAY refused is retried once on a new connection.
    Raises what the connector raises and ``ValueError`` for a bad subprotocol."""
    assert url.raw_host is not None and url.port is not None
    is_ssl = url.scheme in ("wss", "https")
    handshake = ExtendedConnectHandshake(
        scheme="https" if is_ssl else "http",
        authority=authority,
        path=url.raw_path_qs or "/",
        protocols=protocols,
        headers=fields.items(),
        request_info=info,
        extensions=offers,
    )
    key = connector.key_for(url.raw_host, url.port, is_ssl=is_ssl, ssl=ssl, proxy=proxy, server_hostname=server_hostname, http2=True)
    for attempt in (1, 2):
        conn = await dial.connect(
            connector,
            url.raw_host,
            url.port,
            is_ssl=is_ssl,
            ssl=ssl,
            server_hostname=server_hostname,
            timeout=timeout,
            proxy=proxy,
            proxy_auth=proxy_auth,
            proxy_headers=proxy_headers,
            traces=traces,
        )
        if conn is None or isinstance(conn, Connection):
            return conn
        try:
            stream, head = await conn.open_stream(handshake.headers, reserved=True)
        except StreamResetError as exc:
            if not conn.usable and attempt == 1:
                continue  # GOAWAY raced with us: a new connection
            dial.pool_of(connector).refused[key] = f"the server reset the WebSocket's stream: {exc}"
            return None
        if head.status in FALLBACK_STATUSES:
            stream.abort()
            dial.pool_of(connector).refused[key] = f"the server answered the extended CONNECT with {head.status}"
            return None
        return stream, head, handshake
    return None


class _Body(asyncio.Protocol):
    """Collects a refusal's body, up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.data += data
        if len(self.data) >= self.limit:
            self._finish()

    def eof_received(self) -> bool | None:
        self._finish()
        return None

    def connection_lost(self, exc: BaseException | None) -> None:
        self._finish()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def error_body(stream: StreamTransport, limit: int) -> bytes:
    """The body of a refusal on *stream*, at most *limit* bytes (the rest
    is dropped with the stream), read until the server ends the stream."""
    body = _Body(limit)
    stream.attach(body)
    try:
        await body.done
    finally:
        stream.abort()
    return bytes(body.data[:limit])
