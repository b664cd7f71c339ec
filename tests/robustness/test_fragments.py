"""Many tiny fragments: overhead O(bytes), and a fragment count per message."""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws.sansio.frames import OP_BINARY, OP_CONTINUATION, OP_TEXT, build_frame
from aiohttp_ws.models import WSMsgType
from aiohttp_ws.sansio.protocol import WebSocketProtocol

from ..conftest import RawServer, Script, accept, read_client_frame


def fragmented(opcode: int, pieces: list[bytes]) -> bytes:
    last = len(pieces) - 1
    return b"".join(
        build_frame(opcode if i == 0 else OP_CONTINUATION, piece, mask=False, fin=i == last)
        for i, piece in enumerate(pieces)
    )


def reassembly_peak(data: bytes, **kw: int) -> tuple[list[WSMsgType], int, object]:
    """Feed *data* in 64 KiB reads; return the message types, the traced peak
    during reassembly (the input itself excluded) and the first message's data."""
    proto = WebSocketProtocol(is_client=True, **kw)
    msgs = []
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        for i in range(0, len(data), 65536):
            msgs += proto.receive_data(data[i : i + 65536])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return [m.tp for m in msgs], peak - base, msgs[0].data if msgs else None


@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY])
def test_100_000_one_byte_fragments_cost_o_bytes(opcode: int, report: Callable[[str, str], None]) -> None:
    pieces = [b"%d" % (i % 10) for i in range(100_000)]
    types, peak, data = reassembly_peak(fragmented(opcode, pieces), max_fragments=0)
    report("traced peak", f"{peak / 1024:.0f} KiB")
    assert types == [WSMsgType.TEXT if opcode == OP_TEXT else WSMsgType.BINARY]
    expected = b"".join(pieces)
    assert data == (expected.decode() if opcode == OP_TEXT else expected)
    # 100 KB of payload; one Python object per fragment would be ~5 MB
    assert peak < 1024 * 1024, peak


def test_100_000_empty_continuation_frames_cost_nothing(report: Callable[[str, str], None]) -> None:
    data = fragmented(OP_BINARY, [b"start"] + [b""] * 99_998 + [b"end"])
    types, peak, payload = reassembly_peak(data, max_fragments=0)
    report("traced peak", f"{peak / 1024:.0f} KiB")
    assert types == [WSMsgType.BINARY] and payload == b"startend"
    assert peak < 512 * 1024, peak


@pytest.mark.parametrize("frames, ok", [(4096, True), (4097, False)])
def test_default_fragment_limit_is_4096_frames(frames: int, ok: bool) -> None:
    types, _, _ = reassembly_peak(fragmented(OP_BINARY, [b"x"] * frames))
    assert types == ([WSMsgType.BINARY] if ok else [WSMsgType.ERROR])


async def test_too_many_fragments_close_with_1009(raw_server: Callable[[Script], Awaitable[RawServer]]) -> None:
    seen: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, fragmented(OP_TEXT, [b"a"] * 20))
        seen.append(await read_client_frame(reader))

    server = await raw_server(script)
    async with aiohttp_ws.ws_connect(server.url, max_fragments=10) as ws:
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR and isinstance(msg.data, aiohttp_ws.PayloadTooBig)
    assert ws.close_code == 1009
    assert seen[0][0] == 0x8 and seen[0][1][:2] == (1009).to_bytes(2, "big")
