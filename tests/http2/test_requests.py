"""Plain requests on the HTTP/2 connection a session shares with its
WebSockets, against hypercorn (h2c and TLS)."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
from typing import Any, AsyncIterator

import pytest
import trustme
from yarl import URL

import aiohttp_ws
from aiohttp_ws.http2.requests import StreamLeg
from aiohttp_ws.http2.stream import STREAM_WINDOW

from .conftest import client_context
from .peers import echo_app, hypercorn_server


async def http_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI: /echo answers the request as JSON, /gzip a gzip body, /big 3 MiB,
    /redirect a 302 to /echo; WebSockets go to the echo app."""
    if scope["type"] != "http":
        await echo_app(scope, receive, send)
        return
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    path = scope["path"]
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    if path == "/redirect":
        await send({"type": "http.response.start", "status": 302, "headers": [(b"location", b"/echo?from=redirect"), (b"set-cookie", b"hop=1")]})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/gzip":
        payload = gzip.compress(b"compressed " * 1000)
        headers = [(b"content-type", b"text/plain"), (b"content-encoding", b"gzip")]
    elif path == "/big":
        payload = b"x" * (3 * 1024 * 1024)
        headers = [(b"content-type", b"application/octet-stream")]
    elif path == "/huge":  # 16 MiB in 64 KiB pieces, each sent as the windows allow
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        for i in range(256):
            await send({"type": "http.response.body", "body": bytes([i]) * 65536, "more_body": i < 255})
        return
    else:
        payload = json.dumps({
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "http_version": scope["http_version"],
            "body_length": len(body),
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
        }).encode()
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload if scope["method"] != "HEAD" else b""})


@pytest.fixture(params=["h2c", "tls"])
async def origin(request: pytest.FixtureRequest, ca: trustme.CA, cert_files: tuple[str, str]) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    tls = request.param == "tls"
    certfile, keyfile = cert_files if tls else (None, None)
    async with hypercorn_server(certfile=certfile, keyfile=keyfile, app=http_app) as (port, _):
        kwargs: dict[str, Any] = {"http2": True, "ssl": client_context(ca)} if tls else {"http2": "prior-knowledge"}
        yield (f"https://127.0.0.1:{port}" if tls else f"http://127.0.0.1:{port}"), kwargs


def session_for(kwargs: dict[str, Any]) -> aiohttp_ws.ClientSession:
    connector = aiohttp_ws.TCPConnector(ssl=kwargs.get("ssl", True))
    return aiohttp_ws.ClientSession(connector=connector, http2=kwargs["http2"], cookie_jar=aiohttp_ws.CookieJar(unsafe=True))


async def test_requests_and_websockets_share_one_connection(origin: tuple[str, dict[str, Any]]) -> None:
    base, kwargs = origin
    async with session_for(kwargs) as session:
        ws_url = base.replace("http", "ws", 1) + "/ws"
        async with session.ws_connect(ws_url) as ws:
            async with session.get(base + "/echo?a=1", headers={"X-Test": "yes"}) as resp:
                assert resp.status == 200 and resp.version == (2, 0)
                data = await resp.json()
            assert data["http_version"] == "2" and data["query"] == "a=1" and data["headers"]["x-test"] == "yes"
            async with session.post(base + "/echo", json={"k": "v"}) as resp:
                assert (await resp.json())["body_length"] == len(b'{"k": "v"}')
            await ws.send_str("still open")
            assert await ws.receive_str() == "still open"
            pool = session.connector.h2_pool
            (conns,) = pool.conns.values()
            assert len(conns) == 1  # one TCP connection carried the WebSocket and both requests


async def test_large_bodies_both_ways_head_gzip_redirect(origin: tuple[str, dict[str, Any]]) -> None:
    base, kwargs = origin
    async with session_for(kwargs) as session:
        async with session.post(base + "/echo", data=b"u" * (2 * 1024 * 1024)) as resp:  # past every window
            assert (await resp.json())["body_length"] == 2 * 1024 * 1024
        async with session.get(base + "/big") as resp:
            assert len(await resp.read()) == 3 * 1024 * 1024
        async with session.head(base + "/echo") as resp:
            assert resp.status == 200 and await resp.read() == b""
        async with session.get(base + "/gzip") as resp:
            assert await resp.text() == "compressed " * 1000
        async with session.get(base + "/redirect") as resp:
            assert [r.status for r in resp.history] == [302]
            assert (await resp.json())["query"] == "from=redirect"
            assert resp.version == (2, 0)
        assert "hop" in session.cookie_jar.filter_cookies(URL(base))


async def test_body_limit_and_unread_release(origin: tuple[str, dict[str, Any]]) -> None:
    base, kwargs = origin
    connector = aiohttp_ws.TCPConnector(ssl=kwargs.get("ssl", True))
    async with aiohttp_ws.ClientSession(connector=connector, http2=kwargs["http2"], max_body_size=1024 * 1024) as session:
        async with session.get(base + "/big") as resp:
            with pytest.raises(aiohttp_ws.ClientPayloadError):
                await resp.read()
        async with session.get(base + "/big") as resp:
            assert resp.status == 200  # left unread: the stream is reset, the connection kept
        async with session.get(base + "/echo") as resp:
            assert (await resp.json())["http_version"] == "2"
        (conns,) = session.connector.h2_pool.conns.values()
        assert len(conns) == 1 and not conns[0].streams


async def test_unread_body_held_to_one_stream_window(origin: tuple[str, dict[str, Any]]) -> None:
    """A response nobody reads yet holds at most one stream receive window
    (its window is not handed back until read()), not the 16 MiB the server
    wants to send; read() then gets every byte, in order."""
    base, kwargs = origin
    connector = aiohttp_ws.TCPConnector(ssl=kwargs.get("ssl", True))
    async with aiohttp_ws.ClientSession(connector=connector, http2=kwargs["http2"], max_body_size=32 * 1024 * 1024) as session:
        async with session.get(base + "/huge") as resp:
            leg = resp._conn
            assert isinstance(leg, StreamLeg)

            def held() -> int:
                return len(leg.protocol.data) + sum(len(data) for data, _ in leg.stream._held)

            last, still = -1, 0
            while still < 6:  # until nothing more arrives for 300 ms
                await asyncio.sleep(0.05)
                last, still = held(), (still + 1 if held() == last else 0)
            assert 0 < last <= STREAM_WINDOW + 65536
            with_other = await session.get(base + "/echo")  # the connection is not stalled by it
            assert (await with_other.json())["http_version"] == "2"
            body = await resp.read()
        assert len(body) == 16 * 1024 * 1024
        assert body == b"".join(bytes([i]) * 65536 for i in range(256))


async def test_http2_off_keeps_requests_on_http11(origin: tuple[str, dict[str, Any]], ca: trustme.CA) -> None:
    base, kwargs = origin
    plain = ssl.create_default_context()
    ca.configure_trust(plain)  # no ALPN: HTTP/1.1
    async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(ssl=plain)) as session:
        async with session.get(base + "/echo") as resp:
            assert resp.version == (1, 1) and (await resp.json())["http_version"] == "1.1"
        assert session.connector.h2_pool is None
    if "ssl" in kwargs:  # a caller's context offering h2 with http2 off: a clear error, not garbage
        async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(ssl=kwargs["ssl"])) as session:
            with pytest.raises(aiohttp_ws.ClientConnectionError, match="http2=True"):
                await session.get(base + "/echo")
