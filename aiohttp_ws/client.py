"""ClientSession and ws_connect: connector → handshake → connection."""

from __future__ import annotations

import asyncio
import sys
from types import TracebackType
from typing import Any, Iterable, Mapping, Sequence, Union

import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import __version__
from ._context import AwaitableContext
from .client_ws import ClientWebSocketResponse
from .connection import DEFAULT_MAX_QUEUE_BYTES, WebSocketConnection
from .connector import BaseConnector, Connection, SSLArg, TCPConnector
from .deflate import CompressArg, PerMessageDeflate, offers_from
from .exceptions import HttpProcessingError, InvalidURL, ServerTimeoutError, WSServerHandshakeError
from .handshake import ClientHandshake
from .http11 import MAX_BODY_SIZE, ResponseHead
from .models import DEFAULT_TIMEOUT, DEFAULT_WS_TIMEOUT, BasicAuth, ClientTimeout, ClientWSTimeout, RequestInfo
from .protocol import WebSocketProtocol

__all__ = ("ClientSession", "ws_connect")

HeadersArg = Union[Mapping[str, str], Iterable[tuple[str, str]], None]
_SCHEMES = {"ws": (False, 80), "http": (False, 80), "wss": (True, 443), "https": (True, 443)}
USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp_ws/{__version__}"


def _min_timeout(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _host_header(url: URL, default_port: int) -> str:
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    return host if url.port in (None, default_port) else f"{host}:{url.port}"


class ClientSession:
    """A client session: connector, default headers, auth and timeouts.

    Args:
        connector: a ``TCPConnector`` (default: one owned by the session).
        headers: headers sent with every request.
        timeout: ``ClientTimeout`` (default ``total=300, sock_connect=30`` s, as
            aiohttp); ``total`` and ``connect`` also bound the handshake.
        auth: ``BasicAuth`` sent with every request.
        connector_owner: close the connector with the session (default True).
        ws_response_class: class of the objects ``ws_connect`` returns.
    """

    def __init__(
        self,
        *,
        connector: BaseConnector | None = None,
        headers: HeadersArg = None,
        timeout: ClientTimeout = DEFAULT_TIMEOUT,
        auth: BasicAuth | None = None,
        connector_owner: bool = True,
        ws_response_class: type[ClientWebSocketResponse] = ClientWebSocketResponse,
    ) -> None:
        self._connector = connector if connector is not None else TCPConnector()
        self._connector_owner = connector_owner
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self._timeout = timeout
        self._auth = auth
        self._ws_response_class = ws_response_class
        self._closed = False

    @property
    def connector(self) -> BaseConnector:
        """The session's connector."""
        return self._connector

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    @property
    def timeout(self) -> ClientTimeout:
        """The session's ``ClientTimeout``."""
        return self._timeout

    @property
    def headers(self) -> CIMultiDict[str]:
        """Default headers of every request."""
        return self._default_headers

    async def close(self) -> None:
        """Close the session and, if owned, its connector (aborting its
        connections)."""
        self._close_now()

    def _close_now(self) -> None:
        if not self._closed:
            self._closed = True
            if self._connector_owner:
                self._connector._close()

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def ws_connect(
        self,
        url: str | URL,
        *,
        method: str = "GET",
        protocols: Sequence[str] = (),
        timeout: ClientWSTimeout | float = DEFAULT_WS_TIMEOUT,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        auth: BasicAuth | None = None,
        origin: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: HeadersArg = None,
        ssl: SSLArg = True,
        server_hostname: str | None = None,
        max_msg_size: int = 4 * 1024 * 1024,
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
        compress: CompressArg = 0,
    ) -> AwaitableContext[ClientWebSocketResponse]:
        """Open a WebSocket (RFC 6455 §4.1); use with ``await`` or ``async with``.

        Args:
            url: ``ws://``, ``wss://`` (or ``http://``, ``https://``) URL.
            method: request method (RFC 6455 requires GET).
            protocols: subprotocols offered, in order of preference.
            timeout: ``ClientWSTimeout`` (seconds): ``ws_receive`` for
                ``receive()``, ``ws_close`` for ``close()``, ``ws_handshake`` (10 s)
                for connecting plus the handshake. A float sets ``ws_close``.
            receive_timeout: overrides ``timeout.ws_receive`` (aiohttp's older name).
            autoclose: answer the peer's close frame at once.
            autoping: answer pings at once and hide PING/PONG from ``receive()``.
            heartbeat: seconds of inbound silence before a ping; no data within
                ``heartbeat / 2`` more → close code 1006, ``ServerTimeoutError``.
            auth: ``BasicAuth`` (also taken from ``user:pass@`` in the URL).
            origin: value of the Origin header.
            params: query parameters added to the URL.
            headers: extra request headers.
            ssl: ``True`` (verify), ``False`` (no verification) or an ``SSLContext``.
            server_hostname: TLS SNI and certificate host name override.
            max_msg_size: largest message received, in bytes, inclusive (4 MiB;
                0 = no limit); larger → close code 1009.
            max_queue_bytes: receive-queue high-water mark in payload bytes
                (1 MiB), or ``(high, low)``; reading pauses above it.
            compress: permessage-deflate (RFC 7692): 0 off (default); 9..15 as
                aiohttp (window bits asked of the server); a ``PerMessageDeflate``
                offer, or several in order of preference.

        Raises ``WSServerHandshakeError`` (status, headers, body), ``InvalidURL``,
        ``ClientConnectorError`` and ``ServerTimeoutError``.
        """
        if not isinstance(timeout, ClientWSTimeout):
            timeout = ClientWSTimeout(ws_receive=None, ws_close=float(timeout))
        if receive_timeout is not None:
            timeout = attrs.evolve(timeout, ws_receive=receive_timeout)
        coro = self._ws_connect(
            URL(url) if isinstance(url, str) else url,
            method=method,
            protocols=protocols,
            ws_timeout=timeout,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            auth=auth,
            origin=origin,
            params=params,
            headers=headers,
            ssl=ssl,
            server_hostname=server_hostname,
            max_msg_size=max_msg_size,
            max_queue_bytes=max_queue_bytes,
            offers=offers_from(compress),
        )
        return AwaitableContext(coro, _close_ws)

    def _request_headers(
        self, url: URL, headers: HeadersArg, auth: BasicAuth | None, origin: str | None
    ) -> CIMultiDict[str]:
        merged: CIMultiDict[str] = CIMultiDict(self._default_headers)
        merged.update(CIMultiDict(headers or {}))
        url_auth = BasicAuth.from_url(url)
        if url_auth is not None and auth is not None:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        auth = auth or url_auth or self._auth
        if auth is not None:
            merged["Authorization"] = auth.encode()
        if origin is not None:
            merged["Origin"] = origin
        merged.setdefault("User-Agent", USER_AGENT)
        return merged

    async def _ws_connect(
        self,
        url: URL,
        *,
        method: str,
        protocols: Sequence[str],
        ws_timeout: ClientWSTimeout,
        autoclose: bool,
        autoping: bool,
        heartbeat: float | None,
        auth: BasicAuth | None,
        origin: str | None,
        params: Mapping[str, str] | None,
        headers: HeadersArg,
        ssl: SSLArg,
        server_hostname: str | None,
        max_msg_size: int,
        max_queue_bytes: int | tuple[int, int],
        offers: tuple[PerMessageDeflate, ...],
    ) -> ClientWebSocketResponse:
        if self._closed:
            raise RuntimeError("Session is closed")
        if params:
            url = url.extend_query(params)
        if url.scheme not in _SCHEMES or not url.raw_host:
            raise InvalidURL(url, "is not a ws://, wss://, http:// or https:// URL with a host")
        is_ssl, default_port = _SCHEMES[url.scheme]
        fields = self._request_headers(url, headers, auth, origin)
        url = url.with_user(None)
        info = RequestInfo(url, method, CIMultiDictProxy(fields), url)
        handshake = ClientHandshake(
            host=_host_header(url, default_port),
            target=url.raw_path_qs or "/",
            protocols=protocols,
            headers=fields.items(),
            method=method,
            request_info=info,
            extensions=offers,
        )
        deadline = _min_timeout(ws_timeout.ws_handshake, self._timeout.total)
        try:
            conn, head = await asyncio.wait_for(
                self._handshake(url, is_ssl, ssl, server_hostname, handshake), deadline
            )
        except asyncio.TimeoutError as exc:
            raise ServerTimeoutError(f"WebSocket handshake with {url} timed out after {deadline} s") from exc
        try:
            chosen = handshake.process_response(head)
        except WSServerHandshakeError:
            conn.close()
            raise
        core = WebSocketProtocol(
            is_client=True,
            max_msg_size=max_msg_size,
            autoping=autoping,
            autoclose=autoclose,
            deflate=handshake.deflate,
        )
        ws_conn = WebSocketConnection(
            core, heartbeat=heartbeat, max_queue_bytes=max_queue_bytes, close_timeout=ws_timeout.ws_close
        )
        ws_conn.add_lost_callback(conn.release)
        ws_conn.take_over(conn.transport, conn.protocol)
        return self._ws_response_class(
            ws_conn, headers=head.headers, protocol=chosen, timeout=ws_timeout, autoclose=autoclose, autoping=autoping
        )

    async def _handshake(
        self, url: URL, is_ssl: bool, ssl: SSLArg, server_hostname: str | None, handshake: ClientHandshake
    ) -> tuple[Connection, ResponseHead]:
        """Connect, send the upgrade request, read the response head. A non-101
        response's body (at most 1 MiB) is read for the error."""
        assert url.raw_host is not None and url.port is not None
        conn = await asyncio.wait_for(
            self._connector.connect(
                url.raw_host,
                url.port,
                is_ssl=is_ssl,
                ssl=ssl,
                server_hostname=server_hostname,
                timeout=self._timeout.sock_connect,
            ),
            self._timeout.connect,
        )
        try:
            conn.transport.write(handshake.request)
            try:
                head = await conn.protocol.read_head()
            except HttpProcessingError as exc:
                raise WSServerHandshakeError(
                    handshake.request_info, status=exc.code, message=f"Invalid HTTP response: {exc.message}"
                ) from exc
            assert isinstance(head, ResponseHead)
            if head.status != 101:
                body = await self._error_body(conn, head)
                raise WSServerHandshakeError(
                    handshake.request_info,
                    status=head.status,
                    message=head.reason or "Invalid response status",
                    headers=head.headers,
                    body=body,
                )
        except BaseException:
            conn.close()
            raise
        return conn, head

    async def _error_body(self, conn: Connection, head: ResponseHead) -> bytes:
        try:
            return await conn.protocol.read_body(head, limit=MAX_BODY_SIZE)
        except HttpProcessingError:
            return b""


async def _close_ws(ws: ClientWebSocketResponse) -> None:
    await ws.close()


def ws_connect(url: str | URL, **kwargs: Any) -> AwaitableContext[ClientWebSocketResponse]:
    """Open a WebSocket with a private ``ClientSession`` that closes with it.

    Takes the keyword arguments of ``ClientSession.ws_connect``, plus
    ``connector`` and ``session_timeout`` for the private session.
    """
    session_kwargs: dict[str, Any] = {}
    if "connector" in kwargs:
        session_kwargs["connector"] = kwargs.pop("connector")
    if "session_timeout" in kwargs:
        session_kwargs["timeout"] = kwargs.pop("session_timeout")

    async def connect() -> ClientWebSocketResponse:
        session = ClientSession(**session_kwargs)
        try:
            ws = await session.ws_connect(url, **kwargs)
        except BaseException:
            await session.close()
            raise
        ws._conn.add_lost_callback(session._close_now)
        return ws

    return AwaitableContext(connect(), _close_ws)
