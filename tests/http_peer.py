"""An aiohttp server used as the HTTP peer: it records every request's headers
and serves redirects, cookies, chunked and compressed bodies, and a WebSocket."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import zlib
from typing import Any, AsyncIterator

import aiohttp
import aiohttp.web as web


class HttpPeer:
    """``url(path)`` builds a URL; ``seen`` lists (path, headers) per request."""

    def __init__(self, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.seen: list[tuple[str, dict[str, list[str]]]] = []
        self.peers: list[Any] = []
        self.port = 0
        self.runner: web.AppRunner | None = None

    def url(self, path: str = "/", scheme: str | None = None) -> str:
        scheme = scheme or ("https" if self.ssl_context else "http")
        return f"{scheme}://{self.host}:{self.port}{path}"

    def headers_of(self, path: str) -> dict[str, list[str]]:
        return [h for p, h in self.seen if p == path][-1]

    @web.middleware
    async def record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        self.seen.append((request.path, headers))
        self.peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        response: web.StreamResponse = await handler(request)
        return response

    async def start(self) -> None:
        app = web.Application(middlewares=[self.record])
        app.router.add_route("*", "/echo", self.echo)
        app.router.add_get("/redirect/{n}", self.redirect_chain)
        app.router.add_route("*", "/to", self.redirect_to)
        app.router.add_get("/set-cookie", self.set_cookie)
        app.router.add_get("/chunked", self.chunked)
        app.router.add_get("/gzip", self.gzip)
        app.router.add_get("/deflate", self.deflate)
        app.router.add_get("/bomb", self.bomb)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/slow-body", self.slow_body)
        app.router.add_get("/status/{code}", self.status)
        app.router.add_get("/ws", self.ws)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host if self.host != "localhost" else "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "query": dict(request.query),
                "body": body.decode("utf-8", "replace"),
                "content_type": request.headers.get("Content-Type"),
                "content_length": request.headers.get("Content-Length"),
                "cookie": request.headers.get("Cookie"),
            }
        )

    async def redirect_chain(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = f"/redirect/{n - 1}" if n > 1 else "/echo"
        return web.Response(status=302, headers={"Location": target})

    async def redirect_to(self, request: web.Request) -> web.Response:
        await request.read()
        status = int(request.query.get("status", "302"))
        return web.Response(status=status, headers={"Location": request.query["url"]}, text="moved")

    async def set_cookie(self, request: web.Request) -> web.Response:
        response = web.Response(text="ok")
        for name, value in request.query.items():
            response.headers.add("Set-Cookie", f"{name}={value}; Path=/")
        return response

    async def chunked(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(50):
            await response.write(f"chunk{i};".encode())
        await response.write_eof()
        return response

    async def gzip(self, request: web.Request) -> web.Response:
        body = gzip.compress(b"gzipped " * 1000)
        return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    async def deflate(self, request: web.Request) -> web.Response:
        body = zlib.compress(json.dumps({"deflated": list(range(100))}).encode())
        return web.Response(body=body, headers={"Content-Encoding": "deflate", "Content-Type": "application/json"})

    async def bomb(self, request: web.Request) -> web.Response:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        body = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(64)) + compressor.flush()
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("delay", "2")))
        return web.Response(text="late")

    async def slow_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 10
        await response.prepare(request)
        await response.write(b"12345")
        await asyncio.sleep(2)
        return response

    async def status(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws


async def running_peer(host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[HttpPeer]:
    peer = HttpPeer(host, ssl_context)
    await peer.start()
    try:
        yield peer
    finally:
        await peer.stop()
