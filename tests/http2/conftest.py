"""Fixtures of the HTTP/2 tests: one URL per real RFC 8441 server (hypercorn
and our own ``serve(http2=True)``, cleartext h2c and TLS with ALPN), with the
``ws_connect`` arguments that reach it over HTTP/2."""

from __future__ import annotations

import ssl
from typing import Any, AsyncIterator

import pytest
import trustme

import aiohttp_ws

from ..conftest import our_handler
from .peers import hypercorn_server

pytest.importorskip("h2")


class Peer:
    """Where a test connects, and how: ``url(path)``, ``kwargs`` for ``ws_connect``."""

    def __init__(self, name: str, url: str, kwargs: dict[str, Any]) -> None:
        self.name = name
        self.base = url
        self.kwargs = kwargs

    def url(self, path: str = "/") -> str:
        return self.base + path


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def cert_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    d = tmp_path_factory.mktemp("h2-cert")
    cert.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    return str(d / "cert.pem"), str(d / "key.pem")


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    """A caller's own context: it offers h2 because the caller says so."""
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


@pytest.fixture(params=["hypercorn-h2c", "hypercorn-tls", "ours-h2c", "ours-tls"])
async def peer(request: pytest.FixtureRequest, ca: trustme.CA, cert_files: tuple[str, str]) -> AsyncIterator[Peer]:
    name: str = request.param
    tls = name.endswith("tls")
    kwargs: dict[str, Any] = {"http2": True, "ssl": client_context(ca)} if tls else {"http2": "prior-knowledge"}
    scheme = "wss" if tls else "ws"
    if name.startswith("hypercorn"):
        certfile, keyfile = cert_files if tls else (None, None)
        async with hypercorn_server(certfile=certfile, keyfile=keyfile) as (port, _):
            yield Peer(name, f"{scheme}://127.0.0.1:{port}", kwargs)
    else:
        context = None
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert_files)
        async with aiohttp_ws.serve(our_handler, http2=True, ssl=context, compress=True, protocols=["chat", "v2"],
                                    max_msg_size=64 * 1024 * 1024) as server:
            yield Peer(name, f"{scheme}://127.0.0.1:{server.port}", kwargs)
