"""Graceful shutdown on SIGTERM: close every WebSocket with 1001, then exit.

    python examples/graceful_shutdown.py

A long-running client (here three connections to a local echo server)
installs a SIGTERM handler that cancels its main task; each ``async with``
block then closes its WebSocket with the close handshake (the peer sees
1001, "going away", from ``close(code=...)`` in the ``finally``), and the
process exits 0. The demo sends itself SIGTERM after half a second.
"""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp_ws
from aiohttp_ws import WSCloseCode


async def main() -> None:
    seen: list[int | None] = []

    async def server_side(ws: aiohttp_ws.ServerWebSocket) -> None:
        async for _ in ws:
            pass
        seen.append(ws.close_code)  # what each client closed with

    async with aiohttp_ws.serve(server_side, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.port}/"

        async def worker(session: aiohttp_ws.ClientSession) -> None:
            async with session.ws_connect(url) as ws:
                try:
                    while True:
                        await ws.send_str("working")
                        await asyncio.sleep(0.1)
                finally:  # cancelled by SIGTERM: close with 1001 instead of the default 1000
                    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"shutting down")

        async def run() -> None:
            async with aiohttp_ws.ClientSession() as session:
                await asyncio.gather(*(worker(session) for _ in range(3)))

        task = asyncio.ensure_future(run())
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        loop.call_later(0.5, os.kill, os.getpid(), signal.SIGTERM)
        try:
            await task
        except asyncio.CancelledError:
            pass
        await asyncio.sleep(0.1)  # let the server handlers record the codes
    print(f"SIGTERM: {len(seen)} connections closed with {sorted({int(c) for c in seen if c is not None})}")


if __name__ == "__main__":
    asyncio.run(main())
