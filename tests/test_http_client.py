"""Plain HTTP/1.1 requests, redirects, cookies, auth, pooling and timeouts,
against aiohttp's server (two of them for cross-origin redirects)."""

from __future__ import annotations

import asyncio
import base64
import pathlib
from typing import AsyncIterator

import pytest

import aiohttp_ws
from aiohttp_ws.client_reqrep import decode_body

from .http_peer import HttpPeer, running_peer


@pytest.fixture
async def peer() -> AsyncIterator[HttpPeer]:
    async for p in running_peer():
        yield p


@pytest.fixture
async def other() -> AsyncIterator[HttpPeer]:
    async for p in running_peer():
        yield p


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


async def test_get_json_text_and_headers(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.get(peer.url("/echo"), params={"a": "1"}) as resp:
            assert resp.status == 200 and resp.reason == "OK" and resp.ok
            assert resp.headers["Content-Type"].startswith("application/json")
            assert resp.content_type == "application/json"
            data = await resp.json()
            assert data["method"] == "GET" and data["query"] == {"a": "1"}
            assert str(resp.url) == peer.url("/echo?a=1")
        assert peer.headers_of("/echo")["accept-encoding"] == ["gzip, deflate"]
        assert peer.headers_of("/echo")["user-agent"][0].startswith("Python/")


async def test_post_bodies(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.post(peer.url("/echo"), data=b"\x00\x01raw") as resp:
            data = await resp.json()
        assert data["content_type"] == "application/octet-stream" and data["content_length"] == "5"
        async with session.post(peer.url("/echo"), data={"k": "v w"}) as resp:
            data = await resp.json()
        assert data["content_type"] == "application/x-www-form-urlencoded" and data["body"] == "k=v+w"
        async with session.put(peer.url("/echo"), json={"x": [1, 2]}) as resp:
            data = await resp.json()
        assert data["method"] == "PUT" and data["content_type"] == "application/json" and data["body"] == '{"x": [1, 2]}'
        async with session.patch(peer.url("/echo"), data="text é") as resp:
            data = await resp.json()
        assert data["body"] == "text é" and data["content_type"] == "text/plain; charset=utf-8"
        async with session.delete(peer.url("/echo")) as resp:
            assert (await resp.json())["method"] == "DELETE"
        async with session.head(peer.url("/echo")) as resp:
            assert resp.status == 200 and await resp.read() == b""
    with pytest.raises(ValueError):
        async with aiohttp_ws.ClientSession() as session:
            await session.post(peer.url("/echo"), data=b"x", json={})


async def test_chunked_gzip_deflate_bodies(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.get(peer.url("/chunked")) as resp:
            assert resp.headers["Transfer-Encoding"] == "chunked"
            assert await resp.text() == "".join(f"chunk{i};" for i in range(50))
        async with session.get(peer.url("/gzip")) as resp:
            assert await resp.text() == "gzipped " * 1000
        async with session.get(peer.url("/deflate")) as resp:
            assert await resp.json() == {"deflated": list(range(100))}


async def test_gzip_bomb_is_bounded(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession(max_body_size=1 << 20) as session:
        async with session.get(peer.url("/bomb")) as resp:
            with pytest.raises(aiohttp_ws.ClientPayloadError, match="larger than 1048576"):
                await resp.read()


def test_decode_body_limit_and_raw_deflate() -> None:
    import zlib

    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = raw.compress(b"a" * 5000) + raw.flush()
    assert decode_body(body, "deflate", 5000) == b"a" * 5000
    with pytest.raises(aiohttp_ws.ClientPayloadError):
        decode_body(body, "deflate", 4999)
    with pytest.raises(aiohttp_ws.ClientPayloadError, match="Cannot decode"):
        decode_body(b"not gzip", "gzip", 100)
    assert decode_body(b"as is", "br", 100) == b"as is"


async def test_raise_for_status(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        resp = await session.get(peer.url("/status/404"))
        with pytest.raises(aiohttp_ws.ClientResponseError) as info:
            resp.raise_for_status()
        assert info.value.status == 404 and resp.closed
    async with aiohttp_ws.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp_ws.ClientResponseError) as info:
            await session.get(peer.url("/status/503"))
        assert info.value.status == 503


async def test_keep_alive_pool_reuses_one_connection(peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector()
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        for _ in range(3):
            async with session.get(peer.url("/echo")) as resp:
                await resp.read()
        assert connector.pooled() == 1
        async with session.get(peer.url("/chunked")) as resp:
            await resp.read()
        # an unread body cannot be reused: the connection is closed, not pooled
        resp = await session.get(peer.url("/echo"))
        resp.release()
        assert connector.pooled() == 0
    assert len(set(peer.peers[:4])) == 1


async def test_force_close_and_keepalive_timeout(peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector(force_close=True)
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        for _ in range(2):
            async with session.get(peer.url("/echo")) as resp:
                await resp.read()
        assert connector.pooled() == 0
    assert len(set(peer.peers)) == 2
    assert peer.seen[0][1]["connection"] == ["close"]
    connector = aiohttp_ws.TCPConnector(keepalive_timeout=0.1)
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.get(peer.url("/echo")) as resp:
            await resp.read()
        assert connector.pooled() == 1
        await asyncio.sleep(0.3)
        assert connector.pooled() == 0


async def test_websocket_connections_never_pooled(peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector()
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.ws_connect(peer.url("/ws", "ws")) as ws:
            await ws.send_str("hi")
            assert await ws.receive_str() == "hi"
        assert connector.pooled() == 0
        async with session.get(peer.url("/echo")) as resp:
            await resp.read()
    assert len(set(peer.peers)) == 2


async def test_redirect_chain_and_history(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.get(peer.url("/redirect/3")) as resp:
            assert resp.status == 200 and str(resp.url) == peer.url("/echo")
            assert [r.status for r in resp.history] == [302, 302, 302]
        async with session.get(peer.url("/redirect/3"), allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == "/redirect/2"


async def test_too_many_redirects(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession(max_redirects=2) as session:
        with pytest.raises(aiohttp_ws.TooManyRedirects) as info:
            await session.get(peer.url("/redirect/3"))
        assert len(info.value.history) == 3
        async with session.get(peer.url("/redirect/2")) as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp_ws.TooManyRedirects):
            await session.ws_connect(peer.url("/redirect/3", "ws"))


async def test_303_and_post_redirects_become_get(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        for status, method in [(303, "GET"), (302, "GET"), (307, "POST"), (308, "POST")]:
            async with session.post(peer.url(f"/to?url=/echo&status={status}"), data=b"body") as resp:
                data = await resp.json()
            assert data["method"] == method
            assert data["body"] == ("body" if method == "POST" else "")


async def test_cross_origin_redirect_drops_credentials(peer: HttpPeer, other: HttpPeer) -> None:
    headers = [("authorization", "Bearer secret"), ("COOKIE", "a=1"), ("Cookie", "b=2"), ("Proxy-Authorization", "x"), ("X-Keep", "yes")]
    async with aiohttp_ws.ClientSession() as session:
        target = other.url("/echo")
        async with session.get(peer.url(f"/to?url={target}"), headers=headers) as resp:
            assert resp.status == 200
    first, second = peer.headers_of("/to"), other.headers_of("/echo")
    assert first["authorization"] == ["Bearer secret"] and first["cookie"] == ["a=1", "b=2"]
    assert first["proxy-authorization"] == ["x"]
    for name in ("authorization", "cookie", "proxy-authorization"):
        assert name not in second
    assert second["x-keep"] == ["yes"]


async def test_same_origin_redirect_keeps_auth_and_url_credentials(peer: HttpPeer) -> None:
    url = peer.url("/to?url=/echo").replace("http://", "http://user:pw@")
    async with aiohttp_ws.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.status == 200
    assert peer.headers_of("/echo")["authorization"] == [basic("user", "pw")]


async def test_ws_redirect_across_origins(peer: HttpPeer, other: HttpPeer) -> None:
    target = other.url("/ws", "http")  # an http:// Location continues as ws://
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(
            peer.url(f"/to?url={target}&status=307", "ws"), auth=aiohttp_ws.BasicAuth("u", "p"), headers={"Cookie": "c=1"}
        ) as ws:
            await ws.send_str("redirected")
            assert await ws.receive_str() == "redirected"
    assert peer.headers_of("/to")["authorization"] == [basic("u", "p")]
    assert "authorization" not in other.headers_of("/ws") and "cookie" not in other.headers_of("/ws")


@pytest.mark.parametrize(
    "location",
    ["http://[::1/x", "http://host/%zz", "/" + "a" * 5000, "http://host:99999/", "ftp://host/", "http:///nohost", "http://a\tb/"],
)
async def test_malformed_location_is_invalid_url_redirect(peer: HttpPeer, location: str) -> None:
    from aiohttp_ws.sansio.redirects import next_url
    from yarl import URL

    # aiohttp's classes: another scheme is NonHttpUrlRedirectClientError, the rest InvalidUrlRedirectClientError
    expected = aiohttp_ws.NonHttpUrlRedirectClientError if location.startswith("ftp:") else aiohttp_ws.InvalidUrlRedirectClientError
    with pytest.raises(expected):
        next_url(URL(peer.url("/to")), location, websocket=False)
    if "\t" in location:
        return  # the server cannot send it
    async with aiohttp_ws.ClientSession() as session:
        with pytest.raises(expected):
            await session.get(peer.url("/to"), params={"url": location})
        with pytest.raises(expected):
            await session.ws_connect(peer.url("/to", "ws"), params={"url": location})
        assert not session.connector._conns  # every hop's socket closed or pooled


async def test_cookies_stored_and_sent(peer: HttpPeer) -> None:
    peer.host = "localhost"  # cookies from IP hosts are refused by default
    async with aiohttp_ws.ClientSession(cookies={"shared": "s"}) as session:
        async with session.get(peer.url("/set-cookie?sid=abc&theme=dark")) as resp:
            assert resp.cookies["sid"].value == "abc"
        assert {c.name for c in session.cookie_jar} == {"shared", "sid", "theme"}
        async with session.get(peer.url("/echo")) as resp:
            cookie = (await resp.json())["cookie"]
        assert sorted(cookie.split("; ")) == ["shared=s", "sid=abc", "theme=dark"]
        async with session.ws_connect(peer.url("/ws", "ws")) as ws:
            await ws.send_str("x")
            await ws.receive_str()
        assert sorted(peer.headers_of("/ws")["cookie"][0].split("; ")) == ["shared=s", "sid=abc", "theme=dark"]


async def test_ip_host_cookies_need_unsafe(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        await (await session.get(peer.url("/set-cookie?sid=1"))).read()
        assert len(session.cookie_jar) == 0
    async with aiohttp_ws.ClientSession(cookie_jar=aiohttp_ws.CookieJar(unsafe=True)) as session:
        await (await session.get(peer.url("/set-cookie?sid=1"))).read()
        assert len(session.cookie_jar) == 1
        async with session.get(peer.url("/echo")) as resp:
            assert (await resp.json())["cookie"] == "sid=1"
    async with aiohttp_ws.ClientSession(cookie_jar=aiohttp_ws.DummyCookieJar()) as session:
        await (await session.get(peer.url("/set-cookie?sid=1"))).read()
        assert len(session.cookie_jar) == 0


async def test_sock_read_and_total_timeouts(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession(timeout=aiohttp_ws.ClientTimeout(sock_read=0.2)) as session:
        with pytest.raises(aiohttp_ws.ServerTimeoutError, match="reading"):
            await session.get(peer.url("/slow?delay=2"))
        async with session.get(peer.url("/slow?delay=0.05")) as resp:
            assert await resp.text() == "late"
        for total in (None, 30.0):  # sock_read during the body, with and without a total deadline
            resp = await session.get(peer.url("/slow-body"), timeout=aiohttp_ws.ClientTimeout(total=total, sock_read=0.2))
            with pytest.raises(aiohttp_ws.ServerTimeoutError, match="reading"):
                await resp.read()
            assert resp.closed
    async with aiohttp_ws.ClientSession() as session:
        with pytest.raises(aiohttp_ws.ServerTimeoutError, match="total"):
            await session.get(peer.url("/slow?delay=2"), timeout=aiohttp_ws.ClientTimeout(total=0.2))


async def test_control_characters_refused_before_sending(peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        for kwargs in (
            {"headers": {"X-A": "v\r\nInjected: 1"}},
            {"headers": {"X-A": "nul\x00"}},
            {"headers": {"Bad\nName": "v"}},
        ):
            with pytest.raises(ValueError):
                await session.get(peer.url("/echo"), **kwargs)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await session.request("GE\rT", peer.url("/echo"))
        with pytest.raises(ValueError):
            await session.ws_connect(peer.url("/ws", "ws"), headers={"X": "a\nb"})
        for bad in ("/echo\r\nInjected: 1", "/echo\x00", "/echo?q=\n"):
            with pytest.raises(ValueError):
                await session.get(peer.url(bad))
            with pytest.raises(ValueError):
                await session.ws_connect(peer.url(bad, "ws"))
    assert peer.seen == []


async def test_dns_cache_and_limits() -> None:
    connector = aiohttp_ws.TCPConnector(ttl_dns_cache=60)
    calls = []
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        return await real(*args, **kwargs)

    loop.getaddrinfo = counting  # type: ignore[method-assign]
    try:
        peer = HttpPeer("localhost")
        await peer.start()
        try:
            async with aiohttp_ws.ClientSession(connector=connector) as session:
                await asyncio.gather(*(session.get(peer.url("/echo")) for _ in range(3)))
                connector.clear_dns_cache()
                async with session.get(peer.url("/echo")) as resp:
                    await resp.read()
        finally:
            await peer.stop()
    finally:
        del loop.getaddrinfo
    assert calls == ["localhost", "localhost"]  # three concurrent lookups shared one


async def test_limit_per_host_queues(peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector(limit_per_host=1)
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        first = await session.get(peer.url("/echo"))
        second = asyncio.ensure_future(session.get(peer.url("/echo")))
        await asyncio.sleep(0.1)
        assert not second.done()
        await first.read()  # pooled: the slot is free and the connection reused
        resp = await second
        await resp.read()
    assert len(set(peer.peers)) == 1


async def test_unix_connector_http_and_ws(tmp_path: pathlib.Path) -> None:
    import aiohttp.web as web

    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"unix {request.host}")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    path = str(tmp_path / "http.sock")
    await web.UnixSite(runner, path).start()
    try:
        connector = aiohttp_ws.UnixConnector(path)
        async with aiohttp_ws.ClientSession(connector=connector) as session:
            for _ in range(2):
                async with session.get("http://example.invalid/") as resp:
                    assert await resp.text() == "unix example.invalid"
            assert connector.pooled() == 1
    finally:
        await runner.cleanup()


async def test_module_level_request(peer: HttpPeer) -> None:
    async with aiohttp_ws.request("GET", peer.url("/echo")) as resp:
        assert (await resp.json())["method"] == "GET"


async def test_happy_eyeballs_falls_through_to_a_working_address(peer: HttpPeer) -> None:
    import socket

    from .test_proxy_tls import free_port

    loop = asyncio.get_running_loop()
    dead = free_port()
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", dead)),  # refused
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", peer.port)),
    ]

    async def two_addresses(*args, **kwargs):  # type: ignore[no-untyped-def]
        return answers

    loop.getaddrinfo = two_addresses  # type: ignore[method-assign]
    try:
        connector = aiohttp_ws.TCPConnector(happy_eyeballs_delay=0.05, use_dns_cache=False)
        async with aiohttp_ws.ClientSession(connector=connector) as session:
            async with session.get(f"http://multi.test:{peer.port}/echo") as resp:
                assert resp.status == 200
    finally:
        del loop.getaddrinfo
    assert peer.headers_of("/echo")["host"] == [f"multi.test:{peer.port}"]


async def test_local_addr_and_family(peer: HttpPeer) -> None:
    import socket

    from .test_proxy_tls import free_port

    port = free_port()
    connector = aiohttp_ws.TCPConnector(local_addr=("127.0.0.1", port), family=socket.AF_INET, force_close=True)
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.get(peer.url("/echo")) as resp:
            await resp.read()
    assert peer.peers[0][1] == port
    with pytest.raises(aiohttp_ws.ClientConnectorError):
        connector = aiohttp_ws.TCPConnector(family=socket.AF_INET6)
        async with aiohttp_ws.ClientSession(connector=connector) as session:
            await session.get(peer.url("/echo"))


async def test_connect_timeout_bounds_the_wait_for_a_slot(peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector(limit=1)
    timeout = aiohttp_ws.ClientTimeout(connect=0.2)
    async with aiohttp_ws.ClientSession(connector=connector, timeout=timeout) as session:
        held = await session.get(peer.url("/echo"))
        with pytest.raises(aiohttp_ws.ConnectionTimeoutError) as info:
            await session.get(peer.url("/echo"))
        assert str(info.value) == f"Connection to {peer.url('/echo')} timed out (ClientTimeout.connect)"
        held.release()
        async with session.get(peer.url("/echo")) as resp:
            assert resp.status == 200
