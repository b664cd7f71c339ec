"""Plain HTTP/1.1 requests and responses: request bodies and ``ClientResponse``.

The response head is parsed by ``http11.HeadParser`` (the same parser and
limits as the WebSocket handshake); the body by ``http11.BodyReader``
(Content-Length, chunked, or until the connection ends), then decoded from
``gzip``/``deflate`` (RFC 9110 §8.4) with the decoded size bounded.
"""

from __future__ import annotations

import json as json_module
import zlib
from http.cookies import CookieError, SimpleCookie
from types import TracebackType
from typing import Any, Callable, Iterable, Mapping, Protocol, Union
from urllib.parse import urlencode

from multidict import CIMultiDictProxy
from yarl import URL

from ._deadline import within
from .formdata import FormData
from .exceptions import ClientPayloadError, ClientResponseError, ContentTypeError
from .sansio.http11 import ResponseHead
from .models import RequestInfo

__all__ = ("ClientResponse", "DataArg", "encode_body", "decode_body", "DEFAULT_MAX_BODY_SIZE")

DataArg = Union[bytes, bytearray, memoryview, str, FormData, Mapping[str, Any], Iterable[tuple[str, Any]], None]
#: Largest response body read by ``ClientResponse.read()``, after decoding, in bytes (32 MiB).
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
_DECODE_STEP = 256 * 1024


def encode_body(
    data: DataArg, json: Any, dumps: Callable[[Any], str | bytes] = json_module.dumps
) -> tuple[bytes | None, str | None]:
    """``(body, content_type)`` for ``data=`` or ``json=``: bytes as
    ``application/octet-stream``, str as UTF-8 ``text/plain``, a mapping or
    pairs as ``application/x-www-form-urlencoded``, a ``FormData`` as it
    encodes itself, ``json=`` as ``application/json`` through *dumps* (the
    session's ``json_serialize``, or ``json_serialize_bytes`` when set).
    Raises ``ValueError`` if both are given."""
    if data is not None and json is not None:
        raise ValueError("data and json parameters can not be used at the same time")
    if json is not None:
        encoded = dumps(json)
        return (encoded if isinstance(encoded, bytes) else encoded.encode("utf-8")), "application/json"
    if data is None:
        return None, None
    if isinstance(data, FormData):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "application/octet-stream"
    if isinstance(data, str):
        return data.encode("utf-8"), "text/plain; charset=utf-8"
    items = list(data.items()) if isinstance(data, Mapping) else list(data)
    return urlencode(items).encode("ascii"), "application/x-www-form-urlencoded"


def decode_body(body: bytes, encoding: str, limit: int) -> bytes:
    """*body* decoded from its ``Content-Encoding`` (``gzip``, ``x-gzip``,
    ``deflate`` with or without the zlib wrapper, ``identity``), producing at
    most *limit* bytes: more raises ``ClientPayloadError`` (a decompression
    bomb never allocates past the limit). Unknown codings are left as they are."""
    coding = encoding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif coding == "deflate":
        wbits = zlib.MAX_WBITS if body[:1] and (body[0] & 0x0F) == 8 and int.from_bytes(body[:2], "big") % 31 == 0 else -zlib.MAX_WBITS
    else:
        return body
    decoder = zlib.decompressobj(wbits)
    out = bytearray()
    data = body
    try:
        while True:
            out += decoder.decompress(data, min(_DECODE_STEP, limit + 1 - len(out)))
            if len(out) > limit:
                raise ClientPayloadError(f"Decoded response body is larger than {limit} bytes")
            data = decoder.unconsumed_tail
            if not data:
                break
        out += decoder.flush()
    except zlib.error as exc:
        raise ClientPayloadError(f"Cannot decode {coding} response body: {exc}") from exc
    if len(out) > limit:
        raise ClientPayloadError(f"Decoded response body is larger than {limit} bytes")
    return bytes(out)


class _BodyReader(Protocol):
    async def read_full_body(self, head: ResponseHead, *, limit: int, method: str = "GET") -> tuple[bytes, bool]: ...


class BodySource(Protocol):
    """Where a response's body comes from: an HTTP/1.1 ``Connection`` or an
    HTTP/2 stream (``http2.requests.StreamLeg``). ``reuse()`` after a whole
    body, ``close()`` otherwise."""

    @property
    def protocol(self) -> _BodyReader: ...

    def reuse(self) -> None: ...

    def close(self) -> None: ...


class ClientResponse:
    """An HTTP response, as aiohttp's ``ClientResponse``.

    Attributes: ``method``, ``url`` (the final URL after redirects),
    ``status``, ``reason``, ``version`` (``(1, 1)``), ``headers``
    (``CIMultiDictProxy``), ``cookies`` (``SimpleCookie`` of its Set-Cookie
    fields), ``history`` (the redirect responses before it), ``request_info``.

    The body is read by ``read()`` (then ``text()``, ``json()``); the
    connection goes back to the keep-alive pool once the body is complete,
    or is closed by ``release()``/``close()`` if it was not read. Use it as
    an async context manager to release it.
    """

    def __init__(
        self,
        method: str,
        url: URL,
        head: ResponseHead,
        conn: BodySource | None,
        *,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...] = (),
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        keep_alive: bool = True,
        read_until: float | None = None,
        auto_decompress: bool = True,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = head.status
        self.reason = head.reason
        self.version = head.version
        self.headers: CIMultiDictProxy[str] = head.headers
        self.history = history
        self.request_info = request_info
        self.cookies: SimpleCookie = SimpleCookie()
        for value in head.headers.getall("Set-Cookie", []):
            try:
                self.cookies.load(value)
            except CookieError:
                pass
        self._head = head
        self._conn = conn
        self._body: bytes | None = None
        self._max_body_size = max_body_size
        self._keep_alive = keep_alive and head.version >= (1, 1) and not _has_close(head)
        self._read_until = read_until
        self._auto_decompress = auto_decompress
        self._fallback_charset = fallback_charset_resolver

    def __repr__(self) -> str:
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>"

    @property
    def ok(self) -> bool:
        """``status < 400``."""
        return self.status < 400

    @property
    def real_url(self) -> URL:
        """The URL requested (here the same as ``url``)."""
        return self.url

    @property
    def content_type(self) -> str:
        """The media type of ``Content-Type``, lower case (``application/octet-stream`` if absent)."""
        raw = self.headers.get("Content-Type", "application/octet-stream")
        return raw.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, or ``None``."""
        raw = self.headers.get("Content-Type", "")
        for param in raw.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip('"') or None
        return None

    @property
    def closed(self) -> bool:
        """Whether the connection was given back or closed."""
        return self._conn is None

    async def read(self) -> bytes:
        """The whole body, decoded from gzip/deflate, at most the session's
        ``max_body_size`` bytes. Raises ``ClientPayloadError`` (too large, cut
        short, bad framing or coding) and ``ServerTimeoutError`` (``sock_read``)."""
        if self._body is not None:
            return self._body
        conn = self._conn
        if conn is None:
            raise ClientPayloadError("Connection closed before the body was read")
        try:
            raw, reusable = await within(
                self._read_until,
                conn.protocol.read_full_body(self._head, limit=self._max_body_size, method=self.method),
                lambda: f"Request to {self.url} timed out (ClientTimeout.total)",
            )
        except BaseException:
            self.close()
            raise
        self._conn = None
        if reusable and self._keep_alive:
            conn.reuse()
        else:
            conn.close()
        coding = self.headers.get("Content-Encoding", "") if self._auto_decompress else ""
        self._body = decode_body(raw, coding, self._max_body_size)
        return self._body

    def get_encoding(self) -> str:
        """The body's text encoding: ``charset``, else the session's
        ``fallback_charset_resolver(response, body)``, else UTF-8 (RFC 8259 for JSON)."""
        if self.charset:
            return self.charset
        if self._fallback_charset is not None and self._body is not None:
            return self._fallback_charset(self, self._body)
        return "utf-8"

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded as text (``encoding`` or ``get_encoding()``)."""
        body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json_module.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON. Raises ``ContentTypeError`` when the media
        type is not *content_type* (``None`` skips the check), as aiohttp."""
        body = await self.read()
        if content_type is not None and content_type not in self.content_type:
            raise ContentTypeError(
                self.request_info,
                self.history,
                status=self.status,
                message=f"Attempt to decode JSON with unexpected mimetype: {self.content_type}",
                headers=self.headers,
            )
        if not body.strip():
            return None
        return loads(body.decode(encoding or self.get_encoding()))

    def raise_for_status(self) -> None:
        """Raise ``ClientResponseError`` (status, reason, headers) if ``status >= 400``."""
        if self.status >= 400:
            self.release()
            raise ClientResponseError(
                self.request_info, self.history, status=self.status, message=self.reason, headers=self.headers
            )

    def release(self) -> None:
        """Give the connection up: an unread body means it is closed, not pooled."""
        self.close()

    def close(self) -> None:
        """Close the connection if the body was not read."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    async def wait_for_close(self) -> None:
        """Release the response (aiohttp's name)."""
        self.release()

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _has_close(head: ResponseHead) -> bool:
    return any(t.strip().lower() == "close" for v in head.headers.getall("Connection", []) for t in v.split(","))
