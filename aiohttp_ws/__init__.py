"""aiohttp_ws: an asyncio WebSocket client with aiohttp's API.

``import aiohttp_ws as aiohttp`` runs programs written against aiohttp's
client WebSocket API.
"""

__version__ = "0.1.0"

from .client import ClientSession, ws_connect
from .client_ws import ClientWebSocketResponse
from .connector import TCPConnector, UnixConnector
from .deflate import DeflateParams, PerMessageDeflate
from .frames import HAS_EXTENSIONS
from .exceptions import (
    BadHttpMessage,
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientOSError,
    ClientResponseError,
    HttpProcessingError,
    InvalidPayloadError,
    InvalidStateError,
    InvalidURL,
    LineTooLong,
    PayloadTooBig,
    ProtocolError,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerTimeoutError,
    TooManyHeaders,
    WebSocketError,
    WSMessageTypeError,
    WSServerHandshakeError,
)
from .models import (
    BasicAuth,
    ClientTimeout,
    ClientWSTimeout,
    Message,
    MsgType,
    RequestInfo,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from .server import Server, ServerWebSocket, serve

__all__ = (
    "__version__",
    "HAS_EXTENSIONS",
    "BadHttpMessage",
    "BasicAuth",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientOSError",
    "ClientResponseError",
    "ClientSession",
    "ClientTimeout",
    "ClientWebSocketResponse",
    "ClientWSTimeout",
    "DeflateParams",
    "HttpProcessingError",
    "InvalidPayloadError",
    "InvalidStateError",
    "InvalidURL",
    "LineTooLong",
    "Message",
    "MsgType",
    "PayloadTooBig",
    "PerMessageDeflate",
    "ProtocolError",
    "RequestInfo",
    "Server",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "ServerWebSocket",
    "TCPConnector",
    "TooManyHeaders",
    "UnixConnector",
    "WebSocketError",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WSServerHandshakeError",
    "serve",
    "ws_connect",
)
