"""The echo server for the compressed cells: websockets with permessage-deflate
(RFC 7692) on uvloop, one process, prints its port.

    python bench/deflate_server.py [PORT]

picows (bench/server.py) has no permessage-deflate, so the compressed cells
need a second server. Only the clients' CPU is measured; this server's own
compression runs on the other core.
"""

from __future__ import annotations

import asyncio
import sys

import uvloop
from websockets.asyncio.server import ServerConnection, serve


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    async with serve(echo, "127.0.0.1", port, max_size=None, compression="deflate") as server:
        print(list(server.sockets)[0].getsockname()[1], flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    uvloop.run(main())
