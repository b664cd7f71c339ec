"""serve()'s hooks before the 101 (process_request, select_subprotocol), with
real clients: ours, websockets' and aiohttp's."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Sequence

import aiohttp
import pytest
import websockets.asyncio.client
import websockets.exceptions

import aiohttp_ws
from aiohttp_ws.server import Accept, Refuse, UpgradeRequest, echo_handler


async def test_refuse_with_status_headers_and_body() -> None:
    seen: list[UpgradeRequest] = []

    def gate(request: UpgradeRequest) -> Refuse | None:
        seen.append(request)
        if request.query.get("token") != "s3cret":
            return Refuse(401, headers=[("WWW-Authenticate", 'Bearer realm="ws"')], body="missing token")
        return None

    async with aiohttp_ws.serve(echo_handler, process_request=gate) as server:
        url = f"ws://127.0.0.1:{server.port}/chat"
        with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
            await aiohttp_ws.ws_connect(url, headers={"X-Who": "me"})
        assert info.value.status == 401 and info.value.body == b"missing token"
        assert info.value.headers is not None and info.value.headers["WWW-Authenticate"] == 'Bearer realm="ws"'
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            await websockets.asyncio.client.connect(url)
        assert refused.value.response.status_code == 401
        async with aiohttp_ws.ws_connect(url + "?token=s3cret") as ws:
            await ws.send_str("in")
            assert await ws.receive_str() == "in"
    first = seen[0]
    assert (first.method, first.path, first.headers["X-Who"]) == ("GET", "/chat", "me")
    assert first.remote[0] == "127.0.0.1"


async def test_plain_http_answered_by_the_hook() -> None:
    async def health(request: UpgradeRequest) -> Refuse | None:
        await asyncio.sleep(0)  # a coroutine function works too
        return Refuse(200, headers=[("Content-Type", "text/plain")], body="ok") if request.path == "/health" else None

    async with aiohttp_ws.serve(echo_handler, process_request=health) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{server.port}/health") as resp:
                assert resp.status == 200 and await resp.text() == "ok"


async def test_accept_with_subprotocol_and_extra_headers() -> None:
    def accept(request: UpgradeRequest) -> Accept:
        return Accept(subprotocol="v2", headers=[("X-Server", "hooks")])

    async with aiohttp_ws.serve(echo_handler, protocols=("v1",), process_request=accept) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", protocols=["v1", "v2"]) as ws:
            assert ws.protocol == "v2" and ws.headers["X-Server"] == "hooks"


@pytest.mark.parametrize("where", ["process_request", "select_subprotocol", "not-offered", "bad-return"])
async def test_hook_errors_give_500_never_a_hang(where: str, caplog: pytest.LogCaptureFixture) -> None:
    def boom(*_args: Any) -> Any:
        raise RuntimeError("hook bug")

    hooks: dict[str, Any] = {
        "process_request": {"process_request": boom},
        "select_subprotocol": {"select_subprotocol": boom},
        "not-offered": {"select_subprotocol": lambda request, offered: "never-offered"},
        "bad-return": {"process_request": lambda request: 42},
    }[where]
    caplog.set_level(logging.ERROR, logger="aiohttp_ws.server")
    async with aiohttp_ws.serve(echo_handler, **hooks) as server:
        with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
            await asyncio.wait_for(aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", protocols="p"), 5)
    assert info.value.status == 500
    assert any(r.name == "aiohttp_ws.server" for r in caplog.records)


async def test_select_subprotocol_sees_the_clients_order() -> None:
    calls: list[Sequence[str]] = []

    def last(request: UpgradeRequest, offered: Sequence[str]) -> str | None:
        calls.append(list(offered))
        return offered[-1] if offered else None

    async with aiohttp_ws.serve(echo_handler, protocols=("a", "b"), select_subprotocol=last) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        async with aiohttp_ws.ws_connect(url, protocols=["a", "b", "c"]) as ws:
            assert ws.protocol == "c"
        async with websockets.asyncio.client.connect(url, subprotocols=["x", "y"]) as peer:
            assert peer.subprotocol == "y"
        async with aiohttp_ws.ws_connect(url) as ws:
            assert ws.protocol is None
    assert calls == [["a", "b", "c"], ["x", "y"], []]


async def test_default_subprotocol_is_the_servers_preference() -> None:
    async with aiohttp_ws.serve(echo_handler, protocols=("b", "a")) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", protocols=["a", "b"]) as ws:
            assert ws.protocol == "b"


async def test_accept_serves_one_websocket_on_an_accepted_socket() -> None:
    import socket

    from aiohttp_ws.server import accept

    client_sock, server_sock = socket.socketpair()

    async def serve_it() -> str:
        ws = await accept(server_sock, protocols=("chat",))
        msg = await ws.receive_str()
        await ws.send_str(msg.upper())
        await ws.close()
        return ws.path

    serving = asyncio.create_task(serve_it())
    async with aiohttp_ws.ws_connect("ws://socketpair/room?x=1", sock=client_sock, protocols=["chat"]) as ws:
        assert ws.protocol == "chat"
        await ws.send_str("hi")
        assert await ws.receive_str() == "HI"
        assert (await ws.receive()).type is aiohttp_ws.WSMsgType.CLOSE
    assert await serving == "/room?x=1"


async def test_accept_on_a_socket_whose_request_was_already_read() -> None:
    """As when another framework read the HTTP request and hands the socket over."""
    import socket

    from aiohttp_ws.sansio.http11 import HeadParser
    from aiohttp_ws.server import accept

    client_sock, server_sock = socket.socketpair()
    connecting = asyncio.create_task(aiohttp_ws.ws_connect("ws://handed-over/", sock=client_sock))
    loop = asyncio.get_running_loop()
    server_sock.setblocking(False)
    parser = HeadParser(is_response=False)
    head = None
    while head is None:
        head = parser.feed(await loop.sock_recv(server_sock, 4096))
    ws_server = await accept(server_sock, request=head)
    ws = await connecting
    await ws.send_bytes(b"\x00\x01")
    assert await ws_server.receive_bytes() == b"\x00\x01"
    await ws.close()
    assert ws.close_code == 1000


async def test_accept_refusal_raises_after_answering() -> None:
    import socket

    from aiohttp_ws.sansio.handshake import HandshakeRejected
    from aiohttp_ws.server import accept

    client_sock, server_sock = socket.socketpair()
    connecting = asyncio.create_task(aiohttp_ws.ws_connect("ws://x/", sock=client_sock))
    with pytest.raises(HandshakeRejected) as refused:
        await accept(server_sock, process_request=lambda request: Refuse(403, body="no"))
    assert refused.value.status == 403
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await connecting
    assert info.value.status == 403 and info.value.body == b"no"
