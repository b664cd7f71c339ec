"""asyncio protocol for the HTTP part of a connection: read one head, then
(on a refusal) a bounded body. Bytes that follow the head are kept in order
for whoever takes the transport over, so no WebSocket frame is ever lost."""

from __future__ import annotations

import asyncio
from typing import cast

from .exceptions import (
    BadHttpMessage,
    ClientPayloadError,
    HttpProcessingError,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from .sansio.frames import read_buffer
from .sansio.http11 import MAX_BODY_SIZE, MAX_HEADERS, MAX_LINE_SIZE, BodyReader, Head, HeadParser, ResponseHead

__all__ = ("HttpHeadProtocol", "MAX_INTERIM_RESPONSES")

#: Interim (1xx other than 101) responses accepted before the final one; one
#: more fails the head with ``BadHttpMessage`` (``WSServerHandshakeError`` for
#: a handshake). Servers send one or two (100 Continue, 103 Early Hints).
MAX_INTERIM_RESPONSES = 32


class HttpHeadProtocol(asyncio.BufferedProtocol):
    """Reads a request head (server) or response head (client).

    ``await read_head()`` returns the head; interim 1xx responses other than
    101 are skipped on the client side (RFC 9112 §4). ``take_over()`` returns
    the bytes received after the head and whether the peer already closed.

    The transport reads into the thread's read buffer (``frames.read_buffer``,
    the one idle frame parsers lend, ``frames.READ_SIZE`` bytes), and what
    arrived is copied out at once: a plain
    protocol would make asyncio allocate a fresh 256 KiB ``bytes`` per read,
    which glibc maps and unmaps each time (two page faults per connect).
    Transports that only call ``data_received`` (an HTTP/2 stream, a test's)
    work as well.
    """

    def __init__(self, *, is_response: bool) -> None:
        self._is_response = is_response
        self._view = memoryview(b"")  # the read buffer get_buffer() lent the transport
        #: Limits of the next heads read (bytes per line, header fields); the
        #: session sets them per request (``max_line_size``, ``max_headers``).
        self.max_line_size = MAX_LINE_SIZE
        self.max_headers = MAX_HEADERS
        self._parser: HeadParser | None = self._new_parser()
        self._waiter: asyncio.Future[Head] = asyncio.get_running_loop().create_future()
        self._extra = bytearray()
        self._body: BodyReader | None = None
        self._body_waiter: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.lost_exc: BaseException | None = None
        #: Seconds allowed between two reads while a head or body is awaited
        #: (``ClientTimeout.sock_read``); ``None``: no limit.
        self.read_timeout: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._received_since_reset = 0
        self._interim = 0  # interim responses seen before the current head

    def set_limits(self, max_line_size: int, max_headers: int) -> None:
        """Limits of the heads read from now on: bytes per line, header fields."""
        self.max_line_size, self.max_headers = max_line_size, max_headers
        if self._parser is not None:
            self._parser.max_line_size, self._parser.max_headers = max_line_size, max_headers

    def hold(self) -> None:
        """Keep what arrives as raw bytes, unparsed, until ``reset()`` (read it
        as HTTP/1.1 after all) or ``take_over()`` (another protocol takes it:
        HTTP/2, after ALPN chose ``h2`` or with prior knowledge)."""
        self._parser = None
        self._body = None

    def _new_parser(self) -> HeadParser:
        return HeadParser(is_response=self._is_response, max_line_size=self.max_line_size, max_headers=self.max_headers)

    def reset(self) -> None:
        """Get ready for the next response on this connection (keep-alive, or
        the origin's head after a proxy's CONNECT answer)."""
        self._parser = self._new_parser()
        self._waiter = asyncio.get_running_loop().create_future()
        self._body = None
        self._body_waiter = None
        self._received_since_reset = 0
        self._interim = 0  # interim responses seen before the current head
        self._cancel_timer()
        if self._extra:
            pending = bytes(self._extra)
            self._extra.clear()
            self.data_received(pending)

    def _arm_timer(self) -> None:
        self._cancel_timer()
        if self.read_timeout is not None:
            self._timer = asyncio.get_running_loop().call_later(self.read_timeout, self._read_timed_out)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _read_timed_out(self) -> None:
        self._timer = None
        exc = SocketTimeoutError(f"Timeout on reading data from socket ({self.read_timeout} s)")
        self._fail_waiter(exc)
        self._finish_body(exc)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    @property
    def idle(self) -> bool:
        """Whether nothing arrived since ``reset()`` (a pooled connection that
        received bytes while idle must not be reused)."""
        return not self.lost and not self._extra and self._received_since_reset == 0

    def get_buffer(self, sizehint: int) -> memoryview:
        self._view = read_buffer()
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self._view[:nbytes]))

    def data_received(self, data: bytes) -> None:
        self._received_since_reset += len(data)
        if self._timer is not None:
            self._arm_timer()
        parser = self._parser
        if parser is None:
            if self._body is not None:
                self._feed_body(data)
            else:
                self._extra += data
            return
        try:
            head = parser.feed(data)
            while head is not None and self._is_interim(head):
                self._interim += 1
                if self._interim > MAX_INTERIM_RESPONSES:
                    raise BadHttpMessage(f"more than {MAX_INTERIM_RESPONSES} interim (1xx) responses")
                head = parser.feed(b"")  # the next head, from the bytes after this one
        except Exception as exc:  # a malformed head: fail the waiter once
            self._parser = None
            self._fail_waiter(exc)
            return
        if head is not None:
            self._parser = None
            self._extra += parser.leftover
            if not self._waiter.done():  # read_head() may have been cancelled (wait_for around a connect)
                self._waiter.set_result(head)

    def _fail_waiter(self, exc: BaseException) -> None:
        """Fail ``read_head()``; marked retrieved, since a pooled idle
        connection may fail with nobody waiting."""
        if not self._waiter.done():
            self._waiter.set_exception(exc)
            self._waiter.exception()

    def _is_interim(self, head: Head) -> bool:
        return isinstance(head, ResponseHead) and 100 <= head.status < 200 and head.status != 101

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = True
        self.lost_exc = exc
        self._fail_waiter(ServerDisconnectedError("Connection closed before the HTTP head was complete"))
        if self._body is not None:
            self._body_eof()

    def _body_eof(self) -> None:
        assert self._body is not None
        try:
            self._body.feed_eof()
        except Exception as err:
            self._finish_body(err)
        else:
            self._finish_body(None)

    async def read_head(self) -> Head:
        """The head, once complete. Raises ``HttpProcessingError`` subclasses for
        a malformed head, ``ServerDisconnectedError`` if the peer closed first."""
        if not self._waiter.done():
            self._arm_timer()
        try:
            return await self._waiter
        finally:
            self._cancel_timer()

    async def read_full_body(self, head: ResponseHead, *, limit: int, method: str = "GET") -> tuple[bytes, bool]:
        """The whole body that follows *head*, and whether the connection can
        carry another response afterwards. Raises ``ClientPayloadError`` for a
        body over *limit* bytes, cut short or badly framed, and
        ``SocketTimeoutError`` after ``read_timeout`` seconds without data."""
        try:
            reader = BodyReader(head, limit=limit, method=method)
            declared = reader.declared_length
            if declared is not None and declared > limit:
                raise ClientPayloadError(f"Response body of {declared} bytes is larger than {limit} bytes")
            if not reader.done:
                await self._read_into(reader)
        except HttpProcessingError as exc:
            raise ClientPayloadError(f"Response payload is not completed: {exc.message}") from exc
        if reader.truncated:
            raise ClientPayloadError(f"Response body is larger than {limit} bytes")
        reusable = not reader.until_eof and not reader.excess and not self.lost and not self._extra
        return bytes(reader.body), reusable

    async def _read_into(self, reader: BodyReader) -> None:
        self._body_waiter = asyncio.get_running_loop().create_future()
        self._body = reader
        pending = bytes(self._extra)
        self._extra.clear()
        if pending:
            self._feed_body(pending)
        if self.lost:
            self._body_eof()
        if not self._body_waiter.done():
            self._arm_timer()
        try:
            await self._body_waiter
        finally:
            self._cancel_timer()
            self._body = None

    async def read_body(self, head: ResponseHead, *, limit: int = MAX_BODY_SIZE, method: str = "GET") -> bytes:
        """Up to *limit* bytes of the body that follows *head* (RFC 9112 §6).
        A ``Content-Length`` over *limit* is not waited for: the bytes already
        received (at most *limit*) are returned at once."""
        reader = BodyReader(head, limit=limit, method=method)
        if reader.done:
            return b""
        declared = reader.declared_length
        if declared is not None and declared > limit:
            return bytes(self._extra[:limit])
        await self._read_into(reader)
        return bytes(reader.body)

    def _feed_body(self, data: bytes) -> None:
        assert self._body is not None
        try:
            done = self._body.feed(data)
        except Exception as exc:
            self._finish_body(exc)
            return
        if done:
            self._finish_body(None)

    def _finish_body(self, exc: BaseException | None) -> None:
        waiter = self._body_waiter
        if waiter is None or waiter.done():
            return
        if exc is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(exc)

    def take_over(self) -> tuple[bytes, bool]:
        """Bytes received after the head, and whether the connection was lost."""
        data = bytes(self._extra)
        self._extra.clear()
        return data, self.lost
