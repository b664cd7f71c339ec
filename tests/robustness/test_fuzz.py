"""Hypothesis-driven fuzzing of the Sans-I/O parsers: any bytes, split
anywhere, give frames, messages or heads, or one of our typed errors, and
nothing else; memory stays bounded by the bytes fed; the compiled and the
pure-Python frame parsers agree."""

from __future__ import annotations

import sys
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_ws.sansio import frames
from aiohttp_ws.sansio.deflate import DeflateCodec, DeflateParams
from aiohttp_ws.exceptions import HttpProcessingError, InvalidPayloadError, PayloadTooBig, WebSocketError
from aiohttp_ws.sansio.frames import MIN_READ
from aiohttp_ws.sansio.http11 import HeadParser
from aiohttp_ws.models import WSMsgType
from aiohttp_ws.sansio.protocol import WebSocketProtocol

from ..core.test_hot_path import PURE

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Byte streams that look like frames often enough to reach deep states.
frame_like = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.builds(
            lambda op, payload, fin, masked: frames.build_frame(op, payload, masked, fin),
            st.sampled_from([0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0x3]),
            st.binary(max_size=300),
            st.booleans(),
            st.booleans(),
        ),
        st.builds(lambda n: bytes([0x82, 127]) + n.to_bytes(8, "big"), st.integers(0, 2**63 - 1)),
    ),
    max_size=8,
).map(b"".join)
cuts = st.lists(st.integers(1, 400), min_size=1, max_size=6)


def parse_all(
    parser_class: Any, data: bytes, sizes: list[int], limit: int | None
) -> tuple[list[Any], str | None, int]:
    """Read *data* in place in reads of *sizes*; the frames, the error class
    name if one was raised, and the most bytes the parser held at any time.
    The thread's spare buffers (memory that exists already, reused for big
    frames) are emptied first, so what is held is what these bytes caused."""
    module = PURE if parser_class is PURE.FrameParser else sys.modules[parser_class.__module__]
    module._scratch.spares = []
    parser = parser_class(expect_masked=False)
    parser.max_payload = limit
    out: list[Any] = []
    offset = i = held = 0
    try:
        while offset < len(data):
            buf = parser.get_buffer(-1)
            n = min(len(buf), sizes[i % len(sizes)], len(data) - offset)
            buf[:n] = data[offset : offset + n]
            del buf
            offset += n
            i += 1
            parser.buffer_updated(n)
            while (frame := parser.next_frame()) is not None:
                out.append(tuple(frame))
            parser.release_scratch()
            held = max(held, parser.held_bytes)
    except WebSocketError as exc:
        return out, type(exc).__name__, held
    return out, None, held


@FUZZ
@given(data=frame_like, sizes=cuts, limit=st.sampled_from([None, 10_000]))
def test_frame_parsers_agree_and_hold_memory_in_proportion_to_bytes(
    data: bytes, sizes: list[int], limit: int | None
) -> None:
    compiled = parse_all(frames.FrameParser, data, sizes, limit)
    pure = parse_all(PURE.FrameParser, data, sizes, limit)
    assert compiled[:2] == pure[:2]
    for _, _, held in (compiled, pure):
        assert held <= 2 * len(data) + MIN_READ


@FUZZ
@given(data=frame_like, sizes=cuts, role=st.sampled_from(["client", "server"]))
def test_protocol_gives_messages_or_one_typed_error(data: bytes, sizes: list[int], role: str) -> None:
    proto = WebSocketProtocol(is_client=role == "client", max_msg_size=5000, max_fragments=20)
    msgs = []
    offset = i = 0
    while offset < len(data):
        n = sizes[i % len(sizes)]
        msgs += proto.receive_data(data[offset : offset + n])
        offset += n
        i += 1
        proto.data_to_send()
    errors = [m for m in msgs if m.tp is WSMsgType.ERROR]
    assert len(errors) <= 1
    if errors:
        assert msgs[-1] is errors[0] and isinstance(errors[0].data, WebSocketError)
        assert proto.close_code == errors[0].data.code
    for m in msgs:
        if m.tp is WSMsgType.TEXT:
            assert isinstance(m.data, str) and len(m.data.encode()) <= 5000
        elif m.tp is WSMsgType.BINARY:
            assert isinstance(m.data, bytes) and len(m.data) <= 5000


@FUZZ
@given(
    data=st.lists(
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from([b"HTTP/1.1 ", b"101 ", b"100 Continue", b"\r\n", b"\n", b": ", b"Upgrade", b"\x00"]),
        ),
        max_size=30,
    ).map(b"".join),
    sizes=cuts,
)
def test_head_parser_gives_heads_or_http_errors(data: bytes, sizes: list[int]) -> None:
    parser = HeadParser(is_response=True, max_line_size=200, max_headers=10)
    offset = i = 0
    try:
        while offset < len(data):
            n = sizes[i % len(sizes)]
            head = parser.feed(data[offset : offset + n])
            while head is not None:
                assert 100 <= head.status <= 999
                head = parser.feed(b"")
            offset += n
            i += 1
    except HttpProcessingError:
        pass
    assert len(parser._buf) <= len(data) + 1


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=2000).map(lambda b: zlib.compressobj(6, zlib.DEFLATED, -15).compress(b * 50)),
    ),
    limit=st.sampled_from([None, 0, 100, 5000]),
    split=st.integers(0, 400),
)
def test_inflate_gives_bounded_bytes_or_typed_errors(data: bytes, limit: int | None, split: int) -> None:
    codec = DeflateCodec(DeflateParams(), is_client=True)
    try:
        first = codec.decompress(data[:split], final=False, limit=limit)
        left = None if limit is None else limit - len(first)
        second = codec.decompress(data[split:], final=True, limit=left)
    except (InvalidPayloadError, PayloadTooBig):
        return
    if limit is not None:
        assert len(first) + len(second) <= limit
