"""The one exception tree of aiohttp_ws, with aiohttp's public names.

::

    ClientError
    ├── ClientConnectionError
    │   ├── ClientOSError (also OSError)
    │   │   └── ClientConnectorError
    │   │       ├── ClientConnectorDNSError: the host name did not resolve
    │   │       ├── ClientProxyConnectionError
    │   │       └── ClientSSLError
    │   │           ├── ClientConnectorSSLError (also ssl.SSLError; in connector.py)
    │   │           └── ClientConnectorCertificateError (also ssl.CertificateError; in connector.py)
    │   ├── ClientConnectionResetError (also ConnectionResetError)
    │   ├── ClientPayloadError
    │   └── ServerConnectionError
    │       ├── ServerDisconnectedError
    │       ├── ServerFingerprintMismatch
    │       └── ServerTimeoutError (also TimeoutError)
    │           ├── ConnectionTimeoutError: connecting took too long
    │           └── SocketTimeoutError: a read took too long (sock_read)
    ├── ClientResponseError
    │   ├── WSServerHandshakeError
    │   ├── ClientHttpProxyError
    │   ├── TooManyRedirects
    │   └── ContentTypeError
    ├── InvalidURL (also ValueError)
    │   └── InvalidUrlClientError
    │       └── InvalidUrlRedirectClientError (also RedirectClientError)
    │           └── InsecureRedirectError: https/wss → plaintext refused
    ├── RedirectClientError
    ├── NonHttpUrlClientError: a scheme other than http(s)/ws(s)
    │   └── NonHttpUrlRedirectClientError (also RedirectClientError)
    ├── UploadAbortedError
    ├── WSMessageTypeError (also TypeError)
    ├── HttpProcessingError: malformed HTTP/1.1 (RFC 9112) with an HTTP status
    │   ├── BadHttpMessage
    │   ├── LineTooLong
    │   └── TooManyHeaders
    └── WebSocketError: a protocol violation, carries the close code it maps to
        ├── ProtocolError (1002)
        ├── InvalidPayloadError (1007)
        └── PayloadTooBig (1009)
    InvalidStateError (RuntimeError): an operation the connection state forbids

On Python >= 3.11 ``TimeoutError`` is ``asyncio.TimeoutError``, so
``ServerTimeoutError`` is caught by ``except asyncio.TimeoutError`` as in aiohttp.
"""

from __future__ import annotations

from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from .models import RequestInfo


class ClientError(Exception):
    """Base class of every error this package raises for I/O and protocol problems."""


class ClientConnectionError(ClientError):
    """The connection failed or was lost."""


class ClientOSError(ClientConnectionError, OSError):
    """An ``OSError`` from the socket layer."""


class ClientConnectorError(ClientOSError):
    """Could not open a connection to *host*:*port* (resolve, TCP or TLS failed).

    Attributes: ``host``, ``port``, ``ssl`` (whether TLS was asked for) and
    ``os_error``, the original exception.
    """

    def __init__(self, host: str, port: int, ssl: bool, os_error: BaseException) -> None:
        self.host = host
        self.port = port
        self.ssl = ssl
        self.os_error = os_error
        errno = getattr(os_error, "errno", None)
        super().__init__(errno, str(os_error))

    def __str__(self) -> str:
        return (
            f"Cannot connect to host {self.host}:{self.port} "
            f"ssl:{self.ssl} [{self.os_error}]"
        )


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved (``socket.gaierror``)."""


class ClientProxyConnectionError(ClientConnectorError):
    """Could not connect to the proxy itself (``host``/``port`` are the proxy's)."""


class ClientSSLError(ClientConnectorError):
    """The TLS handshake failed (base of ``ClientConnectorSSLError`` and
    ``ClientConnectorCertificateError``, which ``connector.py`` defines: they
    also derive from ``ssl`` classes, which the Sans-I/O core never imports)."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """Writing to a connection that is closing or closed."""


class ServerConnectionError(ClientConnectionError):
    """The server misbehaved at the connection level."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before answering."""

    def __init__(self, message: str = "Server disconnected") -> None:
        self.message = message
        super().__init__(message)


class ServerFingerprintMismatch(ServerConnectionError):
    """The server's certificate does not match the pinned ``Fingerprint``.

    Attributes: ``expected`` and ``got`` (SHA-256 digests, bytes), ``host``, ``port``.
    """

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        super().__init__(expected, got, host, port)

    def __str__(self) -> str:
        return f"certificate fingerprint mismatch for {self.host}:{self.port}: expected {self.expected.hex()}, got {self.got.hex()}"


class ClientPayloadError(ClientConnectionError):
    """A response body was cut short, malformed, or larger than allowed."""


class ServerTimeoutError(ServerConnectionError, TimeoutError):
    """A deadline passed: handshake, heartbeat pong or close handshake.

    For a missed heartbeat pong, ``loop_blocked`` is how many seconds the
    event loop was blocked just before the check (the check's own lateness);
    ``None`` for other deadlines.
    """

    loop_blocked: float | None = None


class ConnectionTimeoutError(ServerTimeoutError):
    """Getting a connection took longer than ``ClientTimeout.connect`` or
    ``sock_connect`` seconds."""


class SocketTimeoutError(ServerTimeoutError):
    """No bytes of a response arrived for ``ClientTimeout.sock_read`` seconds."""


class ClientResponseError(ClientError):
    """The server answered with a status we cannot use.

    Attributes: ``request_info`` (may be ``None`` when raised by the core),
    ``history``, ``status`` (HTTP status code), ``message`` (reason or
    explanation) and ``headers`` (the response headers, or ``None``).
    """

    def __init__(
        self,
        request_info: RequestInfo | None,
        history: tuple[Any, ...] = (),
        *,
        status: int = 0,
        message: str = "",
        headers: CIMultiDictProxy[str] | CIMultiDict[str] | None = None,
    ) -> None:
        self.request_info = request_info
        self.history = history
        self.status = status
        self.message = message
        self.headers = headers
        super().__init__(request_info)

    def __str__(self) -> str:
        url = self.request_info.real_url if self.request_info is not None else ""
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"


class WSServerHandshakeError(ClientResponseError):
    """The opening handshake failed (RFC 6455 §4.1): wrong status, missing or
    wrong ``Upgrade``/``Connection``/``Sec-WebSocket-Accept``, an unoffered
    subprotocol or extension, or a malformed response.

    For a refusal (a final status other than 101) it carries the response:
    ``status``, ``reason`` (the reason phrase, ``""`` if none), ``headers``
    and ``body``, up to the first 1 MiB of its body (bytes). ``body_text`` is
    the body decoded leniently (the ``Content-Type`` charset, else UTF-8;
    undecodable bytes replaced), and ``str()`` ends with its first
    ``BODY_PREVIEW`` characters, so "403: missing token" shows in a log line.
    """

    #: Characters of the body shown by ``str()``.
    BODY_PREVIEW = 200

    def __init__(
        self,
        request_info: RequestInfo | None,
        history: tuple[Any, ...] = (),
        *,
        status: int = 0,
        message: str = "",
        headers: CIMultiDictProxy[str] | CIMultiDict[str] | None = None,
        body: bytes = b"",
        reason: str = "",
    ) -> None:
        super().__init__(request_info, history, status=status, message=message, headers=headers)
        self.body = body
        self.reason = reason

    @property
    def body_text(self) -> str:
        """``body`` as text, decoded leniently (never raises)."""
        charset = "utf-8"
        content_type = self.headers.get("Content-Type", "") if self.headers is not None else ""
        for param in content_type.split(";")[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self.body.decode(charset, "replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", "replace")

    def __str__(self) -> str:
        text = super().__str__()
        if not self.body:
            return text
        preview = self.body_text.strip()
        if len(preview) > self.BODY_PREVIEW:
            preview = preview[: self.BODY_PREVIEW] + "…"
        return f"{text}, body={preview!r}"


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered the CONNECT request with a non-2xx status
    (``status``, ``message`` and ``headers`` are the proxy's)."""


class TooManyRedirects(ClientResponseError):
    """More redirects than the session's ``max_redirects``."""


class ContentTypeError(ClientResponseError):
    """``ClientResponse.json()`` got a body whose Content-Type is not JSON."""


class _AboutUrl(ClientError):
    """An error about one URL: ``url`` and ``description``."""

    def __init__(self, url: Any, description: str = "") -> None:
        self.url = url
        self.description = description
        super().__init__(url, description)

    def __str__(self) -> str:
        return f"{self.url} {self.description}".strip()


class InvalidURL(_AboutUrl, ValueError):
    """The URL cannot be used (malformed, no host)."""


class InvalidUrlClientError(InvalidURL):
    """A URL given to a request cannot be used."""


class RedirectClientError(ClientError):
    """Base of the errors about a redirect's ``Location`` (aiohttp's name)."""


class NonHttpUrlClientError(_AboutUrl):
    """A URL whose scheme is not ``http``/``https``/``ws``/``wss``."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect's ``Location`` cannot be followed: malformed (too long, bad
    IPv6 literal, bad percent-encoding), or a downgrade from ``https``/``wss``
    to plaintext."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect's ``Location`` has a scheme we do not follow (``ftp:``, ``data:``, ...)."""


class UploadAbortedError(ClientError):
    """A request body was not sent whole (aiohttp's name). Never raised here:
    request bodies are ``bytes`` written with the head in one write; the
    name exists so that code catching it runs."""


class InsecureRedirectError(InvalidUrlRedirectClientError):
    """A redirect from ``https``/``wss`` to ``http``/``ws`` was refused."""


class WSMessageTypeError(ClientError, TypeError):
    """``receive_str``/``receive_bytes``/``receive_json`` got another message type."""


class HttpProcessingError(ClientError):
    """A malformed HTTP/1.1 message. ``code`` is the HTTP status it maps to."""

    code = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class BadHttpMessage(HttpProcessingError):
    """Syntax error in an HTTP head or body (RFC 9112)."""


class LineTooLong(HttpProcessingError):
    """A start line, header line or chunk-size line is over the limit."""

    code = 431


class TooManyHeaders(HttpProcessingError):
    """More header fields than the limit."""

    code = 431


class WebSocketError(ClientError):
    """A WebSocket protocol violation; ``code`` is the close code it maps to."""

    code: int = 1002

    def __init__(self, message: str, code: int | None = None) -> None:
        if code is not None:
            self.code = code
        super().__init__(message)


class ProtocolError(WebSocketError):
    """The peer broke RFC 6455 framing rules: close code 1002."""

    code = 1002


class InvalidPayloadError(WebSocketError):
    """Invalid UTF-8 in a text message or close reason: close code 1007."""

    code = 1007


class PayloadTooBig(WebSocketError):
    """A message larger than ``max_msg_size``: close code 1009."""

    code = 1009


class InvalidStateError(RuntimeError):
    """The connection's state forbids this operation (e.g. sending after close)."""
