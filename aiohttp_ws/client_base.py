"""What a session is made of and what every request of it shares.

``SessionBase`` holds the connector, cookie jar, default headers, auth,
proxies, timeouts and aiohttp's session keywords; its helpers build one hop
of a request (URL, headers, route, proxy) and send it through the connector.
``client_http.HttpMethods`` adds plain requests on top, ``client.ClientSession``
the WebSocket handshake.
"""

from __future__ import annotations

import asyncio
import json as json_module
import re
import sys
import warnings
from types import TracebackType
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence, TypeVar, Union

import attrs
from multidict import CIMultiDict
from yarl import URL

from . import __version__
from ._deadline import deadline_after, within
from .tracing import Trace, TraceConfig, TraceRequestHeadersSentParams, send_all
from ._options import _UNSET, session_timeout
from .client_reqrep import DEFAULT_MAX_BODY_SIZE, ClientResponse
from .client_ws import ClientWebSocketResponse
from .connector import BaseConnector, Connection, Dial, Http2Arg, SSLArg, TCPConnector, check_http2
from .sansio.cookiejar import CookieJar, CookiesArg
from .exceptions import ConnectionTimeoutError, InvalidUrlClientError, NonHttpUrlClientError
from .sansio.http11 import ResponseHead
from .models import BasicAuth, ClientTimeout, HttpVersion, HttpVersion11, RequestInfo
from .proxy_env import proxy_from_env

__all__ = ("SessionBase", "HeadersArg", "USER_AGENT")

_S = TypeVar("_S", bound="SessionBase")
_T = TypeVar("_T")


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


_NO_NAMES: frozenset[str] = frozenset()


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
    for name, value in (("request_class", request_class), ("middlewares", middlewares)):
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


def _uses_http2(mode: Http2Arg, url: URL, method: str, *, websocket: bool = True) -> bool:
    """Whether this hop tries HTTP/2: TLS (``wss://``, ``https://``) with
    ``True``, any scheme with ``"prior-knowledge"``; for a WebSocket, RFC 8441
    replaces GET only."""
    if not mode or (websocket and method != "GET"):
        return False
    return url.scheme in ("wss", "https") or mode == "prior-knowledge"


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


class SessionBase:
    """Connector, cookies, defaults and the helpers every request uses (see ``ClientSession``)."""

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
        trace_configs: Sequence[TraceConfig] | None = None,
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
        http2: Http2Arg | None = None,
    ) -> None:
        if max_redirects < 0 or max_body_size <= 0:
            raise ValueError("max_redirects must be >= 0 and max_body_size > 0")
        if loop is not None or request_class or version is not HttpVersion11 or middlewares or ssl_shutdown_timeout is not _UNSET:
            _refuse_unsupported(loop, request_class, version, middlewares, ssl_shutdown_timeout)
        self._trace_configs = tuple(trace_configs) if trace_configs else ()
        for config in self._trace_configs:
            config.freeze()
        self._base_url = None if base_url is None else _base_url(base_url)
        self._connector = connector if connector is not None else TCPConnector()
        self._connector_owner = connector_owner
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers) if headers else CIMultiDict()
        self._skip_auto_headers = frozenset(h.lower() for h in skip_auto_headers) if skip_auto_headers else _NO_NAMES
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
        self._proxy_headers: CIMultiDict[str] = CIMultiDict(proxy_headers) if proxy_headers else CIMultiDict()
        self._raise_for_status = raise_for_status
        self._max_body_size = max_body_size
        #: ``ws_connect``'s default ``http2`` (``None``: the connector's).
        self._http2: Http2Arg | None = None if http2 is None else check_http2(http2)
        self._closed = False

    def _traces(self, trace_request_ctx: Any = None) -> tuple[Trace, ...]:
        """One ``Trace`` per trace config, for one request (``()`` without any)."""
        return tuple(Trace(self, config, trace_request_ctx) for config in self._trace_configs)

    @property
    def trace_configs(self) -> tuple[TraceConfig, ...]:
        """The session's ``TraceConfig`` objects (frozen)."""
        return self._trace_configs

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

    async def __aenter__(self: _S) -> _S:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- shared by both ------------------------------------------------------------------

    def _route(
        self,
        ssl: SSLArg,
        server_hostname: str | None,
        proxy: str | URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: HeadersArg,
    ) -> _Route:
        merged = self._proxy_headers  # never changed in place (_proxy_for and the connector copy)
        if proxy_headers:
            merged = CIMultiDict(merged)
            merged.update(CIMultiDict(proxy_headers))
        chosen = URL(proxy) if isinstance(proxy, str) else proxy
        return _Route(
            ssl=ssl,
            server_hostname=server_hostname,
            proxy=chosen if chosen is not None else self._proxy,
            proxy_auth=proxy_auth if chosen is not None else (proxy_auth or self._proxy_auth),
            proxy_headers=merged,
        )

    def _http2_mode(self, http2: Http2Arg | None) -> Http2Arg:
        mode = self._http2 if http2 is None else check_http2(http2)
        if mode is None:
            mode = self._connector.http2
        if mode:
            from .http2 import require

            require()
        return mode

    def _build_url(self, url: str | URL) -> URL:
        """The caller's URL, joined to ``base_url`` when relative. Raises
        ``InvalidUrlClientError`` (a ``ValueError``) for a URL yarl cannot
        parse, such as a port out of range, or with control characters (see
        ``_to_url``), as aiohttp does for the former."""
        try:
            built = _to_url(url)
        except ValueError as exc:
            raise InvalidUrlClientError(url, str(exc)) from exc
        if self._base_url is not None and not built.absolute:
            return self._base_url.join(built)
        return built

    def _default(self, headers: CIMultiDict[str], name: str, value: str) -> None:
        """Add a default header unless the caller set it or ``skip_auto_headers`` names it."""
        if name not in headers and not (self._skip_auto_headers and name.lower() in self._skip_auto_headers):
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
        if headers:
            given: CIMultiDict[str] = CIMultiDict(headers)
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
        if host:
            fields: CIMultiDict[str] = CIMultiDict(Host=_host_header(url, _SCHEMES[url.scheme][1]))
            fields.extend(user_headers)
        else:
            fields = CIMultiDict(user_headers)
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

    def _dial(self, route: _Route, proxy: _Proxy | None, timeout: ClientTimeout, traces: tuple[Trace, ...]) -> Dial:
        """How a hop reaches the origin: the connector arguments of *route*,
        *proxy* and *timeout* (HTTP/1.1 and HTTP/2 alike)."""
        return Dial(**self._connect_options(route, proxy, timeout, traces))

    @staticmethod
    def _connect_options(
        route: _Route, proxy: _Proxy | None, timeout: ClientTimeout, traces: tuple[Trace, ...]
    ) -> dict[str, Any]:
        """``_dial``'s fields as keyword arguments of ``BaseConnector.connect``
        (for HTTP/1.1 without the ``Dial`` object: about 2 µs per hop)."""
        return {
            "ssl": route.ssl,
            "server_hostname": route.server_hostname,
            "timeout": timeout.sock_connect,
            "proxy": proxy.url if proxy else None,
            "proxy_auth": proxy.auth if proxy else None,
            "proxy_headers": proxy.headers if proxy else None,
            "traces": traces,
        }

    async def _http2_hop(self, url: URL, timeout: ClientTimeout, opening: Awaitable[_T]) -> _T:
        """Await an HTTP/2 hop (``http2.handshake.hop``, ``http2.requests.request``)
        within ``ClientTimeout.connect``, as ``_hop`` does its connect; the
        Set-Cookie fields of the response it gives go into the jar."""
        got = await within(
            deadline_after(timeout.connect),
            opening,
            lambda: f"Connection to {url} timed out (ClientTimeout.connect)",
            ConnectionTimeoutError,
        )
        if isinstance(got, tuple):
            self._cookie_jar.update_from_headers(got[1].headers.getall("Set-Cookie", []), url)
        return got

    async def _hop(
        self,
        url: URL,
        request: bytes,
        route: _Route,
        proxy: _Proxy | None,
        timeout: ClientTimeout,
        *,
        reuse: bool,
        traces: tuple[Trace, ...] = (),
        info: RequestInfo | None = None,
        conn: Connection | None = None,
    ) -> tuple[Connection, ResponseHead]:
        """Send *request* (made before connecting, so a bad header raised
        ``ValueError`` before any I/O) and read the response head; Set-Cookie
        fields go into the jar. With *traces*, the connector's signals and
        ``on_request_headers_sent`` (about *info*) are sent. *conn*: a
        connection already open for it (HTTP/1.1 after ALPN)."""
        assert url.raw_host is not None and url.port is not None
        if conn is None:
            conn = await within(
                deadline_after(timeout.connect),
                self._connector.connect(
                    url.raw_host,
                    url.port,
                    is_ssl=_SCHEMES[url.scheme][0],
                    reuse=reuse,
                    **self._connect_options(route, proxy, timeout, traces),
                ),
                lambda: f"Connection to {url} timed out (ClientTimeout.connect)",
                ConnectionTimeoutError,
            )
        try:
            conn.protocol.read_timeout = timeout.sock_read
            conn.protocol.set_limits(*self._head_limits)
            conn.transport.write(request)
            if traces and info is not None:
                params = TraceRequestHeadersSentParams(info.method, info.url, CIMultiDict(info.headers))
                await send_all(traces, "on_request_headers_sent", params)
            head = await conn.protocol.read_head()
            assert isinstance(head, ResponseHead)
            self._cookie_jar.update_from_headers(head.headers.getall("Set-Cookie", []), url)
        except BaseException:
            conn.close()
            raise
        return conn, head
