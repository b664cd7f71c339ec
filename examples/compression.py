"""permessage-deflate (RFC 7692): what was negotiated and what it saves.

    python examples/compression.py

Connects to a local server that accepts compression with ``compress=15``
(aiohttp's argument: the client's window, 2**15 bytes), sends a repetitive
JSON document, and compares the message size with the deflated payload RFC
7692 puts on the wire (computed here with zlib at the library's default
level 1; ``ws.compress`` is 15 once the server accepted, 0 otherwise).
"""

from __future__ import annotations

import asyncio
import json
import zlib

import aiohttp_ws


async def main() -> None:
    document = json.dumps([{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"]} for i in range(500)])
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0, compress=True) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", compress=15) as ws:
            deflate = zlib.compressobj(1, zlib.DEFLATED, -15)  # raw deflate, as permessage-deflate
            wire = len(deflate.compress(document.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH)) - 4  # §7.2.1
            await ws.send_str(document)
            echoed = await ws.receive_str()
            print(f"compress={ws.compress}; a {len(document)}-byte message took about {wire} bytes on the wire;"
                  f" echo intact: {echoed == document}")


if __name__ == "__main__":
    asyncio.run(main())
