"""Getting an HTTP/2 connection, and a stream on it, from a connector.

``connect`` returns a pooled ``H2ClientConnection`` with a stream slot
reserved, opening one if needed (TCP, proxy tunnel and TLS by the connector,
with ALPN ``h2`` offered; HTTP/2 then takes the transport over), or tells the
caller to use HTTP/1.1: ``None`` when the origin is known not to do RFC 8441,
or the HTTP/1.1 ``Connection`` itself when TLS negotiated ``http/1.1`` (the
upgrade then goes on that connection: no second handshake). The connector's
``H2Pool`` remembers why an origin fell back (``refused``).
"""

from __future__ import annotations

import asyncio

from yarl import URL

from .._deadline import bounded, deadline_after
from ..connector import BaseConnector, Connection, ConnectionKey, Dial
from ..sansio.http11 import ResponseHead
from .client import H2ClientConnection, H2Pool
from .connection import StreamResetError
from .stream import StreamTransport

__all__ = ("Dial", "connect", "open_stream", "key_for", "pool_of", "SETTINGS_TIMEOUT")

#: Seconds to wait for the server's first SETTINGS frame (RFC 9113 §3.4)
#: before deciding the server does not speak HTTP/2 and falling back.
SETTINGS_TIMEOUT = 5.0


def pool_of(connector: BaseConnector) -> H2Pool[ConnectionKey]:
    """The connector's HTTP/2 pool (made on first use)."""
    if connector.h2_pool is None:
        connector.h2_pool = H2Pool[ConnectionKey]()
    pool: H2Pool[ConnectionKey] = connector.h2_pool
    return pool


def key_for(connector: BaseConnector, url: URL, via: Dial) -> ConnectionKey:
    """The pool key of *url*'s origin reached *via*."""
    assert url.raw_host is not None and url.port is not None
    return connector.key_for(
        url.raw_host, url.port, is_ssl=_is_ssl(url), ssl=via.ssl, proxy=via.proxy, server_hostname=via.server_hostname, http2=True
    )


def _is_ssl(url: URL) -> bool:
    return url.scheme in ("wss", "https")


async def connect(connector: BaseConnector, url: URL, via: Dial) -> H2ClientConnection | Connection | None:
    """An HTTP/2 connection to *url*'s origin with a stream slot reserved, the
    HTTP/1.1 connection TLS negotiated instead, or ``None`` (use HTTP/1.1 on
    a new connection). Raises what ``BaseConnector.connect`` raises."""
    if connector.closed:
        raise RuntimeError("Connector is closed.")
    assert url.raw_host is not None and url.port is not None
    host, port = url.raw_host, url.port
    pool = pool_of(connector)
    key = key_for(connector, url, via)

    async def open_one() -> H2ClientConnection | Connection | None:
        conn = await connector.connect(host, port, is_ssl=key.is_ssl, http2=True, **via.connect_options())
        return await _take_over(connector, pool, key, conn)

    result: H2ClientConnection | Connection | None = await pool.get(key, open_one)
    return result


async def open_stream(
    connector: BaseConnector, url: URL, headers: list[tuple[str, str]], via: Dial, *, body: bytes | None = None
) -> tuple[StreamTransport, ResponseHead] | Connection | None:
    """A stream to *url*'s origin opened with *headers* (and *body*, as
    ``H2ClientConnection.open_stream`` takes it) and its response head; or
    what ``connect`` gave instead (HTTP/1.1). A stream refused by a GOAWAY
    that raced with it is retried once on a new connection; any other reset
    raises ``StreamResetError``."""
    retried = False
    while True:
        conn = await connect(connector, url, via)
        if conn is None or isinstance(conn, Connection):
            return conn
        try:
            return await conn.open_stream(headers, reserved=True, body=body)
        except StreamResetError:
            if conn.usable or retried:
                raise
            retried = True


async def _take_over(
    connector: BaseConnector, pool: H2Pool[ConnectionKey], key: ConnectionKey, conn: Connection
) -> H2ClientConnection | Connection | None:
    transport = conn.transport
    if key.is_ssl:
        sslobj = transport.get_extra_info("ssl_object")
        alpn = sslobj.selected_alpn_protocol() if sslobj is not None else None
        if alpn != "h2":
            pool.refused[key] = f"TLS negotiated {alpn or 'no protocol'} (ALPN), not h2"
            conn.protocol.reset()  # read it as HTTP/1.1 after all
            return conn
    idle = 0.0 if connector.force_close else connector.keepalive_timeout
    h2conn = H2ClientConnection(idle_timeout=idle)
    data, lost = conn.protocol.take_over()
    transport.set_protocol(h2conn)
    h2conn.lost_callbacks.append(conn.release)
    h2conn.connection_made(transport)
    if data:
        h2conn.data_received(data)
    if lost:
        h2conn.connection_lost(conn.protocol.lost_exc)
    try:
        await bounded(asyncio.shield(h2conn.settings_received), deadline_after(SETTINGS_TIMEOUT))
    except (asyncio.TimeoutError, ConnectionError):
        pool.refused[key] = "no HTTP/2 SETTINGS from the server"
        transport.abort()
        return None
    if not h2conn.supports_websocket:
        pool.refused[key] = "the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)"
        h2conn.terminate()
        return None
    return h2conn
