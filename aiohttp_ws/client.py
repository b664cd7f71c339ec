"""ClientSession and ws_connect: connector → handshake → connection."""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._context import AwaitableContext
from ._debuglog import client_log, log_head, log_raw_head
from ._deadline import deadline_after, within
from ._options import merge_ssl, ws_timeout
from .client_base import _SCHEMES, HeadersArg, _host_header, _min_timeout, _Proxy, _Route, _uses_http2
from .client_http import HttpMethods
from .client_reqrep import ClientResponse
from .client_ws import ClientWebSocketResponse
from .connection import DEFAULT_MAX_QUEUE_BYTES, WebSocketConnection
from .connector import Connection, Http2Arg, SSLArg
from .sansio.deflate import CompressArg, PerMessageDeflate, offers_from
from .exceptions import HttpProcessingError, TooManyRedirects, WSServerHandshakeError
from .sansio.extended_connect import ExtendedConnectHandshake
from .sansio.handshake import ClientHandshake
from .sansio.http11 import MAX_BODY_SIZE, ResponseHead
from .models import BasicAuth, ClientWSTimeout, RequestInfo
from .reconnect import Backoff, WebSocketReconnector
from .tracing import (
    Trace,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceWSClosedParams,
    TraceWSHandshakeEndParams,
    send_all,
)
from .sansio.protocol import WebSocketProtocol
from .socket_connector import SocketConnector
from .sansio.redirects import REDIRECT_STATUSES, follow, origin

if TYPE_CHECKING:
    from .http2.stream import StreamTransport

__all__ = ("ClientSession", "ws_connect", "ws_connect_forever", "request")


_WS_SCHEMES = tuple(_SCHEMES)  # in this order in the error for another scheme
_AS_WS = {"http": "ws", "https": "wss"}


class _WSOptions:
    """The per-call choices of one ``ws_connect`` (its keyword arguments of
    the same names) that the handshake and the connection objects take."""

    __slots__ = (
        "method", "protocols", "autoclose", "autoping", "heartbeat", "auth", "origin", "params", "headers",
        "max_msg_size", "max_fragments", "max_queue_bytes", "decode_text", "http2",
    )

    def __init__(
        self,
        method: str,
        protocols: Sequence[str],
        autoclose: bool,
        autoping: bool,
        heartbeat: float | None,
        auth: BasicAuth | None,
        origin: str | None,
        params: Mapping[str, str] | None,
        headers: HeadersArg,
        max_msg_size: int,
        max_fragments: int,
        max_queue_bytes: int | tuple[int, int],
        decode_text: bool,
        http2: Http2Arg | None,
    ) -> None:
        self.method = method
        self.protocols = protocols
        self.autoclose = autoclose
        self.autoping = autoping
        self.heartbeat = heartbeat
        self.auth = auth
        self.origin = origin
        self.params = params
        self.headers = headers
        self.max_msg_size = max_msg_size
        self.max_fragments = max_fragments
        self.max_queue_bytes = max_queue_bytes
        self.decode_text = decode_text
        self.http2 = http2


class ClientSession(HttpMethods):
    """A client session: connector, cookies, default headers, auth, proxies,
    redirects and timeouts, for WebSockets and plain HTTP/1.1 requests.

    Args:
        connector: a ``TCPConnector`` or ``UnixConnector`` (default: a
            ``TCPConnector`` owned by the session).
        cookies: cookies sent to every host (stored in the jar as shared cookies).
        headers: headers sent with every request.
        auth: ``BasicAuth`` sent with every request to the URL's origin.
        timeout: ``ClientTimeout`` in seconds (default ``total=300,
            sock_connect=30``, as aiohttp): ``total`` bounds a request with its
            redirects (and the body read), ``connect`` the wait for a connection,
            ``sock_connect`` one TCP/TLS connect, ``sock_read`` the gap between reads.
        connector_owner: close the connector with the session (default True).
        ws_response_class: class of the objects ``ws_connect`` returns.
        cookie_jar: a ``CookieJar`` (default: a new one, ``unsafe=False``) or
            ``DummyCookieJar``.
        max_redirects: most redirects followed by one request (10); one more
            raises ``TooManyRedirects``.
        trust_env: take proxies from ``http_proxy``/``https_proxy``/``ws_proxy``/
            ``wss_proxy``/``all_proxy``/``no_proxy`` and proxy credentials from netrc.
        proxy, proxy_auth, proxy_headers: the default proxy (``http://``,
            ``https://`` or ``socks4``/``socks4a``/``socks5``/``socks5h://`` URL),
            its ``BasicAuth`` and headers for its CONNECT request.
        raise_for_status: call ``raise_for_status()`` on every ``request()`` response.
        max_body_size: largest response body ``ClientResponse.read()`` returns,
            in bytes after decoding (32 MiB); larger raises ``ClientPayloadError``.
        http2: the default of ``ws_connect(http2=...)`` (``None``: the
            connector's, ``False`` unless set there); see docs/http2.rst.
        base_url: an absolute URL ending in ``/``; relative URLs given to
            ``request()`` and ``ws_connect()`` are joined to it.
        skip_auto_headers: default request headers not to add (``User-Agent``,
            ``Accept``, ``Accept-Encoding``, ``Content-Type``).
        json_serialize, json_serialize_bytes: encoder of ``json=`` bodies (``str``
            or, when given, ``bytes`` result).
        response_class: a ``ClientResponse`` subclass for plain requests.
        auto_decompress: decode gzip/deflate response bodies (default True).
        max_line_size, max_field_size, max_headers: limits of response heads,
            in bytes per line (the larger of the two sizes) and header fields (128).
        fallback_charset_resolver: ``(response, body) -> encoding`` for
            ``text()`` when the response names no charset (default UTF-8).

    aiohttp's other keywords are accepted as aiohttp 3.14 accepts them: ``loop``
    (ignored; ``DeprecationWarning``), ``read_timeout``/``conn_timeout`` and
    ``ssl_shutdown_timeout`` (deprecated; warn), ``version`` (HTTP/1.1 only),
    ``requote_redirect_url`` (a ``Location`` is always used as sent, encoded),
    ``read_bufsize`` (buffers are sized by the reader itself). ``trace_configs``,
    ``middlewares`` and ``request_class`` raise ``NotImplementedError`` unless
    empty or unset (docs/differences.rst).
    """

    # -- WebSocket -------------------------------------------------------------------------

    def ws_connect(
        self,
        url: str | URL,
        *,
        method: str = "GET",
        protocols: Sequence[str] = (),
        timeout: ClientWSTimeout | float | None = None,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        auth: BasicAuth | None = None,
        origin: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: HeadersArg = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        ssl: SSLArg = True,
        verify_ssl: bool | None = None,
        fingerprint: bytes | None = None,
        ssl_context: ssl_module.SSLContext | None = None,
        server_hostname: str | None = None,
        proxy_headers: HeadersArg = None,
        compress: CompressArg = 0,
        max_msg_size: int = 4 * 1024 * 1024,
        decode_text: bool = True,
        max_fragments: int = 4096,
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
        http2: Http2Arg | None = None,
    ) -> AwaitableContext[ClientWebSocketResponse[Any]]:
        """Open a WebSocket (RFC 6455 §4.1); use with ``await`` or ``async with``.

        Args:
            url: ``ws://``, ``wss://`` (or ``http://``, ``https://``) URL.
            method: request method (RFC 6455 requires GET).
            protocols: subprotocols offered, in order of preference (a bare
                string is one subprotocol).
            timeout: ``ClientWSTimeout`` (seconds): ``ws_receive`` for
                ``receive()``, ``ws_close`` for ``close()``, ``ws_handshake`` (10 s)
                for connecting plus the handshake, redirects included. A float
                sets ``ws_close`` (deprecated, warns as aiohttp 3.14).
            receive_timeout: overrides ``timeout.ws_receive`` (deprecated, warns).
            autoclose: answer the peer's close frame at once.
            autoping: answer pings at once and hide PING/PONG from ``receive()``.
            heartbeat: seconds of inbound silence before a ping; no data within
                ``heartbeat / 2`` more → close code 1006, ``ServerTimeoutError``.
            auth: ``BasicAuth`` (also taken from ``user:pass@`` in the URL);
                never sent to another origin after a redirect.
            origin: value of the Origin header.
            params: query parameters added to the URL.
            headers: extra request headers.
            proxy, proxy_auth, proxy_headers: an ``http://`` or ``https://``
                proxy reached with CONNECT (``Proxy-Authorization`` goes only on
                the CONNECT request), or a SOCKS proxy: ``socks5://``,
                ``socks5h://`` (the proxy resolves names), ``socks4://``,
                ``socks4a://``, with ``proxy_auth`` or ``user:pass@`` for SOCKS5
                (needs the ``socks`` extra, python-socks; see ``aiohttp_ws.socks``).
            ssl: ``True`` (verify), ``False`` (no verification), an ``SSLContext``
                or a ``Fingerprint``; anything else raises ``TypeError``.
                aiohttp's deprecated ``verify_ssl``, ``ssl_context`` and
                ``fingerprint`` still work and warn.
            server_hostname: TLS SNI and certificate host name override.
            max_fragments: most frames one received message may span (4096;
                0 = no limit); more → close code 1009.
            max_msg_size: largest message received, in bytes, inclusive (4 MiB;
                0 = no limit); larger → close code 1009.
            max_queue_bytes: receive-queue high-water mark in payload bytes
                (1 MiB), or ``(high, low)``; reading pauses above it.
            compress: permessage-deflate (RFC 7692): 0 off (default); 9..15 as
                aiohttp (window bits asked of the server); a ``PerMessageDeflate``
                offer, or several in order of preference.
            decode_text: ``False`` gives TEXT messages' data as UTF-8 ``bytes``
                (for parsers such as orjson; still validated, RFC 6455 §8.1).
            http2: WebSockets over HTTP/2 (RFC 8441; the ``http2`` extra):
                ``False`` HTTP/1.1 only; ``True`` for ``wss://`` when TLS
                negotiates ``h2`` (ALPN) and the server sends
                ``SETTINGS_ENABLE_CONNECT_PROTOCOL``; ``"prior-knowledge"``
                also cleartext h2c for ``ws://``. Otherwise, or when the
                server refuses the stream (reset, 405, 501), the upgrade goes
                over HTTP/1.1, and the origin is remembered. WebSockets to one
                origin share one HTTP/2 connection. ``None``: the session's
                default (docs/http2.rst).

        Redirects (301/302/303/307/308) are followed up to the session's
        ``max_redirects``. Raises ``WSServerHandshakeError`` (status, headers,
        body), ``TooManyRedirects``, ``InvalidUrlRedirectClientError``,
        ``InvalidURL``, ``ClientConnectorError``, ``ClientHttpProxyError`` and
        ``ServerTimeoutError``, all when awaited, never at the call (as
        aiohttp: ``asyncio.wait_for(session.ws_connect(url), 5)`` works).
        """
        options = _WSOptions(
            method, protocols, autoclose, autoping, heartbeat, auth, origin, params, headers,
            max_msg_size, max_fragments, max_queue_bytes, decode_text, http2,
        )  # positional: a call with 19 keywords cost about a microsecond

        async def connect() -> ClientWebSocketResponse[Any]:
            # Every check runs when awaited, as in aiohttp.
            route = self._route(
                merge_ssl(ssl, verify_ssl, ssl_context, fingerprint), server_hostname, proxy, proxy_auth, proxy_headers
            )
            target = self._build_url(url)
            if not self._trace_configs:  # the usual case: no tracing at all
                return await self._ws_connect(target, options, ws_timeout(timeout, receive_timeout), route, offers_from(compress))
            traces = self._traces()
            sent: CIMultiDict[str] = CIMultiDict(headers or {})
            await send_all(traces, "on_request_start", TraceRequestStartParams(method, target, sent))
            try:
                return await self._ws_connect(
                    target, options, ws_timeout(timeout, receive_timeout), route, offers_from(compress), traces
                )
            except BaseException as exc:
                await send_all(traces, "on_request_exception", TraceRequestExceptionParams(method, target, sent, exc))
                raise

        return AwaitableContext(connect(), _close_ws)

    def ws_connect_forever(self, url: str | URL, *, backoff: Backoff | None = None, **kwargs: Any) -> WebSocketReconnector:
        """Connect, and reconnect with exponential backoff and full jitter
        each time a connection ends abnormally or cannot be made: an async
        iterator of connected ``ClientWebSocketResponse`` objects (use it with
        ``async with`` so that ``break`` closes the current one).

        *kwargs* are ``ws_connect``'s. *backoff* is a ``Backoff`` (initial
        delay 1 s, factor 2, cap 60 s, reset after 10 s up). Retries refused,
        reset and timed-out connections, 5xx and 429 refusals (``Retry-After``
        honoured) and closes with 1006/1011/1012/1013/1014; ends on any other
        close (1000, 1001, ...); raises other refusals, certificate failures
        and bad arguments. See ``aiohttp_ws.reconnect``.
        """
        return WebSocketReconnector(lambda: self.ws_connect(url, **kwargs), backoff or Backoff())

    async def _ws_connect(
        self,
        url: URL,
        o: _WSOptions,
        ws_timeout: ClientWSTimeout,
        route: _Route,
        offers: tuple[PerMessageDeflate, ...],
        traces: tuple[Trace, ...] = (),
    ) -> ClientWebSocketResponse[Any]:
        url = self._check_url(url, o.params, _WS_SCHEMES)
        if url.scheme in _AS_WS:
            url = url.with_scheme(_AS_WS[url.scheme])
        seconds = _min_timeout(ws_timeout.ws_handshake, self._timeout.total)
        mode = self._http2_mode(o.http2)
        conn, head, handshake = await within(
            deadline_after(seconds),
            self._ws_handshake(url, o.method, o.protocols, o.auth, o.origin, o.headers, route, offers, mode, traces),
            lambda: f"WebSocket handshake with {url} timed out after {seconds} s",
        )
        try:
            chosen = handshake.process_response(head)
        except WSServerHandshakeError:
            _drop(conn)
            raise
        core = WebSocketProtocol(
            is_client=True,
            max_msg_size=o.max_msg_size,
            max_fragments=o.max_fragments,
            autoping=o.autoping,
            autoclose=o.autoclose,
            deflate=handshake.deflate,
        )
        ws_conn = WebSocketConnection(
            core, heartbeat=o.heartbeat, max_queue_bytes=o.max_queue_bytes, close_timeout=ws_timeout.ws_close
        )
        if isinstance(conn, Connection):
            conn.protocol.read_timeout = None
            ws_conn.add_lost_callback(conn.release)
            ws_conn.take_over(conn.transport, conn.protocol)
        else:  # an HTTP/2 stream
            conn.attach(ws_conn, lambda: core.close_sent)
        ws = self._ws_response_class(
            ws_conn,
            headers=head.headers,
            protocol=chosen,
            timeout=ws_timeout,
            autoclose=o.autoclose,
            autoping=o.autoping,
            decode_text=o.decode_text,
        )
        if traces:
            await _trace_opened(traces, ws, ws_conn, handshake, head, url)
        return ws

    async def _ws_handshake(
        self,
        url: URL,
        method: str,
        protocols: Sequence[str],
        auth: BasicAuth | None,
        origin_header: str | None,
        headers: HeadersArg,
        route: _Route,
        offers: tuple[PerMessageDeflate, ...],
        http2: Http2Arg,
        traces: tuple[Trace, ...] = (),
    ) -> tuple[Connection | StreamTransport, ResponseHead, ClientHandshake | ExtendedConnectHandshake]:
        """Send the upgrade request, following redirects; return the final
        connection (or HTTP/2 stream), its response head and the handshake
        that checks it. A final refusal's body (at most 1 MiB) is read for the
        error."""
        user_headers, auth = self._user_headers(url, headers, auth)
        if origin_header is not None:
            user_headers["Origin"] = origin_header
        first = url  # its origin is needed only when a redirect is followed
        history: list[ResponseHead] = []
        while True:
            fields = self._hop_headers(url, user_headers, auth, host=False)
            proxy = self._proxy_for(url, route, fields)
            info = RequestInfo(url, method, CIMultiDictProxy(fields), url)
            debug = client_log.isEnabledFor(logging.DEBUG)
            leg: Connection | StreamTransport | None = None
            handshake: ClientHandshake | ExtendedConnectHandshake | None = None
            if _uses_http2(http2, url, method):
                got = await self._h2_hop(url, fields, protocols, offers, route, proxy, info, traces)
                if isinstance(got, tuple):
                    leg, head, handshake = got
                    if debug:
                        log_head(client_log, f"{url.host}:{url.port} < (HTTP/2)", f":status {head.status}", head.headers.items())
                else:
                    leg = got  # None, or the HTTP/1.1 connection TLS negotiated
            if handshake is None:
                handshake = ClientHandshake(
                    host=_host_header(url, _SCHEMES[url.scheme][1]),
                    target=url.raw_path_qs or "/",
                    protocols=protocols,
                    headers=fields.items(),
                    method=method,
                    request_info=info,
                    extensions=offers,
                )
                if debug:
                    log_raw_head(client_log, f"{url.host}:{url.port} >", handshake.request)
                try:
                    leg, head = await self._hop(
                        url, handshake.request, route, proxy, self._timeout, reuse=False, traces=traces, info=info,
                        conn=leg if isinstance(leg, Connection) else None,
                    )
                except HttpProcessingError as exc:
                    raise WSServerHandshakeError(info, status=exc.code, message=f"Invalid HTTP response: {exc.message}") from exc
                if debug:
                    status_line = f"HTTP/{head.version[0]}.{head.version[1]} {head.status} {head.reason}"
                    log_head(client_log, f"{url.host}:{url.port} <", status_line, head.headers.items())
            assert leg is not None
            conn = leg
            opened = head.status == 101 if isinstance(conn, Connection) else 200 <= head.status < 300
            location = head.headers.get("Location")
            if opened or head.status not in REDIRECT_STATUSES or location is None:
                break
            _drop(conn)  # a WebSocket hop is never pooled
            history.append(head)
            if traces:
                hop = ClientResponse(method, url, head, None, request_info=info)
                await send_all(traces, "on_request_redirect", TraceRequestRedirectParams(method, url, CIMultiDict(fields), hop))
            if len(history) > self._max_redirects:
                raise TooManyRedirects(info, status=head.status, message=head.reason, headers=head.headers)
            url, same_origin = follow(url, location, origin(first), user_headers, websocket=True)
            if not same_origin:
                auth = None
        if not opened:
            try:
                body = await self._error_body(conn, head)
            finally:
                _drop(conn)
            raise WSServerHandshakeError(
                info, status=head.status, message=head.reason or "Invalid response status", headers=head.headers, body=body, reason=head.reason
            )
        return conn, head, handshake

    async def _h2_hop(
        self,
        url: URL,
        fields: CIMultiDict[str],
        protocols: Sequence[str],
        offers: tuple[PerMessageDeflate, ...],
        route: _Route,
        proxy: _Proxy | None,
        info: RequestInfo,
        traces: tuple[Trace, ...],
    ) -> tuple[StreamTransport, ResponseHead, ExtendedConnectHandshake] | Connection | None:
        from .http2.handshake import hop

        handshake = ExtendedConnectHandshake(
            scheme="https" if url.scheme == "wss" else "http",
            authority=_host_header(url, _SCHEMES[url.scheme][1]),
            path=url.raw_path_qs or "/",
            protocols=protocols,
            headers=fields.items(),
            request_info=info,
            extensions=offers,
        )
        via = self._dial(route, proxy, self._timeout, traces)
        got = await self._http2_hop(url, self._timeout, hop(self._connector, url, handshake, via))
        return (got[0], got[1], handshake) if isinstance(got, tuple) else got

    async def _error_body(self, conn: Connection | StreamTransport, head: ResponseHead) -> bytes:
        if not isinstance(conn, Connection):
            from .http2.handshake import error_body

            return await error_body(conn, MAX_BODY_SIZE)
        try:
            return await conn.protocol.read_body(head, limit=MAX_BODY_SIZE)
        except HttpProcessingError:
            return b""


async def _trace_opened(
    traces: tuple[Trace, ...],
    ws: ClientWebSocketResponse[Any],
    conn: WebSocketConnection,
    handshake: ClientHandshake | ExtendedConnectHandshake,
    head: ResponseHead,
    url: URL,
) -> None:
    """The request and WebSocket signals of a successful handshake; the
    connection's end sends ``on_ws_closed`` from a task of its own."""
    info = handshake.request_info
    assert info is not None
    response = ClientResponse("GET", url, head, None, request_info=info)
    await send_all(traces, "on_request_end", TraceRequestEndParams(info.method, url, CIMultiDict(info.headers), response))
    await send_all(traces, "on_ws_handshake_end", TraceWSHandshakeEndParams(url, ws.protocol, head.headers))
    ws._traces = traces
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    def closed() -> None:
        params = TraceWSClosedParams(url, ws.close_code, ws.exception())
        task = loop.create_task(send_all(traces, "on_ws_closed", params))
        pending.add(task)  # a strong reference until it ran
        task.add_done_callback(pending.discard)

    conn.add_lost_callback(closed)


def _drop(conn: Connection | StreamTransport) -> None:
    """Close a handshake's connection (HTTP/1.1) or reset its stream (HTTP/2)."""
    if isinstance(conn, Connection):
        conn.close()
    else:
        conn.abort()


async def _close_ws(ws: ClientWebSocketResponse[Any]) -> None:
    await ws.close()


def ws_connect(url: str | URL, **kwargs: Any) -> AwaitableContext[ClientWebSocketResponse[Any]]:
    """Open a WebSocket with a private ``ClientSession`` that closes with it.

    Takes the keyword arguments of ``ClientSession.ws_connect``, plus
    ``connector``, ``session_timeout`` and ``ws_response_class`` for the
    private session, ``loop`` (aiohttp 0.16's; ignored, ``DeprecationWarning``),
    and ``sock``: an already connected socket to run the handshake on (a
    ``SocketConnector``; TLS too for ``wss://``).
    """
    session_kwargs: dict[str, Any] = {}
    for name in ("connector", "ws_response_class"):
        if name in kwargs:
            session_kwargs[name] = kwargs.pop(name)
    if "session_timeout" in kwargs:
        session_kwargs["timeout"] = kwargs.pop("session_timeout")
    if "sock" in kwargs:
        session_kwargs["connector"] = SocketConnector(kwargs.pop("sock"))
    if "loop" in kwargs:  # aiohttp 0.16's ws_connect(url, loop=...)
        session_kwargs["loop"] = kwargs.pop("loop")

    async def connect() -> ClientWebSocketResponse[Any]:
        session = ClientSession(**session_kwargs)
        try:
            ws = await session.ws_connect(url, **kwargs)
        except BaseException:
            await session.close()
            raise
        conn = ws._conn
        assert isinstance(conn, WebSocketConnection)
        conn.add_lost_callback(session._close_now)
        return ws

    return AwaitableContext(connect(), _close_ws)


def ws_connect_forever(url: str | URL, *, backoff: Backoff | None = None, **kwargs: Any) -> WebSocketReconnector:
    """``ClientSession.ws_connect_forever`` with a private session per
    connection, as the module-level ``ws_connect``; *kwargs* as for it."""
    return WebSocketReconnector(lambda: ws_connect(url, **kwargs), backoff or Backoff())


def request(method: str, url: str | URL, **kwargs: Any) -> AwaitableContext[ClientResponse]:
    """One request with a private ``ClientSession`` that closes with the
    response (aiohttp's module-level ``request``). Takes the keyword arguments
    of ``ClientSession.request``, plus ``connector``, ``cookies`` and
    ``session_timeout`` for the private session. Read the body inside
    ``async with``: leaving it releases the response and closes the session."""
    session_kwargs: dict[str, Any] = {}
    for name in ("connector", "cookies"):
        if name in kwargs:
            session_kwargs[name] = kwargs.pop(name)
    if "session_timeout" in kwargs:
        session_kwargs["timeout"] = kwargs.pop("session_timeout")
    session = ClientSession(**session_kwargs)

    async def run() -> ClientResponse:
        try:
            return await session.request(method, url, **kwargs)
        except BaseException:
            await session.close()
            raise

    async def finish(response: ClientResponse) -> None:
        response.release()
        await session.close()

    return AwaitableContext(run(), finish)
