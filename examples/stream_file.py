"""Send a large message in parts and receive it part by part.

    python examples/stream_file.py

A local server receives a 32 MiB message with ``receive_stream()`` (only one
frame in memory at a time), counts its bytes and answers; the client sends
it with ``send_stream()`` from a generator of 1 MiB parts.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import AsyncIterator

import aiohttp_ws
from aiohttp_ws import ServerWebSocket

PART = 1 << 20


async def count_and_hash(ws: ServerWebSocket) -> None:
    digest = hashlib.sha256()
    size = parts = 0
    async for part in ws.receive_stream():
        digest.update(part)
        size += len(part)
        parts += 1
    await ws.send_json({"bytes": size, "parts": parts, "sha256": digest.hexdigest()})
    await ws.receive()  # until the client closes


async def main() -> None:
    seed = os.urandom(PART)
    expected = hashlib.sha256(seed * 32).hexdigest()

    async def parts() -> AsyncIterator[bytes]:
        for _ in range(32):
            yield seed
            await asyncio.sleep(0)

    async with aiohttp_ws.serve(count_and_hash, max_msg_size=0) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            await ws.send_stream(parts())
            report = await ws.receive_json()
    print(f"server got {report['bytes'] >> 20} MiB in {report['parts']} parts; sha256 matches: {report['sha256'] == expected}")


if __name__ == "__main__":
    asyncio.run(main())
