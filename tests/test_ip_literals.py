"""IP literals connect without a lookup (``_dns.ip_literal``): exactly the
strings the standard library's ``ipaddress.ip_address`` takes, nothing else
(a name, or anything odd, goes to ``getaddrinfo``); one address is then
connected by uvloop in one call."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import pytest

import aiohttp_ws
from aiohttp_ws._dns import ip_literal

CASES = [
    "1.2.3.4", "0.0.0.0", "255.255.255.255", "127.1", "01.2.3.4", "1.2.3.04", "1.2.3", "256.1.1.1",
    "0x1.1.1.1", "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\x00", "١.٢.٣.٤", "", "localhost",
    "::", "::1", "1::", "fe80::1", "::ffff:1.2.3.4", "::FFFF:1.2.3.4", "::ffff:01.2.3.4",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:1.2.3.4", "1::2::3", "00000::1", "[::1]",
    "1:2:3:4:5:6:7::", "example.com",
]


@pytest.mark.parametrize("host", CASES)
def test_same_literals_as_ipaddress(host: str) -> None:
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    got = ip_literal(host, 443, 0)
    if ip is None:
        assert got is None
        return
    assert got is not None
    ((family, kind, proto, _, address),) = got
    assert kind == socket.SOCK_STREAM and proto == socket.IPPROTO_TCP
    if ip.version == 4:
        assert family == socket.AF_INET and address == (host, 443)
    else:
        assert family == socket.AF_INET6 and address == (host, 443, 0, 0)


def test_scoped_ipv6_and_wrong_family() -> None:
    assert ip_literal("fe80::1%eth0", 80, 0) is None  # getaddrinfo fills the scope id
    with pytest.raises(OSError, match="AF_INET6"):
        ip_literal("1.2.3.4", 80, socket.AF_INET6)
    with pytest.raises(OSError, match="AF_INET"):
        ip_literal("::1", 80, socket.AF_INET)


def _connects_on(loop_name: str, host: str, local_port: int | None = None) -> tuple[Any, Any]:
    """Against our server listening on *host*: a WebSocket echo through
    ``ws_connect`` on *loop_name*; the peer address the transport reports and
    our local address."""

    async def main() -> tuple[Any, Any]:
        server = await aiohttp_ws.serve(_echo, host, 0)
        port = server.sockets[0].getsockname()[1]
        url = f"ws://[{host}]:{port}/" if ":" in host else f"ws://{host}:{port}/"
        local = None if local_port is None else (host, local_port)
        try:
            async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(local_addr=local)) as session:
                async with session.ws_connect(url) as ws:
                    await ws.send_str("hello")
                    assert (await ws.receive_str()) == "hello"
                    peer, ours = ws.get_extra_info("peername"), ws.get_extra_info("sockname")
        finally:
            server.close()
            await server.wait_closed()
        assert peer[1] == port
        return peer, ours

    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


async def _echo(ws: aiohttp_ws.ServerWebSocket) -> None:
    async for msg in ws:
        await ws.send_str(msg.data)


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_one_literal_is_connected_by_the_loop(loop_name: str, host: str) -> None:
    """One address without a scope id: on uvloop it is handed to the loop's
    ``create_connection`` as it is (one C call instead of our socket and
    ``sock_connect``), on asyncio's loop our socket connects it: both
    families, both loops, the right peer and local address."""
    peer, ours = _connects_on(loop_name, host)
    assert peer[0] == host and ours[0] == host


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_local_addr_still_binds(host: str) -> None:
    """With ``local_addr`` the connector binds its own socket first, as before."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        local_port = probe.getsockname()[1]
    _, ours = _connects_on("asyncio", host, local_port)
    assert ours[:2] == (host, local_port)
