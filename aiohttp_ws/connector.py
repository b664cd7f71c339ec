"""Connectors: open TCP (or Unix) connections, with TLS, under limits.

Every ``OSError`` and ``ssl.SSLError`` from connecting is translated here, in
``_connect_error``, into the public tree (``ClientConnectorError`` and its
TLS subclasses).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl as ssl_module
from asyncio.staggered import staggered_race
from typing import Any, Callable, Literal, NamedTuple, Union

import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .exceptions import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientHttpProxyError,
    ClientProxyConnectionError,
    ClientSSLError,
    ConnectionTimeoutError,
    HttpProcessingError,
    ServerFingerprintMismatch,
)
from .sansio.http11 import ResponseHead, serialize_request
from ._deadline import bounded, deadline_after
from ._dns import Resolver, interleave as order_addresses, ip_literal
from ._tcp_connect import sock_connect
from .socks import SOCKS_SCHEMES, socks_connect
from .tracing import (
    CURRENT_TRACES,
    Trace,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    send_all,
)
from .http_proto import HttpHeadProtocol
from .models import BasicAuth, RequestInfo

__all__ = (
    "ClientConnectorCertificateError",
    "ClientConnectorSSLError",
    "SSLArg",
    "Fingerprint", "ConnectionKey", "Dial", "Connection", "BaseConnector", "TCPConnector", "UnixConnector",
    "AddrInfoType", "SocketFactoryType")


class Fingerprint:
    """Pin a server certificate by the SHA-256 digest of its DER encoding
    (32 bytes), as aiohttp's ``Fingerprint``. Chain and host name are not
    verified; the digest alone decides. A mismatch raises
    ``ServerFingerprintMismatch``. MD5 and SHA-1 digests are refused (``ValueError``).
    """

    def __init__(self, fingerprint: bytes) -> None:
        if len(fingerprint) != 32:
            raise ValueError("a Fingerprint is the 32-byte SHA-256 digest of the DER certificate")
        self.fingerprint = bytes(fingerprint)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def check(self, transport: asyncio.BaseTransport, host: str, port: int) -> None:
        """Raise ``ServerFingerprintMismatch`` unless the peer's certificate matches."""
        sslobj = transport.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        got = hashlib.sha256(der).digest() if der else b""
        if got != self.fingerprint:
            raise ServerFingerprintMismatch(self.fingerprint, got, host, port)


SSLArg = Union[bool, ssl_module.SSLContext, Fingerprint]
#: ``ws_connect(http2=...)``: ``False``, ``True`` or ``"prior-knowledge"``.
Http2Arg = Union[bool, Literal["prior-knowledge"]]


def check_http2(value: Any) -> Http2Arg:
    """*value* if it is an ``http2`` choice, else ``ValueError``."""
    if value is True or value is False or value == "prior-knowledge":
        return value  # type: ignore[no-any-return]
    raise ValueError(f"http2 must be False, True or 'prior-knowledge', not {value!r}")


class ConnectionKey(NamedTuple):
    """Where a connection goes: host, port, TLS, the TLS choice and the proxy.
    Pooled connections are only reused for an equal key. A named tuple, as
    aiohttp's ``ConnectionKey`` is (a dict key several times per connect:
    its hash is the tuple's, in C)."""

    host: str
    port: int
    is_ssl: bool
    ssl: Any = True
    proxy: str | None = None
    server_hostname: str | None = None
    #: The connection is for HTTP/2 (ALPN ``h2`` offered, or prior knowledge).
    http2: bool = False


@attrs.frozen
class Dial:
    """How to reach an origin: the arguments of ``BaseConnector.connect`` other
    than the address (TLS choice, the connect timeout in seconds, the proxy,
    the traces), as a session's hop works them out for HTTP/1.1 and HTTP/2."""

    ssl: SSLArg | None = None
    server_hostname: str | None = None
    timeout: float | None = None
    proxy: URL | None = None
    proxy_auth: BasicAuth | None = None
    proxy_headers: CIMultiDict[str] | None = None
    traces: tuple[Trace, ...] = ()

    def connect_options(self) -> dict[str, Any]:
        """These as keyword arguments of ``BaseConnector.connect``."""
        return {
            "ssl": self.ssl,
            "server_hostname": self.server_hostname,
            "timeout": self.timeout,
            "proxy": self.proxy,
            "proxy_auth": self.proxy_auth,
            "proxy_headers": self.proxy_headers,
            "traces": self.traces,
        }


class Connection:
    """A leased transport. ``release()`` gives the slot back (idempotent);
    ``reuse()`` gives the slot back and parks the connection in the
    keep-alive pool (plain HTTP only; WebSocket connections are never reused)."""

    def __init__(
        self,
        key: ConnectionKey,
        transport: asyncio.Transport,
        protocol: HttpHeadProtocol,
        connector: BaseConnector,
    ) -> None:
        self.key = key
        self.transport = transport
        self.protocol = protocol
        self._connector: BaseConnector | None = connector

    def release(self) -> None:
        """Return the slot to the connector's limits."""
        connector, self._connector = self._connector, None
        if connector is not None:
            connector._release(self)

    def close(self) -> None:
        """Abort the transport and release the slot."""
        self.transport.abort()
        self.release()

    def reuse(self) -> None:
        """Release the slot and keep the connection for the next request to the
        same key, if it is still open and the connector keeps connections."""
        connector = self._connector
        if connector is None:
            return
        if self.transport.is_closing() or self.protocol.lost or not connector._keeps_alive():
            self.close()
            return
        self.release()
        connector._park(self)


class _Limiter:
    """Counts open connections, in total and (with a per-host limit) per
    host, and queues waiters."""

    def __init__(self, limit: int, limit_per_host: int) -> None:
        self.limit = limit
        self.limit_per_host = limit_per_host
        self.total = 0
        self.per_host: dict[ConnectionKey, int] = {}  # counted only under a per-host limit
        self._waiters: list[asyncio.Future[None]] = []

    def take(self, key: ConnectionKey) -> bool:
        """Count a connection to *key* if a slot is free now; whether it was."""
        if self.limit and self.total >= self.limit:
            return False
        if self.limit_per_host:
            key = _limit_key(key)
            count = self.per_host.get(key, 0)
            if count >= self.limit_per_host:
                return False
            self.per_host[key] = count + 1
        self.total += 1
        return True

    async def acquire(self, key: ConnectionKey) -> None:
        """Wait for a free slot and count a connection to *key* in it."""
        while not self.take(key):
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)

    def release(self, key: ConnectionKey) -> None:
        self.total -= 1
        if self.limit_per_host:
            key = _limit_key(key)
            left = self.per_host[key] - 1
            if left:
                self.per_host[key] = left
            else:
                del self.per_host[key]
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)


def _limit_key(key: ConnectionKey) -> ConnectionKey:
    """HTTP/1.1 and HTTP/2 connections to one endpoint count as one host."""
    return key._replace(http2=False) if key.http2 else key


class ClientConnectorSSLError(ClientSSLError, ssl_module.SSLError):
    """The TLS handshake failed for a reason other than the certificate."""


class ClientConnectorCertificateError(ClientSSLError, ssl_module.CertificateError):
    """The server's certificate did not verify (``ssl.SSLCertVerificationError``)."""


def _connect_error(host: str, port: int, is_ssl: bool, exc: BaseException, proxy: bool = False) -> ClientConnectorError:
    if isinstance(exc, ssl_module.SSLCertVerificationError):
        return ClientConnectorCertificateError(host, port, is_ssl, exc)
    if isinstance(exc, ssl_module.SSLError):
        return ClientConnectorSSLError(host, port, is_ssl, exc)
    if proxy:
        return ClientProxyConnectionError(host, port, is_ssl, exc)
    if isinstance(exc, socket.gaierror):
        return ClientConnectorDNSError(host, port, is_ssl, exc)
    return ClientConnectorError(host, port, is_ssl, exc)


def _usable(conn: Connection, expiry: float, now: float) -> bool:
    """Whether a pooled connection may carry another request: not expired,
    not closed by the peer, nothing received while idle."""
    return expiry > now and not conn.transport.is_closing() and conn.protocol.idle


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class BaseConnector:
    """Limits, TLS contexts, the keep-alive pool and the open connections.

    Args:
        limit: most connections leased at once (0: no limit), default 100.
        limit_per_host: most leased per (host, port, TLS) (0: no limit), default 0.
        ssl: ``True`` verifies certificates with one default ``SSLContext``
            made once per connector (``ssl.create_default_context()``);
            ``False`` disables verification; an ``SSLContext`` to use; or a
            ``Fingerprint`` to pin the certificate.
        force_close: close each HTTP connection after its response instead of
            keeping it alive (default ``False``).
        keepalive_timeout: seconds an idle HTTP connection stays in the pool
            (default 15; ``None``: until the peer closes it).
        enable_cleanup_closed: accepted for aiohttp compatibility. Closed
            connections are always aborted here (``transport.abort()``), which
            never leaves a TLS transport waiting for the peer's close_notify.
        http2: the default of ``ws_connect(http2=...)`` for sessions on this
            connector: ``False`` (HTTP/1.1 only), ``True`` (WebSockets over
            HTTP/2, RFC 8441, when a ``wss://`` server offers it) or
            ``"prior-knowledge"`` (also cleartext h2c for ``ws://``). Needs the
            ``http2`` extra (h2); see docs/http2.rst.
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        ssl: SSLArg = True,
        force_close: bool = False,
        keepalive_timeout: float | None = 15.0,
        enable_cleanup_closed: bool = False,
        http2: Http2Arg = False,
    ) -> None:
        if limit < 0 or limit_per_host < 0:
            raise ValueError("limit and limit_per_host must be >= 0")
        if force_close and keepalive_timeout not in (None, 15.0):
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        self._limiter = _Limiter(limit, limit_per_host)
        self._ssl = ssl
        self._force_close = force_close
        self._keepalive_timeout = keepalive_timeout
        self.enable_cleanup_closed = enable_cleanup_closed
        self.http2: Http2Arg = check_http2(http2)
        self._contexts: dict[tuple[bool, bool], ssl_module.SSLContext] = {}  # (verify, ALPN h2) -> context
        self.h2_pool: Any = None  # http2.client.H2Pool, made on first use
        self._conns: set[Connection] = set()
        self._pool: dict[ConnectionKey, list[tuple[Connection, float]]] = {}
        self._sweep_handle: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def limit(self) -> int:
        """The most connections leased at once, or 0 for no limit."""
        return self._limiter.limit

    @property
    def limit_per_host(self) -> int:
        """The most connections per endpoint, or 0 for no limit."""
        return self._limiter.limit_per_host

    @property
    def keepalive_timeout(self) -> float | None:
        """Seconds an idle connection is kept (``None``: until the peer closes it)."""
        return self._keepalive_timeout

    @property
    def force_close(self) -> bool:
        """Whether HTTP connections are closed after each response."""
        return self._force_close

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def pooled(self) -> int:
        """How many idle connections the keep-alive pool holds."""
        return sum(len(v) for v in self._pool.values())

    def ssl_context(self, ssl: SSLArg | None = None, *, http2: bool = False) -> ssl_module.SSLContext:
        """The context for a TLS connection: a per-call *ssl* wins over the
        connector's; ``True`` means the shared verifying default context; ``False``
        and a ``Fingerprint`` the shared context without verification. With
        *http2* these offer ALPN ``h2, http/1.1`` (RFC 7301); a caller's own
        ``SSLContext`` is used as it is (its ALPN list decides)."""
        choice: SSLArg = self._ssl if ssl is None or ssl is True else ssl
        if isinstance(choice, ssl_module.SSLContext):
            return choice
        verify = choice is True
        ctx = self._contexts.get((verify, http2))
        if ctx is None:
            ctx = ssl_module.create_default_context()
            if not verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl_module.CERT_NONE
            if http2:
                ctx.set_alpn_protocols(["h2", "http/1.1"])
            self._contexts[(verify, http2)] = ctx
        return ctx

    def key_for(
        self,
        host: str,
        port: int,
        *,
        is_ssl: bool,
        ssl: SSLArg | None = None,
        proxy: URL | None = None,
        server_hostname: str | None = None,
        http2: bool = False,
    ) -> ConnectionKey:
        """The ``ConnectionKey`` that ``connect()`` uses for these arguments."""
        choice = self._ssl if ssl is None else ssl
        return ConnectionKey(host, port, is_ssl, choice if is_ssl else True, str(proxy) if proxy else None, server_hostname, http2)

    async def connect(
        self,
        host: str,
        port: int,
        *,
        is_ssl: bool,
        ssl: SSLArg | None = None,
        server_hostname: str | None = None,
        timeout: float | None = None,
        proxy: URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: CIMultiDict[str] | None = None,
        reuse: bool = False,
        traces: tuple[Trace, ...] = (),
        http2: bool = False,
    ) -> Connection:
        """Lease a connection whose protocol reads an HTTP response head.

        With *reuse*, an idle pooled connection to the same key is taken if
        there is one. With *proxy* (``http://`` or ``https://`` URL), the
        connection is a CONNECT tunnel (RFC 9110 §9.3.6) through it; TLS to the
        origin runs inside the tunnel and verifies the origin, not the proxy.
        Waits for a free slot first. *timeout* (seconds) bounds the TCP and
        TLS connects and the CONNECT exchange. Raises ``ClientConnectorError``
        (or its TLS and proxy subclasses), ``ClientHttpProxyError``,
        ``ServerFingerprintMismatch`` and ``ConnectionTimeoutError``.

        With *http2* the connection offers ALPN ``h2`` and its protocol holds
        what arrives unparsed (``HttpHeadProtocol.hold``) for the HTTP/2 layer
        to take over (``http2.dial``).
        """
        if self._closed:
            raise RuntimeError("Connector is closed.")
        key = self.key_for(host, port, is_ssl=is_ssl, ssl=ssl, proxy=proxy, server_hostname=server_hostname, http2=http2)
        if not self._limiter.take(key):  # no free slot: queued
            if traces:
                await send_all(traces, "on_connection_queued_start", TraceConnectionQueuedStartParams())
            await self._limiter.acquire(key)
            if traces:
                await send_all(traces, "on_connection_queued_end", TraceConnectionQueuedEndParams())
        if reuse:
            conn = self._unpark(key)
            if conn is not None:
                self._conns.add(conn)
                if traces:
                    await send_all(traces, "on_connection_reuseconn", TraceConnectionReuseconnParams())
                return conn
        token = CURRENT_TRACES.set(traces) if traces else None
        try:
            if traces:
                await send_all(traces, "on_connection_create_start", TraceConnectionCreateStartParams())
            transport, protocol = await bounded(
                self._open_maybe_proxied(key, proxy, proxy_auth, proxy_headers), deadline_after(timeout)
            )
            if traces:
                await send_all(traces, "on_connection_create_end", TraceConnectionCreateEndParams())
        except asyncio.TimeoutError as exc:
            self._limiter.release(key)
            raise ConnectionTimeoutError(f"Connection timeout to host {host}:{port}") from exc
        except BaseException:
            self._limiter.release(key)
            raise
        finally:
            if token is not None:
                CURRENT_TRACES.reset(token)
        conn = Connection(key, transport, protocol, self)
        self._conns.add(conn)
        return conn

    async def _open_maybe_proxied(
        self,
        key: ConnectionKey,
        proxy: URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: CIMultiDict[str] | None,
    ) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        tls_host = key.server_hostname or key.host.rstrip(".")
        factory = _held_factory if key.http2 else _factory
        if proxy is None:
            tls: dict[str, Any] = {}
            if key.is_ssl:
                tls = {"ssl": self.ssl_context(key.ssl, http2=key.http2), "server_hostname": tls_host}
            try:
                transport, protocol = await self._open(key.host, key.port, tls, factory)
            except (OSError, ssl_module.SSLError) as exc:
                raise _connect_error(key.host, key.port, key.is_ssl, exc) from exc
        elif proxy.scheme in SOCKS_SCHEMES:
            sock = await socks_connect(proxy, proxy_auth, key.host, key.port)
            tls = {"ssl": self.ssl_context(key.ssl, http2=key.http2), "server_hostname": tls_host} if key.is_ssl else {}
            try:
                transport, protocol = await asyncio.get_running_loop().create_connection(factory, sock=sock, **tls)
            except BaseException as exc:
                sock.close()
                if isinstance(exc, (OSError, ssl_module.SSLError)):
                    raise _connect_error(key.host, key.port, key.is_ssl, exc) from exc
                raise
        else:
            transport, protocol = await self._tunnel(key, proxy, proxy_auth, proxy_headers)
            if key.http2:
                protocol.hold()  # the origin's bytes, for the HTTP/2 layer
            else:
                protocol.reset()  # the next head is the origin's
            if key.is_ssl:
                loop = asyncio.get_running_loop()
                try:
                    context = self.ssl_context(key.ssl, http2=key.http2)
                    new = await loop.start_tls(transport, protocol, context, server_hostname=tls_host)
                except BaseException as exc:
                    transport.abort()
                    if isinstance(exc, (OSError, ssl_module.SSLError)):
                        raise _connect_error(key.host, key.port, True, exc) from exc
                    raise
                assert new is not None
                transport = new
                protocol.transport = transport
        if isinstance(key.ssl, Fingerprint) and key.is_ssl:
            try:
                key.ssl.check(transport, key.host, key.port)
            except ServerFingerprintMismatch:
                transport.abort()
                raise
        if key.is_ssl and not key.http2:
            sslobj = transport.get_extra_info("ssl_object")
            if sslobj is not None and sslobj.selected_alpn_protocol() == "h2":  # a caller's context offered h2
                transport.abort()
                raise ClientConnectionError(
                    f"TLS to {key.host}:{key.port} negotiated HTTP/2 (h2 is in the SSLContext's ALPN list) for an "
                    "HTTP/1.1 request: pass http2=True, or leave h2 out of set_alpn_protocols()"
                )
        return transport, protocol

    async def _tunnel(
        self,
        key: ConnectionKey,
        proxy: URL,
        proxy_auth: BasicAuth | None,
        proxy_headers: CIMultiDict[str] | None,
    ) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        """Open a connection to *proxy* and ask it for a tunnel to the key's
        host and port. ``Proxy-Authorization`` goes on this CONNECT request only."""
        if proxy.scheme not in ("http", "https") or not proxy.raw_host:
            raise ValueError(f"only http://, https:// and socks proxies are supported, not {proxy}")
        proxy_tls = proxy.scheme == "https"
        assert proxy.port is not None
        tls: dict[str, Any] = {}
        if proxy_tls:
            tls = {"ssl": self.ssl_context(True), "server_hostname": proxy.raw_host}
        try:
            transport, protocol = await self._open(proxy.raw_host, proxy.port, tls, _factory)
        except (OSError, ssl_module.SSLError) as exc:
            raise _connect_error(proxy.raw_host, proxy.port, proxy_tls, exc, proxy=True) from exc
        target = _authority(key.host, key.port)
        fields: CIMultiDict[str] = CIMultiDict(proxy_headers or {})
        fields["Host"] = target
        auth = proxy_auth or BasicAuth.from_url(proxy)
        if auth is not None:
            fields["Proxy-Authorization"] = auth.encode()
        try:
            transport.write(serialize_request("CONNECT", target, fields.items()))
            head = await protocol.read_head()
        except HttpProcessingError as exc:
            transport.abort()
            raise ClientProxyConnectionError(proxy.raw_host, proxy.port, proxy_tls, exc) from exc
        except BaseException:
            transport.abort()
            raise
        assert isinstance(head, ResponseHead)
        if not 200 <= head.status < 300:
            transport.abort()
            url = URL.build(scheme="https" if key.is_ssl else "http", host=key.host, port=key.port)
            info = RequestInfo(url, "CONNECT", CIMultiDictProxy(fields), url)
            raise ClientHttpProxyError(info, status=head.status, message=head.reason, headers=head.headers)
        return transport, protocol

    async def _open(
        self, host: str, port: int, tls: dict[str, Any], factory: Callable[[], HttpHeadProtocol]
    ) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        """Open the transport; *tls* holds ``ssl`` and ``server_hostname`` for
        TLS; *factory* makes the protocol."""
        raise NotImplementedError

    # -- the keep-alive pool ------------------------------------------------------

    def _keeps_alive(self) -> bool:
        return not self._force_close and not self._closed

    def _park(self, conn: Connection) -> None:
        conn.protocol.reset()
        conn._connector = self
        timeout = self._keepalive_timeout
        loop = asyncio.get_running_loop()
        expiry = loop.time() + timeout if timeout is not None else float("inf")
        self._pool.setdefault(conn.key, []).append((conn, expiry))
        if timeout is not None and self._sweep_handle is None:
            self._sweep_handle = loop.call_later(timeout, self._sweep)

    def _unpark(self, key: ConnectionKey) -> Connection | None:
        idle = self._pool.get(key)
        now = asyncio.get_running_loop().time()
        while idle:
            conn, expiry = idle.pop()
            if _usable(conn, expiry, now):
                if not idle:
                    del self._pool[key]
                return conn
            conn.transport.abort()
        self._pool.pop(key, None)
        return None

    def _sweep(self) -> None:
        self._sweep_handle = None
        now = asyncio.get_running_loop().time()
        for key in list(self._pool):
            keep = []
            for conn, expiry in self._pool[key]:
                if _usable(conn, expiry, now):
                    keep.append((conn, expiry))
                else:
                    conn.transport.abort()
            if keep:
                self._pool[key] = keep
            else:
                del self._pool[key]
        if self._pool and self._keepalive_timeout is not None:
            self._sweep_handle = asyncio.get_running_loop().call_later(self._keepalive_timeout, self._sweep)

    def _release(self, conn: Connection) -> None:
        self._conns.discard(conn)
        self._limiter.release(conn.key)

    async def close(self) -> None:
        """Abort every open and pooled connection and refuse new ones."""
        self._close()

    def _close(self) -> None:
        self._closed = True
        if self._sweep_handle is not None:
            self._sweep_handle.cancel()
            self._sweep_handle = None
        for idle in self._pool.values():
            for conn, _ in idle:
                conn.transport.abort()
        self._pool.clear()
        for conn in list(self._conns):
            conn.close()
        if self.h2_pool is not None:
            self.h2_pool.close()


def _factory() -> HttpHeadProtocol:
    return HttpHeadProtocol(is_response=True)


def _held_factory() -> HttpHeadProtocol:
    protocol = HttpHeadProtocol(is_response=True)
    protocol.hold()
    return protocol


#: One address as ``getaddrinfo`` gives it: (family, type, proto, canonname, sockaddr).
AddrInfoType = tuple[int, int, int, str, tuple[Any, ...]]
#: ``TCPConnector``'s ``socket_factory``: makes the socket for one address.
SocketFactoryType = Callable[[AddrInfoType], socket.socket]


class TCPConnector(BaseConnector):
    """Connects over TCP: resolves with the event loop (cached), races the
    addresses with Happy Eyeballs (RFC 8305), then lets the loop wrap the
    winning socket (TLS included; asyncio sets TCP_NODELAY).

    ``limit``, ``limit_per_host``, ``ssl``, ``force_close``,
    ``keepalive_timeout`` and ``enable_cleanup_closed`` are ``BaseConnector``'s.

    Args:
        ttl_dns_cache: seconds a resolved host is kept (10; ``None``: forever).
        use_dns_cache: cache resolutions at all (default ``True``).
        family: ``socket.AF_INET``, ``AF_INET6`` or 0 for both.
        local_addr: ``(host, port)`` to bind before connecting.
        happy_eyeballs_delay: seconds before starting the next address (0.25;
            ``None``: one address after the other).
        interleave: addresses of the first family tried before alternating (1).
        socket_factory: makes the socket for one address instead of
            ``socket.socket(family, type, proto)``: called with the address
            as ``getaddrinfo`` gives it, a ``(family, type, proto, canonname,
            sockaddr)`` tuple, it returns an unconnected ``socket.socket``
            (to set options such as ``SO_KEEPALIVE`` before the connect; the
            connector then makes it non-blocking, binds ``local_addr`` and
            connects it). An ``OSError`` it raises fails that address like a
            refused connect. aiohttp 3.12's ``socket_factory``.
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        ssl: SSLArg = True,
        ttl_dns_cache: float | None = 10,
        use_dns_cache: bool = True,
        family: int = socket.AF_UNSPEC,
        local_addr: tuple[str, int] | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        force_close: bool = False,
        keepalive_timeout: float | None = 15.0,
        enable_cleanup_closed: bool = False,
        http2: Http2Arg = False,
        socket_factory: SocketFactoryType | None = None,
    ) -> None:
        super().__init__(
            limit=limit,
            limit_per_host=limit_per_host,
            ssl=ssl,
            force_close=force_close,
            keepalive_timeout=keepalive_timeout,
            enable_cleanup_closed=enable_cleanup_closed,
            http2=http2,
        )
        self._socket_factory = socket_factory
        self._resolver = Resolver(family=family, ttl=ttl_dns_cache, use_cache=use_dns_cache)
        self._family = family
        self._local_addr = local_addr
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave or 1

    @property
    def family(self) -> int:
        """The address family used, ``socket.AF_INET``, ``AF_INET6`` or 0 for any."""
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        """Whether resolutions are cached."""
        return self._resolver.use_cache

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget cached resolutions (of one *host* and *port*, or all)."""
        self._resolver.clear(host, port)

    async def _connect_sock(self, info: Any) -> socket.socket:
        loop = asyncio.get_running_loop()
        family, type_, proto, _, address = info
        sock = socket.socket(family, type_, proto) if self._socket_factory is None else self._socket_factory(info)
        try:
            sock.setblocking(False)
            if self._local_addr is not None:
                sock.bind(self._local_addr)
            await sock_connect(loop, sock, address)
        except BaseException:
            sock.close()
            raise
        return sock

    async def _open(
        self, host: str, port: int, tls: dict[str, Any], factory: Callable[[], HttpHeadProtocol] = _factory
    ) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        loop = asyncio.get_running_loop()
        infos = ip_literal(host, port, self._resolver.family)  # what resolve() answers first, without its coroutine
        if infos is None:
            infos = order_addresses(await self._resolver.resolve(host, port), self._interleave)
        if len(infos) == 1:
            family, _, proto, _, address = infos[0]
            if (
                not isinstance(loop, asyncio.BaseEventLoop)
                and self._local_addr is None
                and self._socket_factory is None
                and (family == socket.AF_INET or (family == socket.AF_INET6 and not address[2] and not address[3]))
            ):
                # A loop not asyncio's own (uvloop) connects the literal itself,
                # in C, without the socket object and sock_connect future made
                # below (130 k instructions less). asyncio's loops would run the
                # same Python steps as below, and measured 12 % more CPU doing so.
                transport, protocol = await loop.create_connection(
                    factory, address[0], address[1], family=family, proto=proto, **tls
                )
                return transport, protocol
            sock = await self._connect_sock(infos[0])
        else:
            winners: list[socket.socket] = []

            def attempt(info: Any) -> Callable[[], Any]:
                async def run() -> socket.socket:
                    sock = await self._connect_sock(info)
                    winners.append(sock)
                    return sock

                return run

            sock, _, errors = await staggered_race([attempt(i) for i in infos], self._happy_eyeballs_delay)
            for extra in winners:
                if extra is not sock:
                    extra.close()
            if sock is None:
                errs = [e for e in errors if e is not None]
                if len(errs) == 1 or len({str(e) for e in errs}) == 1:
                    raise errs[0]
                raise OSError(f"Multiple exceptions: {', '.join(str(e) for e in errs)}")
        try:
            transport, protocol = await loop.create_connection(factory, sock=sock, **tls)
        except BaseException:
            sock.close()
            raise
        return transport, protocol


class UnixConnector(BaseConnector):
    """Connects to a Unix domain socket at *path*, whatever the URL's host.
    Takes ``BaseConnector``'s arguments; HTTP connections are kept alive too."""

    def __init__(
        self,
        path: str,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        ssl: SSLArg = True,
        force_close: bool = False,
        keepalive_timeout: float | None = 15.0,
        http2: Http2Arg = False,
    ) -> None:
        super().__init__(
            limit=limit,
            limit_per_host=limit_per_host,
            ssl=ssl,
            force_close=force_close,
            keepalive_timeout=keepalive_timeout,
            http2=http2,
        )
        self.path = path

    async def _open(
        self, host: str, port: int, tls: dict[str, Any], factory: Callable[[], HttpHeadProtocol] = _factory
    ) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        transport, protocol = await asyncio.get_running_loop().create_unix_connection(factory, self.path, **tls)
        return transport, protocol
