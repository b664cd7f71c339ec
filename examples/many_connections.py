"""Many connections from one session, with the connector's limits.

    python examples/many_connections.py

Opens 40 WebSockets to a local server through a ``TCPConnector(limit=10)``:
at most 10 are open at once (a WebSocket holds its connection until it
closes), the others wait for a free slot, and all 40 finish.
"""

from __future__ import annotations

import asyncio

import aiohttp_ws


async def main() -> None:
    open_now = peak = 0

    async def handler(ws: aiohttp_ws.ServerWebSocket) -> None:
        nonlocal open_now, peak
        open_now += 1
        peak = max(peak, open_now)
        try:
            await aiohttp_ws.server.echo_handler(ws)
        finally:
            open_now -= 1

    async with aiohttp_ws.serve(handler, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        async with aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(limit=10)) as session:

            async def one(i: int) -> str:
                async with session.ws_connect(url) as ws:
                    await ws.send_str(f"client {i}")
                    text: str = await ws.receive_str()
                    await asyncio.sleep(0.05)  # hold the connection a little
                    return text

            replies = await asyncio.gather(*(one(i) for i in range(40)))
    print(f"{len(replies)} connections, at most {peak} open at once (limit 10)")


if __name__ == "__main__":
    asyncio.run(main())
