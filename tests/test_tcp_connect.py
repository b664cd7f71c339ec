"""The connector's own non-blocking connect (``_tcp_connect.sock_connect``) on
asyncio's selector loop, against ``loop.sock_connect`` (the code we did not
write whose behaviour it keeps): the same errors for a refused port, a pending
connect that is cancelled or timed out leaves no socket and no watched file
descriptor behind, and connections through ``TCPConnector`` work on every
loop."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Awaitable, Callable

import pytest
import uvloop

import aiohttp_ws
from aiohttp_ws._tcp_connect import sock_connect

from .robustness.conftest import open_fds


def closed_port() -> int:
    """A local port nobody listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def ours(loop: asyncio.AbstractEventLoop, sock: socket.socket, address: Any) -> None:
    await sock_connect(loop, sock, address)


async def asyncios(loop: asyncio.AbstractEventLoop, sock: socket.socket, address: Any) -> None:
    await loop.sock_connect(sock, address)


@pytest.mark.parametrize("connect", [ours, asyncios], ids=["ours", "loop.sock_connect"])
async def test_a_refused_port_raises_what_sock_connect_raises(
    connect: Callable[[asyncio.AbstractEventLoop, socket.socket, Any], Awaitable[None]],
) -> None:
    port = closed_port()
    with socket.socket() as sock:
        sock.setblocking(False)
        with pytest.raises(ConnectionRefusedError) as info:
            await connect(asyncio.get_running_loop(), sock, ("127.0.0.1", port))
    assert str(info.value) == f"[Errno 111] Connect call failed ('127.0.0.1', {port})"


async def test_a_refused_port_through_the_connector() -> None:
    port = closed_port()
    with pytest.raises(aiohttp_ws.ClientConnectorError) as info:
        await aiohttp_ws.ws_connect(f"ws://127.0.0.1:{port}/")
    assert isinstance(info.value.os_error, ConnectionRefusedError)
    assert info.value.port == port


async def test_a_pending_connect_cancelled_leaves_nothing_watched() -> None:
    """A listener with a full accept queue leaves the next connects pending
    (the SYN is dropped and retried): cancel them by ``wait_for`` at several
    points; no socket stays open, the loop watches no file descriptor of
    theirs, and the loop goes on connecting."""
    loop = asyncio.get_running_loop()
    listener, held = stalled_listener()
    address = listener.getsockname()
    try:
        await asyncio.sleep(0.05)
        before = open_fds()
        selector: Any = loop._selector  # type: ignore[attr-defined]
        watched = set(selector.get_map())
        for timeout in (0, 0.001, 0.01, 0.05):
            sock = socket.socket()
            sock.setblocking(False)
            try:
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(sock_connect(loop, sock, address), timeout)
                assert sock.fileno() not in selector.get_map()
            finally:
                sock.close()
        assert open_fds() == before
        assert set(selector.get_map()) == watched
    finally:
        for s in held:
            s.close()
        listener.close()
    async with aiohttp_ws.serve(_echo, "127.0.0.1", 0) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            await ws.send_str("after")
            assert await ws.receive_str() == "after"


async def _echo(ws: aiohttp_ws.ServerWebSocket) -> None:
    async for msg in ws:
        await ws.send_str(msg.data)


def stalled_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A listener whose accept queue is full: further connects stay pending."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    held = []
    for _ in range(4):  # backlog 0 admits one or two
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(listener.getsockname())
        held.append(s)
    return listener, held


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_the_address_race_cancels_the_pending_connect(loop_name: str) -> None:
    """Two addresses, the first pending forever, the second refused then
    working: the happy-eyeballs race runs a connect per address (ours on
    asyncio's loop, uvloop's own there), the winner is used and the pending
    connect is cancelled without leaving a socket open."""

    async def main() -> str:
        loop = asyncio.get_running_loop()
        listener, held = stalled_listener()
        server = await aiohttp_ws.serve(_echo, "127.0.0.1", 0)
        answers = [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", listener.getsockname()),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", closed_port())),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.sockets[0].getsockname()[1])),
        ]

        real = loop.getaddrinfo

        async def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
            # uvloop's sock_connect resolves the address it is given once more
            return answers if host == "race.test" else await real(host, *args, **kwargs)

        loop.getaddrinfo = resolve  # type: ignore[method-assign]
        before = open_fds()
        try:
            connector = aiohttp_ws.TCPConnector(happy_eyeballs_delay=0.05, use_dns_cache=False)
            async with aiohttp_ws.ClientSession(connector=connector) as session:
                async with session.ws_connect("ws://race.test:1/") as ws:
                    await ws.send_str("won")
                    got = await ws.receive_str()
                    assert ws.get_extra_info("peername") == answers[2][4]
            for _ in range(100):  # our server's side of the socket closes a moment later
                if open_fds() <= before:
                    break
                await asyncio.sleep(0.01)
            assert open_fds() <= before
            return got
        finally:
            server.close()
            await server.wait_closed()
            for s in held:
                s.close()
            listener.close()

    runner = uvloop.run if loop_name == "uvloop" else asyncio.run
    assert runner(main()) == "won"


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_socket_factory_makes_the_socket(loop_name: str) -> None:
    """aiohttp 3.12's ``TCPConnector(socket_factory=...)``: called with the
    address's ``getaddrinfo`` tuple, its socket (with the options it set) is
    the one connected, on both loops (uvloop's one-call connect steps aside);
    an ``OSError`` from it is a connect failure."""

    async def main() -> list[Any]:
        seen: list[Any] = []

        def keepalive(info: Any) -> socket.socket:
            seen.append(info)
            sock = socket.socket(info[0], info[1], info[2])
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            return sock

        def refuse(info: Any) -> socket.socket:
            raise OSError(24, "Too many open files")

        async with aiohttp_ws.serve(_echo, "127.0.0.1", 0) as server:
            url = f"ws://127.0.0.1:{server.port}/"
            async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(socket_factory=keepalive)) as s:
                async with s.ws_connect(url) as ws:
                    assert ws.get_extra_info("socket").getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                    await ws.send_str("kept")
                    assert await ws.receive_str() == "kept"
            async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(socket_factory=refuse)) as s:
                with pytest.raises(aiohttp_ws.ClientConnectorError) as info:
                    await s.ws_connect(url)
                assert info.value.os_error.errno == 24
            async with aiohttp_ws.ws_connect(url) as ws:  # without one: the default socket
                assert ws.get_extra_info("socket").getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
        return seen

    runner = uvloop.run if loop_name == "uvloop" else asyncio.run
    seen = runner(main())
    assert len(seen) == 1
    family, type_, proto, _, address = seen[0]
    assert (family, type_, proto) == (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    assert address[0] == "127.0.0.1"
