"""Plain HTTP/1.1 requests of a session: ``request()`` and the method shortcuts."""

from __future__ import annotations

from typing import Any, Mapping

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._context import AwaitableContext
from ._deadline import deadline_after, within
from .client_base import _SCHEMES, HeadersArg, SessionBase, _host_header, _Proxy, _Route, _uses_http2
from .tracing import (
    Trace,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    send_all,
)
from .client_reqrep import BodySource, ClientResponse, DataArg, encode_body
from .connector import Http2Arg, SSLArg
from .exceptions import TooManyRedirects
from .sansio.http11 import ResponseHead, serialize_request
from .models import BasicAuth, ClientTimeout, RequestInfo
from .sansio.redirects import REDIRECT_STATUSES, follow, origin, redirect_method

__all__ = ("HttpMethods",)


async def _release_response(response: ClientResponse) -> None:
    response.release()


class HttpMethods(SessionBase):
    """``request()``, ``get()``, ``post()``, ... (aiohttp's names and arguments)."""

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
        trace_request_ctx: Any = None,
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
            trace_request_ctx: handed to the session's ``TraceConfig``
                callbacks as ``trace_config_ctx.trace_request_ctx``.

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
            traces=self._traces(trace_request_ctx),
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
        traces: tuple[Trace, ...] = (),
    ) -> ClientResponse:
        sent: CIMultiDict[str] = CIMultiDict(headers or {}) if traces else CIMultiDict()
        if traces:
            url = self._build_url(raw_url)
            await send_all(traces, "on_request_start", TraceRequestStartParams(method, url, sent))
        try:
            response = await self._send_request(
                method, raw_url, params, data, json, headers, auth, allow_redirects, max_redirects,
                raise_for_status, timeout, route, traces,
            )
        except BaseException as exc:
            if traces:
                await send_all(traces, "on_request_exception", TraceRequestExceptionParams(method, url, sent, exc))
            raise
        if traces:
            await send_all(traces, "on_request_end", TraceRequestEndParams(method, response.url, sent, response))
        return response

    async def _request_hop(
        self,
        url: URL,
        method: str,
        fields: CIMultiDict[str],
        body: bytes | None,
        request: bytes,
        route: _Route,
        proxy: _Proxy | None,
        timeout: ClientTimeout,
        traces: tuple[Trace, ...],
        info: RequestInfo,
        http2: Http2Arg,
    ) -> tuple[BodySource, ResponseHead]:
        """One request and its response head: on the origin's HTTP/2
        connection when the session's ``http2`` says so and the origin takes
        it (the WebSockets' connection, docs/http2.rst), else over HTTP/1.1
        (on the connection TLS negotiated for it, if any)."""
        conn = None
        if _uses_http2(http2, url, method, websocket=False):
            from .http2.requests import request as h2_request

            authority = _host_header(url, _SCHEMES[url.scheme][1])
            via = self._dial(route, proxy, timeout, traces)
            got = await self._http2_hop(url, timeout, h2_request(self._connector, url, method, fields, body, authority, via))
            if isinstance(got, tuple):
                return got
            conn = got
        return await self._hop(url, request, route, proxy, timeout, reuse=True, traces=traces, info=info, conn=conn)

    async def _send_request(
        self,
        method: str,
        raw_url: str | URL,
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
        traces: tuple[Trace, ...],
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
        http2 = self._http2_mode(None)
        while True:
            fields = self._hop_headers(url, user_headers, auth, host=True)
            if body is not None or method in ("POST", "PUT", "PATCH"):
                fields["Content-Length"] = str(len(body or b""))
            proxy = self._proxy_for(url, route, fields)
            info = RequestInfo(url, method, CIMultiDictProxy(fields), url)
            request = serialize_request(method, url.raw_path_qs or "/", fields.items()) + (body or b"")
            conn, head = await within(
                deadline,
                self._request_hop(url, method, fields, body, request, route, proxy, timeout, traces, info, http2),
                lambda: f"Request to {url} timed out (ClientTimeout.total)",
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
            if traces:
                redirect = TraceRequestRedirectParams(method, url, CIMultiDict(fields), response)
                await send_all(traces, "on_request_redirect", redirect)
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
