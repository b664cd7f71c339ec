"""The state machine on bytes alone: a client core paired with a server core."""

from __future__ import annotations

import pytest

from aiohttp_ws.exceptions import InvalidStateError
from aiohttp_ws.sansio.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameParser,
    build_frame,
)
from aiohttp_ws.models import WSMessage, WSMsgType
from aiohttp_ws.sansio.protocol import State, WebSocketProtocol


def client(**kw: object) -> WebSocketProtocol:
    return WebSocketProtocol(is_client=True, **kw)  # type: ignore[arg-type]


def server(**kw: object) -> WebSocketProtocol:
    return WebSocketProtocol(is_client=False, **kw)  # type: ignore[arg-type]


def frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A frame as a server sends it (unmasked)."""
    return build_frame(opcode, payload, mask=False, fin=fin)


def sent_frames(data: list[bytes], *, masked: bool = False) -> list[tuple[int, bytes]]:
    parser = FrameParser(expect_masked=masked)
    parser.feed(b"".join(data))
    out = []
    while (f := parser.next_frame()) is not None:
        out.append((f.opcode, f.payload))
    return out


def test_pair_exchanges_text_and_binary() -> None:
    c, s = client(), server()
    assert s.receive_data(c.send_message("héllo".encode(), OP_TEXT)) == [WSMessage(WSMsgType.TEXT, "héllo", None)]
    assert c.receive_data(s.send_message(b"\x00\x01", OP_BINARY)) == [WSMessage(WSMsgType.BINARY, b"\x00\x01", None)]


def test_fragmented_message_reassembled_with_control_frame_in_between() -> None:
    c = client()
    data = (
        frame(OP_TEXT, "h\xe9".encode()[:2], fin=False)
        + frame(OP_PING, b"p")
        + frame(OP_CONTINUATION, "h\xe9".encode()[2:] + b"llo", fin=False)
        + frame(OP_CONTINUATION, b"!", fin=True)
    )
    msgs = c.receive_data(data)
    assert msgs == [WSMessage(WSMsgType.PING, b"p", None), WSMessage(WSMsgType.TEXT, "héllo!", None)]
    assert sent_frames(c.data_to_send(), masked=True) == [(OP_PONG, b"p")]


def test_utf8_code_point_split_across_fragments() -> None:
    euro = "€".encode()  # 3 bytes
    c = client()
    msgs = c.receive_data(
        frame(OP_TEXT, euro[:1], fin=False) + frame(OP_CONTINUATION, euro[1:2], fin=False) + frame(OP_CONTINUATION, euro[2:])
    )
    assert msgs == [WSMessage(WSMsgType.TEXT, "€", None)]


def test_invalid_utf8_fails_fast_mid_message() -> None:
    c = client()
    assert c.receive_data(frame(OP_TEXT, b"ok", fin=False)) == []
    msgs = c.receive_data(frame(OP_CONTINUATION, b"\xff", fin=False))  # not the last fragment
    assert [m.tp for m in msgs] == [WSMsgType.ERROR]
    assert c.close_code == 1007 and c.failing and c.state is State.CLOSING
    assert sent_frames([c.finish_failure()], masked=True)[0][1][:2] == b"\x03\xef"
    assert c.state is State.CLOSED and not c.failing


def test_invalid_utf8_single_frame_is_1007() -> None:
    c = client()
    msgs = c.receive_data(frame(OP_BINARY, b"fine") + frame(OP_TEXT, b"\xed\xa0\x80"))  # a UTF-16 surrogate
    assert [m.tp for m in msgs] == [WSMsgType.BINARY, WSMsgType.ERROR]
    assert msgs[0].data == b"fine"  # messages before the violation are delivered
    assert msgs[1].data.code == 1007


@pytest.mark.parametrize(
    "data",
    [
        frame(OP_CONTINUATION, b"x"),  # continuation without a message
        frame(OP_TEXT, b"a", fin=False) + frame(OP_TEXT, b"b"),  # new data frame inside a message
        frame(OP_BINARY, b"a", fin=False) + frame(OP_BINARY, b"b", fin=False),
        build_frame(OP_TEXT, b"masked", mask=True),  # masked frame from a server
        bytes([0x80 | 0x40 | OP_TEXT, 0]),  # RSV1 without an extension
        bytes([OP_PING, 0]),  # fragmented control frame
        bytes([0x80 | OP_PING, 126, 0, 126]) + bytes(126),  # oversized control frame
        frame(OP_CLOSE, b"\x03"),  # 1-byte close payload
        frame(OP_CLOSE, b"\x03\xed"),  # 1005 on the wire
        frame(OP_CLOSE, b"\x03\xee"),  # 1006 on the wire
        frame(OP_CLOSE, b"\x03\xf7"),  # 1015 on the wire
        frame(OP_CLOSE, b"\x03\xe7"),  # 999
        frame(OP_CLOSE, b"\x07\xd0"),  # 2000, unassigned
        frame(OP_CLOSE, b"\x13\x88"),  # 5000
    ],
)
def test_violations_fail_with_1002(data: bytes) -> None:
    c = client()
    msgs = c.receive_data(data)
    assert msgs[-1].tp is WSMsgType.ERROR
    assert c.close_code == 1002
    assert c.exception is msgs[-1].data
    assert c.failing and c.data_to_send() == []
    (opcode, payload), = sent_frames([c.finish_failure()], masked=True)
    assert opcode == OP_CLOSE and payload[:2] == b"\x03\xea"
    assert c.state is State.CLOSED and c.finish_failure() == b""
    assert c.receive_data(frame(OP_TEXT, b"after")) == []  # bytes after a failure are ignored


def test_invalid_utf8_close_reason_is_1007() -> None:
    c = client()
    c.receive_data(frame(OP_CLOSE, b"\x03\xe8\xc3"))
    assert c.close_code == 1007


def test_ping_answered_and_pong_reported() -> None:
    c = client()
    msgs = c.receive_data(frame(OP_PING, b"abc") + frame(OP_PONG, b"xyz"))
    assert msgs == [WSMessage(WSMsgType.PING, b"abc", None), WSMessage(WSMsgType.PONG, b"xyz", None)]
    assert sent_frames(c.data_to_send(), masked=True) == [(OP_PONG, b"abc")]


def test_no_automatic_pong_without_autoping() -> None:
    c = client(autoping=False)
    assert c.receive_data(frame(OP_PING, b"abc")) == [WSMessage(WSMsgType.PING, b"abc", None)]
    assert c.data_to_send() == []


def test_peer_initiated_close_answered_with_same_code() -> None:
    c = client()
    msgs = c.receive_data(frame(OP_CLOSE, b"\x0f\xa0bye") + frame(OP_TEXT, b"ignored"))
    assert msgs == [WSMessage(WSMsgType.CLOSE, 4000, "bye")]
    assert c.state is State.CLOSED and c.close_code == 4000 and c.close_reason == "bye"
    assert sent_frames(c.data_to_send(), masked=True) == [(OP_CLOSE, b"\x0f\xa0")]


def test_empty_close_means_1005_and_is_answered_empty() -> None:
    c = client()
    assert c.receive_data(frame(OP_CLOSE)) == [WSMessage(WSMsgType.CLOSE, 1005, "")]
    assert sent_frames(c.data_to_send(), masked=True) == [(OP_CLOSE, b"")]


def test_close_without_autoclose_waits_for_user() -> None:
    c = client(autoclose=False)
    c.receive_data(frame(OP_CLOSE, b"\x03\xe8"))
    assert c.state is State.CLOSING and c.data_to_send() == []
    c.send_message(b"still allowed", OP_TEXT)  # RFC 6455 §5.5.1: may finish sending first
    assert sent_frames([c.send_close(1000)], masked=True) == [(OP_CLOSE, b"\x03\xe8")]
    assert c.state is State.CLOSED


def test_locally_initiated_close_handshake() -> None:
    c, s = client(), server()
    assert c.state is State.OPEN
    data = c.send_close(1001, "going")
    assert c.state is State.CLOSING
    assert s.receive_data(data) == [WSMessage(WSMsgType.CLOSE, 1001, "going")]
    assert s.state is State.CLOSED
    reply = s.data_to_send()
    assert c.receive_data(b"".join(reply)) == [WSMessage(WSMsgType.CLOSE, 1001, "")]
    assert c.state is State.CLOSED and c.close_code == 1001


def test_data_received_while_closing_is_delivered() -> None:
    c = client()
    c.send_close(1000)
    assert c.receive_data(frame(OP_TEXT, b"late")) == [WSMessage(WSMsgType.TEXT, "late", None)]


@pytest.mark.parametrize("fragmented", [False, True])
def test_max_msg_size_is_inclusive(fragmented: bool) -> None:
    def data(size: int) -> bytes:
        if not fragmented:
            return frame(OP_BINARY, bytes(size))
        return frame(OP_BINARY, bytes(size - 10), fin=False) + frame(OP_CONTINUATION, bytes(10))

    c = client(max_msg_size=1000)
    assert c.receive_data(data(1000)) == [WSMessage(WSMsgType.BINARY, bytes(1000), None)]
    assert c.receive_data(data(1000)) == [WSMessage(WSMsgType.BINARY, bytes(1000), None)]
    c = client(max_msg_size=1000)
    msgs = c.receive_data(data(1001))
    assert [m.tp for m in msgs] == [WSMsgType.ERROR] and c.close_code == 1009


def test_max_msg_size_checked_before_payload_arrives() -> None:
    c = client(max_msg_size=1000)
    msgs = c.receive_data(bytes([0x82, 127]) + (10**9).to_bytes(8, "big"))
    assert msgs[0].data.code == 1009


def test_max_msg_size_zero_means_unlimited() -> None:
    c = client(max_msg_size=0)
    assert c.receive_data(frame(OP_BINARY, bytes(70000)))[0].data == bytes(70000)
    with pytest.raises(ValueError):
        client(max_msg_size=-1)


def test_eof_without_close_is_1006() -> None:
    c = client()
    c.receive_eof()
    assert c.state is State.CLOSED and c.close_code == 1006


def test_eof_after_close_handshake_keeps_code() -> None:
    c = client()
    c.receive_data(frame(OP_CLOSE, b"\x03\xe8"))
    c.receive_eof()
    assert c.close_code == 1000


def test_sending_in_wrong_state_raises() -> None:
    c = client()
    c.send_close(1000)
    with pytest.raises(InvalidStateError):
        c.send_message(b"x", OP_TEXT)
    with pytest.raises(InvalidStateError):
        c.send_ping(b"")
    with pytest.raises(InvalidStateError):
        c.send_close(1000)
    connecting = WebSocketProtocol(is_client=True, state=State.CONNECTING)
    with pytest.raises(InvalidStateError):
        connecting.send_message(b"x", OP_TEXT)
    connecting.open()
    assert connecting.state is State.OPEN
    with pytest.raises(InvalidStateError):
        connecting.open()


def test_send_validation_raises_value_error_and_changes_nothing() -> None:
    c = client()
    with pytest.raises(ValueError):
        c.send_ping(bytes(126))
    with pytest.raises(ValueError):
        c.send_pong(bytes(126))
    for code in (999, 1004, 1005, 1006, 1015, 2000, 5000):
        with pytest.raises(ValueError):
            c.send_close(code)
    with pytest.raises(ValueError):
        c.send_close(1000, "x" * 124)
    assert c.state is State.OPEN and not c.close_sent
    assert len(c.send_ping(bytes(125))) == 2 + 4 + 125


def test_send_frame_fragmentation_rules() -> None:
    c = client()
    with pytest.raises(InvalidStateError):
        c.send_frame(b"x", OP_CONTINUATION)
    first = c.send_frame(b"ab", OP_TEXT, fin=False)
    with pytest.raises(InvalidStateError):
        c.send_frame(b"x", OP_TEXT)
    with pytest.raises(InvalidStateError):
        c.send_message(b"x", OP_BINARY)
    ping = c.send_frame(b"p", OP_PING)  # control frames may interleave
    last = c.send_frame(b"cd", OP_CONTINUATION, fin=True)
    with pytest.raises(ValueError):
        c.send_frame(b"p", OP_PING, fin=False)
    with pytest.raises(ValueError):
        c.send_frame(b"", 0x3)
    s = server()
    assert s.receive_data(first + ping + last) == [
        WSMessage(WSMsgType.PING, b"p", None),
        WSMessage(WSMsgType.TEXT, "abcd", None),
    ]


def test_messages_split_at_every_byte() -> None:
    stream = frame(OP_TEXT, b"one") + frame(OP_BINARY, bytes(200), fin=False) + frame(OP_CONTINUATION, b"z")
    for cut in range(len(stream)):
        c = client()
        msgs = c.receive_data(stream[:cut]) + c.receive_data(stream[cut:])
        assert msgs == [WSMessage(WSMsgType.TEXT, "one", None), WSMessage(WSMsgType.BINARY, bytes(200) + b"z", None)]


def test_send_frame_close_validates_like_send_close() -> None:
    c = client()
    with pytest.raises(ValueError):
        c.send_frame(b"\x03\xed", OP_CLOSE)  # 1005 may not be sent
    with pytest.raises(ValueError):
        c.send_frame(b"\x03", OP_CLOSE)  # 1-byte payload
    assert c.state is State.OPEN
    s = server()
    assert s.receive_data(c.send_frame(b"\x03\xe8bye", OP_CLOSE)) == [WSMessage(WSMsgType.CLOSE, 1000, "bye")]
    assert c.state is State.CLOSING


def test_messages_before_a_violation_can_be_answered_before_the_close_frame() -> None:
    c = client()
    msgs = c.receive_data(frame(OP_TEXT, b"first") + bytes([0x80 | 0x20 | OP_TEXT, 0]))  # then RSV2
    assert [m.tp for m in msgs] == [WSMsgType.TEXT, WSMsgType.ERROR]
    echo = c.send_message(b"first", OP_TEXT)  # still allowed while failing
    closing = c.finish_failure()
    sent = sent_frames([echo, closing], masked=True)
    assert sent[0] == (OP_TEXT, b"first")
    assert sent[1][0] == OP_CLOSE and sent[1][1][:2] == b"\x03\xea"
    with pytest.raises(InvalidStateError):
        c.send_message(b"late", OP_TEXT)


@pytest.mark.parametrize("user_code", [1000, 1001, 4000, None])
def test_user_close_during_failure_sends_the_failure_close_code(user_code: int | None) -> None:
    c = client()
    c.receive_data(frame(OP_CONTINUATION, b"x"))
    assert c.failing
    ((opcode, payload),) = sent_frames([c.send_close(user_code, "bye" if user_code else "")], masked=True)
    assert opcode == OP_CLOSE and payload[:2] == b"\x03\xea"  # 1002, not the application's code
    assert c.state is State.CLOSED and c.finish_failure() == b""
    assert c.close_code == 1002
    with pytest.raises(InvalidStateError):
        c.send_close(1000)


def test_eof_while_failing_keeps_the_failure_code() -> None:
    c = client(max_msg_size=10)
    c.receive_data(frame(OP_BINARY, bytes(11)))
    c.receive_eof()
    assert c.state is State.CLOSED and c.close_code == 1009


@pytest.mark.parametrize("role", ["client", "server"])
def test_invalid_utf8_fails_before_the_frame_is_complete(role: str) -> None:
    payload = "κόσμε".encode() + b"\xf4\x90\x80\x80" + b"x" * 100  # U+110000 is out of range
    proto = client() if role == "client" else server()
    data = build_frame(OP_TEXT, payload, mask=role == "server")
    header = len(data) - len(payload)
    assert proto.receive_data(data[: header + 5]) == []  # valid so far
    msgs = proto.receive_data(data[header + 5 : header + 14])  # the invalid sequence, frame unfinished
    assert [m.tp for m in msgs] == [WSMsgType.ERROR] and proto.close_code == 1007


@pytest.mark.parametrize("cut", range(0, 40, 3))
def test_text_validated_while_arriving_is_decoded_once_and_whole(cut: int) -> None:
    text = "ünïcödé " * 5
    for data in (
        frame(OP_TEXT, text.encode()),
        frame(OP_TEXT, text.encode()[:11], fin=False) + frame(OP_CONTINUATION, text.encode()[11:]),
    ):
        c = client()
        msgs = c.receive_data(data[:cut]) + c.receive_data(data[cut : cut + 7]) + c.receive_data(data[cut + 7 :])
        assert msgs == [WSMessage(WSMsgType.TEXT, text, None)]
        assert c.receive_data(frame(OP_TEXT, b"next")) == [WSMessage(WSMsgType.TEXT, "next", None)]


def test_pongs_held_while_the_transport_is_full_keep_only_the_latest() -> None:
    c = client()
    c.receive_data(b"".join(frame(OP_PING, b"%d" % i) for i in range(1000)))
    assert c.data_to_send(hold_pongs=True) == []  # nothing written while the peer does not read
    c.receive_data(frame(OP_PING, b"last"))
    assert c.data_to_send(hold_pongs=True) == []
    assert sent_frames(c.data_to_send(), masked=True) == [(OP_PONG, b"last")]  # RFC 6455 §5.5.3
    assert c.data_to_send() == []


def test_held_pong_goes_out_before_the_close_reply_and_never_after() -> None:
    c = client()
    c.receive_data(frame(OP_PING, b"p"))
    assert c.data_to_send(hold_pongs=True) == []
    c.receive_data(frame(OP_CLOSE, b"\x03\xe8"))
    sent = sent_frames(c.data_to_send(hold_pongs=True), masked=True)
    assert sent == [(OP_PONG, b"p"), (OP_CLOSE, b"\x03\xe8")]
    c2 = client()
    c2.receive_data(frame(OP_PING, b"p"))
    assert c2.data_to_send(hold_pongs=True) == []
    c2.send_close(1000)
    assert c2.data_to_send() == []  # our close frame went out: no pong after it
