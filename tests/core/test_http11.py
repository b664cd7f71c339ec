"""HTTP/1.1 heads and bodies (RFC 9112) on bytes alone."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from aiohttp_ws.exceptions import BadHttpMessage, LineTooLong, TooManyHeaders
from aiohttp_ws.sansio.http11 import (
    MAX_HEADERS,
    MAX_LINE_SIZE,
    BodyReader,
    HeadParser,
    RequestHead,
    ResponseHead,
    serialize_request,
    serialize_response,
)

RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection:  keep-alive, Upgrade \r\n"
    b"X-Dup: 1\r\n"
    b"x-dup: 2\r\n"
    b"\r\n"
)


def parse_response(data: bytes) -> ResponseHead:
    head = HeadParser(is_response=True).feed(data)
    assert isinstance(head, ResponseHead)
    return head


def test_response_head_parsed() -> None:
    head = parse_response(RESPONSE)
    assert head.version == (1, 1) and head.status == 101 and head.reason == "Switching Protocols"
    assert head.headers["connection"] == "keep-alive, Upgrade"
    assert head.headers.getall("X-DUP") == ["1", "2"]


def test_head_split_at_every_byte_keeps_leftover() -> None:
    data = RESPONSE + b"\x81\x02hi"
    for cut in range(len(data) + 1):
        parser = HeadParser(is_response=True)
        head = parser.feed(data[:cut]) or parser.feed(data[cut:])
        assert isinstance(head, ResponseHead)
        assert head.headers["Upgrade"] == "websocket"
        if cut < len(RESPONSE):
            assert parser.leftover == b"\x81\x02hi"


def test_bare_lf_and_missing_reason_accepted() -> None:
    head = parse_response(b"HTTP/1.1 101\nUpgrade: websocket\n\n")
    assert head.status == 101 and head.reason == ""


def test_request_head_parsed() -> None:
    head = HeadParser(is_response=False).feed(b"GET /chat?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert isinstance(head, RequestHead)
    assert (head.method, head.target, head.version) == ("GET", "/chat?x=1", (1, 1))


def test_line_length_limit() -> None:
    ok = b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_LINE_SIZE - 3) + b"\r\n\r\n"
    assert parse_response(ok).headers["X"] == "a" * (MAX_LINE_SIZE - 3)
    too_long = b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_LINE_SIZE - 2) + b"\r\n\r\n"
    with pytest.raises(LineTooLong):
        parse_response(too_long)
    parser = HeadParser(is_response=True)
    with pytest.raises(LineTooLong):  # detected before the line ends
        parser.feed(b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_LINE_SIZE + 10))


def test_header_count_limit() -> None:
    def head(n: int) -> bytes:
        return b"HTTP/1.1 200 OK\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(n)) + b"\r\n"

    assert len(parse_response(head(MAX_HEADERS)).headers) == MAX_HEADERS
    with pytest.raises(TooManyHeaders):
        parse_response(head(MAX_HEADERS + 1))


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade : websocket\r\n\r\n",  # space before colon
        b"HTTP/1.1 101 OK\r\nNo colon here\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nBad\x00Name: v\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nX: a\x00b\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nX: a\x1bb\r\n\r\n",
        b"HTTP/1.1 1011 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 101 OK\r\n folded-first: x\r\n\r\n",
    ],
)
def test_malformed_heads_rejected(data: bytes) -> None:
    with pytest.raises(BadHttpMessage):
        HeadParser(is_response=True).feed(data)


def test_obs_fold_joined_in_response_rejected_in_request() -> None:
    head = parse_response(b"HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\r\n")
    assert head.headers["X"] == "a b"
    with pytest.raises(BadHttpMessage):
        HeadParser(is_response=False).feed(b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n")


def body_of(head_bytes: bytes, body: bytes, *, chunk: int = 0, limit: int = 1 << 20) -> BodyReader:
    reader = BodyReader(parse_response(head_bytes), limit=limit)
    step = chunk or max(1, len(body))
    for i in range(0, len(body), step):
        if reader.feed(body[i : i + step]):
            break
    return reader


def test_body_content_length() -> None:
    reader = body_of(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n", b"nopeEXTRA")
    assert reader.done and bytes(reader.body) == b"nopeE"


def test_body_chunked_split_at_every_byte() -> None:
    body = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n"
    for chunk in (1, 2, 3, 7, len(body)):
        reader = body_of(b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n", body, chunk=chunk)
        assert reader.done and bytes(reader.body) == b"Wikipedia in\r\n\r\nchunks."


def test_body_until_eof_and_limit() -> None:
    reader = body_of(b"HTTP/1.1 500 Oops\r\n\r\n", b"abc")
    assert not reader.done
    reader.feed_eof()
    assert reader.done and bytes(reader.body) == b"abc"
    reader = body_of(b"HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\n", bytes(100), limit=10)
    assert reader.done and reader.truncated and len(reader.body) == 10


def test_body_errors() -> None:
    with pytest.raises(BadHttpMessage):
        BodyReader(parse_response(b"HTTP/1.1 400 x\r\nContent-Length: 1, 2\r\n\r\n"))
    with pytest.raises(BadHttpMessage):
        BodyReader(parse_response(b"HTTP/1.1 400 x\r\nContent-Length: -1\r\n\r\n"))
    with pytest.raises(BadHttpMessage):
        body_of(b"HTTP/1.1 400 x\r\nTransfer-Encoding: chunked\r\n\r\n", b"zz\r\n")
    reader = body_of(b"HTTP/1.1 400 x\r\nContent-Length: 10\r\n\r\n", b"abc")
    with pytest.raises(BadHttpMessage):
        reader.feed_eof()
    assert BodyReader(parse_response(b"HTTP/1.1 204 No Content\r\n\r\n")).done


def test_serialize_round_trip_and_injection_refused() -> None:
    data = serialize_request("GET", "/a?b=c", [("Host", "x"), ("X-Y", "z w")])
    assert data == b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Y: z w\r\n\r\n"
    head = HeadParser(is_response=False).feed(data)
    assert isinstance(head, RequestHead) and head.headers["x-y"] == "z w"
    for bad in ("a\r\nInjected: 1", "a\nb", "a\x00b", "a\rb", "a\x7fb"):
        with pytest.raises(ValueError):
            serialize_request("GET", "/", [("X", bad)])
        with pytest.raises(ValueError):
            serialize_response(200, "OK", [("X", bad)])
    for bad_name in ("X Y", "X:Y", "X\r\n", ""):
        with pytest.raises(ValueError):
            serialize_request("GET", "/", [(bad_name, "v")])
    for bad_target in ("/a b", "/a\r\n", ""):
        with pytest.raises(ValueError):
            serialize_request("GET", bad_target, [])
    with pytest.raises(ValueError):
        serialize_request("GE T", "/", [])
    with pytest.raises(ValueError):
        serialize_response(200, "OK\r\nX: y", [])


def test_several_heads_in_one_read_come_out_one_by_one() -> None:
    parser = HeadParser(is_response=True)
    data = b"HTTP/1.1 100 Continue\r\n\r\n" * 3 + b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00"
    statuses = []
    head = parser.feed(data)
    while head is not None:
        statuses.append(head.status)
        head = parser.feed(b"") if head.status == 100 else None
    assert statuses == [100, 100, 100, 101]
    assert parser.leftover == b"\x81\x00"


def _outcome(parser: HeadParser, reads: list[bytes]) -> tuple[object, ...]:
    """What *parser* makes of *reads*: the heads (with their fields as a list)
    and the leftover, or the error's class and message."""
    heads: list[object] = []
    try:
        for data in reads:
            head = parser.feed(data)
            while head is not None:
                heads.append((head, list(head.headers.items())))
                head = parser.feed(b"")
    except (BadHttpMessage, LineTooLong, TooManyHeaders) as exc:
        return ("error", type(exc), str(exc))
    return ("heads", heads, parser.leftover)


_field_lines = st.lists(
    st.one_of(
        st.sampled_from([b"Upgrade: websocket", b"X:", b"X:  a  b \t", b"x-dup: 2", b" folded", b"\tfolded",
                         b"Bad Name: v", b"NoColon", b"X: a\x00b", b"X: a\rb", b"X: a\nb", b"X: \xc3\xa9\xff", b"",
                         b"X: a\tb", b"\r", b"\x7f: v", b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]),
        st.binary(max_size=12),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(
    start=st.sampled_from([b"HTTP/1.1 101 Switching Protocols", b"HTTP/1.0 200", b"HTTP/1.1 99 x", b"", b"GET / HTTP/1.1"]),
    lines=_field_lines,
    ends=st.lists(st.sampled_from([b"\r\n", b"\n"]), min_size=14, max_size=14),
    tail=st.sampled_from([b"", b"body", b"\r\n", b"HTTP/1.1 200 OK\r\n\r\n"]),
    is_response=st.booleans(),
    limits=st.sampled_from([(MAX_LINE_SIZE, MAX_HEADERS), (40, 3), (200, 1)]),
)
def test_a_whole_head_in_one_read_is_parsed_as_line_by_line(
    start: bytes, lines: list[bytes], ends: list[bytes], tail: bytes, is_response: bool, limits: tuple[int, int]
) -> None:
    """A head that arrives whole is parsed by one regular expression over its
    fields (``HeadParser._whole``) when every line ends in CRLF and matches;
    whatever the bytes, the outcome (heads, fields in order, leftover, or the
    error and its message) is the one of reading the same bytes one byte at a
    time, which goes line by line."""
    data = b"".join(line + end for line, end in zip([start, *lines], ends)) + ends[-1] + tail
    max_line, max_headers = limits

    def parser() -> HeadParser:
        return HeadParser(is_response=is_response, max_line_size=max_line, max_headers=max_headers)

    whole = _outcome(parser(), [data])
    assert whole == _outcome(parser(), [data[i : i + 1] for i in range(len(data))])


def test_whole_heads_take_the_one_expression_path() -> None:
    """The usual answer is parsed without the line loop (no field list kept)."""
    parser = HeadParser(is_response=True)
    calls: list[bytes] = []
    real = parser._whole
    parser._whole = lambda block: calls.append(block) or real(block)  # type: ignore[method-assign]
    head = parser.feed(RESPONSE + b"rest")
    assert isinstance(head, ResponseHead) and head.headers.getall("X-Dup") == ["1", "2"]
    assert head.headers["Connection"] == "keep-alive, Upgrade"
    assert calls == [RESPONSE[:-2]] and parser.leftover == b"rest"


_STATUS_ALPHABET = st.sampled_from([b"H", b"T", b"P", b"/", b"1", b"0", b"2", b".", b" ", b"\r", b"\t", b"\x00", b"\xe9", b"x", b"9"])


@settings(max_examples=2000, deadline=None)
@given(
    prefix=st.sampled_from([b"HTTP/1.1 ", b"HTTP/1.0 ", b"HTTP/2.0 ", b"HTTP/1.1", b"HTTP/11 ", b"http/1.1 ", b""]),
    rest=st.lists(_STATUS_ALPHABET, max_size=12).map(b"".join),
)
def test_the_usual_status_line_reads_as_the_status_expression_does(prefix: bytes, rest: bytes) -> None:
    # _start_line reads "HTTP/1.1 NNN[ reason]" without the regular expression:
    # the same status, version and reason, and the same lines refused.
    line = prefix + rest
    assume(line)  # an empty line before the start line is skipped
    m = re.fullmatch(rb"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?", line)
    try:
        head = HeadParser(is_response=True).feed(line + b"\r\n\r\n")
    except BadHttpMessage:
        assert m is None or b"\n" in line
        return
    assert m is not None and isinstance(head, ResponseHead)
    assert head.version == (int(m.group(1)), int(m.group(2))) and head.status == int(m.group(3))
    assert head.reason == (m.group(4) or b"").decode("latin-1")
