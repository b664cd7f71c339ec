"""Echo client: send a few messages to an echo server and print the replies.

    python examples/echo_client.py                 # starts a local echo server first
    python examples/echo_client.py ws://host:port/ # or talks to yours
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp_ws


async def talk(url: str) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(url, heartbeat=30) as ws:
            await ws.send_str("hello")
            await ws.send_bytes(b"\x00\x01\x02")
            await ws.send_json({"answer": 42})
            for _ in range(3):
                msg = await ws.receive()
                if msg.type is aiohttp_ws.WSMsgType.TEXT:
                    print("text:", msg.data)
                elif msg.type is aiohttp_ws.WSMsgType.BINARY:
                    print("binary:", msg.data.hex())
                else:
                    print("other:", msg)
                    break
        print("closed with", ws.close_code)


async def main() -> None:
    if len(sys.argv) > 1:
        await talk(sys.argv[1])
        return
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0) as server:
        await talk(f"ws://127.0.0.1:{server.port}/")


if __name__ == "__main__":
    asyncio.run(main())
