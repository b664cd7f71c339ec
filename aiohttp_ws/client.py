"""ClientSession and ws_connect: connector → handshake → connection."""

from __future__ import annotations

import asyncio
import json as json_module
import re
import ssl as ssl_module
import sys
import warnings
from types import TracebackType
from typing import Any, Awaitable, Callable, Iterable, Literal, Mapping, Sequence, Union, overload

import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import __version__
from ._context import AwaitableContext
from ._deadline import deadline_after, within
from ._options import _UNSET, merge_ssl, session_timeout, ws_timeout
from .client_reqrep import DEFAULT_MAX_BODY_SIZE, ClientResponse, DataArg, encode_body
from .client_ws import ClientWebSocketResponse
from .connection import DEFAULT_MAX_QUEUE_BYTES, WebSocketConnection
from .connector import BaseConnector, Connection, SSLArg, TCPConnector
from .cookiejar import CookieJar, CookiesArg
from .deflate import CompressArg, PerMessageDeflate, offers_from
from .exceptions import (
    ConnectionTimeoutError,
    HttpProcessingError,
    InvalidUrlClientError,
    NonHttpUrlClientError,
    TooManyRedirects,
    WSServerHandshakeError,
)
from .handshake import ClientHandshake
from .http11 import MAX_BODY_SIZE, ResponseHead, serialize_request
from .models import BasicAuth, ClientTimeout, ClientWSTimeout, HttpVersion, HttpVersion11, RequestInfo
from .protocol import WebSocketProtocol
from .proxy_env import proxy_from_env
from .redirects import REDIRECT_STATUSES, follow, origin, redirect_method

__all__ = ("ClientSession", "ws_connect", "request")

HeadersArg = Union[Mapping[str, str], Iterable[tuple[str, str]], None]
_SCHEMES = {"ws": (False, 80), "http": (False, 80), "wss": (True, 443), "https": (True, 443)}
USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp_ws/{__version__}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _to_url(url: str | URL) -> URL:
    """A ``URL`` from the caller's value. Raises ``ValueError`` for CR, LF,
    NUL or any other control character, which yarl would otherwise
    percent-encode silently."""
    raw = url if isinstance(url, str) else str(url)
    if _CONTROL.search(raw):
        raise ValueError(f"control character in URL {raw!r}")
    return URL(url) if isinstance(url, str) else url


def _base_url(base_url: str | URL | None) -> URL | None:
    """aiohttp's ``base_url`` rule: absolute, with a path ending in ``/``."""
    if base_url is None:
        return None
    url = URL(base_url)
    if not url.absolute:
        raise ValueError("base_url must be an absolute URL")
    if not url.path.endswith("/"):
        raise ValueError("base_url must have a trailing '/'")
    return url


def _refuse_unsupported(
    loop: asyncio.AbstractEventLoop | None,
    request_class: Any,
    version: HttpVersion,
    trace_configs: Sequence[Any] | None,
    middlewares: Sequence[Any],
    ssl_shutdown_timeout: Any,
) -> None:
    """Warn for aiohttp's deprecated session keywords; raise
    ``NotImplementedError`` for the ones this client cannot honour."""
    if loop is not None:
        warnings.warn("The loop argument is deprecated and ignored", DeprecationWarning, stacklevel=3)
    if ssl_shutdown_timeout is not _UNSET:
        warnings.warn(
            "The ssl_shutdown_timeout parameter is deprecated and will be removed in aiohttp 4.0",
            DeprecationWarning,
            stacklevel=3,
        )
    if tuple(version) != (1, 1):
        raise NotImplementedError(f"HTTP/{version[0]}.{version[1]} requests are not supported: HTTP/1.1 only")
    for name, value in (("request_class", request_class), ("trace_configs", trace_configs), ("middlewares", middlewares)):
        if value:
            raise NotImplementedError(f"{name} is not supported by aiohttp_ws (see docs/differences.rst)")


def _min_timeout(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _host_header(url: URL, default_port: int) -> str:
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    return host if url.port in (None, default_port) else f"{host}:{url.port}"


@attrs.define
class _Route:
    """How one request travels: TLS choice and proxy."""

    ssl: SSLArg
    server_hostname: str | None
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: CIMultiDict[str]


@attrs.frozen
class _Proxy:
    """The proxy of one request: its URL, credentials and CONNECT headers."""

    url: URL
    auth: BasicAuth | None
    headers: CIMultiDict[str]


class ClientSession:
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
            ``wss_proxy``/``no_proxy`` and proxy credentials from netrc.
        proxy, proxy_auth, proxy_headers: the default proxy (``http://`` or
            ``https://`` URL), its ``BasicAuth`` and headers for its CONNECT request.
        raise_for_status: call ``raise_for_status()`` on every ``request()`` response.
        max_body_size: largest response body ``ClientResponse.read()`` returns,
            in bytes after decoding (32 MiB); larger raises ``ClientPayloadError``.
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

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        cookies: CookiesArg = None,
        headers: HeadersArg = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: Callable[[Any], str] = json_module.dumps,
        json_serialize_bytes: Callable[[Any], bytes] | None = None,
        request_class: Any = None,
        response_class: type[ClientResponse] = ClientResponse,
        ws_response_class: type[ClientWebSocketResponse[Any]] = ClientWebSocketResponse,
        version: HttpVersion = HttpVersion11,
        cookie_jar: CookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: bool = False,
        read_timeout: Any = _UNSET,
        conn_timeout: float | None = None,
        timeout: Any = _UNSET,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: Sequence[Any] | None = None,
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] | None = None,
        middlewares: Sequence[Any] = (),
        ssl_shutdown_timeout: Any = _UNSET,
        max_redirects: int = 10,
        proxy_headers: HeadersArg = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if max_redirects < 0 or max_body_size <= 0:
            raise ValueError("max_redirects must be >= 0 and max_body_size > 0")
        _refuse_unsupported(loop, request_class, version, trace_configs, middlewares, ssl_shutdown_timeout)
        self._base_url = _base_url(base_url)
        self._connector = connector if connector is not None else TCPConnector()
        self._connector_owner = connector_owner
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self._skip_auto_headers = frozenset(h.lower() for h in skip_auto_headers or ())
        self._json_serialize: Callable[[Any], str | bytes] = json_serialize_bytes or json_serialize
        self._response_class = response_class
        self._auto_decompress = auto_decompress
        self._head_limits = (max(max_line_size, max_field_size), max_headers)
        self._fallback_charset = fallback_charset_resolver
        self._timeout = session_timeout(timeout, read_timeout, conn_timeout)
        self._auth = auth
        self._ws_response_class = ws_response_class
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies is not None:
            self._cookie_jar.update_cookies(cookies)
        self._max_redirects = max_redirects
        self._trust_env = trust_env
        self._proxy = URL(proxy) if isinstance(proxy, str) else proxy
        self._proxy_auth = proxy_auth
        self._proxy_headers: CIMultiDict[str] = CIMultiDict(proxy_headers or {})
        self._raise_for_status = raise_for_status
        self._max_body_size = max_body_size
        self._closed = False

    @property
    def connector(self) -> BaseConnector:
        """The session's connector."""
        return self._connector

    @property
    def cookie_jar(self) -> CookieJar:
        """The session's cookie jar."""
        return self._cookie_jar

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

    @property
    def trust_env(self) -> bool:
        """Whether proxies and netrc credentials come from the environment."""
        return self._trust_env

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

    # -- plain HTTP -----------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str | URL,
        *,
        params: Mapping[str, str] | None = None,
        data: DataArg = None,
        json: Any = None,
        headers: HeadersArg = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int | None = None,
        raise_for_status: bool | None = None,
        timeout: ClientTimeout | None = None,
        ssl: SSLArg = True,
        server_hostname: str | None = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: HeadersArg = None,
    ) -> AwaitableContext[ClientResponse]:
        """Send one HTTP/1.1 request (RFC 9112) and return its ``ClientResponse``
        once the head has arrived; use with ``await`` or ``async with``.

        Args:
            method: request method token (``"GET"``, ``"POST"``, ...).
            url: ``http://`` or ``https://`` URL; ``user:pass@`` gives ``BasicAuth``.
            params: query parameters added to the URL.
            data, json: the body (see ``encode_body``); sent with Content-Length.
            headers: extra request headers; CR, LF, NUL or other control
                characters anywhere raise ``ValueError`` before a byte is sent.
            auth: ``BasicAuth`` for this request (wins over the session's).
            allow_redirects: follow 301/302/303/307/308 (default True), at most
                *max_redirects* (default: the session's) times.
            raise_for_status: raise ``ClientResponseError`` for status >= 400
                (default: the session's setting).
            timeout: ``ClientTimeout`` for this request (default: the session's).
            ssl, server_hostname: as in ``ws_connect``.
            proxy, proxy_auth, proxy_headers: a proxy for this request.

        Raises ``ClientConnectorError`` (and subclasses), ``ClientHttpProxyError``,
        ``TooManyRedirects``, ``InvalidUrlRedirectClientError``,
        ``ClientResponseError``, ``ServerTimeoutError``, ``InvalidURL``.
        """
        coro = self._request(
            method.upper(),
            url,
            params=params,
            data=data,
            json=json,
            headers=headers,
            auth=auth,
            allow_redirects=allow_redirects,
            max_redirects=self._max_redirects if max_redirects is None else max_redirects,
            raise_for_status=self._raise_for_status if raise_for_status is None else raise_for_status,
            timeout=timeout or self._timeout,
            route=self._route(ssl, server_hostname, proxy, proxy_auth, proxy_headers),
        )
        return AwaitableContext(coro, _release_response)

    def get(self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("GET", url, ...)``."""
        return self.request("GET", url, allow_redirects=allow_redirects, **kwargs)

    def options(self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("OPTIONS", url, ...)``."""
        return self.request("OPTIONS", url, allow_redirects=allow_redirects, **kwargs)

    def head(self, url: str | URL, *, allow_redirects: bool = False, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("HEAD", url, ...)``; redirects not followed by default, as aiohttp."""
        return self.request("HEAD", url, allow_redirects=allow_redirects, **kwargs)

    def post(self, url: str | URL, *, data: DataArg = None, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("POST", url, data=data, ...)``."""
        return self.request("POST", url, data=data, **kwargs)

    def put(self, url: str | URL, *, data: DataArg = None, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("PUT", url, data=data, ...)``."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str | URL, *, data: DataArg = None, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("PATCH", url, data=data, ...)``."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> AwaitableContext[ClientResponse]:
        """``request("DELETE", url, ...)``."""
        return self.request("DELETE", url, **kwargs)

    async def _request(
        self,
        method: str,
        raw_url: str | URL,
        *,
        params: Mapping[str, str] | None,
        data: DataArg,
        json: Any,
        headers: HeadersArg,
        auth: BasicAuth | None,
        allow_redirects: bool,
        max_redirects: int,
        raise_for_status: bool,
        timeout: ClientTimeout,
        route: _Route,
    ) -> ClientResponse:
        body, content_type = encode_body(data, json, self._json_serialize)
        url = self._check_url(self._build_url(raw_url), params, ("http", "https"))
        user_headers, auth = self._user_headers(url, headers, auth)
        if content_type is not None:
            self._default(user_headers, "Content-Type", content_type)
        self._default(user_headers, "Accept", "*/*")
        self._default(user_headers, "Accept-Encoding", "gzip, deflate")
        if self._connector.force_close:
            user_headers["Connection"] = "close"
        deadline = deadline_after(timeout.total)
        history: list[ClientResponse] = []
        start = origin(url)
        while True:
            fields = self._hop_headers(url, user_headers, auth, host=True)
            if body is not None or method in ("POST", "PUT", "PATCH"):
                fields["Content-Length"] = str(len(body or b""))
            proxy = self._proxy_for(url, route, fields)
            info = RequestInfo(url, method, CIMultiDictProxy(fields), url)
            request = serialize_request(method, url.raw_path_qs or "/", fields.items()) + (body or b"")
            conn, head = await within(
                deadline,
                self._hop(url, request, route, proxy, timeout, reuse=True),
                f"Request to {url} timed out (ClientTimeout.total)",
            )
            response = self._response_class(
                method,
                url,
                head,
                conn,
                request_info=info,
                history=tuple(history),
                max_body_size=self._max_body_size,
                read_until=deadline,
                auto_decompress=self._auto_decompress,
                fallback_charset_resolver=self._fallback_charset,
            )
            location = head.headers.get("Location")
            if not (allow_redirects and head.status in REDIRECT_STATUSES and location is not None):
                break
            if method == "HEAD":
                response.release()
            else:
                await response.read()  # pools the connection when it can
            history.append(response)
            if len(history) > max_redirects:
                raise TooManyRedirects(info, tuple(history), status=head.status, message=head.reason, headers=head.headers)
            url, same_origin = follow(url, location, start, user_headers, websocket=False)
            if not same_origin:
                auth = None
            method, keep_body = redirect_method(head.status, method)
            if not keep_body:
                body = None
                user_headers.popall("Content-Type", None)
        if raise_for_status:
            response.raise_for_status()
        return response

    # -- shared by both ------------------------------------------------------------------

    def _route(
        self,
        ssl: SSLArg,
        server_hostname: str | None,
        proxy: str | URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: HeadersArg,
    ) -> _Route:
        merged: CIMultiDict[str] = CIMultiDict(self._proxy_headers)
        merged.update(CIMultiDict(proxy_headers or {}))
        chosen = URL(proxy) if isinstance(proxy, str) else proxy
        return _Route(
            ssl=ssl,
            server_hostname=server_hostname,
            proxy=chosen if chosen is not None else self._proxy,
            proxy_auth=proxy_auth if chosen is not None else (proxy_auth or self._proxy_auth),
            proxy_headers=merged,
        )

    def _build_url(self, url: str | URL) -> URL:
        """The caller's URL, joined to ``base_url`` when relative. Raises
        ``ValueError`` for control characters (see ``_to_url``)."""
        built = _to_url(url)
        if self._base_url is not None and not built.absolute:
            return self._base_url.join(built)
        return built

    def _default(self, headers: CIMultiDict[str], name: str, value: str) -> None:
        """Add a default header unless the caller set it or ``skip_auto_headers`` names it."""
        if name not in headers and name.lower() not in self._skip_auto_headers:
            headers[name] = value

    def _check_url(self, url: URL, params: Mapping[str, str] | None, schemes: Sequence[str]) -> URL:
        if self._closed:
            raise RuntimeError("Session is closed")
        if params:
            url = url.extend_query(params)
        if url.scheme not in schemes:
            raise NonHttpUrlClientError(url, f"is not a {' or '.join(s + '://' for s in schemes)} URL")
        if not url.raw_host:
            raise InvalidUrlClientError(url, "is not a URL with a host")
        return url

    def _user_headers(
        self, url: URL, headers: HeadersArg, auth: BasicAuth | None
    ) -> tuple[CIMultiDict[str], BasicAuth | None]:
        """Session then call headers, and the credentials for the URL's origin."""
        merged: CIMultiDict[str] = CIMultiDict(self._default_headers)
        given: CIMultiDict[str] = CIMultiDict(headers or {})
        for name in given.keys():
            merged.popall(name, None)
        merged.extend(given)
        url_auth = BasicAuth.from_url(url)
        if url_auth is not None and auth is not None:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        self._default(merged, "User-Agent", USER_AGENT)
        chosen = auth or url_auth or self._auth
        if chosen is not None and "Authorization" in merged:
            raise ValueError("Cannot combine an Authorization header with AUTH argument or credentials encoded in URL")
        return merged, chosen

    def _hop_headers(
        self, url: URL, user_headers: CIMultiDict[str], auth: BasicAuth | None, *, host: bool
    ) -> CIMultiDict[str]:
        """One hop's request headers: ``Host`` (unless the caller writes it),
        the user's headers, ``Authorization`` and the jar's cookies for *url*."""
        fields: CIMultiDict[str] = CIMultiDict()
        if host:
            fields["Host"] = _host_header(url, _SCHEMES[url.scheme][1])
        fields.extend(user_headers)
        if auth is not None:
            fields["Authorization"] = auth.encode()
        cookie = self._cookie_jar.cookie_header(url)
        if cookie is not None:
            previous = fields.popall("Cookie", [])
            fields["Cookie"] = "; ".join([*previous, cookie])
        return fields

    def _proxy_for(self, url: URL, route: _Route, fields: CIMultiDict[str]) -> _Proxy | None:
        """The proxy for *url*: the route's, else with ``trust_env`` the
        environment's. A ``Proxy-Authorization`` request header then moves from
        *fields* to the CONNECT request: it never goes inside the tunnel."""
        proxy_url, proxy_auth = route.proxy, route.proxy_auth
        if proxy_url is None and self._trust_env:
            proxy_url, proxy_auth = proxy_from_env(url) or (None, None)
        if proxy_url is None:
            return None
        headers = route.proxy_headers
        if "Proxy-Authorization" in fields:
            headers = headers.copy()
            headers.popall("Proxy-Authorization", None)
            headers.extend(("Proxy-Authorization", v) for v in fields.popall("Proxy-Authorization"))
        return _Proxy(proxy_url, proxy_auth, headers)

    async def _hop(
        self,
        url: URL,
        request: bytes,
        route: _Route,
        proxy: _Proxy | None,
        timeout: ClientTimeout,
        *,
        reuse: bool,
    ) -> tuple[Connection, ResponseHead]:
        """Send *request* (made before connecting, so a bad header raised
        ``ValueError`` before any I/O) and read the response head; Set-Cookie
        fields go into the jar."""
        assert url.raw_host is not None and url.port is not None
        conn = await within(
            deadline_after(timeout.connect),
            self._connector.connect(
                url.raw_host,
                url.port,
                is_ssl=_SCHEMES[url.scheme][0],
                ssl=route.ssl,
                server_hostname=route.server_hostname,
                timeout=timeout.sock_connect,
                proxy=proxy.url if proxy else None,
                proxy_auth=proxy.auth if proxy else None,
                proxy_headers=proxy.headers if proxy else None,
                reuse=reuse,
            ),
            f"Connection to {url} timed out (ClientTimeout.connect)",
            ConnectionTimeoutError,
        )
        try:
            conn.protocol.read_timeout = timeout.sock_read
            conn.protocol.set_limits(*self._head_limits)
            conn.transport.write(request)
            head = await conn.protocol.read_head()
            assert isinstance(head, ResponseHead)
            self._cookie_jar.update_from_headers(head.headers.getall("Set-Cookie", []), url)
        except BaseException:
            conn.close()
            raise
        return conn, head

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
        max_queue_bytes: int | tuple[int, int] = DEFAULT_MAX_QUEUE_BYTES,
    ) -> AwaitableContext[ClientWebSocketResponse[Any]]:
        """Open a WebSocket (RFC 6455 §4.1); use with ``await`` or ``async with``.

        Args:
            url: ``ws://``, ``wss://`` (or ``http://``, ``https://``) URL.
            method: request method (RFC 6455 requires GET).
            protocols: subprotocols offered, in order of preference.
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
                proxy reached with CONNECT; ``Proxy-Authorization`` goes only on
                the CONNECT request.
            ssl: ``True`` (verify), ``False`` (no verification), an ``SSLContext``
                or a ``Fingerprint``; anything else raises ``TypeError``.
                aiohttp's deprecated ``verify_ssl``, ``ssl_context`` and
                ``fingerprint`` still work and warn.
            server_hostname: TLS SNI and certificate host name override.
            max_msg_size: largest message received, in bytes, inclusive (4 MiB;
                0 = no limit); larger → close code 1009.
            max_queue_bytes: receive-queue high-water mark in payload bytes
                (1 MiB), or ``(high, low)``; reading pauses above it.
            compress: permessage-deflate (RFC 7692): 0 off (default); 9..15 as
                aiohttp (window bits asked of the server); a ``PerMessageDeflate``
                offer, or several in order of preference.
            decode_text: ``False`` gives TEXT messages' data as UTF-8 ``bytes``
                (for parsers such as orjson; still validated, RFC 6455 §8.1).

        Redirects (301/302/303/307/308) are followed up to the session's
        ``max_redirects``. Raises ``WSServerHandshakeError`` (status, headers,
        body), ``TooManyRedirects``, ``InvalidUrlRedirectClientError``,
        ``InvalidURL``, ``ClientConnectorError``, ``ClientHttpProxyError`` and
        ``ServerTimeoutError``, all when awaited, never at the call (as
        aiohttp: ``asyncio.wait_for(session.ws_connect(url), 5)`` works).
        """
        options: dict[str, Any] = dict(
            method=method,
            protocols=protocols,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            auth=auth,
            origin=origin,
            params=params,
            headers=headers,
            max_msg_size=max_msg_size,
            max_queue_bytes=max_queue_bytes,
            decode_text=decode_text,
        )

        async def connect() -> ClientWebSocketResponse[Any]:
            # Every check runs when awaited, as in aiohttp.
            route = self._route(
                merge_ssl(ssl, verify_ssl, ssl_context, fingerprint), server_hostname, proxy, proxy_auth, proxy_headers
            )
            return await self._ws_connect(
                self._build_url(url),
                ws_timeout=ws_timeout(timeout, receive_timeout),
                route=route,
                offers=offers_from(compress),
                **options,
            )

        return AwaitableContext(connect(), _close_ws)

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
        route: _Route,
        max_msg_size: int,
        max_queue_bytes: int | tuple[int, int],
        offers: tuple[PerMessageDeflate, ...],
        decode_text: bool,
    ) -> ClientWebSocketResponse[Any]:
        url = self._check_url(url, params, tuple(_SCHEMES))
        url = url.with_scheme({"http": "ws", "https": "wss"}.get(url.scheme, url.scheme))
        seconds = _min_timeout(ws_timeout.ws_handshake, self._timeout.total)
        conn, head, handshake = await within(
            deadline_after(seconds),
            self._ws_handshake(url, method, protocols, auth, origin, headers, route, offers),
            f"WebSocket handshake with {url} timed out after {seconds} s",
        )
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
        conn.protocol.read_timeout = None
        ws_conn.add_lost_callback(conn.release)
        ws_conn.take_over(conn.transport, conn.protocol)
        return self._ws_response_class(
            ws_conn,
            headers=head.headers,
            protocol=chosen,
            timeout=ws_timeout,
            autoclose=autoclose,
            autoping=autoping,
            decode_text=decode_text,
        )

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
    ) -> tuple[Connection, ResponseHead, ClientHandshake]:
        """Send the upgrade request, following redirects; return the final
        connection, its response head and the handshake that checks it. A
        final non-101 response's body (at most 1 MiB) is read for the error."""
        user_headers, auth = self._user_headers(url, headers, auth)
        if origin_header is not None:
            user_headers["Origin"] = origin_header
        start = origin(url)
        history: list[ResponseHead] = []
        while True:
            fields = self._hop_headers(url, user_headers, auth, host=False)
            proxy = self._proxy_for(url, route, fields)
            info = RequestInfo(url, method, CIMultiDictProxy(fields), url)
            handshake = ClientHandshake(
                host=_host_header(url, _SCHEMES[url.scheme][1]),
                target=url.raw_path_qs or "/",
                protocols=protocols,
                headers=fields.items(),
                method=method,
                request_info=info,
                extensions=offers,
            )
            try:
                conn, head = await self._hop(url, handshake.request, route, proxy, self._timeout, reuse=False)
            except HttpProcessingError as exc:
                raise WSServerHandshakeError(info, status=exc.code, message=f"Invalid HTTP response: {exc.message}") from exc
            location = head.headers.get("Location")
            if head.status == 101 or head.status not in REDIRECT_STATUSES or location is None:
                break
            conn.close()  # a WebSocket hop is never pooled
            history.append(head)
            if len(history) > self._max_redirects:
                raise TooManyRedirects(info, status=head.status, message=head.reason, headers=head.headers)
            url, same_origin = follow(url, location, start, user_headers, websocket=True)
            if not same_origin:
                auth = None
        if head.status != 101:
            try:
                body = await self._error_body(conn, head)
            finally:
                conn.close()
            raise WSServerHandshakeError(
                info, status=head.status, message=head.reason or "Invalid response status", headers=head.headers, body=body
            )
        return conn, head, handshake

    async def _error_body(self, conn: Connection, head: ResponseHead) -> bytes:
        try:
            return await conn.protocol.read_body(head, limit=MAX_BODY_SIZE)
        except HttpProcessingError:
            return b""


async def _release_response(response: ClientResponse) -> None:
    response.release()


async def _close_ws(ws: ClientWebSocketResponse[Any]) -> None:
    await ws.close()


def ws_connect(url: str | URL, **kwargs: Any) -> AwaitableContext[ClientWebSocketResponse[Any]]:
    """Open a WebSocket with a private ``ClientSession`` that closes with it.

    Takes the keyword arguments of ``ClientSession.ws_connect``, plus
    ``connector`` and ``session_timeout`` for the private session.
    """
    session_kwargs: dict[str, Any] = {}
    if "connector" in kwargs:
        session_kwargs["connector"] = kwargs.pop("connector")
    if "session_timeout" in kwargs:
        session_kwargs["timeout"] = kwargs.pop("session_timeout")

    async def connect() -> ClientWebSocketResponse[Any]:
        session = ClientSession(**session_kwargs)
        try:
            ws = await session.ws_connect(url, **kwargs)
        except BaseException:
            await session.close()
            raise
        ws._conn.add_lost_callback(session._close_now)
        return ws

    return AwaitableContext(connect(), _close_ws)


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
