"""The server role inside real ASGI servers: uvicorn and hypercorn."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest

import aiohttp_ws
from aiohttp_ws.asgi import AsgiWebSocket, websocket_app
from aiohttp_ws.server import Accept, Refuse, UpgradeRequest

from .ports import free_port, wait_listening

uvicorn = pytest.importorskip("uvicorn")
hypercorn_asyncio = pytest.importorskip("hypercorn.asyncio")
hypercorn_config = pytest.importorskip("hypercorn.config")


async def run_uvicorn(app: Any) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="wsproto", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_listening(port)
    yield port
    server.should_exit = True
    await task


async def run_hypercorn(app: Any) -> AsyncIterator[int]:
    port = free_port()
    config = hypercorn_config.Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    config.accesslog = None
    stop = asyncio.Event()
    task = asyncio.create_task(hypercorn_asyncio.serve(app, config, shutdown_trigger=stop.wait))
    await wait_listening(port)
    yield port
    stop.set()
    await task


RUNNERS = {"uvicorn": run_uvicorn, "hypercorn": run_hypercorn}


async def handler(ws: AsgiWebSocket) -> None:
    async for msg in ws:
        if msg.type is aiohttp_ws.WSMsgType.TEXT:
            if msg.data == "raise":
                raise RuntimeError("handler bug")
            await ws.send_str(f"{ws.protocol}:{ws.path}:{msg.data}")
        elif msg.type is aiohttp_ws.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)


def gate(request: UpgradeRequest) -> Accept | Refuse | None:
    if request.path == "/private":
        return Refuse(403, headers=[("X-Why", "private")], body="no entry")
    if request.path == "/extra":
        return Accept(headers=[("X-Extra", "yes")])
    return None


APP = websocket_app(handler, protocols=("v1", "v2"), process_request=gate, max_msg_size=1000)


@pytest.fixture(params=sorted(RUNNERS))
async def asgi_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    runner: Callable[[Any], AsyncIterator[int]] = RUNNERS[request.param]
    servers = runner(APP)
    port = await servers.__anext__()
    yield f"ws://127.0.0.1:{port}"
    with pytest.raises(StopAsyncIteration):
        await servers.__anext__()


async def test_echo_subprotocol_and_path(asgi_url: str) -> None:
    async with aiohttp_ws.ws_connect(f"{asgi_url}/room?x=1", protocols=["v2", "v1"]) as ws:
        assert ws.protocol == "v1"  # the server's preference
        await ws.send_str("hi")
        assert await ws.receive_str() == "v1:/room?x=1:hi"
        await ws.send_bytes(b"\x00" * 1000)
        assert await ws.receive_bytes() == b"\x00" * 1000


async def test_refusal_and_extra_headers(asgi_url: str) -> None:
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await aiohttp_ws.ws_connect(f"{asgi_url}/private")
    assert info.value.status == 403
    async with aiohttp_ws.ws_connect(f"{asgi_url}/extra") as ws:
        assert ws.headers.get("X-Extra") == "yes"


async def test_limits_and_handler_errors_close_with_their_codes(asgi_url: str) -> None:
    async with aiohttp_ws.ws_connect(asgi_url + "/") as ws:
        await ws.send_bytes(b"x" * 1001)
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp_ws.WSMsgType.CLOSE, 1009)
    async with aiohttp_ws.ws_connect(asgi_url + "/") as ws:
        await ws.send_str("raise")
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp_ws.WSMsgType.CLOSE, 1011)


async def test_plain_http_gets_404(asgi_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(asgi_url.replace("ws://", "http://") + "/") as resp:
            assert resp.status == 404
