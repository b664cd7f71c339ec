"""wss:// with real TLS (trustme CA) and ws over a Unix socket."""

from __future__ import annotations

import asyncio
import pathlib
import socket
import ssl
from typing import AsyncIterator

import pytest
import trustme

import aiohttp_ws

from .conftest import our_handler


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_server(ca: trustme.CA) -> AsyncIterator[int]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_ctx)
    async with aiohttp_ws.serve(our_handler, "127.0.0.1", 0, ssl=server_ctx) as server:
        yield server.port


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def test_wss_with_verified_certificate(ca: trustme.CA, tls_server: int) -> None:
    async with aiohttp_ws.ws_connect(f"wss://localhost:{tls_server}/", ssl=client_context(ca)) as ws:
        await ws.send_str("secure")
        assert await ws.receive_str() == "secure"
        assert ws.get_extra_info("ssl_object") is not None
        assert ws.get_extra_info("peercert")["subjectAltName"][0] == ("DNS", "localhost")


async def test_wss_connector_context_and_server_hostname(ca: trustme.CA, tls_server: int) -> None:
    connector = aiohttp_ws.TCPConnector(ssl=client_context(ca))
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.ws_connect(f"wss://127.0.0.1:{tls_server}/", server_hostname="localhost") as ws:
            await ws.send_bytes(b"x" * 100_000)
            assert await ws.receive_bytes() == b"x" * 100_000


async def test_wss_unknown_ca_is_certificate_error(tls_server: int) -> None:
    with pytest.raises(aiohttp_ws.ClientConnectorCertificateError) as info:
        await aiohttp_ws.ws_connect(f"wss://localhost:{tls_server}/")
    assert isinstance(info.value, aiohttp_ws.ClientConnectorError)
    assert isinstance(info.value.os_error, ssl.SSLCertVerificationError)


async def test_wss_wrong_host_is_certificate_error(ca: trustme.CA) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("other.example").configure_cert(server_ctx)
    async with aiohttp_ws.serve(our_handler, "127.0.0.1", 0, ssl=server_ctx) as server:
        with pytest.raises(aiohttp_ws.ClientConnectorCertificateError):
            await aiohttp_ws.ws_connect(f"wss://localhost:{server.port}/", ssl=client_context(ca))


async def test_wss_ssl_false_skips_verification(tls_server: int) -> None:
    async with aiohttp_ws.ws_connect(f"wss://localhost:{tls_server}/", ssl=False) as ws:
        await ws.send_str("unverified")
        assert await ws.receive_str() == "unverified"


async def test_connector_shares_one_default_context() -> None:
    connector = aiohttp_ws.TCPConnector()
    assert connector.ssl_context() is connector.ssl_context(True)
    assert connector.ssl_context().verify_mode is ssl.CERT_REQUIRED
    assert connector.ssl_context(False).verify_mode is ssl.CERT_NONE


async def test_unix_socket(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "ws.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen()
    async with aiohttp_ws.serve(our_handler, sock=sock):
        async with aiohttp_ws.ClientSession(connector=aiohttp_ws.UnixConnector(path)) as session:
            async with session.ws_connect("ws://anyhost/") as ws:
                await ws.send_str("over unix")
                assert await ws.receive_str() == "over unix"
        await asyncio.sleep(0)


async def test_ws_connect_over_an_already_connected_socket(our_server: str) -> None:
    from yarl import URL

    port = URL(our_server).port
    sock = socket.create_connection(("127.0.0.1", port))
    async with aiohttp_ws.ws_connect("ws://any.name.invalid/over-sock", sock=sock) as ws:
        await ws.send_str("through the given socket")
        assert await ws.receive_str() == "through the given socket"
        assert ws.get_extra_info("sockname") == sock.getsockname()
    assert sock.fileno() == -1  # closed with the connection


async def test_socket_connector_runs_tls_over_the_socket_and_only_once(ca: trustme.CA, tls_server: int) -> None:
    host, port = "localhost", tls_server
    sock = socket.create_connection(("127.0.0.1", port))
    connector = aiohttp_ws.SocketConnector(sock, ssl=client_context(ca))
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.ws_connect(f"wss://{host}:{port}/") as ws:
            assert ws.get_extra_info("ssl_object") is not None
            await ws.send_str("tls")
            assert await ws.receive_str() == "tls"
        with pytest.raises(aiohttp_ws.ClientConnectorError):
            await session.ws_connect(f"wss://{host}:{port}/")  # no second socket
