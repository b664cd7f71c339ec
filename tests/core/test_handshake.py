"""The opening handshake (RFC 6455 §4) on bytes alone, both roles."""

from __future__ import annotations

import pytest

from aiohttp_ws.exceptions import WSServerHandshakeError
from aiohttp_ws.sansio.handshake import (
    ClientHandshake,
    HandshakeRejected,
    accept_key,
    accept_response,
    generate_key,
    process_request,
    reject_response,
)
from aiohttp_ws.sansio.http11 import HeadParser, RequestHead, ResponseHead, serialize_request


def test_accept_key_rfc_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3


def test_generated_keys_are_fresh_16_byte_nonces() -> None:
    import base64

    keys = {generate_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(base64.b64decode(k)) == 16 for k in keys)


def make_client(protocols: tuple[str, ...] = ()) -> ClientHandshake:
    return ClientHandshake(host="example.com:8080", target="/chat?x=1", protocols=protocols, headers=[("Origin", "http://o")])


def server_side(client: ClientHandshake, protocols: tuple[str, ...] = ()) -> bytes:
    head = HeadParser(is_response=False).feed(client.request)
    assert isinstance(head, RequestHead)
    key, chosen, _ = process_request(head, protocols)
    return accept_response(key, chosen)


def response(data: bytes) -> ResponseHead:
    head = HeadParser(is_response=True).feed(data)
    assert isinstance(head, ResponseHead)
    return head


def test_request_shape() -> None:
    c = make_client(("chat", "superchat"))
    text = c.request.decode()
    assert text.startswith("GET /chat?x=1 HTTP/1.1\r\n")
    for line in ("Host: example.com:8080", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                 "Sec-WebSocket-Protocol: chat, superchat", "Origin: http://o", f"Sec-WebSocket-Key: {c.key}"):
        assert f"\r\n{line}\r\n" in text


def test_client_and_server_agree_on_subprotocol() -> None:
    c = make_client(("chat", "superchat"))
    assert c.process_response(response(server_side(c, ("superchat", "chat")))) == "superchat"
    c = make_client(("chat",))
    assert c.process_response(response(server_side(c, ("other",)))) is None


def good(c: ClientHandshake, extra: str = "", connection: str = "Upgrade") -> bytes:
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        f"Connection: {connection}\r\nSec-WebSocket-Accept: {accept_key(c.key)}\r\n{extra}\r\n"
    ).encode()


def test_connection_is_a_token_list() -> None:
    c = make_client()
    assert c.process_response(response(good(c, connection="keep-alive, Upgrade"))) is None
    assert c.process_response(response(good(c, connection="upgrade"))) is None


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: good(c).replace(b"101 Switching Protocols", b"200 OK"), "OK"),
        (lambda c: good(c).replace(b"HTTP/1.1", b"HTTP/1.0"), "HTTP/1.0"),
        (lambda c: good(c).replace(b"Upgrade: websocket", b"Upgrade: h2c"), "upgrade"),
        (lambda c: good(c, connection="keep-alive"), "connection"),
        (lambda c: good(c).replace(accept_key(c.key).encode(), b"d3JvbmcK"), "Accept"),
        (lambda c: good(c, extra=f"Sec-WebSocket-Accept: {accept_key(c.key)}\r\n"), "Accept"),
        (lambda c: good(c).replace(b"Sec-WebSocket-Accept", b"X-Other"), "Accept"),
        (lambda c: good(c, extra="Sec-WebSocket-Protocol: chat\r\n"), "subprotocol"),
        (lambda c: good(c, extra="Sec-WebSocket-Extensions: permessage-deflate\r\n"), "extension"),
    ],
)
def test_bad_responses_fail_the_handshake(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    c = make_client()
    with pytest.raises(WSServerHandshakeError, match=message) as info:
        c.process_response(response(mutate(c)))
    assert info.value.headers is not None


def test_unoffered_or_multiple_subprotocols_fail() -> None:
    c = make_client(("chat",))
    with pytest.raises(WSServerHandshakeError):
        c.process_response(response(good(c, extra="Sec-WebSocket-Protocol: other\r\n")))
    with pytest.raises(WSServerHandshakeError):
        c.process_response(response(good(c, extra="Sec-WebSocket-Protocol: chat, chat\r\n")))
    with pytest.raises(WSServerHandshakeError):
        c.process_response(response(good(c, extra="Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n")))
    assert c.process_response(response(good(c, extra="Sec-WebSocket-Protocol: chat\r\n"))) == "chat"


def test_status_code_reported() -> None:
    c = make_client()
    with pytest.raises(WSServerHandshakeError) as info:
        c.process_response(response(b"HTTP/1.1 403 Forbidden\r\nX-Why: no\r\n\r\n"))
    assert info.value.status == 403 and info.value.message == "Forbidden"
    assert info.value.headers is not None and info.value.headers["X-Why"] == "no"


def request(lines: str) -> RequestHead:
    head = HeadParser(is_response=False).feed(lines.encode() + b"\r\n")
    assert isinstance(head, RequestHead)
    return head


VALID = (
    "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
)


def test_server_accepts_valid_request() -> None:
    assert process_request(request(VALID)) == ("dGhlIHNhbXBsZSBub25jZQ==", None, None)


@pytest.mark.parametrize(
    "text, status",
    [
        (VALID.replace("GET", "POST"), 405),
        (VALID.replace("HTTP/1.1", "HTTP/1.0"), 400),
        (VALID.replace("Upgrade: WebSocket", "Upgrade: h2c"), 400),
        (VALID.replace("keep-alive, Upgrade", "keep-alive"), 400),
        (VALID.replace("Version: 13", "Version: 8"), 426),
        (VALID.replace("dGhlIHNhbXBsZSBub25jZQ==", "short"), 400),
        (VALID.replace("dGhlIHNhbXBsZSBub25jZQ==", "!!!!"), 400),
    ],
)
def test_server_rejects_bad_requests(text: str, status: int) -> None:
    with pytest.raises(HandshakeRejected) as info:
        process_request(request(text))
    assert info.value.status == status
    data = reject_response(info.value)
    head = HeadParser(is_response=True).feed(data)
    assert isinstance(head, ResponseHead) and head.status == status
    if status == 426:
        assert head.headers["Sec-WebSocket-Version"] == "13"


def test_the_request_checks_what_the_caller_gave_and_equals_the_checked_serializer() -> None:
    # ClientHandshake checks the caller's fields, Host and key and writes its
    # own fields unchecked: the bytes are those of the checking serializer.
    hs = ClientHandshake(host="h:1", target="/p?q=1", headers=[("User-Agent", "u"), ("Origin", "http://o")], protocols=["chat"])
    assert hs.request == serialize_request("GET", "/p?q=1", list(hs.headers.items()))
    assert hs.request.startswith(b"GET /p?q=1 HTTP/1.1\r\nUser-Agent: u\r\nOrigin: http://o\r\nHost: h:1\r\n")
    for bad in ("a\r\nInjected: 1", "a\nb", "a\x00b", "a\rb", "a\x7fb"):
        with pytest.raises(ValueError, match="control character"):
            ClientHandshake(host="h", target="/", headers=[("X", bad)])
        with pytest.raises(ValueError, match="control character"):
            ClientHandshake(host=bad, target="/")
        with pytest.raises(ValueError, match="control character"):
            ClientHandshake(host="h", target="/", key=bad)
        with pytest.raises(ValueError, match="control character"):  # a caller's field that ours would replace
            ClientHandshake(host="h", target="/", headers=[("Upgrade", bad)])
    for bad_name in ("X Y", "X:Y", "X\r\n", ""):
        with pytest.raises(ValueError, match="header name"):
            ClientHandshake(host="h", target="/", headers=[(bad_name, "v")])
    with pytest.raises(ValueError, match="target"):
        ClientHandshake(host="h", target="/a b")
    with pytest.raises(ValueError, match="method"):
        ClientHandshake(host="h", target="/", method="GE T")
    # an iterator of fields is read once
    hs = ClientHandshake(host="h", target="/", headers=iter([("X-A", "1")]))
    assert hs.headers["X-A"] == "1" and b"\r\nX-A: 1\r\n" in hs.request
