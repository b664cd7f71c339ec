"""Reconnect with backoff, and measure latency.

    python examples/reconnect.py

Starts a local server whose first connection dies (TCP reset: close code
1006, retried) and whose second one says goodbye with 1000 (not retried),
then runs the loop a client writes around ``ws_connect_forever``.
"""

from __future__ import annotations

import asyncio

import aiohttp_ws
from aiohttp_ws import Backoff, ServerWebSocket, WSMsgType


async def main() -> None:
    served = 0

    async def flaky(ws: ServerWebSocket) -> None:
        nonlocal served
        served += 1
        await ws.send_str(f"tick from connection {served}")
        await ws.receive()  # wait for the client's message
        if served == 1:
            ws.abort()  # the network "drops"
        else:
            await ws.close(code=1000, message=b"bye")

    async with aiohttp_ws.serve(flaky) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        async with aiohttp_ws.ClientSession() as session:
            backoff = Backoff(initial=0.1, factor=2, cap=5)
            async with session.ws_connect_forever(url, heartbeat=5, backoff=backoff) as connections:
                async for ws in connections:
                    rtt = await ws.ping(b"probe", wait=True)
                    print(f"connected; ping round trip {rtt * 1000:.2f} ms")
                    async for msg in ws:
                        if msg.type is WSMsgType.TEXT:
                            print("got:", msg.data)
                            await ws.send_str("ack")
                    print("connection ended with close code", ws.close_code)
            print(f"done after {connections.connections} connections")


if __name__ == "__main__":
    asyncio.run(main())
