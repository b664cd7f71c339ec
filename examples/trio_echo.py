"""The anyio layer under trio: our server and our client in one program.

    python examples/trio_echo.py            # needs: pip install 'aiohttp_ws[trio]'
"""

from __future__ import annotations

import anyio

from aiohttp_ws import ServerWebSocket, WSMsgType
from aiohttp_ws.anyio import connect, serve


async def shout(ws: ServerWebSocket) -> None:
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data.upper())


async def main() -> None:
    async with anyio.create_task_group() as tg:
        port = await tg.start(serve, shout)
        async with connect(f"ws://127.0.0.1:{port}/", compress=15) as ws:
            for word in ("hello", "trio"):
                await ws.send_str(word)
                print("got:", await ws.receive_str())
            print("round trip:", f"{await ws.ping(wait=True) * 1000:.2f} ms")
        print("closed with", ws.close_code)
        tg.cancel_scope.cancel()


if __name__ == "__main__":
    anyio.run(main, backend="trio")
