"""The per-message Python path in one process, without sockets: a regression
probe for the layers above the compiled parser (not a peer comparison).

    PYTHONPATH=TREE python bench/micro.py

Feeds batches of 128 unmasked 64-byte frames into a client connection over a
fake transport and receives them, then sends 64-byte messages; prints the best
of 7 runs in ns per message.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_ws.client_ws import ClientWebSocketResponse
from aiohttp_ws.connection import WebSocketConnection
from aiohttp_ws.frames import build_frame
from aiohttp_ws.protocol import WebSocketProtocol


class NullTransport:
    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


async def main() -> None:
    conn = WebSocketConnection(WebSocketProtocol(is_client=True))
    conn.connection_made(NullTransport())  # type: ignore[arg-type]
    ws: ClientWebSocketResponse[Any] = ClientWebSocketResponse(conn, headers=CIMultiDictProxy(CIMultiDict()))
    batch = b"".join(build_frame(2, b"x" * 64, mask=False) for _ in range(128))
    payload = b"y" * 64
    best_receive = best_send = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(300):
            conn.data_received(batch)
            for _ in range(128):
                await ws.receive()
        best_receive = min(best_receive, (time.perf_counter() - start) / (300 * 128))
        start = time.perf_counter()
        for _ in range(300 * 128):
            await ws.send_bytes(payload)
        best_send = min(best_send, (time.perf_counter() - start) / (300 * 128))
    print(f"receive {best_receive * 1e9:.0f} ns/msg, send {best_send * 1e9:.0f} ns/msg")


if __name__ == "__main__":
    asyncio.run(main())
