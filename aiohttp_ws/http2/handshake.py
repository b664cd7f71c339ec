"""One hop of ``ws_connect`` over HTTP/2: extended CONNECT on a pooled
connection (RFC 8441 §4-5), or the word to use HTTP/1.1.

``hop`` returns the stream with its response head; the HTTP/1.1 ``Connection`` TLS negotiated instead (ALPN); or
``None``: the origin does not do WebSockets over HTTP/2 (no ALPN ``h2``, no
``SETTINGS_ENABLE_CONNECT_PROTOCOL``, a reset stream, or a 405/501 answer to
the CONNECT), remembered in the connector's pool so later hops skip HTTP/2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..connector import BaseConnector, Connection
from ..sansio.extended_connect import ExtendedConnectHandshake
from ..sansio.http11 import ResponseHead
from . import dial
from .connection import StreamResetError
from .requests import StreamBody
from .stream import StreamTransport

if TYPE_CHECKING:
    from yarl import URL

__all__ = ("hop", "error_body", "FALLBACK_STATUSES")

#: Answers to an extended CONNECT that mean "not here over HTTP/2" (the
#: server's HTTP/2 side does not take CONNECT for WebSockets): fall back.
FALLBACK_STATUSES = frozenset({405, 501})


async def hop(
    connector: BaseConnector, url: URL, handshake: ExtendedConnectHandshake, via: dial.Dial
) -> tuple[StreamTransport, ResponseHead] | Connection | None:
    """Open the WebSocket's stream to *url* with *handshake*'s request (see
    the module); a reset stream or a 405/501 answer is remembered as the
    origin's refusal and gives ``None``. Raises what the connector raises."""
    refused = dial.pool_of(connector).refused
    try:
        got = await dial.open_stream(connector, url, handshake.headers, via)
    except StreamResetError as exc:
        refused[dial.key_for(connector, url, via)] = f"the server reset the WebSocket's stream: {exc}"
        return None
    if isinstance(got, tuple) and got[1].status in FALLBACK_STATUSES:
        got[0].abort()
        refused[dial.key_for(connector, url, via)] = f"the server answered the extended CONNECT with {got[1].status}"
        return None
    return got


async def error_body(stream: StreamTransport, limit: int) -> bytes:
    """The body of a refusal on *stream*, at most *limit* bytes (the rest
    is dropped with the stream), read until the server ends the stream."""
    body = StreamBody()
    stream.attach(body)
    try:
        await body.wait(limit)
    finally:
        stream.abort()
    return bytes(body.data[:limit])
