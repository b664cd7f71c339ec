"""Streamed receive and sending in parts, on bytes alone (client core
paired with a server core, and zlib as the independent inflater)."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_ws.exceptions import InvalidStateError, PayloadTooBig
from aiohttp_ws.models import WSMsgType
from aiohttp_ws.sansio.deflate import DeflateParams
from aiohttp_ws.sansio.frames import OP_BINARY, OP_CONTINUATION, OP_TEXT
from aiohttp_ws.sansio.protocol import WebSocketProtocol

CHUNK = WSMsgType.CONTINUATION


def pair(deflate: DeflateParams | None = None, **kw: object) -> tuple[WebSocketProtocol, WebSocketProtocol]:
    return (
        WebSocketProtocol(is_client=True, deflate=deflate),
        WebSocketProtocol(is_client=False, deflate=deflate, **kw),  # type: ignore[arg-type]
    )


def test_text_split_inside_a_character_streams_whole_characters() -> None:
    client, server = pair()
    server.stream_fragments = True
    data = "naïve café ☕".encode()
    cut = data.index("☕".encode()) + 1  # inside the 3-byte character
    wire = client.send_message_part(data[:cut], OP_TEXT, fin=False) + client.send_message_part(data[cut:], OP_TEXT, fin=True)
    msgs = server.receive_data(wire)
    assert [(m.tp, m.data, m.extra) for m in msgs] == [
        (CHUNK, "naïve café ", (WSMsgType.TEXT, False)),
        (CHUNK, "☕", (WSMsgType.TEXT, True)),
    ]


def test_streamed_binary_keeps_only_the_current_frame_and_limits_the_whole() -> None:
    client, server = pair(max_msg_size=2500)
    server.stream_fragments = True
    parts = [client.send_message_part(b"x" * 1000, OP_BINARY, fin=False) for _ in range(2)]
    msgs = server.receive_data(b"".join(parts))
    assert [len(m.data) for m in msgs] == [1000, 1000] and all(m.extra == (WSMsgType.BINARY, False) for m in msgs)
    over = server.receive_data(client.send_message_part(b"x" * 1000, OP_BINARY, fin=True))
    assert over[-1].tp is WSMsgType.ERROR and isinstance(over[-1].data, PayloadTooBig)  # 3000 > 2500


def test_unfragmented_messages_stay_whole_when_streaming() -> None:
    client, server = pair()
    server.stream_fragments = True
    msgs = server.receive_data(client.send_message(b"one frame", OP_BINARY))
    assert [(m.tp, m.data) for m in msgs] == [(WSMsgType.BINARY, b"one frame")]


@pytest.mark.parametrize("takeover", [True, False])
def test_compressed_parts_roundtrip_and_match_zlib(takeover: bool) -> None:
    params = DeflateParams(client_no_context_takeover=not takeover)
    for streaming in (False, True):
        client, server = pair(params)
        server.stream_fragments = streaming
        for round_ in range(3):  # context takeover across messages
            pieces = [f"part {i} of message {round_} ".encode() * 20 for i in range(4)]
            wire = b"".join(
                client.send_message_part(p, OP_BINARY, fin=i == len(pieces) - 1) for i, p in enumerate(pieces)
            )
            msgs = server.receive_data(wire)
            if streaming:
                assert b"".join(m.data for m in msgs) == b"".join(pieces) and msgs[-1].extra == (WSMsgType.BINARY, True)
            else:
                assert [(m.tp, m.data) for m in msgs] == [(WSMsgType.BINARY, b"".join(pieces))]
    # RSV1 on the first frame only (RFC 7692 §6.1), and the parts are one DEFLATE stream
    client, _ = pair(params)
    frames = [client.send_message_part(b"abc" * 50, OP_TEXT, fin=False), client.send_message_part(b"def" * 50, OP_TEXT, fin=True)]
    heads = [f[0] for f in frames]
    assert heads[0] & 0x40 and heads[0] & 0x0F == OP_TEXT and not heads[1] & 0x40 and heads[1] & 0x0F == OP_CONTINUATION


def test_control_frames_may_interleave_but_data_may_not() -> None:
    client, server = pair()
    first = client.send_message_part(b"a", OP_TEXT, fin=False)
    ping = client.send_ping(b"mid")
    with pytest.raises(InvalidStateError):
        client.send_message(b"other", OP_TEXT)
    last = client.send_message_part(b"b", OP_TEXT, fin=True)
    msgs = server.receive_data(first + ping + last)
    assert [(m.tp, m.data) for m in msgs] == [(WSMsgType.PING, b"mid"), (WSMsgType.TEXT, "ab")]


@given(
    pieces=st.lists(st.binary(max_size=300), min_size=1, max_size=8),
    compress=st.booleans(),
)
def test_any_split_streams_back_to_the_same_bytes(pieces: list[bytes], compress: bool) -> None:
    client, server = pair(DeflateParams() if compress else None)
    server.stream_fragments = True
    wire = b"".join(client.send_message_part(p, OP_BINARY, fin=i == len(pieces) - 1) for i, p in enumerate(pieces))
    msgs = server.receive_data(wire)
    data = b"".join(m.data for m in msgs)
    assert data == b"".join(pieces)
    assert msgs[-1].extra in ((WSMsgType.BINARY, True), None)  # one frame, uncompressed: a whole BINARY message


def test_parts_inflate_with_plain_zlib() -> None:
    """Our parts are exactly a raw DEFLATE stream that zlib inflates (with the tail put back)."""
    client, _ = pair(DeflateParams())
    parts = [client.send_message_part(b"hello " * 30, OP_BINARY, fin=False), client.send_message_part(b"world" * 30, OP_BINARY, fin=True)]
    payloads = [p[6:] if p[1] & 0x7F < 126 else p[8:] for p in parts]  # strip header and mask key
    keys = [p[2:6] if p[1] & 0x7F < 126 else p[4:8] for p in parts]
    raw = b"".join(bytes(b ^ k[i % 4] for i, b in enumerate(pl)) for pl, k in zip(payloads, keys))
    assert zlib.decompressobj(-15).decompress(raw + b"\x00\x00\xff\xff") == b"hello " * 30 + b"world" * 30
