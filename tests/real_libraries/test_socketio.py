"""A real library built on aiohttp's client runs on aiohttp_ws with a plain alias.

python-socketio's server runs here on a real ``aiohttp.web`` app; its
``AsyncClient`` runs in a child process where ``sys.modules["aiohttp"]`` is
aiohttp_ws (``socketio_client.py``): websocket transport, polling upgraded to
websocket, calls with acks (a 200 KB one too), server pushes, a server kick,
and a refused connection, as the library's users see them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any, AsyncIterator

import aiohttp.web
import pytest

socketio = pytest.importorskip("socketio")


def socketio_app() -> aiohttp.web.Application:
    """A python-socketio server on aiohttp.web: echo with ack, push, kick."""
    sio = socketio.AsyncServer(async_mode="aiohttp", max_http_buffer_size=10_000_000)
    app = aiohttp.web.Application()
    sio.attach(app)

    @sio.on("echo")
    async def echo(sid: str, data: Any) -> Any:
        return data

    @sio.on("push-me")
    async def push(sid: str, data: Any) -> None:
        await sio.emit("pushed", {"got": data}, to=sid)

    @sio.on("kick-me")
    async def kick(sid: str) -> None:
        await sio.disconnect(sid)

    return app


async def start(port: int = 0) -> aiohttp.web.AppRunner:
    runner = aiohttp.web.AppRunner(socketio_app(), shutdown_timeout=0.5)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@pytest.fixture
async def socketio_server() -> AsyncIterator[str]:
    runner = await start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.timeout(90)
async def test_python_socketio_async_client_on_aiohttp_ws(socketio_server: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening: refused
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-W", "error::RuntimeWarning", "-m", "tests.real_libraries.socketio_client",
            socketio_server, dead,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 80)
    assert proc.returncode == 0, err.decode()[-3000:]
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["aiohttp_is_ours"] is True
    for name in ("websocket", "upgrade"):
        run = result[name]
        assert run["ack"] == {"n": 1, "text": "ünïcödé"}
        assert run["big"] == 200_000
        assert run["transport"] == "websocket"
        assert run["pushed"] == [{"got": "hello"}]
        assert run["kicked"] is True
    assert result["refused"] == "ConnectionError"


@pytest.mark.timeout(90)
async def test_python_socketio_reconnects_after_the_server_restarts() -> None:
    runner = await start()
    port = runner.addresses[0][1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.real_libraries.socketio_client", "reconnect", f"http://127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"connected 1"
        await runner.cleanup()  # the server goes away under a connected client...
        runner = await start(port)  # ...and comes back on the same port
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await runner.cleanup()
    assert proc.returncode == 0, err.decode()[-3000:]
    lines = out.decode().strip().splitlines()
    assert lines[0] == "connected 2"
    assert json.loads(lines[-1]) == {"connects": 2, "ack": "after restart"}
