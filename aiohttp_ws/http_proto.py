"""asyncio protocol for the HTTP part of a connection: read one head, then
(on a refusal) a bounded body. Bytes that follow the head are kept in order
for whoever takes the transport over, so no WebSocket frame is ever lost."""

from __future__ import annotations

import asyncio
from typing import cast

from .exceptions import ServerDisconnectedError
from .http11 import MAX_BODY_SIZE, BodyReader, Head, HeadParser, ResponseHead

__all__ = ("HttpHeadProtocol",)


class HttpHeadProtocol(asyncio.Protocol):
    """Reads a request head (server) or response head (client).

    ``await read_head()`` returns the head; interim 1xx responses other than
    101 are skipped on the client side (RFC 9112 §4). ``take_over()`` returns
    the bytes received after the head and whether the peer already closed.
    """

    def __init__(self, *, is_response: bool) -> None:
        self._is_response = is_response
        self._parser: HeadParser | None = HeadParser(is_response=is_response)
        self._waiter: asyncio.Future[Head] = asyncio.get_running_loop().create_future()
        self._extra = bytearray()
        self._body: BodyReader | None = None
        self._body_waiter: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.lost_exc: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
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
                leftover = parser.leftover
                parser = self._parser = HeadParser(is_response=True)
                head = parser.feed(leftover)
        except Exception as exc:  # a malformed head: fail the waiter once
            self._parser = None
            if not self._waiter.done():
                self._waiter.set_exception(exc)
            return
        if head is not None:
            self._parser = None
            self._extra += parser.leftover
            self._waiter.set_result(head)

    def _is_interim(self, head: Head) -> bool:
        return isinstance(head, ResponseHead) and 100 <= head.status < 200 and head.status != 101

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = True
        self.lost_exc = exc
        if not self._waiter.done():
            self._waiter.set_exception(ServerDisconnectedError("Connection closed before the HTTP head was complete"))
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
        return await self._waiter

    async def read_body(self, head: ResponseHead, *, limit: int = MAX_BODY_SIZE, method: str = "GET") -> bytes:
        """Up to *limit* bytes of the body that follows *head* (RFC 9112 §6)."""
        reader = BodyReader(head, limit=limit, method=method)
        if reader.done:
            return b""
        self._body_waiter = asyncio.get_running_loop().create_future()
        self._body = reader
        pending = bytes(self._extra)
        self._extra.clear()
        if pending:
            self._feed_body(pending)
        if self.lost:
            self._body_eof()
        await self._body_waiter
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
