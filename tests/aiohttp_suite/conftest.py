"""Fixtures that stand in for aiohttp's pytest plugin in aiohttp's own tests.

``aiohttp_client(app)`` starts the app on a real ``aiohttp.web`` test server on
127.0.0.1 and returns an ``AiohttpClientAdapter``: a client whose
``ws_connect(path, ...)`` is ``aiohttp_ws.ClientSession.ws_connect`` on the
server's URL. ``aiohttp_server(app)`` returns the started server alone. Both
close what they opened when the test ends, as aiohttp's plugin does.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import aiohttp_ws


class AiohttpClientAdapter:
    """The part of aiohttp's ``TestClient`` that client-websocket tests use."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.session = aiohttp_ws.ClientSession()
        self._websockets: list[aiohttp_ws.ClientWebSocketResponse] = []

    def make_url(self, path: str) -> Any:
        return self.server.make_url(path)

    def ws_connect(self, path: str, **kwargs: Any) -> Any:
        context = self.session.ws_connect(self.make_url(path), **kwargs)
        return _Tracked(context, self._websockets)

    async def close(self) -> None:
        while self._websockets:
            await self._websockets.pop().close()
        await self.session.close()


class _Tracked:
    """Keeps each opened WebSocket for closing at teardown (aiohttp's
    ``TestClient._websockets``)."""

    def __init__(self, context: Any, opened: list[Any]) -> None:
        self._context = context
        self._opened = opened

    def __await__(self) -> Any:
        ws = yield from self._context.__await__()
        self._opened.append(ws)
        return ws

    async def __aenter__(self) -> Any:
        ws = await self._context.__aenter__()
        self._opened.append(ws)
        return ws

    async def __aexit__(self, *exc: Any) -> None:
        await self._context.__aexit__(*exc)


@pytest.fixture
async def aiohttp_server() -> AsyncIterator[Callable[..., Awaitable[TestServer]]]:
    servers: list[TestServer] = []

    async def start(app: web.Application, **kwargs: Any) -> TestServer:
        server = TestServer(app, host="127.0.0.1", **kwargs)
        await server.start_server()
        servers.append(server)
        return server

    yield start
    while servers:
        await servers.pop().close()


@pytest.fixture
async def aiohttp_client(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[Callable[..., Awaitable[AiohttpClientAdapter]]]:
    clients: list[AiohttpClientAdapter] = []

    async def start(app: web.Application, *, server_kwargs: dict[str, Any] | None = None) -> AiohttpClientAdapter:
        client = AiohttpClientAdapter(await aiohttp_server(app, **(server_kwargs or {})))
        clients.append(client)
        return client

    yield start
    while clients:
        await clients.pop().close()


@pytest.fixture
async def loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.fixture
def unused_port_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


@pytest.fixture
def parametrize_zlib_backend() -> None:
    """aiohttp's fixture swaps its own zlib backend; we have one (zlib)."""
