"""The server's HTTP/2 connections: extended CONNECT (RFC 8441) for ``serve()``.

``H2ServerConnection`` advertises ``SETTINGS_ENABLE_CONNECT_PROTOCOL = 1``
(RFC 8441 §3) and hands each request stream to the ``Server``, which runs the
same hooks and handler as for HTTP/1.1 upgrades; ``answer`` and ``refuse``
write the response head (and a refusal's body). ``PREFACE`` is the client
connection preface (RFC 9113 §3.4) by which a cleartext connection is known
to be HTTP/2 with prior knowledge (h2c).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import h2.events
import h2.settings

from .connection import H2Protocol
from .stream import StreamTransport

if TYPE_CHECKING:
    from ..server import Server

__all__ = ("H2ServerConnection", "PREFACE", "MAX_STREAMS")

#: RFC 9113 §3.4: the first bytes of an HTTP/2 client connection.
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#: SETTINGS_MAX_CONCURRENT_STREAMS the server offers: WebSockets one client
#: may open on one connection at once.
MAX_STREAMS = 100


class H2ServerConnection(H2Protocol):
    """The server side of one HTTP/2 connection of *server*."""

    def __init__(self, server: Server) -> None:
        super().__init__(
            client_side=False,
            settings={
                h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1,
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: MAX_STREAMS,
            },
        )
        self._server = server

    def on_other(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            stream_id = event.stream_id or 0
            stream = StreamTransport(self, stream_id)
            self.streams[stream_id] = stream
            fields = [(str(k), str(v)) for k, v in event.headers or []]
            if self.going_away:
                self.refuse(stream, 503, [("retry-after", "1")], b"server shutting down\n")
            else:
                self._server._start_http2(self, stream, fields)

    def answer(self, stream: StreamTransport, headers: list[tuple[str, str]]) -> None:
        """Send the response head that opens the WebSocket (RFC 8441 §5)."""
        if stream.done or self.lost:
            return
        self.h2.send_headers(stream.stream_id, headers)
        self.send()

    def refuse(self, stream: StreamTransport, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """Answer *status* with *body* and end the stream (once: a stream
        already answered or ending is left alone)."""
        if stream.done or self.lost or stream.is_closing() or stream.ended_local:
            return
        fields = [(":status", str(status))]
        extra = [(k.lower(), v) for k, v in headers]
        if not any(k == "content-type" for k, _ in extra):
            fields.append(("content-type", "text/plain; charset=utf-8"))
        fields += [*extra, ("content-length", str(len(body)))]
        self.h2.send_headers(stream.stream_id, fields, end_stream=not body)
        self.send()
        if body:
            stream.write(body)
            stream.close()
        else:
            stream.ended()

    def shut_down(self) -> None:
        """No new streams; GOAWAY and the end of TCP once the open ones end."""
        self.going_away = True
        self.check_idle()

    def on_idle(self) -> None:
        if self.going_away:
            self.terminate()
