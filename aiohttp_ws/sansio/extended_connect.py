"""The opening handshake of a WebSocket on an HTTP/2 stream (RFC 8441), Sans-I/O.

RFC 8441 §4-5: the client sends an extended CONNECT request (``:method
CONNECT``, ``:protocol websocket``, ``:scheme``, ``:path``, ``:authority``) and
the server answers with a 2xx status; the stream's DATA then carries the
WebSocket frames unchanged. There is no ``Sec-WebSocket-Key`` /
``Sec-WebSocket-Accept`` and no ``Upgrade`` / ``Connection``;
``Sec-WebSocket-Version``, ``Sec-WebSocket-Protocol`` and
``Sec-WebSocket-Extensions`` (permessage-deflate included) keep their
RFC 6455 / RFC 7692 meaning. Header field names are lower-case on HTTP/2
(RFC 9113 §8.2) and connection-specific fields must not be sent (§8.2.2).

Headers are ``(name, value)`` pairs of ``str``: the HTTP/2 layer encodes them.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from multidict import CIMultiDict, CIMultiDictProxy

from ..models import RequestInfo
from .deflate import DeflateParams, PerMessageDeflate, format_offers
from .handshake import ClientNegotiation, HandshakeRejected, server_choices
from .http11 import RequestHead, ResponseHead

__all__ = (
    "CONNECTION_SPECIFIC",
    "ExtendedConnectHandshake",
    "process_extended_connect",
    "accept_headers",
    "response_head",
    "request_head",
)

#: Fields that belong to one HTTP/1.1 connection, never sent on an HTTP/2
#: stream (RFC 9113 §8.2.2), plus the RFC 6455 key that RFC 8441 §5 drops.
#: ``Host`` becomes ``:authority``.
CONNECTION_SPECIFIC = frozenset(
    {"connection", "upgrade", "keep-alive", "proxy-connection", "transfer-encoding", "te", "host", "http2-settings", "sec-websocket-key"}
)


def response_head(status: int, headers: Iterable[tuple[str, str]]) -> ResponseHead:
    """An HTTP/2 response as the ``ResponseHead`` the rest of the client
    reads: version ``(2, 0)``, no reason phrase, the pseudo-header fields
    (``:status``) left out."""
    fields: CIMultiDict[str] = CIMultiDict((k, v) for k, v in headers if not k.startswith(":"))
    return ResponseHead((2, 0), status, "", CIMultiDictProxy(fields))


def request_head(headers: Iterable[tuple[str, str]]) -> RequestHead:
    """An extended CONNECT request as a ``RequestHead`` for the server's
    hooks and handler: method ``CONNECT``, target ``:path``, version ``(2, 0)``,
    ``Host`` set from ``:authority``, the other pseudo-header fields left out."""
    pairs = list(headers)
    pseudo = {k: v for k, v in pairs if k.startswith(":")}
    fields: CIMultiDict[str] = CIMultiDict()
    if ":authority" in pseudo:
        fields["Host"] = pseudo[":authority"]
    fields.extend((k, v) for k, v in pairs if not k.startswith(":"))
    return RequestHead(pseudo.get(":method", ""), pseudo.get(":path", ""), (2, 0), CIMultiDictProxy(fields))


class ExtendedConnectHandshake(ClientNegotiation):
    """The client's side of RFC 8441 §4-5: one extended CONNECT request and
    the check of its answer.

    Args:
        scheme: ``"https"`` for ``wss://``, ``"http"`` for ``ws://`` (the
            ``:scheme`` of the request, RFC 8441 §5).
        authority: ``:authority``, host with the port when not the default.
        path: ``:path``, path plus query (``"/chat?x=1"``).
        protocols: subprotocols offered, in order of preference.
        headers: other request fields (Origin, Authorization, Cookie, ...);
            names are lower-cased and connection-specific fields dropped
            (``CONNECTION_SPECIFIC``); a ``Host`` field becomes ``:authority``.
        request_info: reported in ``WSServerHandshakeError``.
        extensions: permessage-deflate offers, in order of preference.

    ``headers`` is the request's field list, pseudo-header fields first.
    After ``process_response``, ``deflate`` holds the negotiated
    permessage-deflate parameters, or ``None``. Raises ``ValueError`` for a
    subprotocol that is not an RFC 9110 token.
    """

    def __init__(
        self,
        *,
        scheme: str,
        authority: str,
        path: str,
        protocols: Sequence[str] = (),
        headers: Iterable[tuple[str, str]] = (),
        request_info: RequestInfo | None = None,
        extensions: Sequence[PerMessageDeflate] = (),
    ) -> None:
        super().__init__(protocols, request_info, extensions)
        fields: list[tuple[str, str]] = []
        version = "13"
        for name, value in headers:
            lower = name.lower()
            if lower == "host":
                authority = value
            elif lower == "sec-websocket-version":
                version = value  # as on HTTP/1.1: the caller's version wins
            elif lower not in CONNECTION_SPECIFIC and lower not in ("sec-websocket-protocol", "sec-websocket-extensions"):
                fields.append((lower, value))
        self.headers: list[tuple[str, str]] = [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", scheme),
            (":path", path or "/"),
            (":authority", authority),
            ("sec-websocket-version", version),
        ]
        if self.protocols:
            self.headers.append(("sec-websocket-protocol", ", ".join(self.protocols)))
        if self.extensions:
            self.headers.append(("sec-websocket-extensions", format_offers(self.extensions)))
        self.headers.extend(fields)

    def process_response(self, head: ResponseHead) -> str | None:
        """Check the answer (RFC 8441 §5: a 2xx status opens the WebSocket)
        and return the chosen subprotocol or ``None``.

        Raises ``WSServerHandshakeError`` (with status and headers) for a
        status outside 200-299, a subprotocol the client did not offer (or
        several), or an extension response that does not fit our offers
        (RFC 7692 §5, §7.1).
        """
        if not 200 <= head.status < 300:
            raise self._error(head, head.reason or "Invalid response status")
        return self._negotiate(head)


def process_extended_connect(
    head: RequestHead, protocols: Sequence[str] = (), deflate: PerMessageDeflate | None = None
) -> tuple[str | None, DeflateParams | None]:
    """Check an extended CONNECT request (RFC 8441 §4-5, *head* from
    ``request_head``); return ``(subprotocol, permessage-deflate parameters)``
    chosen as ``handshake.process_request`` does.

    Raises ``HandshakeRejected``: 405 for a method other than CONNECT, 400
    for a ``:protocol`` other than ``websocket`` (the caller checks that it
    was present), 426 with ``Sec-WebSocket-Version: 13`` for an unsupported
    version, 400 for an unusable ``Sec-WebSocket-Extensions``.
    """
    if head.method != "CONNECT":
        raise HandshakeRejected(405, "Method Not Allowed", "WebSockets over HTTP/2 use extended CONNECT", [("allow", "CONNECT")])
    headers = head.headers
    if headers.getall("Sec-WebSocket-Version", []) != ["13"]:
        raise HandshakeRejected(426, "Upgrade Required", "unsupported Sec-WebSocket-Version", [("sec-websocket-version", "13")])
    return server_choices(headers, protocols, deflate)


def accept_headers(
    protocol: str | None = None, headers: Iterable[tuple[str, str]] = (), deflate: DeflateParams | None = None
) -> list[tuple[str, str]]:
    """The 200 answer to an extended CONNECT (RFC 8441 §5), lower-case,
    connection-specific fields in *headers* dropped."""
    fields = [(":status", "200")]
    if protocol is not None:
        fields.append(("sec-websocket-protocol", protocol))
    if deflate is not None:
        fields.append(("sec-websocket-extensions", deflate.response_value()))
    fields.extend((k.lower(), v) for k, v in headers if k.lower() not in CONNECTION_SPECIFIC)
    return fields
