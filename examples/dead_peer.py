"""Heartbeat: notice a peer that stopped answering, and how long it took.

    python examples/dead_peer.py

Starts a local server that says hello and then never answers a ping (as a
peer whose process hangs or whose network path died). With ``heartbeat=0.5`` the client
pings after 0.5 s without data and gives up 0.25 s later: ``receive()``
returns an ERROR message (``ServerTimeoutError``), the close code is 1006,
and the socket is closed; a reconnect loop would try again from there
(see ``reconnect.py``).
"""

from __future__ import annotations

import asyncio
import time

import aiohttp_ws
from aiohttp_ws import ServerWebSocket, WSMsgType


async def freezing_server(ws: ServerWebSocket) -> None:
    await ws.send_str("hello")
    async for _ in ws:  # autoping=False and nobody answers: the pings go unanswered
        pass


async def main() -> None:
    async with aiohttp_ws.serve(freezing_server, "127.0.0.1", 0, autoping=False) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", heartbeat=0.5) as ws:
            print("got:", (await ws.receive()).data)
            start = time.monotonic()
            msg = await ws.receive()
            waited = time.monotonic() - start
            assert msg.type is WSMsgType.ERROR
            print(f"dead peer noticed after {waited:.2f} s: {type(msg.data).__name__}; close code {ws.close_code}")


if __name__ == "__main__":
    asyncio.run(main())
