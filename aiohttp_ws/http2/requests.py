"""Plain requests on the HTTP/2 connection a session shares with its WebSockets.

With ``http2`` on, ``session.get(...)`` / ``post(...)`` to an origin use the
same connection as its WebSockets (``dial.connect``: the same ALPN, prior
knowledge and fallback rules, so one TCP + TLS connection carries both), one
stream per request (RFC 9113 §8.1). ``request`` sends the header fields and
body and returns the response head with a ``StreamLeg``, which
``ClientResponse`` reads the body from as it reads an HTTP/1.1 connection's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from multidict import CIMultiDict
from yarl import URL

from ..connector import BaseConnector, Connection, SSLArg
from ..exceptions import ClientPayloadError
from ..models import BasicAuth
from ..sansio.extended_connect import CONNECTION_SPECIFIC
from ..sansio.http11 import ResponseHead
from ..tracing import Trace
from . import dial
from .connection import StreamResetError
from .stream import StreamTransport

__all__ = ("request", "StreamLeg", "request_fields")


def request_fields(method: str, scheme: str, authority: str, path: str, fields: CIMultiDict[str]) -> list[tuple[str, str]]:
    """An HTTP/1.1-shaped request as HTTP/2 header fields: pseudo-header
    fields first, names lower-cased, connection-specific fields dropped
    (RFC 9113 §8.2.2, §8.3.1; ``TE: trailers`` is the one TE value allowed)."""
    out: list[tuple[str, str]] = []
    for name, value in fields.items():
        lower = name.lower()
        if lower == "host":
            authority = value  # the caller's Host wins, as on HTTP/1.1
        elif lower == "te" and value.strip().lower() == "trailers":
            out.append((lower, "trailers"))
        elif lower not in CONNECTION_SPECIFIC:
            out.append((lower, value))
    return [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path or "/"), *out]


class _Body(asyncio.Protocol):
    """The stream's DATA, up to a limit, until END_STREAM."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.limit = 0
        self.over = False
        self.done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if self.limit and len(self.data) + len(data) > self.limit:
            self.over = True
            self._finish(None)
            return
        self.data += data

    def eof_received(self) -> bool | None:
        self._finish(None)
        return True  # keep our side: a request's side ended with its body

    def connection_lost(self, exc: BaseException | None) -> None:
        self._finish(exc or ConnectionResetError("HTTP/2 stream ended"))

    def _finish(self, exc: BaseException | None) -> None:
        if not self.done.done():
            self.done.set_result(exc)

    async def read_full_body(self, head: ResponseHead, *, limit: int, method: str = "GET") -> tuple[bytes, bool]:
        """``HttpHeadProtocol.read_full_body`` for a stream: the whole body and
        ``True`` (the connection is never spent by one response). Raises
        ``ClientPayloadError`` over *limit* bytes or when the stream is reset."""
        declared = head.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ClientPayloadError(f"Response body of {declared} bytes is larger than {limit} bytes")
        self.limit = limit
        if len(self.data) > limit:
            self.over = True
        exc = None if self.over else await self.done
        if self.over:
            raise ClientPayloadError(f"Response body is larger than {limit} bytes")
        if exc is not None:
            raise ClientPayloadError(f"Response payload is not completed: {exc}") from exc
        return bytes(self.data), True


class StreamLeg:
    """What ``ClientResponse`` holds for a response on a stream: ``protocol``
    reads the body; ``reuse()`` and ``close()`` end the stream (the HTTP/2
    connection stays with its pool)."""

    def __init__(self, stream: StreamTransport) -> None:
        self.stream = stream
        self.protocol = _Body()
        stream.attach(self.protocol)

    def reuse(self) -> None:
        if not self.stream.ended_remote:
            self.stream.abort()

    def close(self) -> None:
        if not (self.stream.ended_remote and self.stream.ended_local):
            self.stream.abort()

    def release(self) -> None:
        self.close()


async def request(
    connector: BaseConnector,
    url: URL,
    method: str,
    fields: CIMultiDict[str],
    body: bytes | None,
    *,
    authority: str,
    ssl: SSLArg | None,
    server_hostname: str | None,
    timeout: float | None,
    proxy: URL | None,
    proxy_auth: BasicAuth | None,
    proxy_headers: CIMultiDict[str] | None,
    traces: tuple[Trace, ...] = (),
) -> tuple[StreamLeg, ResponseHead] | Connection | None:
    """Send one request on the origin's HTTP/2 connection. Returns the
    response head and its ``StreamLeg``; or the HTTP/1.1 connection TLS
    negotiated, or ``None`` (use HTTP/1.1), as ``dial.connect`` decides. A
    stream that the connection's GOAWAY refused is retried once on a new
    connection; a reset stream raises ``ClientConnectionResetError``-like
    ``StreamResetError``."""
    assert url.raw_host is not None and url.port is not None
    is_ssl = url.scheme in ("https", "wss")
    headers = request_fields(method, "https" if is_ssl else "http", authority, url.raw_path_qs or "/", fields)
    for attempt in (1, 2):
        conn: Any = await dial.connect(
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
            stream, head = await conn.open_stream(headers, reserved=True, body=body or b"")
        except StreamResetError:
            if not conn.usable and attempt == 1:
                continue
            raise
        return StreamLeg(stream), head
    return None
