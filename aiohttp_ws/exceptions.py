"""The one exception tree of aiohttp_ws, with aiohttp's public names.

::

    ClientError
    ├── ClientConnectionError
    │   ├── ClientOSError (also OSError)
    │   │   └── ClientConnectorError
    │   │       ├── ClientProxyConnectionError
    │   │       ├── ClientConnectorSSLError
    │   │       └── ClientConnectorCertificateError
    │   ├── ClientConnectionResetError (also ConnectionResetError)
    │   ├── ClientPayloadError
    │   └── ServerConnectionError
    │       ├── ServerDisconnectedError
    │       ├── ServerFingerprintMismatch
    │       └── ServerTimeoutError (also TimeoutError)
    ├── ClientResponseError
    │   ├── WSServerHandshakeError
    │   ├── ClientHttpProxyError
    │   ├── TooManyRedirects
    │   └── ContentTypeError
    ├── InvalidURL (also ValueError)
    │   └── InvalidUrlClientError
    │       └── InvalidUrlRedirectClientError
    │           └── InsecureRedirectError: https/wss → plaintext refused
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


class ClientProxyConnectionError(ClientConnectorError):
    """Could not connect to the proxy itself (``host``/``port`` are the proxy's)."""


class ClientConnectorSSLError(ClientConnectorError):
    """The TLS handshake failed for a reason other than the certificate."""


class ClientConnectorCertificateError(ClientConnectorError):
    """The server's certificate did not verify (``ssl.SSLCertVerificationError``)."""


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
    """A deadline passed: handshake, heartbeat pong or close handshake."""


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

    ``body`` holds up to the first 1 MiB of a non-101 response's body.
    """

    def __init__(
        self,
        request_info: RequestInfo | None,
        history: tuple[Any, ...] = (),
        *,
        status: int = 0,
        message: str = "",
        headers: CIMultiDictProxy[str] | CIMultiDict[str] | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(request_info, history, status=status, message=message, headers=headers)
        self.body = body


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered the CONNECT request with a non-2xx status
    (``status``, ``message`` and ``headers`` are the proxy's)."""


class TooManyRedirects(ClientResponseError):
    """More redirects than the session's ``max_redirects``."""


class ContentTypeError(ClientResponseError):
    """``ClientResponse.json()`` got a body whose Content-Type is not JSON."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be used (bad scheme, no host)."""

    def __init__(self, url: Any, description: str = "") -> None:
        self.url = url
        self.description = description
        super().__init__(url, description)

    def __str__(self) -> str:
        return f"{self.url} {self.description}".strip()


class InvalidUrlClientError(InvalidURL):
    """A URL given to a request cannot be used."""


class InvalidUrlRedirectClientError(InvalidUrlClientError):
    """A redirect's ``Location`` cannot be followed: malformed (too long, bad
    IPv6 literal, bad percent-encoding), not HTTP(S)/WS(S), or a downgrade
    from ``https``/``wss`` to plaintext."""


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
