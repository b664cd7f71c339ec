"""``SocketConnector``: a WebSocket (or one request) over a socket that is
already connected: a socketpair, a pre-opened tunnel, an SSH channel, an
inherited file descriptor."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Callable

from .connector import BaseConnector, SSLArg, _factory
from .http_proto import HttpHeadProtocol

__all__ = ("SocketConnector",)


class SocketConnector(BaseConnector):
    """Hands out *sock*, a connected stream socket, once, whatever the URL's
    host and port (they still give the ``Host`` header and, for ``wss://``,
    the TLS server name, which ``server_hostname=`` overrides).

    TLS runs over the socket for ``wss://`` and ``https://`` URLs, verified
    as ``ssl=`` says (``True`` by default). A second connection (a redirect,
    say) raises ``ClientConnectorError``: there is no second socket. The
    connector owns *sock* from then on and closes it with the connection.
    """

    def __init__(self, sock: socket.socket, *, ssl: SSLArg = True) -> None:
        super().__init__(limit=1, ssl=ssl, force_close=True)
        if sock.type != socket.SOCK_STREAM:
            raise ValueError("SocketConnector needs a connected stream socket")
        self._sock: socket.socket | None = sock

    async def _open(
        self, host: str, port: int, tls: dict[str, Any], factory: Callable[[], HttpHeadProtocol] = _factory
    ) -> tuple[asyncio.Transport, HttpHeadProtocol]:
        sock, self._sock = self._sock, None
        if sock is None:
            raise ConnectionRefusedError("the socket of this SocketConnector was already used")
        sock.setblocking(False)
        try:
            transport, protocol = await asyncio.get_running_loop().create_connection(factory, sock=sock, **tls)
        except BaseException:
            sock.close()
            raise
        return transport, protocol

    def _close(self) -> None:
        super()._close()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
