"""receive_stream() and send_stream() over real sockets: websockets' server
(which fragments and reassembles by itself), our server, a raw flooding
server for memory, and the anyio layer under trio."""

from __future__ import annotations

import asyncio
import os
import tracemalloc
from typing import Any, AsyncIterator, Awaitable, Callable

import anyio
import pytest
import websockets

import aiohttp_ws
import aiohttp_ws.anyio
from aiohttp_ws import PayloadTooBig, ServerWebSocket, WSMsgType

from .conftest import RawServer, Script, accept, finish_close, server_frame

RawServerFactory = Callable[[Script], Awaitable[RawServer]]


async def fragmenting_handler(ws: Any) -> None:
    """websockets: "parts:N:SIZE" → one message in N frames of SIZE bytes
    (text when SIZE is prefixed with t); anything else is echoed whole."""
    async for msg in ws:
        if isinstance(msg, str) and msg.startswith("parts:"):
            _, n, size = msg.split(":")
            if size.startswith("t"):
                await ws.send(["é" * int(size[1:]) for _ in range(int(n))])
            else:
                await ws.send([bytes([i]) * int(size) for i in range(int(n))])
        else:
            await ws.send(msg)


@pytest.fixture(params=[0, 15], ids=["plain", "deflate"])
async def frag_url(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, int]]:
    async with websockets.serve(fragmenting_handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/", request.param


async def test_parts_arrive_frame_by_frame(frag_url: tuple[str, int]) -> None:
    url, compress = frag_url
    async with aiohttp_ws.ws_connect(url, compress=compress) as ws:
        await ws.send_str("parts:5:1000")
        parts = [p async for p in ws.receive_stream()]
        assert parts == [bytes([i]) * 1000 for i in range(5)]
        await ws.send_str("parts:3:t333")  # 666 bytes of UTF-8 per frame; é never split
        parts = [p async for p in ws.receive_stream()]
        assert parts == ["é" * 333] * 3
        await ws.send_str("whole")
        assert [p async for p in ws.receive_stream()] == ["whole"]  # one frame: one part
        # receive() still returns whole messages, streamed underneath
        await ws.send_str("parts:4:10")
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.BINARY, b"".join(bytes([i]) * 10 for i in range(4)))


async def test_leaving_early_drops_the_rest_of_that_message_only(frag_url: tuple[str, int]) -> None:
    url, compress = frag_url
    async with aiohttp_ws.ws_connect(url, compress=compress) as ws:
        await ws.send_str("parts:50:100")
        await ws.send_str("after")
        async for part in ws.receive_stream():
            assert part == b"\x00" * 100
            break
        assert await ws.receive_str() == "after"


async def test_a_receive_timeout_in_the_middle_loses_nothing(raw_server: RawServerFactory) -> None:
    """receive() joins a streamed message; if it times out after taking the
    first part, that part goes back, and the next receive() gets it all."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(0x1, b"warm"))
        await asyncio.sleep(0.1)  # the client switched streaming on meanwhile
        writer.write(server_frame(0x2, b"first-", fin=False))
        await asyncio.sleep(0.6)
        writer.write(server_frame(0x0, b"second", fin=True))
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url) as ws:
        assert [p async for p in ws.receive_stream()] == ["warm"]  # streaming is on from here
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.3)  # takes "first-", then runs out of time waiting for the rest
        assert await ws.receive_bytes(timeout=5) == b"first-second"


async def test_max_msg_size_still_bounds_a_streamed_message(raw_server: RawServerFactory) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(0x1, b"warm"))
        await asyncio.sleep(0.2)
        writer.write(b"".join(server_frame(0x2 if i == 0 else 0x0, b"x" * 1000, fin=False) for i in range(5)))
        await finish_close(reader, writer)

    raw = await raw_server(script)
    async with aiohttp_ws.ws_connect(raw.url, max_msg_size=3500) as ws:
        assert [p async for p in ws.receive_stream()] == ["warm"]
        got = []
        with pytest.raises(PayloadTooBig):
            async for part in ws.receive_stream():
                got.append(len(part))
        assert got == [1000, 1000, 1000] and ws.close_code == 1009


async def test_a_64_mib_message_streams_in_bounded_memory(raw_server: RawServerFactory) -> None:
    frame = server_frame(0x0, os.urandom(1 << 20), fin=False)
    count = 64

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, server_frame(0x2, b"", fin=False))
        for _ in range(count):
            writer.write(frame)
            await writer.drain()
        writer.write(server_frame(0x0, b"", fin=True))
        await finish_close(reader, writer)

    raw = await raw_server(script)
    tracemalloc.start()
    try:
        async with aiohttp_ws.ws_connect(raw.url, max_msg_size=0, max_queue_bytes=4 << 20) as ws:
            total = 0
            async for part in ws.receive_stream():
                total += len(part)
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == count << 20
    print(f"streamed {total >> 20} MiB with a peak of {peak / (1 << 20):.1f} MiB traced")
    assert peak < 16 << 20  # a whole message would be 64 MiB


async def test_send_stream_to_websockets_and_to_ourselves(frag_url: tuple[str, int]) -> None:
    url, compress = frag_url
    async with aiohttp_ws.ws_connect(url, compress=compress) as ws:
        await ws.send_stream([b"ab", b"cd", b"ef"])
        assert await ws.receive_bytes() == b"abcdef"  # websockets reassembled and echoed it whole

        async def text() -> AsyncIterator[str]:
            for word in ("ü", "ber", "all"):
                await asyncio.sleep(0)
                yield word

        await ws.send_stream(text())
        assert await ws.receive_str() == "überall"
        with pytest.raises(TypeError):
            await ws.send_stream(["text", b"bytes"])


async def test_parts_reach_our_server_as_frames_and_others_wait() -> None:
    seen: list[Any] = []

    async def handler(ws: ServerWebSocket) -> None:
        seen.append([p async for p in ws.receive_stream()])
        seen.append(await ws.receive_str())
        await ws.send_str("done")

    async with aiohttp_ws.serve(handler, compress=True) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/", compress=15) as ws:

            async def slow_parts() -> AsyncIterator[bytes]:
                for i in range(3):
                    yield bytes([i]) * 5000
                    await asyncio.sleep(0.05)

            streaming = asyncio.create_task(ws.send_stream(slow_parts()))
            await asyncio.sleep(0.01)
            await ws.send_str("sent meanwhile")  # waits for the message in parts
            await streaming
            assert await ws.receive_str() == "done"
    assert seen == [[bytes([i]) * 5000 for i in range(3)], "sent meanwhile"]


async def test_parts_that_fail_close_with_1011() -> None:
    closes: list[Any] = []

    async def handler(ws: ServerWebSocket) -> None:
        async for _ in ws:
            pass
        closes.append(ws.close_code)

    def broken() -> Any:
        yield b"first"
        yield b"second"  # the first part is on the wire once this one exists
        raise ValueError("source failed")

    async with aiohttp_ws.serve(handler) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            with pytest.raises(ValueError):
                await ws.send_stream(broken())
            assert ws.closed and ws.close_code == 1011
        await asyncio.sleep(0.1)
    assert closes == [1011]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_layer_streams_both_ways(backend: str) -> None:
    async def handler(ws: ServerWebSocket) -> None:
        parts = [p async for p in ws.receive_stream()]
        await ws.send_stream(parts[::-1])

    async def main() -> list[Any]:
        async with anyio.create_task_group() as tg:
            port = await tg.start(lambda task_status: aiohttp_ws.anyio.serve(handler, compress=True, task_status=task_status))
            async with aiohttp_ws.anyio.connect(f"ws://127.0.0.1:{port}/", compress=15) as ws:
                await ws.send_stream(["one ", "two ", "three"])
                got = [p async for p in ws.receive_stream()]
            tg.cancel_scope.cancel()
        return got

    assert anyio.run(main, backend=backend) == ["three", "two ", "one "]
