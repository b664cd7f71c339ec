"""The WebSocket client and server on anyio: asyncio or trio, one API.

``pip install 'aiohttp_ws[anyio]'`` (trio itself for the trio backend)::

    import anyio
    from aiohttp_ws import WSMsgType
    from aiohttp_ws.anyio import connect

    async def main() -> None:
        async with connect("ws://127.0.0.1:8765/") as ws:
            await ws.send_str("hello")
            async for msg in ws:
                if msg.tp is WSMsgType.TEXT:
                    print(msg.data)
                    break

    anyio.run(main, backend="trio")

The WebSocket objects are the asyncio layer's classes
(``ClientWebSocketResponse``, ``ServerWebSocket``) over
``connection.AnyioConnection``, which drives the same Sans-I/O core
(``aiohttp_ws.sansio``). The asyncio layer never imports this package.
"""

from .client import connect
from .connection import AnyioConnection
from .server import ServerOptions, accept, serve

__all__ = ("connect", "serve", "accept", "ServerOptions", "AnyioConnection")
