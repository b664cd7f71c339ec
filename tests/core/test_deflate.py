"""permessage-deflate (RFC 7692) on bytes alone: negotiation and codec."""

from __future__ import annotations

import json
import tracemalloc
import zlib

import pytest

from aiohttp_ws.sansio.deflate import (
    DEFAULT_LEVEL,
    DeflateCodec,
    DeflateParams,
    NegotiationError,
    PerMessageDeflate,
    format_offers,
    negotiate_client,
    negotiate_server,
    offers_from,
    parse_extensions,
)
from aiohttp_ws.exceptions import InvalidPayloadError, PayloadTooBig
from aiohttp_ws.sansio.frames import OP_BINARY, OP_CONTINUATION, OP_PING, OP_TEXT, build_frame
from aiohttp_ws.models import WSMessage, WSMsgType
from aiohttp_ws.sansio.protocol import WebSocketProtocol

# -- header syntax (RFC 6455 §9.1) ------------------------------------------------


def test_parse_extensions_abnf() -> None:
    assert parse_extensions(['permessage-deflate ; client_max_window_bits ;server_max_window_bits="10" , x-y',
                             ", ,permessage-deflate"]) == [
        ("permessage-deflate", [("client_max_window_bits", None), ("server_max_window_bits", "10")]),
        ("x-y", []),
        ("permessage-deflate", []),
    ]
    assert parse_extensions([]) == [] and parse_extensions([""]) == []


@pytest.mark.parametrize(
    "value",
    ["permessage-deflate;", "permessage-deflate; =1", 'permessage-deflate; a="unterminated',
     'permessage-deflate; a="not a token"', "permessage deflate", "permessage-deflate; a=1=2", "@"],
)
def test_parse_extensions_rejects_malformed(value: str) -> None:
    with pytest.raises(NegotiationError):
        parse_extensions([value])


# -- offers ------------------------------------------------------------------------


def test_offer_header_values() -> None:
    assert PerMessageDeflate().header_value() == "permessage-deflate; client_max_window_bits"
    assert PerMessageDeflate(
        client_max_window_bits=12, server_max_window_bits=10,
        client_no_context_takeover=True, server_no_context_takeover=True,
    ).header_value() == (
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover; "
        "client_max_window_bits=12; server_max_window_bits=10"
    )
    assert PerMessageDeflate(client_max_window_bits=False).header_value() == "permessage-deflate"
    assert format_offers([PerMessageDeflate.from_compress(10), PerMessageDeflate.from_compress(15)]) == (
        "permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
        "permessage-deflate; client_max_window_bits"
    )


def test_offer_validation_and_compress_argument() -> None:
    for bad in ({"client_max_window_bits": 8}, {"client_max_window_bits": 16}, {"server_max_window_bits": 7},
                {"server_max_window_bits": 16}, {"level": 10}):
        with pytest.raises(ValueError):
            PerMessageDeflate(**bad)  # type: ignore[arg-type]
    assert offers_from(0) == ()
    assert offers_from(15) == (PerMessageDeflate(),)
    assert offers_from(9) == (PerMessageDeflate(server_max_window_bits=9),)
    assert offers_from([PerMessageDeflate(level=1)]) == (PerMessageDeflate(level=1),)
    for bad_compress in (8, 16, -1):
        with pytest.raises(ValueError):
            offers_from(bad_compress)
    with pytest.raises(TypeError):
        offers_from(["permessage-deflate"])  # type: ignore[list-item]


# -- client side of the negotiation (RFC 7692 §5, §7.1) ------------------------------

PLAIN = PerMessageDeflate()


def test_client_accepts_valid_responses() -> None:
    assert negotiate_client([PLAIN], []) is None
    assert negotiate_client([PLAIN], ["permessage-deflate"]) == DeflateParams()
    assert negotiate_client([PLAIN], [
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        'server_max_window_bits=9; client_max_window_bits="10"'
    ]) == DeflateParams(10, 9, True, True)
    hinted = PerMessageDeflate(client_no_context_takeover=True)
    assert negotiate_client([hinted], ["permessage-deflate"]).client_no_context_takeover  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "response",
    [
        "x-webkit-deflate-frame",
        "permessage-deflate, permessage-deflate",
        "permessage-deflate; unknown_param",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=09",
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits",  # a response needs a value
        "permessage-deflate; client_max_window_bits=8; client_max_window_bits=8",
    ],
)
def test_client_rejects_invalid_responses(response: str) -> None:
    with pytest.raises(NegotiationError):
        negotiate_client([PLAIN], [response])


def test_client_rejects_responses_that_fit_no_offer() -> None:
    with pytest.raises(NegotiationError):  # nothing offered
        negotiate_client([], ["permessage-deflate"])
    with pytest.raises(NegotiationError):  # client_max_window_bits not offered
        negotiate_client([PerMessageDeflate(client_max_window_bits=False)], ["permessage-deflate; client_max_window_bits=10"])
    with pytest.raises(NegotiationError):  # larger than asked for
        negotiate_client([PerMessageDeflate(server_max_window_bits=10)], ["permessage-deflate; server_max_window_bits=11"])
    with pytest.raises(NegotiationError):  # asked for, not granted
        negotiate_client([PerMessageDeflate(server_max_window_bits=10)], ["permessage-deflate"])
    with pytest.raises(NegotiationError):
        negotiate_client([PerMessageDeflate(server_no_context_takeover=True)], ["permessage-deflate"])


def test_client_uses_the_first_offer_the_response_fits() -> None:
    strict = PerMessageDeflate(server_max_window_bits=10, server_no_context_takeover=True, level=1)
    loose = PerMessageDeflate(client_max_window_bits=False, level=9)
    assert negotiate_client([strict, loose], ["permessage-deflate"]) == DeflateParams(level=9)
    got = negotiate_client([strict, loose], ["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"])
    assert got == DeflateParams(15, 10, False, True, level=1)


# -- server side -------------------------------------------------------------------------


def test_server_takes_first_acceptable_offer() -> None:
    header = [
        "permessage-deflate; bogus, permessage-deflate; server_max_window_bits=8, "
        "permessage-deflate; client_max_window_bits; server_max_window_bits=11; server_no_context_takeover"
    ]
    params = negotiate_server(header)
    assert params == DeflateParams(15, 11, False, True)
    assert params is not None and params.response_value() == (
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=11"
    )
    assert negotiate_server(["x-other"]) is None
    assert negotiate_server(["permessage-deflate; server_max_window_bits=8"]) is None
    assert negotiate_server(["permessage-deflate; client_max_window_bits=9"]) == DeflateParams(9, 15)
    with pytest.raises(NegotiationError):
        negotiate_server(['permessage-deflate; x="'])
    own = negotiate_server(["permessage-deflate"], PerMessageDeflate(server_max_window_bits=10, client_no_context_takeover=True))
    assert own == DeflateParams(15, 10, True, False)


def test_client_and_server_negotiation_agree() -> None:
    for offer in (PLAIN, PerMessageDeflate(12, 10, True, True), PerMessageDeflate(client_max_window_bits=False)):
        server_params = negotiate_server([format_offers([offer])])
        assert server_params is not None
        assert negotiate_client([offer], [server_params.response_value()]) == server_params


# -- codec (RFC 7692 §7.2) --------------------------------------------------------------------


def pair(params: DeflateParams) -> tuple[DeflateCodec, DeflateCodec]:
    return DeflateCodec(params, is_client=True), DeflateCodec(params, is_client=False)


def test_codec_round_trip_with_context_takeover() -> None:
    client, server = pair(DeflateParams())
    text = b"the same words again and again " * 20
    first, second = client.compress(text), client.compress(text)
    assert len(second) < len(first) < len(text)  # the second refers to the first
    assert server.decompress(first, final=True, limit=None) == text
    assert server.decompress(second, final=True, limit=None) == text
    assert not first.endswith(b"\x00\x00\xff\xff")  # the tail is removed (§7.2.1)


def test_default_level_is_1_and_level_is_honoured() -> None:
    """The default level compresses exactly as zlib's level 1 does; an
    explicit level 9 gives zlib's level-9 bytes (which are smaller here)."""
    records = [{"id": i, "symbol": "BTC-USD" if i % 3 else "ETH-USD", "price": 60000 + i * 0.25} for i in range(2000)]
    data = json.dumps(records).encode()

    def zlib_at(level: int) -> bytes:
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        return (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]

    assert PerMessageDeflate().level == DEFAULT_LEVEL == 1
    default = DeflateCodec(DeflateParams(), is_client=True).compress(data)
    best = DeflateCodec(DeflateParams(level=9), is_client=True).compress(data)
    assert default == zlib_at(1)
    assert best == zlib_at(9)
    assert len(best) < len(default) < len(data) // 4
    client, server = pair(DeflateParams())
    assert server.decompress(client.compress(data), final=True, limit=None) == data


def test_codec_without_context_takeover_is_message_by_message() -> None:
    client, _ = pair(DeflateParams(client_no_context_takeover=True))
    text = b"the same words again and again " * 20
    first, second = client.compress(text), client.compress(text)
    assert first == second
    fresh = DeflateCodec(DeflateParams(), is_client=False)
    assert fresh.decompress(second, final=True, limit=None) == text  # needs no earlier context


def test_codec_fragmented_inflate_and_empty_message() -> None:
    client, server = pair(DeflateParams(server_no_context_takeover=True))
    data = bytes(range(256)) * 100
    payload = client.compress(data)
    parts = [payload[:10], payload[10:500], payload[500:]]
    out = b"".join(server.decompress(p, final=i == 2, limit=None) for i, p in enumerate(parts))
    assert out == data
    assert server.decompress(client.compress(b""), final=True, limit=None) == b""


def test_eight_bit_client_window_means_uncompressed_messages() -> None:
    client, server = pair(DeflateParams(client_max_window_bits=8))
    assert not client.can_compress and server.can_compress
    assert client.local_bits == 8


def test_inflate_limit_is_inclusive() -> None:
    client, _ = pair(DeflateParams())
    payload = client.compress(bytes(1000))
    assert len(DeflateCodec(DeflateParams(), is_client=False).decompress(payload, final=True, limit=1000)) == 1000
    with pytest.raises(PayloadTooBig):
        DeflateCodec(DeflateParams(), is_client=False).decompress(payload, final=True, limit=999)


def gigabyte_bomb() -> bytes:
    """1 GiB of zeros in about 1 MiB: one 16 MiB full-flush block, 64 times."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(16 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
    return block * 64


def test_decompression_bomb_allocates_no_more_than_the_limit() -> None:
    bomb = gigabyte_bomb()
    assert len(bomb) < 1100 * 1024
    limit = 1 << 20
    codec = DeflateCodec(DeflateParams(), is_client=True)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooBig):
            codec.decompress(bomb, final=True, limit=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit + 512 * 1024  # the limit plus one output piece (and its bytes object)


def test_corrupt_stream_is_1007() -> None:
    codec = DeflateCodec(DeflateParams(), is_client=True)
    with pytest.raises(InvalidPayloadError) as info:
        codec.decompress(b"\xff\xff\xff\xff", final=True, limit=None)
    assert info.value.code == 1007


# -- in the protocol ------------------------------------------------------------------------------


def deflating_pair(params: DeflateParams | None = None, **kw: object) -> tuple[WebSocketProtocol, WebSocketProtocol]:
    params = params or DeflateParams()
    return (WebSocketProtocol(is_client=True, deflate=params, **kw),  # type: ignore[arg-type]
            WebSocketProtocol(is_client=False, deflate=params, **kw))  # type: ignore[arg-type]


def test_protocol_pair_compresses_and_sets_rsv1_on_first_frame_only() -> None:
    client, server = deflating_pair()
    data = client.send_message("héllo héllo héllo".encode(), OP_TEXT)
    assert data[0] == 0x80 | 0x40 | OP_TEXT
    assert server.receive_data(data) == [WSMessage(WSMsgType.TEXT, "héllo héllo héllo", None)]
    plain = client.send_message(b"raw", OP_BINARY, compress=0)
    assert plain[0] == 0x80 | OP_BINARY
    assert server.receive_data(plain) == [WSMessage(WSMsgType.BINARY, b"raw", None)]
    # a compressed message split over frames, with a ping in between
    codec = DeflateCodec(DeflateParams(), is_client=False)
    payload = codec.compress("ünïcode text, fragmented".encode())
    frames = (build_frame(OP_TEXT, payload[:5], mask=False, fin=False, rsv1=True)
              + build_frame(OP_PING, b"", mask=False)
              + build_frame(OP_CONTINUATION, payload[5:], mask=False))
    fresh, _ = deflating_pair()
    assert fresh.receive_data(frames)[-1] == WSMessage(WSMsgType.TEXT, "ünïcode text, fragmented", None)


@pytest.mark.parametrize(
    "data, code",
    [
        (build_frame(OP_TEXT, b"x", mask=False, fin=False, rsv1=True)
         + build_frame(OP_CONTINUATION, b"y", mask=False, rsv1=True), 1002),  # RSV1 on a continuation
        (build_frame(OP_PING, b"", mask=False, rsv1=True), 1002),  # RSV1 on a control frame
        (build_frame(OP_TEXT, b"\xff\xff\xff", mask=False, rsv1=True), 1007),  # corrupt stream
    ],
)
def test_protocol_deflate_violations(data: bytes, code: int) -> None:
    client, _ = deflating_pair()
    msgs = client.receive_data(data)
    assert msgs[-1].tp is WSMsgType.ERROR and client.close_code == code


def test_protocol_limit_applies_to_inflated_size() -> None:
    codec = DeflateCodec(DeflateParams(), is_client=False)
    exact = build_frame(OP_BINARY, codec.compress(bytes(5000)), mask=False, rsv1=True)
    client, _ = deflating_pair(max_msg_size=5000)
    assert client.receive_data(exact) == [WSMessage(WSMsgType.BINARY, bytes(5000), None)]
    over = build_frame(OP_BINARY, codec.compress(bytes(5001)), mask=False, rsv1=True)
    assert client.receive_data(over)[-1].data.code == 1009
    # incompressible data at exactly the limit: its deflated form is a little larger, and passes
    noise = bytes((i * 7919 + (i >> 8) * 31) & 0xFF for i in range(5000))
    fresh = DeflateCodec(DeflateParams(), is_client=False)
    client, _ = deflating_pair(max_msg_size=5000)
    assert client.receive_data(build_frame(OP_BINARY, fresh.compress(noise), mask=False, rsv1=True))[0].data == noise


def test_invalid_utf8_inside_compressed_text_is_1007() -> None:
    codec = DeflateCodec(DeflateParams(), is_client=False)
    client, _ = deflating_pair()
    msgs = client.receive_data(build_frame(OP_TEXT, codec.compress(b"ok \xc3\x28"), mask=False, rsv1=True))
    assert msgs[-1].data.code == 1007


def raw_deflate_final(data: bytes) -> bytes:
    """*data* as one complete raw DEFLATE stream (last block with BFINAL set)."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(zlib.Z_FINISH)


@pytest.mark.parametrize("limit", [None, 10_000_000])
def test_bfinal_block_then_empty_stored_block_is_accepted(limit: int | None) -> None:
    """RFC 7692 §7.2.3.4: "Hello" in a block with BFINAL set, then 0x00."""
    payload = bytes([0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00])
    (dec, _) = pair(DeflateParams())
    assert dec.decompress(payload, final=True, limit=limit) == b"Hello"
    assert dec.decompress(raw_deflate_final(b"again"), final=True, limit=limit) == b"again"


@pytest.mark.parametrize("limit", [None, 10_000_000])
@pytest.mark.parametrize("split", [None, 7, 64 * 1024 + 3])
def test_many_complete_deflate_streams_in_one_message_fail_never_truncate(limit: int | None, split: int | None) -> None:
    """50,000 streams of 16 bytes each, concatenated: zlib stops at the first
    BFINAL; the message must fail with 1007, not arrive as 16 bytes of 800,000."""
    payload = b"".join(raw_deflate_final(i.to_bytes(4, "big") * 4) for i in range(50_000))
    (dec, _) = pair(DeflateParams())
    with pytest.raises(InvalidPayloadError):
        if split is None:
            dec.decompress(payload, final=True, limit=limit)
        else:
            dec.decompress(payload[:split], final=False, limit=limit)
            dec.decompress(payload[split:], final=True, limit=limit)


def test_many_deflate_streams_fail_the_connection_with_1007() -> None:
    client, _server = deflating_pair()
    payload = b"".join(raw_deflate_final(bytes(16)) for _ in range(1000))
    msgs = client.receive_data(build_frame(OP_BINARY, payload, mask=False, rsv1=True))
    assert [m.tp for m in msgs] == [WSMsgType.ERROR]
    assert client.close_code == 1007
