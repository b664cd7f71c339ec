"""WebSockets over HTTP/2 (RFC 8441): many WebSockets, one TCP connection.

Needs the http2 extra: pip install 'aiohttp_ws[http2]'. Starts two local
echo servers, one that also speaks HTTP/2 and one that speaks HTTP/1.1 only,
and connects to each with http2="prior-knowledge" (cleartext h2c; for wss://
URLs http2=True is enough: TLS negotiates h2 with ALPN).
"""

import asyncio

import aiohttp_ws
from aiohttp_ws.server import echo_handler


async def main() -> None:
    async with aiohttp_ws.serve(echo_handler, http2=True) as h2_server, aiohttp_ws.serve(echo_handler) as h1_server:
        async with aiohttp_ws.ClientSession(http2="prior-knowledge") as session:
            url = f"ws://127.0.0.1:{h2_server.port}/"
            sockets = await asyncio.gather(*(session.ws_connect(url) for _ in range(50)))
            tcp = {ws.get_extra_info("sockname") for ws in sockets}
            print(f"{len(sockets)} WebSockets over HTTP/2 on {len(tcp)} TCP connection(s)")
            for i, ws in enumerate(sockets):
                await ws.send_str(f"message {i}")
            answers = [await ws.receive_str() for ws in sockets]
            print("every answer on its own stream:", answers == [f"message {i}" for i in range(50)])
            await asyncio.gather(*(ws.close() for ws in sockets))

            # A server without HTTP/2: the same call falls back to an HTTP/1.1
            # upgrade, and the session remembers it for the next one.
            async with session.ws_connect(f"ws://127.0.0.1:{h1_server.port}/") as ws:
                print("HTTP/1.1-only server, over HTTP/2:", bool(ws.get_extra_info("http2")))
                await ws.send_str("fell back")
                print("echo:", await ws.receive_str())


asyncio.run(main())
