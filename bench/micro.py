"""The per-message Python path in one process, without sockets: a regression
probe for the layers above the compiled parser (not a peer comparison).

    PYTHONPATH=TREE python bench/micro.py

Three probes over a fake transport, best of 7 runs, in ns per message:

- receive: batches of 128 unmasked 64-byte frames fed in place
  (``get_buffer``/``buffer_updated``), then 128 ``receive()`` calls that find
  them queued;
- send: ``send_bytes()`` of 64 bytes;
- echo: ``send_bytes()`` then ``receive()``, the reply arriving on the next
  loop iteration as it would from a socket, so ``receive()`` waits on a
  future every time (the path of a request/response client).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_ws.client_ws import ClientWebSocketResponse
from aiohttp_ws.connection import WebSocketConnection
from aiohttp_ws.frames import build_frame
from aiohttp_ws.protocol import WebSocketProtocol

REPLY = build_frame(2, b"x" * 64, mask=False)


class NullTransport:
    def __init__(self, on_write: Callable[[], None] | None = None) -> None:
        self.on_write = on_write

    def write(self, data: Any) -> None:
        if self.on_write is not None:
            self.on_write()

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


def feed(conn: WebSocketConnection, data: bytes) -> None:
    """What the event loop's transport does with bytes read from a socket."""
    buf = conn.get_buffer(-1)
    buf[: len(data)] = data
    conn.buffer_updated(len(data))


def client(transport: NullTransport) -> tuple[WebSocketConnection, ClientWebSocketResponse[Any]]:
    conn = WebSocketConnection(WebSocketProtocol(is_client=True))
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, ClientWebSocketResponse(conn, headers=CIMultiDictProxy(CIMultiDict()))


async def main() -> None:
    loop = asyncio.get_running_loop()
    conn, ws = client(NullTransport())
    echo_conn: WebSocketConnection | None = None
    echo_conn, echo_ws = client(NullTransport(lambda: loop.call_soon(feed, echo_conn, REPLY)))
    batch = b"".join(build_frame(2, b"x" * 64, mask=False) for _ in range(128))
    payload = b"y" * 64
    best = {"receive": float("inf"), "send": float("inf"), "echo": float("inf")}
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(300):
            feed(conn, batch)
            for _ in range(128):
                await ws.receive()
        best["receive"] = min(best["receive"], (time.perf_counter() - start) / (300 * 128))
        start = time.perf_counter()
        for _ in range(300 * 128):
            await ws.send_bytes(payload)
        best["send"] = min(best["send"], (time.perf_counter() - start) / (300 * 128))
        start = time.perf_counter()
        for _ in range(20000):
            await echo_ws.send_bytes(payload)
            await echo_ws.receive()
        best["echo"] = min(best["echo"], (time.perf_counter() - start) / 20000)
    print(", ".join(f"{name} {value * 1e9:.0f} ns/msg" for name, value in best.items()))


if __name__ == "__main__":
    asyncio.run(main())
