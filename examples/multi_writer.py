"""Several tasks send on one WebSocket while one task receives.

Each send writes a whole frame at once, so messages from different tasks
never interleave; the reader answers pings and the close handshake for us.

    python examples/multi_writer.py [ws://host:port/]
"""

from __future__ import annotations

import asyncio
import collections
import sys

import aiohttp_ws

WRITERS = 10
MESSAGES = 100


async def writer(ws: aiohttp_ws.ClientWebSocketResponse[bool], name: int) -> None:
    for i in range(MESSAGES):
        await ws.send_json({"writer": name, "seq": i, "pad": "x" * (i * 10)})


async def run(url: str) -> None:
    async with aiohttp_ws.ws_connect(url) as ws:
        writers = asyncio.gather(*(writer(ws, n) for n in range(WRITERS)))
        last_seq: dict[int, int] = collections.defaultdict(lambda: -1)
        for _ in range(WRITERS * MESSAGES):
            data = await ws.receive_json(timeout=10)
            assert data["seq"] == last_seq[data["writer"]] + 1, "per-writer order kept"
            last_seq[data["writer"]] = data["seq"]
        await writers
    print(f"{WRITERS} writers x {MESSAGES} messages echoed intact and in order; close code {ws.close_code}")


async def main() -> None:
    if len(sys.argv) > 1:
        await run(sys.argv[1])
        return
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0) as server:
        await run(f"ws://127.0.0.1:{server.port}/")


if __name__ == "__main__":
    asyncio.run(main())
