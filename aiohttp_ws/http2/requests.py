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
from multidict import CIMultiDict
from yarl import URL

from ..connector import BaseConnector, Connection
from ..exceptions import ClientPayloadError
from ..sansio.extended_connect import CONNECTION_SPECIFIC
from ..sansio.http11 import ResponseHead
from . import dial
from .stream import StreamTransport

__all__ = ("request", "StreamLeg", "StreamBody", "request_fields")


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


class StreamBody(asyncio.Protocol):
    """A stream's DATA until END_STREAM, a reset, or more than a limit.

    Until ``wait()`` is called nobody reads the body, so the stream is paused
    after its first DATA: its receive window is not handed back and the peer
    can send at most ``stream.STREAM_WINDOW`` bytes more (RFC 9113 §5.2), as a
    kernel buffer bounds an unread HTTP/1.1 body. A response left unread
    holds at most that much, whatever its length.
    """

    def __init__(self) -> None:
        self.data = bytearray()
        self.limit = 0  # bytes; 0 until wait() sets it
        self.over = False
        self.done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data
        if self.limit and len(self.data) > self.limit:
            self.over = True
            self._finish(None)
        if (not self.limit or self.over) and isinstance(self._transport, asyncio.ReadTransport):
            self._transport.pause_reading()  # nobody reads (yet, or any more)

    def eof_received(self) -> bool | None:
        self._finish(None)
        return True  # keep our side: a request's side ended with its body

    def connection_lost(self, exc: BaseException | None) -> None:
        self._finish(exc or ConnectionResetError("HTTP/2 stream ended"))

    def _finish(self, exc: BaseException | None) -> None:
        if not self.done.done():
            self.done.set_result(exc)

    async def wait(self, limit: int) -> BaseException | None:
        """Wait for the end, or until more than *limit* bytes arrived
        (``over``); the stream's error if it was reset, else ``None``."""
        self.limit = limit
        if len(self.data) > limit:
            self.over = True
            return None
        if isinstance(self._transport, asyncio.ReadTransport):
            self._transport.resume_reading()  # what was held, then the rest
        return await self.done

    async def read_full_body(self, head: ResponseHead, *, limit: int, method: str = "GET") -> tuple[bytes, bool]:
        """``HttpHeadProtocol.read_full_body`` for a stream: the whole body and
        ``True`` (the connection is never spent by one response). Raises
        ``ClientPayloadError`` over *limit* bytes or when the stream is reset."""
        declared = head.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ClientPayloadError(f"Response body of {declared} bytes is larger than {limit} bytes")
        exc = await self.wait(limit)
        if self.over:
            raise ClientPayloadError(f"Response body is larger than {limit} bytes")
        if exc is not None:
            raise ClientPayloadError(f"Response payload is not completed: {exc}") from exc
        return bytes(self.data), True


class StreamLeg:
    """What ``ClientResponse`` holds for a response on a stream: ``protocol``
    reads the body; ``reuse()`` and ``close()`` end the stream unless both
    sides already did (the HTTP/2 connection stays with its pool)."""

    def __init__(self, stream: StreamTransport) -> None:
        self.stream = stream
        self.protocol = StreamBody()
        stream.attach(self.protocol)

    def close(self) -> None:
        if not (self.stream.ended_remote and self.stream.ended_local):
            self.stream.abort()

    reuse = close


async def request(
    connector: BaseConnector,
    url: URL,
    method: str,
    fields: CIMultiDict[str],
    body: bytes | None,
    authority: str,
    via: dial.Dial,
) -> tuple[StreamLeg, ResponseHead] | Connection | None:
    """Send one request on the origin's HTTP/2 connection (``dial.open_stream``).
    Returns the response head and its ``StreamLeg``; or the HTTP/1.1
    connection TLS negotiated, or ``None`` (use HTTP/1.1). A reset stream
    raises ``StreamResetError`` (a ``ConnectionResetError``)."""
    scheme = "https" if url.scheme in ("https", "wss") else "http"
    headers = request_fields(method, scheme, authority, url.raw_path_qs or "/", fields)
    got = await dial.open_stream(connector, url, headers, via, body=body or b"")
    if isinstance(got, tuple):
        return StreamLeg(got[0]), got[1]
    return got
