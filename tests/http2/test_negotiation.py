"""Negotiation and fallback (RFC 8441 §3-4), the server's stream limit,
GOAWAY and RST_STREAM, proxies, and a plain install without h2."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from typing import Any

import pytest
import trustme

import aiohttp_ws
from aiohttp_ws.http2.dial import pool_of
from aiohttp_ws.server import Refuse, UpgradeRequest

from ..conftest import our_handler
from ..test_proxy_tls import Proxy
from .conftest import client_context
from .peers import ScriptedH2, hypercorn_server


#: What the HTTP/1.1 retry meets at an HTTP/2-only server.
HTTP11_REFUSED = (aiohttp_ws.WSServerHandshakeError, aiohttp_ws.ServerDisconnectedError)


async def echo(ws: Any, text: str) -> str:
    await ws.send_str(text)
    return str(await ws.receive_str(timeout=5))


async def test_prior_knowledge_to_an_http11_server_falls_back_and_remembers() -> None:
    async with aiohttp_ws.serve(our_handler) as server:  # HTTP/1.1 only
        async with aiohttp_ws.ClientSession() as session:
            url = f"ws://127.0.0.1:{server.port}/"
            async with session.ws_connect(url, http2="prior-knowledge") as ws:
                assert ws.get_extra_info("http2") is None
                assert await echo(ws, "h1") == "h1"
            refused = pool_of(session.connector).refused
            assert len(refused) == 1 and "SETTINGS" in next(iter(refused.values()))
            async with session.ws_connect(url, http2="prior-knowledge") as ws:  # straight to HTTP/1.1 now
                assert await echo(ws, "again") == "again"
            assert len(refused) == 1


async def test_alpn_http11_uses_the_same_tls_connection(ca: trustme.CA, cert_files: tuple[str, str]) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert_files)
    async with aiohttp_ws.serve(our_handler, ssl=context) as server:  # no ALPN at all
        async with aiohttp_ws.ClientSession() as session:
            async with session.ws_connect(f"wss://127.0.0.1:{server.port}/", http2=True, ssl=client_context(ca)) as ws:
                assert ws.get_extra_info("http2") is None
                assert ws.get_extra_info("ssl_object").selected_alpn_protocol() is None
                assert await echo(ws, "tls h1") == "tls h1"
            key, why = next(iter(pool_of(session.connector).refused.items()))
            assert "ALPN" in why and key.http2


async def test_no_enable_connect_protocol_falls_back() -> None:
    h2server = await ScriptedH2(enable_connect=False).start()
    try:
        async with aiohttp_ws.ClientSession() as session:
            # The scripted server speaks HTTP/2 only: the HTTP/1.1 upgrade on
            # the new connection meets a server that hangs up.
            with pytest.raises(HTTP11_REFUSED):
                await session.ws_connect(f"ws://127.0.0.1:{h2server.port}/", http2="prior-knowledge")
            assert h2server.connections == 2  # the HTTP/2 one, then the HTTP/1.1 upgrade on a new one
            assert h2server.requests == []  # no CONNECT was sent without the setting
            why = next(iter(pool_of(session.connector).refused.values()))
            assert "ENABLE_CONNECT_PROTOCOL" in why
    finally:
        await h2server.stop()


@pytest.mark.parametrize("answer", [{"reset": 0x7}, {"status": 501}, {"status": 405}])
async def test_refused_stream_falls_back(answer: dict[str, int]) -> None:
    h2server = await ScriptedH2(**answer).start()  # type: ignore[arg-type]
    try:
        async with aiohttp_ws.ClientSession() as session:
            with pytest.raises(HTTP11_REFUSED):  # the HTTP/1.1 retry meets an HTTP/2-only server
                await session.ws_connect(f"ws://127.0.0.1:{h2server.port}/", http2="prior-knowledge")
            assert len(h2server.requests) == 1
            assert "reset" in next(iter(pool_of(session.connector).refused.values())) or "answered" in next(
                iter(pool_of(session.connector).refused.values())
            )
    finally:
        await h2server.stop()


async def test_refusal_status_and_body_over_http2() -> None:
    async def gate(request: UpgradeRequest) -> Refuse | None:
        if request.path == "/private":
            return Refuse(403, headers=[("X-Why", "private")], body="no entry")
        return None

    async with aiohttp_ws.serve(our_handler, http2=True, process_request=gate) as server:
        async with aiohttp_ws.ClientSession() as session:
            with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
                await session.ws_connect(f"ws://127.0.0.1:{server.port}/private", http2="prior-knowledge")
            assert info.value.status == 403 and info.value.body == b"no entry"
            assert info.value.headers is not None and info.value.headers["X-Why"] == "private"
            async with session.ws_connect(f"ws://127.0.0.1:{server.port}/open", http2="prior-knowledge") as ws:
                assert ws.get_extra_info("http2") and await echo(ws, "in") == "in"
            assert pool_of(session.connector).refused == {}


async def test_hypercorn_refusal_is_a_handshake_error_not_a_fallback() -> None:
    async with hypercorn_server() as (port, _):
        async with aiohttp_ws.ClientSession() as session:
            with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
                await session.ws_connect(f"ws://127.0.0.1:{port}/private", http2="prior-knowledge")
            assert info.value.status == 403
            assert pool_of(session.connector).refused == {}


async def test_request_headers_on_the_stream() -> None:
    h2server = await ScriptedH2(status=None).start()  # records, never answers
    try:
        async with aiohttp_ws.ClientSession(cookie_jar=aiohttp_ws.CookieJar(unsafe=True), cookies={"sid": "42"}) as session:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(
                    session.ws_connect(
                        f"ws://127.0.0.1:{h2server.port}/chat?room=1",
                        http2="prior-knowledge",
                        protocols=["a", "b"],
                        origin="http://example",
                        headers={"Authorization": "Bearer t", "Connection": "Upgrade"},
                        compress=15,
                    ),
                    0.5,
                )
        fields = h2server.requests[0]
        assert fields[:5] == [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", "/chat?room=1"),
            (":authority", f"127.0.0.1:{h2server.port}"),
        ]
        names = dict(fields)
        assert names["sec-websocket-version"] == "13"
        assert names["sec-websocket-protocol"] == "a, b"
        assert "permessage-deflate" in names["sec-websocket-extensions"]
        assert names["origin"] == "http://example" and names["authorization"] == "Bearer t"
        assert names["cookie"] == "sid=42"
        assert not {"connection", "upgrade", "host", "sec-websocket-key"} & set(names)
        await asyncio.sleep(0.1)
        assert h2server.ended == [] or True  # the cancelled stream is reset, not ended
    finally:
        await h2server.stop()


async def test_max_concurrent_streams_opens_another_connection() -> None:
    async with hypercorn_server(max_streams=3) as (port, _):
        async with aiohttp_ws.ClientSession() as session:
            sockets = await asyncio.gather(
                *(session.ws_connect(f"ws://127.0.0.1:{port}/{i}", http2="prior-knowledge") for i in range(7))
            )
            tcp = {ws.get_extra_info("sockname") for ws in sockets}
            assert len(tcp) == 3  # 3 + 3 + 1
            assert [await echo(ws, str(i)) for i, ws in enumerate(sockets)] == [str(i) for i in range(7)]
            await asyncio.gather(*(ws.close() for ws in sockets))
            # A slot freed by a close is used again by the next WebSocket.
            again = await session.ws_connect(f"ws://127.0.0.1:{port}/again", http2="prior-knowledge")
            assert again.get_extra_info("sockname") in tcp
            await again.close()


async def test_goaway_resets_unprocessed_streams_and_new_ones_use_a_new_connection() -> None:
    h2server = await ScriptedH2(goaway_after=1).start()
    try:
        async with aiohttp_ws.ClientSession() as session:
            url = f"ws://127.0.0.1:{h2server.port}/"
            first = await session.ws_connect(url, http2="prior-knowledge")
            assert first.get_extra_info("stream_id") == 1
            second = await session.ws_connect(url, http2="prior-knowledge")  # after GOAWAY: a new connection
            assert h2server.connections == 2
            assert second.get_extra_info("sockname") != first.get_extra_info("sockname")
            await first.close()
            await second.close()
    finally:
        await h2server.stop()


async def test_hypercorn_graceful_shutdown_goaway() -> None:
    """Shutting down, hypercorn lets open WebSockets finish, then sends
    GOAWAY once the connection is idle: the client drops it from its pool."""
    async with hypercorn_server() as (port, stop):
        async with aiohttp_ws.ClientSession() as session:
            sockets = [await session.ws_connect(f"ws://127.0.0.1:{port}/{i}", http2="prior-knowledge") for i in range(3)]
            (h2conn,) = next(iter(session.connector.h2_pool.conns.values()))
            stop.set()
            await asyncio.sleep(0.3)
            assert [await echo(ws, "still") for ws in sockets] == ["still"] * 3
            for ws in sockets:  # the application ends them (hypercorn drops its close reply once idle)
                await ws.send_str("close:1001:shutting down")
                assert (await ws.receive(timeout=5)).data == 1001
            assert {ws.close_code for ws in sockets} == {1001}
            for _ in range(200):
                if h2conn.lost:
                    break
                await asyncio.sleep(0.02)
            assert h2conn.going_away and h2conn.lost
            assert not session.connector.h2_pool.conns


async def test_our_server_shutdown_closes_with_1001_then_goaway() -> None:
    server = await aiohttp_ws.serve(our_handler, http2=True)
    async with aiohttp_ws.ClientSession() as session:
        sockets = [await session.ws_connect(f"ws://127.0.0.1:{server.port}/{i}", http2="prior-knowledge") for i in range(3)]
        server.close()
        await server.wait_closed()
        for ws in sockets:
            msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp_ws.WSMsgType.CLOSE and msg.data == 1001
        for _ in range(100):
            if not session.connector.h2_pool.conns:
                break
            await asyncio.sleep(0.02)
        assert not session.connector.h2_pool.conns  # GOAWAY, then the end of TCP


async def test_stream_reset_is_connection_reset_1006() -> None:
    async def reset_soon(ws: aiohttp_ws.ServerWebSocket) -> None:
        await ws.receive()
        ws._conn.transport.abort()  # type: ignore[attr-defined]  # RST_STREAM CANCEL

    async with aiohttp_ws.serve(reset_soon, http2=True) as server:
        async with aiohttp_ws.ClientSession() as session:
            ws = await session.ws_connect(f"ws://127.0.0.1:{server.port}/", http2="prior-knowledge")
            other = await session.ws_connect(f"ws://127.0.0.1:{server.port}/", http2="prior-knowledge")
            await ws.send_str("go")
            msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp_ws.WSMsgType.ERROR
            assert isinstance(msg.data, aiohttp_ws.ClientConnectionResetError)
            assert "CANCEL" in str(msg.data.__cause__)
            assert ws.close_code == 1006
            assert not other.closed  # the other stream is untouched
            await other.close()


async def test_through_an_http_proxy_tunnel(ca: trustme.CA, cert_files: tuple[str, str]) -> None:
    proxy = Proxy("http://127.0.0.1:{port}")
    try:
        async with hypercorn_server(certfile=cert_files[0], keyfile=cert_files[1]) as (port, _):
            async with aiohttp_ws.ClientSession() as session:
                url = f"wss://localhost:{port}/"
                kwargs: dict[str, Any] = {"http2": True, "ssl": client_context(ca), "proxy": f"http://127.0.0.1:{proxy.port}"}
                a = await session.ws_connect(url, **kwargs)
                b = await session.ws_connect(url, **kwargs)
                assert a.get_extra_info("http2") and a.get_extra_info("sockname") == b.get_extra_info("sockname")
                assert await echo(a, "via proxy") == "via proxy"
                await a.close()
                await b.close()
    finally:
        proxy.stop()


async def test_session_and_connector_defaults() -> None:
    async with aiohttp_ws.serve(our_handler, http2=True) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(http2="prior-knowledge")) as session:
            async with session.ws_connect(url) as ws:
                assert ws.get_extra_info("http2")
            async with session.ws_connect(url, http2=False) as ws:
                assert not ws.get_extra_info("http2")
        async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
            async with session.ws_connect(url) as ws:
                assert ws.get_extra_info("http2")
        async with aiohttp_ws.ws_connect(url, http2="prior-knowledge") as ws:  # the module-level call
            assert ws.get_extra_info("http2") and await echo(ws, "m") == "m"
        with pytest.raises(ValueError):
            aiohttp_ws.ClientSession(http2="yes")  # type: ignore[arg-type]


def test_plain_install_does_not_import_h2() -> None:
    code = (
        "import sys; sys.modules['h2'] = None\n"
        "import aiohttp_ws, asyncio\n"
        "assert 'h2.connection' not in sys.modules\n"
        "async def main():\n"
        "    try:\n"
        "        await aiohttp_ws.ws_connect('wss://127.0.0.1:9/', http2=True)\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pip install 'aiohttp_ws[http2]'" in out.stdout


async def test_heartbeat_fails_only_the_silent_stream() -> None:
    """Two WebSockets on one HTTP/2 connection: the server answers pings on
    one and ignores them on the other. Only the silent one fails (1006,
    ServerTimeoutError); the other keeps working on the same connection."""

    async def handler(ws: aiohttp_ws.ServerWebSocket) -> None:
        async for msg in ws:
            if msg.type is aiohttp_ws.WSMsgType.PING and ws.path == "/alive":
                await ws.pong(msg.data)
            elif msg.type is aiohttp_ws.WSMsgType.TEXT:
                await ws.send_str(msg.data)

    async with aiohttp_ws.serve(handler, http2=True, autoping=False) as server:
        async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
            alive = await session.ws_connect(f"ws://127.0.0.1:{server.port}/alive", heartbeat=0.2)
            dead = await session.ws_connect(f"ws://127.0.0.1:{server.port}/dead", heartbeat=0.2)
            msg = await dead.receive(timeout=5)
            assert msg.type is aiohttp_ws.WSMsgType.ERROR and isinstance(msg.data, aiohttp_ws.ServerTimeoutError)
            assert dead.close_code == 1006
            assert alive.latency is not None and not alive.closed
            assert await echo(alive, "still here") == "still here"
            assert alive.get_extra_info("sockname") is not None
            await alive.close()
            assert alive.close_code == 1000


async def test_cancellation_at_every_step_leaks_no_stream_or_slot() -> None:
    """wait_for around ws_connect with timeouts from 0 to 20 ms, 60 times at
    once, so cancellation lands at every await of the HTTP/2 path (opening the
    connection, waiting for it, waiting for the answer): afterwards no stream
    is left open, no slot reserved, and the connection still works."""
    import random

    rng = random.Random(8441)
    async with aiohttp_ws.serve(our_handler, http2=True) as server:
        async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
            url = f"ws://127.0.0.1:{server.port}/"

            async def attempt(delay: float) -> aiohttp_ws.ClientWebSocketResponse | None:
                try:
                    return await asyncio.wait_for(session.ws_connect(url), delay)
                except asyncio.TimeoutError:
                    return None

            results = await asyncio.gather(*(attempt(rng.uniform(0, 0.02)) for _ in range(60)))
            opened = [ws for ws in results if ws is not None]
            await asyncio.gather(*(ws.close() for ws in opened))
            await asyncio.sleep(1.5)  # END_GRACE for streams whose answer came after the cancel
            for conns in session.connector.h2_pool.conns.values():
                for h2conn in conns:
                    assert h2conn._reserved == 0
                    assert not h2conn.streams, h2conn.streams
            async with session.ws_connect(url) as ws:
                assert await echo(ws, "after the storm") == "after the storm"
            assert len(server._websockets) <= 1


async def test_ws_connect_forever_over_http2_reconnects_on_the_same_connection() -> None:
    """A stream reset (1006) and a 1012 are retried; 1000 ends the loop. Every
    reconnection is a new stream on the one HTTP/2 connection."""
    fates = ["drop", 1012, 1000]
    served: list[int] = []

    async def handler(ws: aiohttp_ws.ServerWebSocket) -> None:
        fate = fates[min(len(served), len(fates) - 1)]
        served.append(int(ws._conn.transport.get_extra_info("stream_id")))  # type: ignore[attr-defined]
        await ws.send_str(f"hello {len(served)}")
        await ws.receive()
        if fate == "drop":
            ws.abort()
        else:
            await ws.close(code=int(fate))

    async with aiohttp_ws.serve(handler, http2=True) as server:
        async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
            seen: list[Any] = []
            sockets: set[Any] = set()
            connections = session.ws_connect_forever(f"ws://127.0.0.1:{server.port}/", backoff=aiohttp_ws.Backoff(initial=0.01, cap=0.05))
            async with connections:
                async for ws in connections:
                    sockets.add(ws.get_extra_info("sockname"))
                    seen.append(await ws.receive_str())
                    await ws.send_str("go")
                    async for _ in ws:
                        pass
                    seen.append(ws.close_code)
    assert seen == ["hello 1", 1006, "hello 2", 1012, "hello 3", 1000]
    assert served == [1, 3, 5] and len(sockets) == 1


async def test_default_tls_contexts_offer_h2_and_fingerprints_still_pin(ca: trustme.CA, cert_files: tuple[str, str]) -> None:
    """ssl=False and a Fingerprint use the connector's own contexts, which
    offer ALPN h2 when http2 is on; the pin is checked on the HTTP/2
    connection too, and a wrong one refuses it."""
    import hashlib

    with open(cert_files[0], "rb") as f:
        der = ssl.PEM_cert_to_DER_cert(f.read().decode())
    good = aiohttp_ws.Fingerprint(hashlib.sha256(der).digest())
    bad = aiohttp_ws.Fingerprint(b"\0" * 32)
    async with hypercorn_server(certfile=cert_files[0], keyfile=cert_files[1]) as (port, _):
        async with aiohttp_ws.ClientSession(http2=True) as session:
            url = f"wss://127.0.0.1:{port}/"
            async with session.ws_connect(url, ssl=False) as ws:
                assert ws.get_extra_info("http2") and ws.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"
            async with session.ws_connect(url, ssl=good) as ws:
                assert ws.get_extra_info("http2") and await echo(ws, "pinned") == "pinned"
            with pytest.raises(aiohttp_ws.ServerFingerprintMismatch):
                await session.ws_connect(url, ssl=bad)
        async with aiohttp_ws.ClientSession() as session:  # http2 off: no ALPN offered at all
            async with session.ws_connect(f"wss://127.0.0.1:{port}/", ssl=False) as ws:
                assert not ws.get_extra_info("http2")
                assert ws.get_extra_info("ssl_object").selected_alpn_protocol() is None


async def test_redirect_over_http2_is_followed() -> None:
    async def gate(request: UpgradeRequest) -> Refuse | None:
        if request.path == "/old":
            return Refuse(302, headers=[("Location", "/new"), ("Set-Cookie", "moved=yes")])
        return None

    async def handler(ws: aiohttp_ws.ServerWebSocket) -> None:
        await ws.send_str(f"{ws.path} {ws.request.headers.get('Cookie')}")

    async with aiohttp_ws.serve(handler, http2=True, process_request=gate) as server:
        async with aiohttp_ws.ClientSession(http2="prior-knowledge", cookie_jar=aiohttp_ws.CookieJar(unsafe=True)) as session:
            async with session.ws_connect(f"ws://127.0.0.1:{server.port}/old") as ws:
                assert ws.get_extra_info("http2")
                assert await ws.receive_str(timeout=5) == "/new moved=yes"
