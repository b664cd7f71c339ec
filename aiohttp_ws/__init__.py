"""aiohttp_ws: an asyncio WebSocket client with aiohttp's API.

``import aiohttp_ws as aiohttp`` runs programs written against aiohttp's
client WebSocket API.
"""

__version__ = "0.1.0"

import sys as _sys

from . import client_exceptions, client_ws, cookiejar, hdrs, http, http_websocket, typedefs
from .sansio import deflate, frames, handshake, http11, protocol, redirects
from .client import ClientSession, request, ws_connect, ws_connect_forever
from .reconnect import Backoff, WebSocketReconnector
from .client_reqrep import ClientResponse
from .client_ws import ClientWebSocketResponse
from .connector import (
    BaseConnector,
    ClientConnectorCertificateError,
    ClientConnectorSSLError,
    Fingerprint,
    TCPConnector,
    UnixConnector,
)
from .formdata import FormData
from .socket_connector import SocketConnector
from .sansio.cookiejar import CookieJar, DummyCookieJar
from .sansio.deflate import DeflateParams, PerMessageDeflate
from .sansio.frames import HAS_EXTENSIONS
from .exceptions import (
    BadHttpMessage,
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    ContentTypeError,
    HttpProcessingError,
    InsecureRedirectError,
    InvalidPayloadError,
    InvalidStateError,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    LineTooLong,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    PayloadTooBig,
    ProtocolError,
    RedirectClientError,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyHeaders,
    TooManyRedirects,
    UploadAbortedError,
    WebSocketError,
    WSMessageTypeError,
    WSServerHandshakeError,
)
from .models import (
    BasicAuth,
    encode_basic_auth,
    ClientTimeout,
    ClientWSTimeout,
    Message,
    MsgType,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RequestInfo,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from .server import Server, ServerWebSocket, broadcast, serve

__all__ = (
    "__version__",
    "broadcast",
    "BadHttpMessage",
    "BaseConnector",
    "BasicAuth",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponse",
    "ClientResponseError",
    "ClientSSLError",
    "ClientSession",
    "ClientTimeout",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "CookieJar",
    "DeflateParams",
    "DummyCookieJar",
    "Fingerprint",
    "FormData",
    "HAS_EXTENSIONS",
    "HttpProcessingError",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "InsecureRedirectError",
    "InvalidPayloadError",
    "InvalidStateError",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "LineTooLong",
    "Message",
    "MsgType",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "PayloadTooBig",
    "PerMessageDeflate",
    "ProtocolError",
    "RedirectClientError",
    "RequestInfo",
    "Server",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "ServerWebSocket",
    "SocketConnector",
    "SocketTimeoutError",
    "TCPConnector",
    "TooManyHeaders",
    "TooManyRedirects",
    "UnixConnector",
    "UploadAbortedError",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WSServerHandshakeError",
    "WebSocketError",
    "client_exceptions",
    "client_ws",
    "cookiejar",
    "encode_basic_auth",
    "hdrs",
    "http",
    "http_websocket",
    "request",
    "serve",
    "typedefs",
    "ws_connect",
    "ws_connect_forever",
    "Backoff",
    "WebSocketReconnector",
)

# The Sans-I/O modules lived at the top level before ``sansio/`` existed:
# ``import aiohttp_ws.frames`` and ``from aiohttp_ws.protocol import ...`` keep
# working as aliases of the same module objects.
for _module in (deflate, frames, handshake, http11, protocol, redirects):
    _sys.modules[f"{__name__}.{_module.__name__.rpartition('.')[2]}"] = _module
del _module
