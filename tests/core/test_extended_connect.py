"""The RFC 8441 handshake, Sans-I/O: the client's extended CONNECT header
list and the check of its answer; the server's check and answer."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_ws.exceptions import WSServerHandshakeError
from aiohttp_ws.sansio.deflate import PerMessageDeflate
from aiohttp_ws.sansio.extended_connect import (
    ExtendedConnectHandshake,
    accept_headers,
    process_extended_connect,
    request_head,
    response_head,
)
from aiohttp_ws.sansio.handshake import HandshakeRejected


def handshake(**kwargs: object) -> ExtendedConnectHandshake:
    args: dict[str, object] = {"scheme": "https", "authority": "example.com", "path": "/chat?x=1"}
    args.update(kwargs)
    return ExtendedConnectHandshake(**args)  # type: ignore[arg-type]


def test_request_fields_pseudo_first_lower_case_no_connection_fields() -> None:
    hs = handshake(
        protocols=["chat", "superchat"],
        headers=[("Origin", "https://example.com"), ("Connection", "Upgrade"), ("Upgrade", "websocket"),
                 ("Sec-WebSocket-Key", "x"), ("Keep-Alive", "5"), ("Transfer-Encoding", "chunked"), ("TE", "gzip"),
                 ("Cookie", "a=1")],
        extensions=[PerMessageDeflate()],
    )
    assert hs.headers[:6] == [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat?x=1"),
        (":authority", "example.com"),
        ("sec-websocket-version", "13"),
    ]
    rest = dict(hs.headers[6:])
    assert rest["sec-websocket-protocol"] == "chat, superchat"
    assert rest["sec-websocket-extensions"].startswith("permessage-deflate")
    assert rest["origin"] == "https://example.com" and rest["cookie"] == "a=1"
    assert not {"connection", "upgrade", "sec-websocket-key", "keep-alive", "transfer-encoding", "te"} & set(rest)
    assert all(name == name.lower() for name, _ in hs.headers)


def test_host_header_becomes_authority_and_empty_path_is_slash() -> None:
    hs = handshake(path="", headers=[("Host", "other.example:8443")])
    fields = dict(hs.headers)
    assert fields[":authority"] == "other.example:8443" and fields[":path"] == "/"
    assert "host" not in fields


def test_bad_subprotocol_raises_value_error() -> None:
    with pytest.raises(ValueError):
        handshake(protocols=["a b"])


def head(status: int, *fields: tuple[str, str]) -> object:
    return response_head(status, [(":status", str(status)), *fields])


def test_2xx_opens_and_negotiates() -> None:
    hs = handshake(protocols=["chat"], extensions=[PerMessageDeflate()])
    resp = response_head(200, [(":status", "200"), ("sec-websocket-protocol", "chat"),
                               ("sec-websocket-extensions", "permessage-deflate")])
    assert resp.version == (2, 0) and ":status" not in resp.headers
    assert hs.process_response(resp) == "chat"
    assert hs.deflate is not None


@pytest.mark.parametrize("status", [101, 199, 300, 403, 501])
def test_non_2xx_is_a_handshake_error(status: int) -> None:
    with pytest.raises(WSServerHandshakeError) as info:
        handshake().process_response(response_head(status, []))
    assert info.value.status == status


def test_unoffered_subprotocol_or_extension_is_an_error() -> None:
    with pytest.raises(WSServerHandshakeError, match="subprotocol"):
        handshake(protocols=["a"]).process_response(response_head(200, [("sec-websocket-protocol", "b")]))
    with pytest.raises(WSServerHandshakeError, match="Extensions"):
        handshake().process_response(response_head(200, [("sec-websocket-extensions", "permessage-deflate")]))


def connect_request(*fields: tuple[str, str], method: str = "CONNECT") -> object:
    return request_head([(":method", method), (":protocol", "websocket"), (":scheme", "https"), (":path", "/p?q=1"),
                         (":authority", "example.com:8443"), *fields])


def test_server_request_head_and_choices() -> None:
    req = connect_request(("sec-websocket-version", "13"), ("sec-websocket-protocol", "x, chat"),
                          ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"))
    assert req.method == "CONNECT" and req.target == "/p?q=1" and req.version == (2, 0)  # type: ignore[attr-defined]
    assert req.headers["Host"] == "example.com:8443"  # type: ignore[attr-defined]
    chosen, params = process_extended_connect(req, ["chat"], PerMessageDeflate())  # type: ignore[arg-type]
    assert chosen == "chat" and params is not None
    answer = accept_headers(chosen, [("X-Extra", "1"), ("Connection", "close")], params)
    assert answer[0] == (":status", "200")
    assert ("sec-websocket-protocol", "chat") in answer and ("x-extra", "1") in answer
    assert not any(k == "connection" for k, _ in answer)
    assert any(k == "sec-websocket-extensions" for k, _ in answer)


@pytest.mark.parametrize(
    ("fields", "method", "status"),
    [
        ([("sec-websocket-version", "13")], "GET", 405),
        ([], "CONNECT", 426),
        ([("sec-websocket-version", "8")], "CONNECT", 426),
        ([("sec-websocket-version", "13"), ("sec-websocket-extensions", "permessage-deflate; ,,")], "CONNECT", 400),
    ],
)
def test_server_rejections(fields: list[tuple[str, str]], method: str, status: int) -> None:
    with pytest.raises(HandshakeRejected) as info:
        process_extended_connect(connect_request(*fields, method=method), [], PerMessageDeflate())  # type: ignore[arg-type]
    assert info.value.status == status


def test_response_head_keeps_repeated_fields() -> None:
    resp = response_head(200, [("set-cookie", "a=1"), ("set-cookie", "b=2")])
    assert resp.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert isinstance(resp.headers, CIMultiDictProxy) and not isinstance(resp.headers, CIMultiDict)
