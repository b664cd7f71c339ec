"""Reading an HTTP/1.1 head and a short body from an anyio byte stream."""

from __future__ import annotations

import anyio
import anyio.abc

from ..exceptions import BadHttpMessage, ServerDisconnectedError
from ..http_proto import MAX_INTERIM_RESPONSES
from ..sansio.http11 import MAX_BODY_SIZE, BodyReader, Head, HeadParser, ResponseHead

__all__ = ("read_head", "read_body")

_READ = 64 * 1024


async def read_head(stream: anyio.abc.ByteStream, *, is_response: bool) -> tuple[Head, bytes]:
    """The next message head and the bytes received after it. A client skips
    interim 1xx responses other than 101 (RFC 9112 §4), at most
    ``MAX_INTERIM_RESPONSES``. Raises ``ServerDisconnectedError`` if the
    stream ends first and ``HttpProcessingError`` for a malformed head."""
    parser = HeadParser(is_response=is_response)
    interim = 0
    while True:
        try:
            data = await stream.receive(_READ)
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError) as exc:
            raise ServerDisconnectedError("Connection closed before the HTTP head was complete") from exc
        head = parser.feed(data)
        while isinstance(head, ResponseHead) and 100 <= head.status < 200 and head.status != 101:
            interim += 1
            if interim > MAX_INTERIM_RESPONSES:
                raise BadHttpMessage(f"more than {MAX_INTERIM_RESPONSES} interim (1xx) responses")
            head = parser.feed(b"")
        if head is not None:
            return head, parser.leftover


async def read_body(stream: anyio.abc.ByteStream, head: ResponseHead, leftover: bytes) -> bytes:
    """Up to ``MAX_BODY_SIZE`` bytes of a refusal's body; ``b""`` if it is
    malformed or cut short."""
    try:
        reader = BodyReader(head, limit=MAX_BODY_SIZE)
        done = reader.feed(leftover) if leftover else reader.done
        while not done:
            try:
                data = await stream.receive(_READ)
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                reader.feed_eof()
                break
            done = reader.feed(data)
    except BadHttpMessage:
        return b""
    return bytes(reader.body)
