"""Plain HTTP requests with the same session (aiohttp's request API).

    python -m pip install aiohttp   # only for this demo's server (aiohttp.web)
    python examples/http_requests.py

GET with query parameters, POST JSON and a form, read the response as JSON
or text, and follow a redirect; the session's cookie jar, headers, timeouts
and connector are shared with its WebSockets.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

import aiohttp_ws


async def echo(request: web.Request) -> web.Response:
    body = await request.text()
    return web.json_response({"method": request.method, "query": dict(request.query), "body": body,
                              "type": request.content_type})


async def moved(request: web.Request) -> web.Response:
    raise web.HTTPFound("/echo?from=redirect")


async def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/old", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        timeout = aiohttp_ws.ClientTimeout(total=10)
        async with aiohttp_ws.ClientSession(base_url=base, timeout=timeout, headers={"User-Agent": "demo"}) as session:
            async with session.get("/echo", params={"q": "websocket"}) as resp:
                print("GET", resp.status, (await resp.json())["query"])
            async with session.post("/echo", json={"answer": 42}) as resp:
                data = await resp.json()
                print("POST json", resp.status, data["type"], data["body"])
            async with session.post("/echo", data={"name": "ada"}) as resp:
                print("POST form", resp.status, (await resp.json())["body"])
            async with session.get("/old") as resp:
                print("redirected to", resp.url.path_qs, "after", [r.status for r in resp.history])
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
