"""RFC 6455 §5 framing on bytes alone."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_ws.exceptions import InvalidPayloadError, PayloadTooBig, ProtocolError
from aiohttp_ws.sansio.frames import (
    OP_BINARY,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    FrameParser,
    apply_mask,
    build_close_payload,
    build_frame,
    is_valid_close_code,
    masking_key,
    parse_close_payload,
)


def naive_mask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def parse_all(data: bytes, *, from_client: bool = False, chunk: int | None = None) -> list[Frame]:
    parser = FrameParser(expect_masked=from_client)
    frames = []
    step = chunk or max(1, len(data))
    for i in range(0, len(data), step):
        parser.feed(data[i : i + step])
        while (frame := parser.next_frame()) is not None:
            frames.append(frame)
    assert parser.buffered == 0
    return frames


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 126, 1000, 65535, 65536, 100_000])
def test_apply_mask_matches_bytewise_xor(size: int) -> None:
    data = bytes((i * 7) & 0xFF for i in range(size))
    key = b"\x01\x80\xfe\x37"
    assert apply_mask(data, key) == naive_mask(data, key)
    assert apply_mask(apply_mask(data, key), key) == data


@pytest.mark.parametrize(
    "size, header_len, len_byte",
    [(0, 2, 0), (125, 2, 125), (126, 4, 126), (65535, 4, 126), (65536, 10, 127)],
)
def test_payload_length_encodings(size: int, header_len: int, len_byte: int) -> None:
    data = build_frame(OP_BINARY, b"x" * size, mask=False)
    assert data[0] == 0x82
    assert data[1] == len_byte
    assert len(data) == header_len + size
    if header_len == 4:
        assert struct.unpack("!H", data[2:4])[0] == size
    if header_len == 10:
        assert struct.unpack("!Q", data[2:10])[0] == size
    assert parse_all(data) == [Frame(True, OP_BINARY, b"x" * size)]


def test_client_frames_are_masked_with_fresh_keys() -> None:
    a = build_frame(OP_TEXT, b"hello", mask=True)
    b = build_frame(OP_TEXT, b"hello", mask=True)
    assert a[1] & 0x80 and b[1] & 0x80
    assert a[2:6] != b[2:6]
    assert naive_mask(a[6:], a[2:6]) == b"hello"
    assert parse_all(a, from_client=True) == [Frame(True, OP_TEXT, b"hello")]


def test_masking_keys_are_unique_over_many_draws() -> None:
    keys = {masking_key() for _ in range(3000)}
    assert len(keys) > 2990  # 32-bit random keys: collisions are vanishingly rare
    assert all(len(k) == 4 for k in keys)


def test_fin_and_rsv1_bits_serialized() -> None:
    data = build_frame(OP_TEXT, b"a", mask=False, fin=False, rsv1=True)
    assert data[0] == 0x41
    parser = FrameParser(expect_masked=False, allowed_rsv=0x40)
    parser.feed(data)
    assert parser.next_frame() == Frame(False, OP_TEXT, b"a", True, False, False)


def test_split_at_every_byte() -> None:
    stream = (
        build_frame(OP_TEXT, "héllo".encode(), mask=True)
        + build_frame(OP_BINARY, bytes(300), mask=True, fin=False)
        + build_frame(OP_PING, b"p", mask=True)
        + build_frame(OP_CONTINUATION, bytes(70000), mask=True)
    )
    expected = parse_all(stream, from_client=True)
    assert [f.opcode for f in expected] == [OP_TEXT, OP_BINARY, OP_PING, OP_CONTINUATION]
    for cut in range(1, 320):
        parser = FrameParser(expect_masked=True)
        parser.feed(stream[:cut])
        got = []
        while (frame := parser.next_frame()) is not None:
            got.append(frame)
        parser.feed(stream[cut:])
        while (frame := parser.next_frame()) is not None:
            got.append(frame)
        assert got == expected, cut
    assert parse_all(stream, from_client=True, chunk=1) == expected


@given(
    frames=st.lists(
        st.tuples(
            st.sampled_from([OP_TEXT, OP_BINARY, OP_CONTINUATION, OP_PING, OP_PONG]),
            st.binary(max_size=300),
            st.booleans(),
        ),
        max_size=8,
    ),
    chunk=st.integers(min_value=1, max_value=64),
    masked=st.booleans(),
)
def test_serialize_parse_round_trip(frames: list[tuple[int, bytes, bool]], chunk: int, masked: bool) -> None:
    sent = []
    for opcode, payload, fin in frames:
        if opcode >= 8:
            payload, fin = payload[:125], True
        sent.append(Frame(fin, opcode, payload))
    stream = b"".join(build_frame(f.opcode, f.payload, mask=masked, fin=f.fin) for f in sent)
    assert parse_all(stream, from_client=masked, chunk=chunk) == sent


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x81\x85abcd", "masked frame from a server"),
        (b"\xc1\x00", "reserved bits"),
        (b"\xa1\x00", "reserved bits"),
        (b"\x91\x00", "reserved bits"),
        (b"\x83\x00", "unknown opcode"),
        (b"\x87\x00", "unknown opcode"),
        (b"\x8b\x00", "unknown opcode"),
        (b"\x8f\x00", "unknown opcode"),
        (b"\x09\x00", "fragmented control frame"),
        (b"\x08\x00", "fragmented control frame"),
        (b"\x89\x7e\x00\x7e", "over 125 bytes"),
        (b"\x88\x7f", "over 125 bytes"),
        (b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", "most significant bit"),
    ],
)
def test_header_violations_are_protocol_errors(data: bytes, message: str) -> None:
    parser = FrameParser(expect_masked=False)
    parser.feed(data)
    with pytest.raises(ProtocolError, match=message) as info:
        parser.next_frame()
    assert info.value.code == 1002


def test_unmasked_frame_from_client_rejected() -> None:
    parser = FrameParser(expect_masked=True)
    parser.feed(b"\x81\x00")
    with pytest.raises(ProtocolError, match="unmasked"):
        parser.next_frame()


def test_header_rule_checked_before_payload_arrives() -> None:
    parser = FrameParser(expect_masked=False)
    parser.feed(b"\x81\xfe")  # masked bit set; length bytes not here yet
    with pytest.raises(ProtocolError):
        parser.next_frame()


def test_max_payload_checked_on_declared_length_before_buffering() -> None:
    parser = FrameParser(expect_masked=False)
    parser.max_payload = 1000
    parser.feed(b"\x82\x7f" + struct.pack("!Q", 1001))  # no payload yet
    with pytest.raises(PayloadTooBig) as info:
        parser.next_frame()
    assert info.value.code == 1009
    parser = FrameParser(expect_masked=False)
    parser.max_payload = 1000
    parser.feed(build_frame(OP_BINARY, bytes(1000), mask=False))
    assert parser.next_frame() == Frame(True, OP_BINARY, bytes(1000))


def test_max_payload_does_not_apply_to_control_frames() -> None:
    parser = FrameParser(expect_masked=False)
    parser.max_payload = 0
    parser.feed(build_frame(OP_PING, b"x" * 125, mask=False))
    assert parser.next_frame() == Frame(True, OP_PING, b"x" * 125)


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    assert is_valid_close_code(code)
    assert parse_close_payload(build_close_payload(code, "bye")) == (code, "bye")


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])
def test_invalid_close_codes(code: int) -> None:
    assert not is_valid_close_code(code)
    with pytest.raises(ProtocolError):
        parse_close_payload(struct.pack("!H", code))
    with pytest.raises(ValueError):
        build_close_payload(code)


def test_close_payload_edge_cases() -> None:
    assert parse_close_payload(b"") == (1005, "")
    with pytest.raises(ProtocolError, match="1 byte"):
        parse_close_payload(b"\x03")
    with pytest.raises(InvalidPayloadError) as info:
        parse_close_payload(b"\x03\xe8\xff\xfe")
    assert info.value.code == 1007
    assert build_close_payload(None) == b""
    with pytest.raises(ValueError):
        build_close_payload(None, "reason without code")
    assert len(build_close_payload(1000, "r" * 123)) == 125
    with pytest.raises(ValueError, match="123"):
        build_close_payload(1000, "r" * 124)
    with pytest.raises(ValueError, match="123"):
        build_close_payload(1000, "é" * 62)  # 124 bytes in UTF-8


def read_in_place(parser: FrameParser, stream: bytes, sizes: list[int]) -> list[Frame]:
    """Deliver *stream* as a transport does with asyncio.BufferedProtocol."""
    frames, offset, i = [], 0, 0
    while offset < len(stream):
        buf = parser.get_buffer(-1)
        n = min(len(buf), sizes[i % len(sizes)], len(stream) - offset)
        buf[:n] = stream[offset : offset + n]
        del buf
        offset += n
        i += 1
        parser.buffer_updated(n)
        while (frame := parser.next_frame()) is not None:
            frames.append(frame)
        parser.release_scratch()
    return frames


@given(
    frames=st.lists(
        st.tuples(st.sampled_from([OP_TEXT, OP_BINARY, OP_PING]), st.binary(max_size=2000), st.booleans()),
        max_size=6,
    ),
    sizes=st.lists(st.integers(1, 5000), min_size=1, max_size=5),
    masked=st.booleans(),
)
def test_reading_in_place_matches_feeding(frames: list[tuple[int, bytes, bool]], sizes: list[int], masked: bool) -> None:
    sent = [Frame(True if op >= 8 else fin, op, p[:125] if op >= 8 else p) for op, p, fin in frames]
    stream = b"".join(build_frame(f.opcode, f.payload, masked, f.fin) for f in sent)
    assert read_in_place(FrameParser(expect_masked=masked), stream, sizes) == sent


def test_large_frame_read_in_place_and_no_buffer_kept_when_idle() -> None:
    parser = FrameParser(expect_masked=False)
    big = bytes(range(256)) * 8192  # 2 MiB: larger than the scratch buffer
    stream = build_frame(OP_BINARY, big, False) + build_frame(OP_TEXT, b"tail", False)
    assert read_in_place(parser, stream, [300_000]) == [Frame(True, OP_BINARY, big), Frame(True, OP_TEXT, b"tail")]
    assert parser.held_bytes == 0 and parser.buffered == 0  # idle: nothing held


def test_partial_frame_kept_across_reads_with_pending_payload() -> None:
    parser = FrameParser(expect_masked=True)
    data = build_frame(OP_TEXT, b"hello world", True)
    buf = parser.get_buffer(-1)
    buf[:9] = data[:9]
    del buf
    parser.buffer_updated(9)
    assert parser.next_frame() is None
    parser.release_scratch()  # the partial frame moves to the parser's own buffer
    assert parser.pending_frame() == (OP_TEXT, False)
    assert parser.pending_payload(0) == b"hel"
    assert parser.pending_payload(1) == b"el"
    assert read_in_place(parser, data[9:], [1]) == [Frame(True, OP_TEXT, b"hello world")]
