"""The opening handshake for both roles (RFC 6455 §4), Sans-I/O.

Client: ``ClientHandshake`` builds the upgrade request and checks the 101
response. Server: ``process_request`` checks an upgrade request and
``accept_response`` / ``reject_response`` build the answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from typing import Iterable, Sequence

from multidict import CIMultiDict, CIMultiDictProxy

from .deflate import DeflateParams, NegotiationError, PerMessageDeflate, format_offers, negotiate_client, negotiate_server
from ..exceptions import WSServerHandshakeError
from .http11 import RequestHead, ResponseHead, check_fields, is_token, serialize_request, serialize_response
from ..models import RequestInfo

__all__ = (
    "WS_GUID",
    "generate_key",
    "accept_key",
    "header_tokens",
    "ClientNegotiation",
    "ClientHandshake",
    "HandshakeRejected",
    "process_request",
    "accept_response",
    "reject_response",
    "refusal_response",
    "offered_protocols",
    "server_choices",
)

#: RFC 6455 §1.3: appended to Sec-WebSocket-Key before hashing.
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def generate_key() -> str:
    """A fresh Sec-WebSocket-Key: base64 of 16 random bytes (RFC 6455 §4.1)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for *key* (RFC 6455 §4.2.2 step 5.4)."""
    digest = hashlib.sha1((key + WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def header_tokens(headers: CIMultiDictProxy[str] | CIMultiDict[str], name: str) -> list[str]:
    """All comma-separated elements of every *name* field, stripped, lower-case
    (RFC 9110 §5.6.1 list syntax; ``Connection: keep-alive, Upgrade``)."""
    return [t.strip().lower() for v in headers.getall(name, []) for t in v.split(",") if t.strip()]


class ClientNegotiation:
    """What the client offers and checks in any opening handshake (HTTP/1.1
    upgrade or RFC 8441 extended CONNECT): the subprotocols (RFC 9110 tokens,
    else ``ValueError``), the permessage-deflate offers, and the answer's
    choice of both. ``deflate`` holds the negotiated parameters afterwards."""

    def __init__(
        self,
        protocols: Sequence[str] = (),
        request_info: RequestInfo | None = None,
        extensions: Sequence[PerMessageDeflate] = (),
    ) -> None:
        # A bare string is one subprotocol, not its characters.
        self.protocols = (protocols,) if isinstance(protocols, str) else tuple(protocols)
        for protocol in self.protocols:
            if not isinstance(protocol, str) or not is_token(protocol):
                raise ValueError(f"subprotocol {protocol!r} is not a token (RFC 6455 §4.1, RFC 9110 §5.6.2)")
        self.request_info = request_info
        self.extensions = tuple(extensions)
        self.deflate: DeflateParams | None = None

    def _error(self, head: ResponseHead, message: str) -> WSServerHandshakeError:
        return WSServerHandshakeError(
            self.request_info, status=head.status, message=message, headers=head.headers
        )

    def _negotiate(self, head: ResponseHead) -> str | None:
        """The extension (into ``deflate``) and the subprotocol the answer
        chose; ``WSServerHandshakeError`` for an extension response that does
        not fit our offers (RFC 7692 §5, §7.1) or a subprotocol we did not
        offer (or several)."""
        try:
            self.deflate = negotiate_client(self.extensions, head.headers.getall("Sec-WebSocket-Extensions", []))
        except NegotiationError as exc:
            raise self._error(head, f"Invalid Sec-WebSocket-Extensions: {exc}") from exc
        values = head.headers.getall("Sec-WebSocket-Protocol", [])
        if not values:
            return None
        chosen = [t.strip() for v in values for t in v.split(",")]
        if len(chosen) != 1 or chosen[0] not in self.protocols:
            raise self._error(head, f"Server chose a subprotocol the client did not offer: {values!r}")
        return chosen[0]


class ClientHandshake(ClientNegotiation):
    """The client's side: one upgrade request and the check of its answer.

    Args:
        host: value of the Host header (with the port when not the default).
        target: request target, path plus query (``"/chat?x=1"``).
        protocols: subprotocols offered, in order of preference.
        headers: extra request headers (Origin, Authorization, ...).
        method: request method; RFC 6455 requires GET.
        request_info: reported in ``WSServerHandshakeError``.
        extensions: permessage-deflate offers, in order of preference (RFC 7692 §5).

    After ``process_response``, ``deflate`` holds the negotiated
    permessage-deflate parameters, or ``None``. Raises ``ValueError`` for a
    subprotocol that is not an RFC 9110 token (``"a, b"`` would offer two).
    """

    def __init__(
        self,
        *,
        host: str,
        target: str,
        protocols: Sequence[str] = (),
        headers: Iterable[tuple[str, str]] = (),
        method: str = "GET",
        request_info: RequestInfo | None = None,
        key: str | None = None,
        extensions: Sequence[PerMessageDeflate] = (),
    ) -> None:
        super().__init__(protocols, request_info, extensions)
        caller = list(headers)
        # What the caller gave is checked; the fields added below are ours.
        check_fields([*caller, ("Host", host)] if key is None else [*caller, ("Host", host), ("Sec-WebSocket-Key", key)])
        fields: CIMultiDict[str] = CIMultiDict(caller)
        self.key = key or generate_key()
        # As aiohttp: the caller's Host, Upgrade, Connection and
        # Sec-WebSocket-Version win; the key is always fresh (RFC 6455 §4.1).
        fields.setdefault("Host", host)
        fields.setdefault("Upgrade", "websocket")
        fields.setdefault("Connection", "Upgrade")
        fields["Sec-WebSocket-Key"] = self.key
        fields.setdefault("Sec-WebSocket-Version", "13")
        if self.protocols:
            fields["Sec-WebSocket-Protocol"] = ", ".join(self.protocols)
        if self.extensions:
            fields["Sec-WebSocket-Extensions"] = format_offers(self.extensions)
        self.headers = CIMultiDictProxy(fields)
        self.request = serialize_request(method, target, fields.items(), checked=True)

    def process_response(self, head: ResponseHead) -> str | None:
        """Check a 101 response (RFC 6455 §4.1, client steps 1-6) and return the
        chosen subprotocol or ``None``.

        Raises ``WSServerHandshakeError`` (with status and headers) for: a
        status other than 101, HTTP before 1.1, an Upgrade without the
        ``websocket`` token, a Connection without the ``upgrade`` token, not
        exactly one correct Sec-WebSocket-Accept, a subprotocol the client did
        not offer (or several), or an extension response that does not fit our
        offers (RFC 7692 §5, §7.1).
        """
        if head.status != 101:
            raise self._error(head, head.reason or "Invalid response status")
        if head.version < (1, 1):
            raise self._error(head, "101 response over HTTP/1.0")
        headers = head.headers
        # The usual single-token fields first: a sufficient test, the lists otherwise.
        if headers.get("Upgrade", "").lower() != "websocket" and "websocket" not in header_tokens(headers, "Upgrade"):
            raise self._error(head, "Invalid upgrade header")
        if headers.get("Connection", "").lower() != "upgrade" and "upgrade" not in header_tokens(headers, "Connection"):
            raise self._error(head, "Invalid connection header")
        accepts = headers.getall("Sec-WebSocket-Accept", [])
        if len(accepts) != 1 or accepts[0].strip() != accept_key(self.key):
            raise self._error(head, "Invalid Sec-WebSocket-Accept header")
        return self._negotiate(head)


class HandshakeRejected(Exception):
    """An upgrade request the server refuses: the HTTP answer to send."""

    def __init__(self, status: int, reason: str, message: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = tuple(headers)
        super().__init__(f"{status} {reason}: {message}")


def process_request(
    head: RequestHead, protocols: Sequence[str] = (), deflate: PerMessageDeflate | None = None
) -> tuple[str, str | None, DeflateParams | None]:
    """Check an upgrade request (RFC 6455 §4.2.1); return ``(key, subprotocol,
    permessage-deflate parameters)``.

    The subprotocol is the first of the server's *protocols* that the client
    offered, or ``None``. With *deflate* (our configuration) the first
    acceptable permessage-deflate offer is taken (RFC 7692 §5), else ``None``. Raises ``HandshakeRejected``: 405 for a method other
    than GET, 400 for missing or wrong Upgrade / Connection / Sec-WebSocket-Key
    (must decode to 16 bytes), 426 with ``Sec-WebSocket-Version: 13`` for an
    unsupported version.
    """
    if head.method != "GET":
        raise HandshakeRejected(405, "Method Not Allowed", "WebSocket upgrades use GET", [("Allow", "GET")])
    if head.version < (1, 1):
        raise HandshakeRejected(400, "Bad Request", "WebSocket upgrades need HTTP/1.1")
    headers = head.headers
    if "websocket" not in header_tokens(headers, "Upgrade"):
        raise HandshakeRejected(400, "Bad Request", "missing Upgrade: websocket")
    if "upgrade" not in header_tokens(headers, "Connection"):
        raise HandshakeRejected(400, "Bad Request", "missing Connection: Upgrade")
    versions = headers.getall("Sec-WebSocket-Version", [])
    if versions != ["13"]:
        raise HandshakeRejected(
            426, "Upgrade Required", "unsupported Sec-WebSocket-Version", [("Sec-WebSocket-Version", "13")]
        )
    keys = headers.getall("Sec-WebSocket-Key", [])
    if len(keys) != 1 or not _valid_key(keys[0]):
        raise HandshakeRejected(400, "Bad Request", "invalid Sec-WebSocket-Key")
    return (keys[0].strip(), *server_choices(headers, protocols, deflate))


def server_choices(
    headers: CIMultiDictProxy[str], protocols: Sequence[str], deflate: PerMessageDeflate | None
) -> tuple[str | None, DeflateParams | None]:
    """The server's picks from a request in any opening handshake: the first
    of its *protocols* the client offered (or ``None``), and with *deflate*
    the first acceptable permessage-deflate offer (RFC 7692 §5). Raises
    ``HandshakeRejected`` 400 for an unusable ``Sec-WebSocket-Extensions``."""
    offered = offered_protocols(headers)
    chosen = next((p for p in protocols if p in offered), None)
    params = None
    if deflate is not None:
        try:
            params = negotiate_server(headers.getall("Sec-WebSocket-Extensions", []), deflate)
        except NegotiationError as exc:
            raise HandshakeRejected(400, "Bad Request", f"invalid Sec-WebSocket-Extensions: {exc}") from exc
    return chosen, params


def offered_protocols(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> list[str]:
    """The subprotocols a client offers (``Sec-WebSocket-Protocol``), in its order."""
    return [t.strip() for v in headers.getall("Sec-WebSocket-Protocol", []) for t in v.split(",") if t.strip()]


def _valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key.strip().encode("ascii"), validate=True)) == 16
    except (binascii.Error, UnicodeEncodeError):
        return False


def accept_response(
    key: str,
    protocol: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    deflate: DeflateParams | None = None,
) -> bytes:
    """The 101 Switching Protocols answer to a request with *key*."""
    fields = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ]
    if protocol is not None:
        fields.append(("Sec-WebSocket-Protocol", protocol))
    if deflate is not None:
        fields.append(("Sec-WebSocket-Extensions", deflate.response_value()))
    fields.extend(headers)
    return serialize_response(101, "Switching Protocols", fields)


def reject_response(rejection: HandshakeRejected) -> bytes:
    """A complete refusal: head plus a short plain-text body, then close."""
    body = (rejection.message + "\n").encode("utf-8")
    return refusal_response(rejection.status, rejection.reason, rejection.headers, body)


def refusal_response(
    status: int, reason: str, headers: Iterable[tuple[str, str]], body: bytes, content_type: str = "text/plain; charset=utf-8"
) -> bytes:
    """Any complete non-101 answer: head with ``Content-Length`` and
    ``Connection: close``, then *body*. A ``Content-Type`` in *headers* wins."""
    fields = list(headers)
    if not any(name.lower() == "content-type" for name, _ in fields):
        fields.insert(0, ("Content-Type", content_type))
    fields += [("Content-Length", str(len(body))), ("Connection", "close")]
    return serialize_response(status, reason, fields) + body
