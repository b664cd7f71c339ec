"""Real RFC 8441 proxies in front of an HTTP/1.1 WebSocket server (the
websockets library): HAProxy and nghttpx (Debian's haproxy and nghttp2-proxy
packages; skipped when absent). The proxy speaks HTTP/2 with our client and
HTTP/1.1 with the server, so every byte we send and get passes code we did
not write on both sides."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from typing import Any, AsyncIterator

import pytest
import trustme
import websockets.asyncio.server

import aiohttp_ws

from ..autobahn.haproxy import running_haproxy
from ..ports import free_port, wait_listening
from .conftest import client_context


async def backend_handler(ws: Any) -> None:
    async for msg in ws:
        if isinstance(msg, str) and msg.startswith("close:"):
            _, code, reason = msg.split(":", 2)
            await ws.close(int(code), reason)
            return
        await ws.send(msg)


@contextlib.asynccontextmanager
async def running_nghttpx(back: int, tmp: str, pem: tuple[str, str] | None) -> AsyncIterator[int]:
    """nghttpx in front of 127.0.0.1:*back*: h2c, or TLS with ALPN h2 with *pem* (key, certificate)."""
    front = free_port()
    frontend = f"--frontend=127.0.0.1,{front}" + ("" if pem else ";no-tls")
    args = ["nghttpx", frontend, f"--backend=127.0.0.1,{back}", "--workers=1", "--conf=/dev/null",
            "--errorlog-file=/dev/null", "--accesslog-file=/dev/null", f"--pid-file={tmp}/nghttpx.pid"]
    proc = subprocess.Popen(args + list(pem or ()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_listening(front)
        yield front
    finally:
        proc.terminate()
        proc.wait()


@pytest.fixture(params=["haproxy-h2c", "haproxy-tls", "nghttpx-h2c", "nghttpx-tls"])
async def proxied(
    request: pytest.FixtureRequest, tmp_path: Any, ca: trustme.CA, cert_files: tuple[str, str]
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    name: str = request.param
    binary = name.split("-")[0]
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} is not installed (Debian: haproxy, nghttp2-proxy)")
    tls = name.endswith("tls")
    async with websockets.asyncio.server.serve(backend_handler, "127.0.0.1", 0, max_size=None, compression="deflate") as backend:
        back = backend.sockets[0].getsockname()[1]
        if binary == "haproxy":
            pem = None
            if tls:
                pem = str(tmp_path / "combined.pem")
                with open(pem, "w") as out, open(cert_files[1]) as key, open(cert_files[0]) as cert:
                    out.write(key.read() + cert.read())
            proxy = running_haproxy(back, pem=pem)
        else:
            proxy = running_nghttpx(back, str(tmp_path), (cert_files[1], cert_files[0]) if tls else None)
        async with proxy as front:
            kwargs: dict[str, Any] = {"http2": True, "ssl": client_context(ca)} if tls else {"http2": "prior-knowledge"}
            yield f"{'wss' if tls else 'ws'}://127.0.0.1:{front}", kwargs


async def test_through_a_real_rfc8441_proxy(proxied: tuple[str, dict[str, Any]]) -> None:
    base, kwargs = proxied
    async with aiohttp_ws.ClientSession() as session:
        sockets = [await session.ws_connect(f"{base}/n{i}", **kwargs) for i in range(10)]
        assert all(ws.get_extra_info("http2") for ws in sockets)
        assert len({ws.get_extra_info("sockname") for ws in sockets}) == 1
        for i, ws in enumerate(sockets):
            await ws.send_str(f"m{i}")
        assert [await ws.receive_str(timeout=5) for ws in sockets] == [f"m{i}" for i in range(10)]
        payload = bytes(range(256)) * (12 * 1024)  # 3 MiB, past every window on both hops
        await sockets[0].send_bytes(payload)
        assert await sockets[0].receive_bytes(timeout=20) == payload
        await sockets[1].send_str("close:4001:from the backend")
        msg = await sockets[1].receive(timeout=5)
        assert msg.type is aiohttp_ws.WSMsgType.CLOSE and msg.data == 4001
        await asyncio.gather(*(ws.close() for ws in sockets))
        assert [ws.close_code for ws in sockets] == [1000, 4001] + [1000] * 8
        assert session.connector.h2_pool.refused == {}


async def test_permessage_deflate_end_to_end_through_the_proxy(proxied: tuple[str, dict[str, Any]]) -> None:
    base, kwargs = proxied
    async with aiohttp_ws.ws_connect(base + "/z", compress=15, **kwargs) as ws:
        assert ws.get_extra_info("http2") and 9 <= ws.compress <= 15  # negotiated with the backend, through the proxy
        text = "squeeze " * 10000
        await ws.send_str(text)
        assert await ws.receive_str(timeout=5) == text


async def test_haproxy_without_h2_falls_back(tmp_path: Any) -> None:
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed")
    async with websockets.asyncio.server.serve(backend_handler, "127.0.0.1", 0) as backend:
        async with running_haproxy(backend.sockets[0].getsockname()[1], h2=False) as front:
            async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
                async with session.ws_connect(f"ws://127.0.0.1:{front}/") as ws:
                    assert not ws.get_extra_info("http2")
                    await ws.send_str("h1 through haproxy")
                    assert await ws.receive_str(timeout=5) == "h1 through haproxy"
                assert len(session.connector.h2_pool.refused) == 1
