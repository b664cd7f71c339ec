"""SOCKS proxies through real pproxy processes (SOCKS5 with and without
credentials, remote DNS, SOCKS4/4a), ws:// and wss://, the environment's
all_proxy, and the errors of a dead proxy or wrong credentials."""

from __future__ import annotations

import asyncio
import ssl
import struct
from typing import AsyncIterator, Iterator

import pytest
import trustme

import aiohttp_ws
from aiohttp_ws import BasicAuth

from .test_proxy_tls import Proxy, free_port


@pytest.fixture(scope="module")
def socks5() -> Iterator[Proxy]:
    p = Proxy("socks5://127.0.0.1:{port}")
    yield p
    p.stop()


@pytest.fixture(scope="module")
def socks5_auth() -> Iterator[Proxy]:
    p = Proxy("socks5://127.0.0.1:{port}#alice:s3cret", "--auth", "0")  # no "remember this IP" after a login
    yield p
    p.stop()


@pytest.fixture(scope="module")
def socks4() -> Iterator[Proxy]:
    p = Proxy("socks4://127.0.0.1:{port}")
    yield p
    p.stop()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0) as server:
        yield server.port


async def roundtrip(url: str, **kwargs: object) -> str:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(url, **kwargs) as ws:  # type: ignore[arg-type]
            await ws.send_str("through socks")
            text = await ws.receive_str()
            peer = ws.get_extra_info("peername")
    return f"{text} via {peer[1]}"


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_socks5_with_local_and_remote_dns(socks5: Proxy, echo_port: int, scheme: str) -> None:
    got = await roundtrip(f"ws://localhost:{echo_port}/", proxy=f"{scheme}://127.0.0.1:{socks5.port}")
    assert got == f"through socks via {socks5.port}"  # the socket's peer is the proxy


async def test_socks5_credentials(socks5_auth: Proxy, echo_port: int) -> None:
    url = f"ws://127.0.0.1:{echo_port}/"
    assert (await roundtrip(url, proxy=f"socks5://alice:s3cret@127.0.0.1:{socks5_auth.port}")).startswith("through")
    got = await roundtrip(url, proxy=f"socks5://127.0.0.1:{socks5_auth.port}", proxy_auth=BasicAuth("alice", "s3cret"))
    assert got.startswith("through socks")
    with pytest.raises(aiohttp_ws.ClientProxyConnectionError):
        await roundtrip(url, proxy=f"socks5://alice:wrong@127.0.0.1:{socks5_auth.port}")


async def test_socks4(socks4: Proxy, echo_port: int) -> None:
    got = await roundtrip(f"ws://127.0.0.1:{echo_port}/", proxy=f"socks4://127.0.0.1:{socks4.port}")
    assert got == f"through socks via {socks4.port}"


async def test_socks4a_sends_the_host_name_to_the_proxy(echo_port: int) -> None:
    """pproxy has no SOCKS4a, so a scripted SOCKS4a proxy (RFC-less, the
    de-facto protocol: DSTIP 0.0.0.x, then the host name) relays to the
    origin; it records what it was asked for."""
    asked: list[tuple[str, int]] = []

    async def relay(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
        dst.close()

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, command, port = struct.unpack("!BBH", await reader.readexactly(4))
        ip = await reader.readexactly(4)
        await reader.readuntil(b"\x00")  # user id
        assert (version, command) == (4, 1) and ip[:3] == b"\x00\x00\x00" and ip[3] != 0
        host = (await reader.readuntil(b"\x00"))[:-1].decode()
        asked.append((host, port))
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x00\x5a" + struct.pack("!H", port) + b"\x00\x00\x00\x00")
        await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        got = await roundtrip(f"ws://origin.invalid:{echo_port}/", proxy=f"socks4a://127.0.0.1:{port}")
        assert got == f"through socks via {port}"
        assert asked == [("origin.invalid", echo_port)]  # resolved by the proxy, never by us
    finally:
        server.close()


async def test_wss_through_socks_verifies_the_origin(socks5: Proxy) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0, ssl=server_ctx) as server:
        url = f"wss://localhost:{server.port}/"
        proxy = f"socks5h://127.0.0.1:{socks5.port}"
        assert (await roundtrip(url, proxy=proxy, ssl=client_ctx)).startswith("through socks")
        with pytest.raises(aiohttp_ws.ClientConnectorCertificateError):
            await roundtrip(url, proxy=proxy)  # the system CAs do not know the origin's certificate


async def test_all_proxy_from_the_environment(socks5: Proxy, echo_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "ws_proxy", "wss_proxy", "no_proxy", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("all_proxy", f"socks5h://127.0.0.1:{socks5.port}")
    async with aiohttp_ws.ClientSession(trust_env=True) as session:
        async with session.ws_connect(f"ws://localhost:{echo_port}/") as ws:
            assert ws.get_extra_info("peername")[1] == socks5.port
            await ws.send_str("env")
            assert await ws.receive_str() == "env"


async def test_a_dead_proxy_is_a_proxy_connection_error(echo_port: int) -> None:
    with pytest.raises(aiohttp_ws.ClientProxyConnectionError) as info:
        await roundtrip(f"ws://127.0.0.1:{echo_port}/", proxy=f"socks5://127.0.0.1:{free_port()}")
    assert isinstance(info.value, aiohttp_ws.ClientConnectorError)
