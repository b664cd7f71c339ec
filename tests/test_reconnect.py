"""ws_connect_forever: what is retried, what stops, backoff and Retry-After,
against real servers (ours, aiohttp.web) and raw ones that refuse or vanish."""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
from typing import Any, AsyncIterator, Awaitable, Callable

import aiohttp.web
import pytest
import trustme

import aiohttp_ws
from aiohttp_ws import Backoff, ServerWebSocket, WSMsgType

from .conftest import RawServer, Script, read_request

RawServerFactory = Callable[[Script], Awaitable[RawServer]]
FAST = Backoff(initial=0.01, factor=2, cap=0.05)


class Scripted:
    """Our server; each connection's fate comes from a list: an int closes
    with that code, "drop" aborts TCP (1006), "refuse503" answers 503."""

    def __init__(self, fates: list[Any]) -> None:
        self.fates = fates
        self.served = 0

    async def handler(self, ws: ServerWebSocket) -> None:
        fate = self.fates[min(self.served, len(self.fates) - 1)]
        self.served += 1
        await ws.send_str(f"hello {self.served}")
        await ws.receive()  # the client's "go"
        if fate == "drop":
            ws.abort()
        else:
            await ws.close(code=fate)


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[list[Any]], Awaitable[tuple[Scripted, str]]]]:
    servers: list[aiohttp_ws.Server] = []

    async def start(fates: list[Any]) -> tuple[Scripted, str]:
        script = Scripted(fates)
        server = await aiohttp_ws.serve(script.handler)
        servers.append(server)
        return script, f"ws://127.0.0.1:{server.port}/"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def run_loop(connections: aiohttp_ws.WebSocketReconnector) -> list[Any]:
    """A user's loop: read the greeting, say go, read until the end."""
    seen: list[Any] = []
    async with connections:
        async for ws in connections:
            seen.append(await ws.receive_str())
            await ws.send_str("go")
            async for _ in ws:
                pass
            seen.append(ws.close_code)
    return seen


@pytest.mark.parametrize("code", [1006, 1011, 1012, 1013, 1014])
async def test_transient_closes_reconnect_and_a_normal_close_ends(scripted: Any, code: int) -> None:
    script, url = await scripted(["drop" if code == 1006 else code, "drop" if code == 1006 else code, 1000])
    async with aiohttp_ws.ClientSession() as session:
        seen = await asyncio.wait_for(run_loop(session.ws_connect_forever(url, backoff=FAST)), 10)
    assert seen == ["hello 1", code, "hello 2", code, "hello 3", 1000]


@pytest.mark.parametrize("code", [1001, 1002, 1008, 4000])
async def test_other_closes_end_the_iteration(scripted: Any, code: int) -> None:
    script, url = await scripted([code])
    seen = await asyncio.wait_for(run_loop(aiohttp_ws.ws_connect_forever(url, backoff=FAST)), 10)
    assert seen == ["hello 1", code] and script.served == 1


async def test_refused_connections_are_retried_until_the_server_is_up() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Scripted([1000])

    async def start_later() -> aiohttp_ws.Server:
        await asyncio.sleep(0.3)
        return await aiohttp_ws.serve(script.handler, "127.0.0.1", port)

    starter = asyncio.create_task(start_later())
    loop = asyncio.get_running_loop()
    began = loop.time()
    connections = aiohttp_ws.ws_connect_forever(f"ws://127.0.0.1:{port}/", backoff=FAST)
    seen = await asyncio.wait_for(run_loop(connections), 10)
    server = await starter
    server.close()
    await server.wait_closed()
    assert seen == ["hello 1", 1000] and loop.time() - began >= 0.3


def refusing(status: int, headers: bytes = b"") -> Script:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n".encode() + headers + b"\r\nno")
        await writer.drain()

    return script


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_are_raised_without_retrying(raw_server: RawServerFactory, status: int) -> None:
    hits = 0

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal hits
        hits += 1
        await refusing(status)(reader, writer)

    raw = await raw_server(counted)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await run_loop(aiohttp_ws.ws_connect_forever(raw.url, backoff=FAST))
    assert info.value.status == status and hits == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured(raw_server: RawServerFactory, status: int) -> None:
    times: list[float] = []
    loop = asyncio.get_running_loop()

    async def busy_then_fine(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        times.append(loop.time())
        if len(times) == 1:
            await refusing(status, b"Retry-After: 1\r\n")(reader, writer)
        else:
            await refusing(403)(reader, writer)  # ends the test: 403 is not retried

    raw = await raw_server(busy_then_fine)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await asyncio.wait_for(run_loop(aiohttp_ws.ws_connect_forever(raw.url, backoff=FAST)), 10)
    assert info.value.status == 403
    assert len(times) == 2 and times[1] - times[0] >= 0.95  # waited the server's 1 s, not FAST's 10 ms


async def test_5xx_without_retry_after_backs_off_and_max_attempts_ends_it(raw_server: RawServerFactory) -> None:
    hits = 0

    async def failing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal hits
        hits += 1
        await refusing(502)(reader, writer)

    raw = await raw_server(failing)
    backoff = Backoff(initial=0.01, cap=0.02, max_attempts=4)
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await asyncio.wait_for(run_loop(aiohttp_ws.ws_connect_forever(raw.url, backoff=backoff)), 10)
    assert info.value.status == 502 and hits == 4


async def test_certificate_failures_are_not_retried() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0, ssl=server_ctx) as server:
        connections = aiohttp_ws.ws_connect_forever(f"wss://localhost:{server.port}/", backoff=FAST)
        with pytest.raises(aiohttp_ws.ClientConnectorCertificateError):
            await asyncio.wait_for(run_loop(connections), 10)
        assert connections.connections == 0


async def test_break_closes_the_current_websocket(scripted: Any) -> None:
    script, url = await scripted([1000])
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect_forever(url, backoff=FAST) as connections:
            async for ws in connections:
                assert await ws.receive_str() == "hello 1"
                break
        assert ws.closed and ws.close_code == 1000
    assert script.served == 1


async def test_aiohttp_web_server_restarting() -> None:
    """An aiohttp.web server that goes away (its connections end with 1006
    for the client) and comes back on the same port."""

    async def handler(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        ws = aiohttp.web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("up")
        async for _ in ws:
            pass
        return ws

    async def start(port: int) -> aiohttp.web.AppRunner:
        app = aiohttp.web.Application()
        app.router.add_get("/", handler)
        runner = aiohttp.web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = await start(0)
    port = runner.addresses[0][1]
    greetings = 0
    async with aiohttp_ws.ws_connect_forever(f"ws://127.0.0.1:{port}/", backoff=FAST) as connections:
        async for ws in connections:
            assert await ws.receive_str() == "up"
            greetings += 1
            if greetings == 2:
                break
            # the server process "restarts": its sockets are aborted, then it listens again
            for transport in [p.transport for p in runner.server.connections] if runner.server else []:
                if transport is not None:
                    transport.abort()
            await runner.cleanup()
            runner = await start(port)
            async for _ in ws:
                pass
            assert ws.close_code == 1006
    await runner.cleanup()
    assert greetings == 2 and connections.connections == 2


def test_backoff_is_full_jitter_and_capped() -> None:
    rng = random.Random(7)
    backoff = Backoff(initial=0.5, factor=3, cap=10)
    for attempt, bound in [(0, 0.5), (1, 1.5), (2, 4.5), (3, 10), (50, 10), (10_000, 10)]:
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.9 and min(delays) < bound * 0.1  # spread over the whole range
    with pytest.raises(ValueError):
        Backoff(initial=-1)
