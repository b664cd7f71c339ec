"""HTTP/1.1 message heads and bodies (RFC 9112), Sans-I/O, with limits.

``HeadParser`` turns bytes into a ``RequestHead`` or ``ResponseHead``;
``BodyReader`` reads a response body framed by Content-Length, chunked
transfer coding or the end of the connection. ``serialize_request`` and
``serialize_response`` write heads, refusing CR, LF, NUL and other control
characters so that no caller can inject a header.
"""

from __future__ import annotations

import re
from typing import Iterable, Union

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ..exceptions import BadHttpMessage, LineTooLong, TooManyHeaders

__all__ = (
    "MAX_LINE_SIZE",
    "MAX_HEADERS",
    "MAX_BODY_SIZE",
    "RequestHead",
    "ResponseHead",
    "HeadParser",
    "BodyReader",
    "is_token",
    "check_fields",
    "serialize_request",
    "serialize_response",
)

#: Longest start line, header line or chunk-size line, in bytes (8 KiB).
MAX_LINE_SIZE = 8192
#: Most header fields in one head.
MAX_HEADERS = 128
#: Most body bytes read from a response we do not use (non-101), 1 MiB.
MAX_BODY_SIZE = 1024 * 1024

#: RFC 9110 §5.6.2 token characters, as a regular-expression class.
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN = re.compile(f"{_TCHAR}+".encode())
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?")
_REQUEST_LINE = re.compile(f"({_TCHAR}+) ".encode() + rb"(\S+) HTTP/(\d)\.(\d)")
_STR_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_STR_TOKEN = re.compile(f"{_TCHAR}+")
# One whole field line (RFC 9112 §5): at a line start, a token, a colon and
# the value without the whitespace around it (empty, or from a visible
# character to a visible character); control characters (HTAB aside), a lone
# CR or LF, or folding make a line fail to match.
_FIELD_LINE = re.compile(
    f"(?m)^({_TCHAR}+):" + r"[ \t]*([^\x00-\x20\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)?[ \t]*\r\n"
)


@attrs.frozen
class RequestHead:
    """A parsed request line and header fields."""

    method: str
    target: str
    version: tuple[int, int]
    headers: CIMultiDictProxy[str]


@attrs.frozen
class ResponseHead:
    """A parsed status line and header fields."""

    version: tuple[int, int]
    status: int
    reason: str
    headers: CIMultiDictProxy[str]


Head = Union[RequestHead, ResponseHead]


class HeadParser:
    """Incremental parser of one message head (RFC 9112 §2-§5).

    Args:
        is_response: parse a status line (client) or a request line (server).
        max_line_size: longest line in bytes, CRLF excluded (default 8 KiB).
        max_headers: most header fields (default 128).

    ``feed(data)`` returns the head once its empty line has arrived, else
    ``None``; ``leftover`` then holds the bytes that followed the head, and
    ``feed(b"")`` parses the next head from them (interim 1xx responses in
    one read cost linear time, nothing is copied per head). A lone LF is
    accepted as a line end (RFC 9112 §2.2). Raises ``LineTooLong``,
    ``TooManyHeaders`` or ``BadHttpMessage`` (all ``HttpProcessingError``).
    """

    def __init__(
        self,
        *,
        is_response: bool,
        max_line_size: int = MAX_LINE_SIZE,
        max_headers: int = MAX_HEADERS,
    ) -> None:
        self.is_response = is_response
        self.max_line_size = max_line_size
        self.max_headers = max_headers
        self._buf = bytearray()
        self._start = 0  # where the bytes not yet parsed begin in _buf
        self._lines: list[bytes] = []

    @property
    def leftover(self) -> bytes:
        """The bytes received after the last head returned, not yet parsed."""
        return bytes(self._buf[self._start :])

    def feed(self, data: bytes) -> Head | None:
        """Feed bytes; return the head when complete."""
        buf = self._buf
        kept = bool(buf)  # nothing kept from before: the head is looked for in data itself, not copied
        if kept:
            buf += data
        start = self._start
        if not self._lines:  # the usual case first: a whole head, CRLF line ends
            source = buf if kept else data
            end = source.find(b"\r\n\r\n", start)
            if 0 <= end - start <= self.max_line_size:
                head = self._whole(bytes(source[start : end + 2]))
                if head is not None:
                    if kept:
                        self._start = end + 4
                    else:
                        buf += memoryview(data)[end + 4 :]
                    return head
        if not kept:
            buf += data
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            line = bytes(buf[start:nl])
            start = nl + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_line_size:
                raise LineTooLong(f"line over {self.max_line_size} bytes")
            if not line:
                if not self._lines:
                    continue  # RFC 9112 §2.2: ignore empty lines before the start line
                lines, self._lines = self._lines, []
                self._start = start
                return self._parse(lines)
            if len(self._lines) > self.max_headers:
                raise TooManyHeaders(f"more than {self.max_headers} header fields")
            self._lines.append(line)
        del buf[:start]
        self._start = 0
        if len(buf) > self.max_line_size + 1:
            raise LineTooLong(f"line over {self.max_line_size} bytes")
        return None

    def _whole(self, block: bytes) -> Head | None:
        """A head whose lines all end in CRLF (*block*, the last CRLF
        included, the empty line not), its fields parsed by one regular
        expression; ``None`` when anything needs the line-by-line rules
        (an empty line before the start line, a lone LF, a folded or invalid
        line, too many fields: they decide what to accept and what to raise)."""
        start_line, _, fields = block.partition(b"\r\n")
        if not start_line or b"\n" in start_line:
            return None
        text = fields.decode("utf-8", "surrogateescape")
        pairs = _FIELD_LINE.findall(text)
        if len(pairs) != text.count("\n") or len(pairs) > self.max_headers:
            return None  # a line did not match (each match ends one line), or too many
        return self._start_line(start_line, CIMultiDictProxy(CIMultiDict(pairs)))

    def _parse(self, lines: list[bytes]) -> Head:
        return self._start_line(lines[0], parse_fields(lines[1:], is_response=self.is_response))

    def _start_line(self, line: bytes, headers: CIMultiDictProxy[str]) -> Head:
        if self.is_response:
            if line[:9] == b"HTTP/1.1 " and len(line) >= 12 and line[9:12].isdigit() and line[12:13] in (b"", b" "):
                # the usual status line, as _STATUS_LINE reads it (bytes.isdigit: ASCII digits only)
                return ResponseHead((1, 1), int(line[9:12]), line[13:].decode("latin-1"), headers)
            m = _STATUS_LINE.fullmatch(line)
            if m is None:
                raise BadHttpMessage(f"invalid status line {line[:100]!r}")
            reason = (m.group(4) or b"").decode("latin-1")
            return ResponseHead((int(m.group(1)), int(m.group(2))), int(m.group(3)), reason, headers)
        m = _REQUEST_LINE.fullmatch(line)
        if m is None:
            raise BadHttpMessage(f"invalid request line {line[:100]!r}")
        return RequestHead(
            m.group(1).decode("ascii"),
            m.group(2).decode("utf-8", "surrogateescape"),
            (int(m.group(3)), int(m.group(4))),
            headers,
        )


def parse_fields(lines: list[bytes], *, is_response: bool) -> CIMultiDictProxy[str]:
    """Header field lines → ``CIMultiDictProxy`` (RFC 9112 §5).

    Rejects whitespace before the colon, names that are not tokens and values
    with control characters. Obsolete line folding is replaced by a space in
    a response and rejected in a request (RFC 9112 §5.2).
    """
    headers: CIMultiDict[str] = CIMultiDict()
    last: tuple[str, str] | None = None
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not is_response or last is None:
                raise BadHttpMessage("obsolete line folding (RFC 9112 §5.2)")
            name, value = last
            value = value + " " + _field_value(line)
            headers.popall(name)  # folded value replaces the last one
            headers.add(name, value)
            last = (name, value)
            continue
        raw_name, colon, raw_value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(raw_name):
            raise BadHttpMessage(f"invalid header line {line[:100]!r}")
        last = (raw_name.decode("ascii"), _field_value(raw_value))
        headers.add(*last)
    return CIMultiDictProxy(headers)


def _field_value(raw: bytes) -> str:
    raw = raw.strip(b" \t")
    if _BAD_VALUE.search(raw):
        raise BadHttpMessage("control character in a header value")
    return raw.decode("utf-8", "surrogateescape")


class BodyReader:
    """Reads one response body (RFC 9112 §6), keeping at most *limit* bytes.

    Framing: no body for 1xx/204/304 or a HEAD request; chunked when
    ``Transfer-Encoding`` ends with ``chunked``; else ``Content-Length``; else
    until the connection ends. ``feed(data)`` returns ``True`` once the body is
    complete or *limit* bytes are kept (then ``truncated`` is ``True``);
    ``feed_eof()`` ends a close-delimited body and raises ``BadHttpMessage``
    for a body cut short. Raises ``BadHttpMessage`` for bad framing.
    """

    def __init__(self, head: ResponseHead, *, limit: int = MAX_BODY_SIZE, method: str = "GET") -> None:
        self.limit = limit
        self.body = bytearray()
        self.truncated = False
        self.done = False
        #: Bytes fed after the body was complete (a keep-alive connection
        #: with such bytes cannot be reused).
        self.excess = 0
        #: Whether the body ends only when the connection does (no length, not
        #: chunked), so the connection cannot carry another response.
        self.until_eof = False
        self._chunked = False
        self._remaining: int | None = None  # bytes left of the body or of the chunk
        self._chunk_state = "size"
        self._line = bytearray()
        self._frame(head, method)

    def _frame(self, head: ResponseHead, method: str) -> None:
        if method == "HEAD" or head.status in (204, 304) or 100 <= head.status < 200:
            self.done = True
            return
        te = head.headers.getall("Transfer-Encoding", [])
        if te:
            codings = [c.strip().lower() for v in te for c in v.split(",") if c.strip()]
            if codings and codings[-1] == "chunked":
                self._chunked = True
                return
            self.until_eof = True  # other codings: read until the connection ends
            return
        lengths = head.headers.getall("Content-Length", [])
        if lengths:
            values = {v.strip() for line in lengths for v in line.split(",")}
            if len(values) != 1 or not next(iter(values)).isdigit():
                raise BadHttpMessage(f"invalid Content-Length {lengths!r}")
            self._remaining = int(next(iter(values)))
            self.done = self._remaining == 0
        else:
            self.until_eof = True

    @property
    def declared_length(self) -> int | None:
        """The body length ``Content-Length`` announces, or ``None`` (chunked,
        close-delimited, or no body)."""
        return None if self._chunked or self.until_eof else self._remaining

    def feed(self, data: bytes) -> bool:
        """Feed bytes of the body; return whether reading is finished."""
        if self.done:
            self.excess += len(data)
            return True
        if self._chunked:
            self._feed_chunked(memoryview(data))
        elif self._remaining is None:
            self._keep(data)
        else:
            self.excess += max(0, len(data) - self._remaining)
            take = bytes(data[: self._remaining])
            self._remaining -= len(take)
            self._keep(take)
            if self._remaining == 0:
                self.done = True
        return self.done

    def feed_eof(self) -> None:
        """The connection ended."""
        if self.done:
            return
        if self._chunked or self._remaining is not None:
            raise BadHttpMessage("connection closed before the end of the response body")
        self.done = True

    def _keep(self, data: bytes | memoryview) -> None:
        room = self.limit - len(self.body)
        self.body += data[:room]
        if len(data) > room:
            self.truncated = True
            self.done = True

    def _feed_chunked(self, data: memoryview) -> None:
        while data:
            if self.done:
                self.excess += len(data)
                return
            if self._chunk_state == "data":
                assert self._remaining is not None
                take = data[: self._remaining]
                data = data[len(take) :]
                self._remaining -= len(take)
                self._keep(take)
                if self._remaining == 0:
                    self._chunk_state = "crlf"
                continue
            nl = bytes(data).find(b"\n")
            if nl < 0:
                self._line += data
                data = data[len(data) :]
            else:
                self._line += data[:nl]
                data = data[nl + 1 :]
                line = bytes(self._line).rstrip(b"\r")
                self._line.clear()
                self._chunk_line(line)
            if len(self._line) > MAX_LINE_SIZE:
                raise LineTooLong("chunk line too long")

    def _chunk_line(self, line: bytes) -> None:
        state = self._chunk_state
        if state == "size":
            size = line.split(b";", 1)[0].strip()
            if not size or not all(c in b"0123456789abcdefABCDEF" for c in size):
                raise BadHttpMessage(f"invalid chunk size {line[:40]!r}")
            self._remaining = int(size, 16)
            self._chunk_state = "data" if self._remaining else "trailer"
        elif state == "crlf":
            if line:
                raise BadHttpMessage("missing CRLF after chunk data")
            self._chunk_state = "size"
        elif not line:  # trailer section ends with an empty line
            self.done = True


def is_token(value: str) -> bool:
    """Whether *value* is an RFC 9110 §5.6.2 token (a header name, a method, a subprotocol)."""
    return _STR_TOKEN.fullmatch(value) is not None


def _check_token(kind: str, value: str) -> None:
    if not is_token(value):
        raise ValueError(f"invalid HTTP {kind} {value!r}")


def check_fields(headers: Iterable[tuple[str, str]]) -> None:
    """Raise ``ValueError`` for a header name that is not a token (RFC 9110
    §5.1) or a value with a control character other than HTAB (CR, LF, NUL,
    ...: RFC 9110 §5.5), the checks every serialized head passes."""
    token, bad = _STR_TOKEN.fullmatch, _STR_BAD.search  # no Python call per field
    for name, value in headers:
        if token(name) is None:
            raise ValueError(f"invalid HTTP header name {name!r}")
        if bad(value):
            raise ValueError(f"control character (CR, LF, NUL, ...) in the value of header {name!r}")


def _head_bytes(start_line: str, headers: Iterable[tuple[str, str]], checked: bool = False) -> bytes:
    if not checked:
        headers = list(headers)
        check_fields(headers)
    return "\r\n".join([start_line, *map(": ".join, headers), "\r\n"]).encode("utf-8", "surrogateescape")


def serialize_request(method: str, target: str, headers: Iterable[tuple[str, str]], *, checked: bool = False) -> bytes:
    """A request head. Raises ``ValueError`` for a method that is not a token,
    a target with whitespace or control characters, or a bad header
    (``check_fields``; *checked*: the caller has checked every field, as
    ``ClientHandshake`` does for the fields it did not write itself)."""
    _check_token("method", method)
    if not target or _STR_BAD.search(target) or " " in target:
        raise ValueError(f"invalid request target {target!r}")
    return _head_bytes(f"{method} {target} HTTP/1.1", headers, checked)


def serialize_response(status: int, reason: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """A response head. Raises ``ValueError`` for a bad reason or header."""
    if not 100 <= status <= 999 or _STR_BAD.search(reason):
        raise ValueError(f"invalid status {status} {reason!r}")
    return _head_bytes(f"HTTP/1.1 {status} {reason}", headers)
