"""Connectors: open TCP (or Unix) connections, with TLS, under limits.

Every ``OSError`` and ``ssl.SSLError`` from connecting is translated here, in
``_connect_error``, into the public tree (``ClientConnectorError`` and its
TLS subclasses).
"""

from __future__ import annotations

import asyncio
import socket
import ssl as ssl_module
from typing import Any, Callable, Union

import attrs

from .exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ServerTimeoutError,
)
from .http_proto import HttpHeadProtocol

__all__ = ("SSLArg", "ConnectionKey", "Connection", "BaseConnector", "TCPConnector", "UnixConnector")

SSLArg = Union[bool, ssl_module.SSLContext]


@attrs.frozen
class ConnectionKey:
    """Where a connection goes: host, port and whether it uses TLS."""

    host: str
    port: int
    is_ssl: bool


class Connection:
    """A leased transport. ``release()`` gives the slot back (idempotent)."""

    def __init__(
        self,
        key: ConnectionKey,
        transport: asyncio.Transport,
        protocol: HttpHeadProtocol,
        on_release: Callable[[Connection], None],
    ) -> None:
        self.key = key
        self.transport = transport
        self.protocol = protocol
        self._on_release: Callable[[Connection], None] | None = on_release

    def release(self) -> None:
        """Return the slot to the connector's limits."""
        on_release, self._on_release = self._on_release, None
        if on_release is not None:
            on_release(self)

    def close(self) -> None:
        """Abort the transport and release the slot."""
        self.transport.abort()
        self.release()


class _Limiter:
    """Counts open connections, in total and per host, and queues waiters."""

    def __init__(self, limit: int, limit_per_host: int) -> None:
        self.limit = limit
        self.limit_per_host = limit_per_host
        self.total = 0
        self.per_host: dict[ConnectionKey, int] = {}
        self._waiters: list[asyncio.Future[None]] = []

    def _free(self, key: ConnectionKey) -> bool:
        if self.limit and self.total >= self.limit:
            return False
        return not (self.limit_per_host and self.per_host.get(key, 0) >= self.limit_per_host)

    async def acquire(self, key: ConnectionKey) -> None:
        while not self._free(key):
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)
        self.total += 1
        self.per_host[key] = self.per_host.get(key, 0) + 1

    def release(self, key: ConnectionKey) -> None:
        self.total -= 1
        left = self.per_host[key] - 1
        if left:
            self.per_host[key] = left
        else:
            del self.per_host[key]
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)


def _connect_error(key: ConnectionKey, exc: BaseException) -> ClientConnectorError:
    if isinstance(exc, ssl_module.SSLCertVerificationError):
        return ClientConnectorCertificateError(key.host, key.port, key.is_ssl, exc)
    if isinstance(exc, ssl_module.SSLError):
        return ClientConnectorSSLError(key.host, key.port, key.is_ssl, exc)
    return ClientConnectorError(key.host, key.port, key.is_ssl, exc)


class BaseConnector:
    """Limits, TLS contexts and the set of open connections.

    Args:
        limit: most connections open at once (0: no limit), default 100.
        limit_per_host: most per (host, port, TLS) (0: no limit), default 0.
        ssl: ``True`` verifies certificates with one default ``SSLContext``
            made once per connector (``ssl.create_default_context()``);
            ``False`` disables verification; or an ``SSLContext`` to use.
    """

    def __init__(self, *, limit: int = 100, limit_per_host: int = 0, ssl: SSLArg = True) -> None:
        if limit < 0 or limit_per_host < 0:
            raise ValueError("limit and limit_per_host must be >= 0")
        self._limiter = _Limiter(limit, limit_per_host)
        self._ssl = ssl
        self._default_context: ssl_module.SSLContext | None = None
        self._insecure_context: ssl_module.SSLContext | None = None
        self._conns: set[Connection] = set()
        self._closed = False

    @property
    def limit(self) -> int:
        """Most connections open at once (0: no limit)."""
        return self._limiter.limit

    @property
    def limit_per_host(self) -> int:
        """Most connections per endpoint (0: no limit)."""
        return self._limiter.limit_per_host

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def ssl_context(self, ssl: SSLArg | None = None) -> ssl_module.SSLContext:
        """The context for a TLS connection: a per-call *ssl* wins over the
        connector's; ``True`` means the shared verifying default context."""
        choice: SSLArg = self._ssl if ssl is None or ssl is True else ssl
        if isinstance(choice, ssl_module.SSLContext):
            return choice
        if choice:
            if self._default_context is None:
                self._default_context = ssl_module.create_default_context()
            return self._default_context
        if self._insecure_context is None:
            ctx = ssl_module.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl_module.CERT_NONE
            self._insecure_context = ctx
        return self._insecure_context

    async def connect(
        self,
        host: str,
        port: int,
        *,
        is_ssl: bool,
        ssl: SSLArg | None = None,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> Connection:
        """Open a connection whose protocol reads an HTTP response head.

        Waits for a free slot first. *timeout* (seconds) bounds the TCP and TLS
        connect. Raises ``ClientConnectorError`` (or its TLS subclasses) and
        ``ServerTimeoutError``.
        """
        if self._closed:
            raise RuntimeError("Connector is closed.")
        key = ConnectionKey(host, port, is_ssl)
        await self._limiter.acquire(key)
        try:
            tls: dict[str, Any] = {}
            if is_ssl:
                tls = {"ssl": self.ssl_context(ssl), "server_hostname": server_hostname or host.rstrip(".")}
            coro = self._open(host, port, tls)
            transport, protocol = await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError as exc:
            self._limiter.release(key)
            raise ServerTimeoutError(f"Connection timeout to host {host}:{port}") from exc
        except (OSError, ssl_module.SSLError) as exc:
            self._limiter.release(key)
            raise _connect_error(key, exc) from exc
        except BaseException:
            self._limiter.release(key)
            raise
        conn = Connection(key, transport, protocol, self._release)
        self._conns.add(conn)
        return conn

    async def _open(self, host: str, port: int, tls: dict[str, Any]) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        """Open the transport; *tls* holds ``ssl`` and ``server_hostname`` for TLS."""
        raise NotImplementedError

    def _release(self, conn: Connection) -> None:
        self._conns.discard(conn)
        self._limiter.release(conn.key)

    async def close(self) -> None:
        """Abort every open connection and refuse new ones."""
        self._close()

    def _close(self) -> None:
        self._closed = True
        for conn in list(self._conns):
            conn.close()


def _factory() -> HttpHeadProtocol:
    return HttpHeadProtocol(is_response=True)


class TCPConnector(BaseConnector):
    """Connects over TCP, resolving with the event loop and racing addresses
    with Happy Eyeballs (RFC 8305) through ``loop.create_connection`` (which
    also sets TCP_NODELAY).

    Args:
        limit, limit_per_host, ssl: see ``BaseConnector``.
        family: ``socket.AF_INET``, ``AF_INET6`` or 0 for both.
        local_addr: ``(host, port)`` to bind before connecting.
        happy_eyeballs_delay: seconds before trying the next address (0.25).
        interleave: address families interleaved per RFC 8305 (default 1).
            Both apply on asyncio's own loops; uvloop has no such options.
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        ssl: SSLArg = True,
        family: int = socket.AF_UNSPEC,
        local_addr: tuple[str, int] | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
    ) -> None:
        super().__init__(limit=limit, limit_per_host=limit_per_host, ssl=ssl)
        self._family = family
        self._local_addr = local_addr
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave

    async def _open(self, host: str, port: int, tls: dict[str, Any]) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        loop = asyncio.get_running_loop()
        if isinstance(loop, asyncio.BaseEventLoop):  # uvloop's create_connection has no Happy Eyeballs options
            tls = {**tls, "happy_eyeballs_delay": self._happy_eyeballs_delay, "interleave": self._interleave}
        transport, protocol = await loop.create_connection(
            _factory, host, port, family=self._family, local_addr=self._local_addr, **tls
        )
        return transport, protocol


class UnixConnector(BaseConnector):
    """Connects to a Unix domain socket at *path*, whatever the URL's host."""

    def __init__(self, path: str, *, limit: int = 100, limit_per_host: int = 0, ssl: SSLArg = True) -> None:
        super().__init__(limit=limit, limit_per_host=limit_per_host, ssl=ssl)
        self.path = path

    async def _open(self, host: str, port: int, tls: dict[str, Any]) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        transport, protocol = await asyncio.get_running_loop().create_unix_connection(_factory, self.path, **tls)
        return transport, protocol
