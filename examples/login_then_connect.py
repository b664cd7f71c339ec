"""Log in over HTTP, then open the WebSocket with the session cookie or a token.

    python -m pip install aiohttp   # only for this demo's server (aiohttp.web)
    python examples/login_then_connect.py

The local server (aiohttp.web) has ``POST /login``, which sets a session
cookie and returns a bearer token, and ``/ws``, which upgrades only a request
carrying one of them (403 otherwise). The client's session keeps the cookie
from the login response in its cookie jar and sends it with the upgrade
request; the token goes in an ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
import secrets

from aiohttp import web

import aiohttp_ws


def make_app() -> web.Application:
    sessions: set[str] = set()

    async def login(request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"user": "ada", "password": "lovelace"}:
            raise web.HTTPUnauthorized(text="wrong password")
        token = secrets.token_hex(8)
        sessions.add(token)
        response = web.json_response({"token": token})
        response.set_cookie("session", token, httponly=True)
        return response

    async def ws_endpoint(request: web.Request) -> web.StreamResponse:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.cookies.get("session") not in sessions and bearer not in sessions:
            raise web.HTTPForbidden(text="log in first")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("welcome, " + ("cookie" if request.cookies.get("session") in sessions else "token") + " holder")
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_post("/login", login)
    app.router.add_get("/ws", ws_endpoint)
    return app


async def main() -> None:
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        # CookieJar(unsafe=True): as aiohttp's, the default jar ignores cookies
        # from IP-address hosts such as 127.0.0.1; a named host needs no flag.
        jar = aiohttp_ws.CookieJar(unsafe=True)
        async with aiohttp_ws.ClientSession(base_url=base + "/", cookie_jar=jar) as session:
            try:
                await session.ws_connect("ws")
            except aiohttp_ws.WSServerHandshakeError as exc:
                print(f"before logging in: {exc.status} {exc.body_text!r}")
            async with session.post("login", json={"user": "ada", "password": "lovelace"}) as resp:
                token = (await resp.json())["token"]
            async with session.ws_connect("ws") as ws:  # the jar sends the cookie
                print("with the cookie:", await ws.receive_str())
        async with aiohttp_ws.ClientSession() as fresh:  # no cookie here: the token instead
            async with fresh.ws_connect(base + "/ws", headers={"Authorization": f"Bearer {token}"}) as ws:
                print("with the token:", await ws.receive_str())
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
