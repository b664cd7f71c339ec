"""A WebSocket over a Unix domain socket (no TCP port).

    python examples/unix_socket.py

The server listens on a socket file; the client's ``UnixConnector`` connects
to it whatever host the URL names (the host still goes in the ``Host``
header, as with aiohttp).
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile

import aiohttp_ws


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ws.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, sock=listener):
            async with aiohttp_ws.ClientSession(connector=aiohttp_ws.UnixConnector(path)) as session:
                async with session.ws_connect("ws://localhost/chat") as ws:
                    await ws.send_str("over a socket file")
                    print("echo:", await ws.receive_str())
                print("closed with", ws.close_code)


if __name__ == "__main__":
    asyncio.run(main())
