"""The no-library ceiling: a bare asyncio.BufferedProtocol speaking just enough
WebSocket for the benchmark (RFC 6455 framing, pre-masked frames built once).

It is not a client anyone should use: it handles only the unfragmented,
unextended binary/text frames and the close frame that the echo server sends
back. It shows what the event loop and the kernel cost on their own, the floor
under any library's CPU per message.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import Any, Callable
from urllib.parse import urlsplit

READ_SIZE = 256 * 1024
SHARED = bytearray(READ_SIZE)
SHARED_VIEW = memoryview(SHARED)


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame with a masking key, built once before the timed phase."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    big = int.from_bytes((key * (n // 4 + 1))[:n], "big") if n else 0
    body = (int.from_bytes(payload, "big") ^ big).to_bytes(n, "big") if n else b""
    return head + key + body


class Bare(asyncio.BufferedProtocol):
    """Calls on_frame(opcode, payload) for each complete frame from the server."""

    def __init__(self, on_frame: Callable[[int, memoryview], None]) -> None:
        self.on_frame = on_frame
        self.buf = SHARED  # an own buffer only once a frame arrives in parts
        self.view = SHARED_VIEW
        self.end = 0
        self.head_done = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view[self.end:]

    def own(self, size: int) -> None:
        if self.buf is SHARED or len(self.buf) < size:
            buf = bytearray(max(size, READ_SIZE))
            buf[:self.end] = self.buf[:self.end]
            self.buf, self.view = buf, memoryview(buf)

    def buffer_updated(self, nbytes: int) -> None:
        self.end += nbytes
        start = 0
        buf = self.buf
        if not self.head_done:
            stop = buf.find(b"\r\n\r\n", 0, self.end)
            if stop < 0:
                self.own(READ_SIZE)
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                raise RuntimeError("handshake refused")
            self.head_done = True
            start = stop + 4
            self.opened.set_result(None)
        while self.end - start >= 2:
            opcode = buf[start] & 0x0F
            n = buf[start + 1] & 0x7F
            pos = start + 2
            if n == 126:
                if self.end - pos < 2:
                    break
                n = int.from_bytes(buf[pos:pos + 2], "big")
                pos += 2
            elif n == 127:
                if self.end - pos < 8:
                    break
                n = int.from_bytes(buf[pos:pos + 8], "big")
                pos += 8
            if self.end - pos < n:
                break
            start = pos + n
            self.on_frame(opcode, self.view[pos:start])
        remaining = self.end - start
        if remaining:
            if start:
                self.buf[:remaining] = self.buf[start:self.end]
            self.end = remaining
            self.own(remaining + READ_SIZE // 4 if remaining < 14 else self.frame_size(remaining))
        else:
            self.end = 0

    def frame_size(self, remaining: int) -> int:
        """Bytes the partial frame at the start of the buffer will need, plus room to read."""
        n = self.buf[1] & 0x7F
        size = 2 + n
        if n == 126:
            size = 4 + int.from_bytes(self.buf[2:4], "big")
        elif n == 127:
            size = 10 + int.from_bytes(self.buf[2:10], "big")
        return max(size, remaining) + 4096

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def connect(url: str, on_frame: Callable[[int, memoryview], None]) -> tuple[Any, Bare]:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(lambda: Bare(on_frame), parts.hostname, parts.port)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write(
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await proto.opened
    return transport, proto


CLOSE = masked_frame(0x8, b"\x03\xe8")


async def close(transport: Any, proto: Bare) -> None:
    transport.write(CLOSE)
    await proto.closed


async def echo(url: str, payload: bytes | str, count: int, window: int, check: Callable[[Any, Any, int], None]) -> tuple[Any, Bare, asyncio.Future[None], Callable[[], None]]:
    """Returns (transport, protocol, done, go): go() starts `count` echoes with
    `window` in flight; done resolves when the last echo has arrived."""
    text = isinstance(payload, str)
    raw = payload.encode() if isinstance(payload, str) else payload
    frame = masked_frame(0x1 if text else 0x2, raw)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    state = {"sent": 0, "received": 0}

    def on_frame(opcode: int, data: memoryview) -> None:
        if opcode == 0x8:
            return
        got: Any = str(data, "utf-8") if text else bytes(data)
        check(got, payload, state["received"])
        state["received"] += 1
        if state["sent"] < count:
            transport.write(frame)
            state["sent"] += 1
        elif state["received"] == count and not done.done():
            done.set_result(None)

    transport, proto = await connect(url, on_frame)

    def go() -> None:
        for _ in range(min(window, count)):
            transport.write(frame)
            state["sent"] += 1

    return transport, proto, done, go
