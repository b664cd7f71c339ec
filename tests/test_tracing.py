"""TraceConfig: aiohttp's request, connection and DNS signals, and our
WebSocket ones, against aiohttp.web and our server; the same callbacks run
unchanged on aiohttp's own client (the signals and parameters match)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, AsyncIterator

import aiohttp
import aiohttp.web
import pytest

import aiohttp_ws


class Recorder:
    """Records (signal, interesting fields) for every signal of a config."""

    SIGNALS = [
        "on_request_start", "on_request_end", "on_request_exception", "on_request_redirect",
        "on_request_headers_sent", "on_connection_queued_start", "on_connection_queued_end",
        "on_connection_create_start", "on_connection_create_end", "on_connection_reuseconn",
        "on_dns_resolvehost_start", "on_dns_resolvehost_end", "on_dns_cache_hit", "on_dns_cache_miss",
    ]
    WS_SIGNALS = ["on_ws_handshake_end", "on_ws_message_sent", "on_ws_message_received", "on_ws_closed"]

    def __init__(self, lib: Any) -> None:
        self.events: list[tuple[str, Any]] = []
        self.config = lib.TraceConfig()
        for name in self.SIGNALS + (self.WS_SIGNALS if lib is aiohttp_ws else []):
            getattr(self.config, name).append(self.callback(name))

    def callback(self, name: str) -> Any:
        async def record(session: Any, ctx: SimpleNamespace, params: Any) -> None:
            detail: Any = None
            if hasattr(params, "url"):
                detail = (str(params.url).rsplit("/", 1)[-1], getattr(getattr(params, "response", None), "status", None))
            if hasattr(params, "host"):
                detail = params.host
            if name == "on_request_exception":
                detail = type(params.exception).__name__
            if name == "on_ws_message_sent":
                detail = (params.type.name, params.size)
            if name == "on_ws_message_received":
                detail = params.message.type.name
            if name == "on_ws_closed":
                detail = params.close_code
            if name == "on_ws_handshake_end":
                detail = params.protocol
            self.events.append((name, detail))
            ctx.seen = getattr(ctx, "seen", 0) + 1
            assert ctx.trace_request_ctx in (None, {"request": "mine"})

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


@pytest.fixture
async def app() -> AsyncIterator[str]:
    async def hello(request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.Response(text="hello")

    async def moved(request: aiohttp.web.Request) -> aiohttp.web.Response:
        raise aiohttp.web.HTTPFound("/hello")

    async def ws(request: aiohttp.web.Request) -> aiohttp.web.WebSocketResponse:
        resp = aiohttp.web.WebSocketResponse(protocols=("v1",))
        await resp.prepare(request)
        async for msg in resp:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await resp.send_str(msg.data)
            else:
                await resp.send_bytes(msg.data)
        return resp

    application = aiohttp.web.Application()
    application.router.add_get("/hello", hello)
    application.router.add_get("/moved", moved)
    application.router.add_get("/ws", ws)
    runner = aiohttp.web.AppRunner(application)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"localhost:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.parametrize("lib", [aiohttp_ws, aiohttp], ids=["ours", "aiohttp"])
async def test_request_signals_match_aiohttps(app: str, lib: Any) -> None:
    """The same recorder on both clients: the signal sequence is the same."""
    rec = Recorder(lib)
    connector = lib.TCPConnector(limit=1)
    async with lib.ClientSession(trace_configs=[rec.config], connector=connector) as session:
        async with session.get(f"http://{app}/moved", trace_request_ctx={"request": "mine"}) as resp:
            assert await resp.text() == "hello"
        async with session.get(f"http://{app}/hello") as resp:  # pooled connection, cached DNS
            await resp.read()
        with pytest.raises(lib.ClientConnectorError):
            await session.get("http://127.0.0.1:1/nothing-listens")
    names = rec.names()
    first = names[: names.index("on_request_end") + 1]
    assert first[0] == "on_request_start" and first[-1] == "on_request_end"
    for expected in ["on_dns_cache_miss", "on_dns_resolvehost_start", "on_dns_resolvehost_end",
                     "on_connection_create_start", "on_connection_create_end", "on_request_headers_sent",
                     "on_request_redirect"]:
        assert expected in first, (expected, first)
    second = names[len(first): names.index("on_request_end", len(first)) + 1]
    assert "on_connection_reuseconn" in second and "on_dns_resolvehost_start" not in second
    assert ("on_request_end", ("hello", 200)) in rec.events
    assert rec.events[-1] == ("on_request_exception", "ClientConnectorError")


async def test_websocket_signals(app: str) -> None:
    rec = Recorder(aiohttp_ws)
    async with aiohttp_ws.ClientSession(trace_configs=[rec.config]) as session:
        async with session.ws_connect(f"ws://{app}/ws", protocols=("v1",)) as ws:
            await ws.send_str("hi")
            assert await ws.receive_str() == "hi"
            await ws.send_bytes(b"\x00" * 10)
            await ws.receive()
    await asyncio.sleep(0.05)  # on_ws_closed runs in a task of its own
    ws_events = [e for e in rec.events if e[0].startswith("on_ws")]
    assert ws_events == [
        ("on_ws_handshake_end", "v1"),
        ("on_ws_message_sent", ("TEXT", 2)),
        ("on_ws_message_received", "TEXT"),
        ("on_ws_message_sent", ("BINARY", 10)),
        ("on_ws_message_received", "BINARY"),
        ("on_ws_closed", 1000),
    ]
    assert rec.names()[0] == "on_request_start" and ("on_request_end", ("ws", 101)) in rec.events


async def test_queued_connections_and_frozen_configs(app: str) -> None:
    rec = Recorder(aiohttp_ws)
    async with aiohttp_ws.ClientSession(trace_configs=[rec.config], connector=aiohttp_ws.TCPConnector(limit=1)) as session:
        with pytest.raises(RuntimeError):
            rec.config.on_request_start.append(rec.callback("late"))  # frozen by the session
        first = await session.get(f"http://{app}/hello")
        second = asyncio.create_task(session.get(f"http://{app}/hello"))
        await asyncio.sleep(0.05)
        assert "on_connection_queued_start" in rec.names() and "on_connection_queued_end" not in rec.names()
        await first.read()
        first.release()
        async with await second as resp:
            await resp.read()
    assert rec.names().count("on_connection_queued_end") == 1


async def test_a_failing_callback_propagates_as_in_aiohttp(app: str) -> None:
    config = aiohttp_ws.TraceConfig()

    async def boom(session: Any, ctx: Any, params: Any) -> None:
        raise LookupError("metrics backend down")

    config.on_request_start.append(boom)
    async with aiohttp_ws.ClientSession(trace_configs=[config]) as session:
        with pytest.raises(LookupError):
            await session.get(f"http://{app}/hello")
