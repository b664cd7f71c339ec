"""RFC 6455 §5 framing: the frame value, the incremental parser and the serializer.

Sans-I/O: bytes in, frames out; frames in, bytes out. This module is the hot
path and is written in plain statements so a compiler can take it as it is.
"""

from __future__ import annotations

import os
import struct
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from ..exceptions import InvalidPayloadError, PayloadTooBig, ProtocolError

if TYPE_CHECKING:
    from . import _pure_mode as cython
else:
    try:  # Cython reads ``cython.compiled`` as True when it compiles this file as _frames_c
        import cython
    except ImportError:
        from . import _pure_mode as cython

__all__ = (
    "OP_CONTINUATION",
    "OP_TEXT",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_PING",
    "OP_PONG",
    "MAX_CONTROL_PAYLOAD",
    "MAX_CLOSE_REASON",
    "Frame",
    "FrameParser",
    "frame_header",
    "build_frame",
    "build_frame_into",
    "apply_mask",
    "masking_key",
    "is_valid_close_code",
    "parse_close_payload",
    "build_close_payload",
    "HAS_EXTENSIONS",
    "NO_EXTENSIONS",
)

#: ``AIOHTTP_WS_NO_EXTENSIONS=1`` forces the pure-Python hot path.
NO_EXTENSIONS = bool(os.environ.get("AIOHTTP_WS_NO_EXTENSIONS"))

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

#: RFC 6455 §5.5: control frames carry at most 125 bytes of payload.
MAX_CONTROL_PAYLOAD = 125
#: A close payload is a 2-byte code plus a reason, so the reason has 123 bytes.
MAX_CLOSE_REASON = 123

_KNOWN_OPCODES = frozenset((0x0, 0x1, 0x2, 0x8, 0x9, 0xA))
#: Close codes an endpoint may send and receive (RFC 6455 §7.4.1, IANA registry).
#: 1004 is reserved; 1005, 1006 and 1015 are local-only and never on the wire.
_SENDABLE_CLOSE_CODES = frozenset((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014))

_new_tuple = tuple.__new__
_PACK_16 = struct.Struct("!BBH").pack
_PACK_64 = struct.Struct("!BBQ").pack
#: Size of the per-thread scratch buffer the transport reads into (bytes).
READ_SIZE = 256 * 1024
#: Least free room offered to the transport in a connection's own buffer (bytes).
MIN_READ = 16 * 1024
#: A frame spanning reads whose rest is over this many bytes goes into one of the
#: thread's spare buffers when one is large enough (else a buffer of twice the
#: bytes received), and such buffers go back to the spares when the parser is
#: idle: fresh blocks of this size cost page faults (docs/performance.rst).
SPARE_MIN = 16 * 1024
_scratch = threading.local()


#: Spare buffers for frames larger than the scratch buffer, kept per thread so
#: that big messages reuse warm memory instead of fresh pages from the kernel.
MAX_SPARE_BUFFERS = 2


_get_ident = threading.get_ident
#: The last thread that asked for its scratch buffer, and that buffer: one
#: comparison instead of a thread-local lookup on every read.
_last_thread = 0
_last_pair: Any = None


def _scratch_buffer() -> tuple[bytearray, memoryview]:
    """The calling thread's read buffer, shared by its idle parsers, and a view
    of all of it (made once: the buffer is never resized)."""
    global _last_thread, _last_pair
    ident = _get_ident()
    if ident == _last_thread:
        return _last_pair  # type: ignore[no-any-return]
    pair: tuple[bytearray, memoryview] | None = getattr(_scratch, "pair", None)
    if pair is None:
        buf = bytearray(READ_SIZE)
        pair = _scratch.pair = (buf, memoryview(buf))
    _last_thread = ident
    _last_pair = pair
    return pair


def read_buffer() -> memoryview:
    """A view of the calling thread's ``READ_SIZE`` read buffer, for a
    protocol that copies out what a read put in before the next read
    (``HttpHeadProtocol``): the buffer idle frame parsers lend the transport."""
    return _scratch_buffer()[1]


#: The buffer of an idle parser: shared, never written (``_reserve`` swaps in
#: a new one before growing).
_EMPTY = bytearray()


def _take_buffer(size: int, received: int) -> bytearray:
    """A buffer for a frame of *size* bytes of which *received* have arrived:
    a spare of the thread's that holds the whole frame (memory already there),
    else a new one of twice the bytes received (never what a peer merely
    declares: the buffer grows with the bytes, see ``get_buffer``)."""
    spares: list[bytearray] = getattr(_scratch, "spares", [])
    for i, buf in enumerate(spares):
        if len(buf) >= size:
            return spares.pop(i)
    return bytearray(min(size, 2 * received))


def _give_back(buf: bytearray) -> None:
    """Keep *buf* (no longer referenced by its parser) for the next big frame."""
    spares: list[bytearray] | None = getattr(_scratch, "spares", None)
    if spares is None:
        spares = _scratch.spares = []
    if len(spares) < MAX_SPARE_BUFFERS:
        spares.append(buf)
    else:
        smallest = min(range(len(spares)), key=lambda i: len(spares[i]))
        if len(spares[smallest]) < len(buf):
            spares[smallest] = buf


class Frame(NamedTuple):
    """One frame as the application sees it: unmasked payload, no lengths.

    ``opcode`` is the 4-bit RFC 6455 §5.2 opcode; ``payload`` is ``bytes``.
    """

    fin: bool
    opcode: int
    payload: bytes
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False


def _apply_mask_py(data: bytes | memoryview, key: bytes) -> bytes:
    """XOR *data* with the 4-byte masking *key* repeated (RFC 6455 §5.3).

    Masking and unmasking are the same operation. Works a whole integer at a
    time, which is far faster in pure Python than a loop over bytes.
    """
    n = len(data)
    if n == 0:
        return b""
    mask = int.from_bytes(key * ((n >> 2) + 1), "little") & ((1 << (n << 3)) - 1)
    return (int.from_bytes(data, "little") ^ mask).to_bytes(n, "little")


def _mask_frame_py(prefix: bytes, data: bytes, key: bytes) -> bytes:
    """``prefix + apply_mask(data, key)``: a frame's header and key, then its
    masked payload (the C twin makes it in one allocation)."""
    return prefix + apply_mask(data, key)


def _mask_into_py(out: bytearray, offset: int, data: bytes, key: bytes) -> None:
    """Write ``apply_mask(data, key)`` into ``out[offset:offset + len(data)]``."""
    if offset < 0 or offset + len(data) > len(out):
        raise ValueError("out is too small for the masked payload")
    out[offset : offset + len(data)] = apply_mask(data, key)


apply_mask = _apply_mask_py
mask_frame = _mask_frame_py
mask_into = _mask_into_py
if not TYPE_CHECKING and not NO_EXTENSIONS:
    try:  # the C twins (aiohttp_ws/sansio/_mask.pyx), eight bytes at a time
        from ._mask import apply_mask, mask_frame, mask_into
    except ImportError:
        pass

_key_pool = b""
_key_pos = 0


def masking_key() -> bytes:
    """A fresh 4-byte masking key from ``os.urandom`` (RFC 6455 §5.3, §10.3).

    Keys are drawn 1 KiB of entropy at a time and never reused; the pool is
    dropped in a forked child so two processes never share keys.
    """
    global _key_pool, _key_pos
    if cython.compiled:  # the C pool of _mask.pyx, also dropped at fork
        return c_masking_key()  # type: ignore[name-defined,no-any-return]  # noqa: F821
    pos = _key_pos
    if pos >= len(_key_pool):
        _key_pool = os.urandom(1024)
        pos = 0
    _key_pos = pos + 4
    return _key_pool[pos : pos + 4]


def _reset_key_pool() -> None:
    global _key_pool, _key_pos
    _key_pool = b""
    _key_pos = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_key_pool)


def frame_header(opcode: int, n: int, mask: bool, fin: bool, rsv1: bool) -> bytes:
    """The first 2-10 bytes of a frame (RFC 6455 §5.2): FIN, RSV1, opcode,
    MASK and a payload length of *n* bytes in the shortest of the 7/16/64-bit
    encodings. The masking key, if any, follows."""
    b0 = opcode | (0x80 if fin else 0) | (0x40 if rsv1 else 0)
    mbit = 0x80 if mask else 0
    if n < 126:
        return bytes((b0, n | mbit))
    if n < 65536:
        return _PACK_16(b0, 126 | mbit, n)
    return _PACK_64(b0, 127 | mbit, n)


def build_frame(opcode: int, payload: bytes, mask: bool, fin: bool = True, rsv1: bool = False) -> bytes:
    """Serialize one frame (RFC 6455 §5.2): header, masking key, payload.

    A client sets *mask* (a fresh key per frame); a server must not. The
    caller enforces control-frame rules; this function only writes bytes.
    """
    if cython.compiled:  # header, key and masked payload written in one allocation (_mask.pyx)
        return build_frame_c(opcode | (0x80 if fin else 0) | (0x40 if rsv1 else 0), payload, mask)  # type: ignore[name-defined,no-any-return]  # noqa: F821
    header = frame_header(opcode, len(payload), mask, fin, rsv1)
    if mask:
        key = masking_key()
        return mask_frame(header + key, payload, key)
    return header + payload


def build_frame_into(out: bytearray, opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> int:
    """Serialize one masked (client) frame into the start of *out*, growing it
    if needed, and return the frame's length in bytes; ``out[:length]`` is the
    frame. With the C mask nothing is allocated per frame once *out* is large
    enough, so big messages do not fault fresh pages in (see
    docs/performance.rst). *out* must not be exported when it has to grow.
    """
    n = len(payload)
    key = masking_key()
    head = frame_header(opcode, n, True, fin, rsv1) + key
    total = len(head) + n
    if len(out) < total:
        out.extend(bytes(total - len(out)))
    out[: len(head)] = head
    mask_into(out, len(head), payload, key)
    return total


def _payload(buf: bytearray, start: int, end: int, masked: int) -> bytes:
    """The payload of the frame whose masking key (if *masked*) and payload
    are ``buf[start:end]``, unmasked and copied once (slices of a view copy
    nothing)."""
    if cython.compiled:  # one copy straight out of the buffer (_mask.pyx)
        return frame_payload(buf, start, end, masked)  # type: ignore[name-defined,no-any-return]  # noqa: F821
    view = memoryview(buf)
    if masked:
        payload = apply_mask(view[start + 4 : end], bytes(view[start : start + 4]))
    else:
        payload = bytes(view[start:end])
    view.release()
    return payload


def _message(message: type, tp: object, data: object) -> Any:
    """``message(tp, data, None)`` for the tuple type *message* (``WSMessage``),
    without its Python-level ``__new__``."""
    if cython.compiled:
        return new_message(message, tp, data)  # type: ignore[name-defined]  # noqa: F821
    return _new_tuple(message, (tp, data, None))


class FrameParser:
    """Incremental RFC 6455 §5.2 frame parser: accepts bytes split at any point.

    ``feed(data)`` appends bytes; ``next_frame()`` returns the next complete
    frame or ``None`` when more bytes are needed. For ``asyncio.BufferedProtocol``,
    ``get_buffer()`` / ``buffer_updated(n)`` let the transport read in place: a
    parser with no partial frame lends the thread's scratch buffer (so an idle
    connection holds no buffer at all), and ``release_scratch()`` after parsing
    keeps only the bytes of a partial frame, in a buffer sized for that frame. Header rules are checked as
    soon as the two first bytes arrive. ``max_payload`` (bytes, ``None`` for no
    limit) bounds the declared length of the next data frame and is checked
    before any of its payload is buffered (``max_compressed_payload`` instead
    when the frame has RSV1 set: a compressed message).

    Raises ``ProtocolError`` (1002) for: a mask bit that does not match the
    role (a server's frames are never masked, a client's always are), RSV bits
    not allowed by ``allowed_rsv``, an unknown opcode, a fragmented or
    oversized control frame, a 64-bit length with the top bit set. Raises
    ``PayloadTooBig`` (1009) for a data frame over ``max_payload``, and for
    any declared length of 2**62 bytes or more, limit or not (positions stay
    far from the 64-bit range, so the compiled parser cannot overflow).
    """

    def __init__(self, *, expect_masked: bool, allowed_rsv: int = 0) -> None:
        self._buf = _EMPTY
        self._pos = 0  # parse position
        self._end = 0  # end of the received bytes (the buffer may be larger)
        self._in_scratch = False
        self._expect_mask = 0x80 if expect_masked else 0
        self._rsv_forbidden = 0x70 & ~allowed_rsv
        self.max_payload: int | None = None
        #: Like ``max_payload``, for a frame with RSV1 set (a compressed message).
        self.max_compressed_payload: int | None = None
        # (opcode, rsv1, payload start, payload length, masking key) of a frame
        # whose header is in but whose payload is not complete yet.
        self._pending: tuple[int, bool, int, int, bytes] | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as frames."""
        return self._end - self._pos

    @property
    def held_bytes(self) -> int:
        """Size of the buffer this parser owns (0 while idle on the scratch buffer)."""
        return 0 if self._in_scratch else len(self._buf)

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        if self._in_scratch:  # never grow the shared buffer
            self.release_scratch()
        n = len(data)
        self._reserve(n)
        end = self._end
        self._buf[end : end + n] = data
        self._end = end + n

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Where the transport should read the next bytes (then ``buffer_updated``)."""
        if self._pos == self._end:
            if self._buf is not _EMPTY:  # (an idle parser holding _EMPTY has nothing to release)
                self._release_idle()
            pair = _scratch_buffer()
            self._buf = pair[0]
            self._in_scratch = True
            return pair[1]
        if self._in_scratch:  # called again before release_scratch(): never grow the shared buffer
            self.release_scratch()
        pending = self._pending
        # Room for the rest of the frame, but at most as much as has arrived:
        # the buffer at most doubles per read, so memory follows the bytes
        # received, never the payload length a peer declares.
        need = min(pending[2] + pending[3] - self._end, self._end - self._pos) if pending is not None else 0
        self._reserve(max(need, MIN_READ))
        return memoryview(self._buf)[self._end :]

    def buffer_updated(self, nbytes: int) -> None:
        """*nbytes* were read into the buffer ``get_buffer`` gave."""
        self._end += nbytes

    def release_scratch(self) -> None:
        """After parsing: move the bytes of a partial frame out of the shared
        scratch buffer into this parser's own (a no-op outside scratch mode)."""
        if not self._in_scratch:
            if self._pos == self._end:  # idle again: hold nothing
                self._release_idle()
            return
        self._in_scratch = False
        pos = self._pos
        left = self._end - pos
        pending = self._pending
        if not left and pending is None:  # every byte parsed: the usual case
            self._buf = _EMPTY
            self._pos = self._end = 0
            return
        frame_end = pending[2] + pending[3] if pending is not None else 0
        if frame_end - pos > SPARE_MIN:  # a big frame: a spare buffer, or room that grows with it
            buf = _take_buffer(frame_end - pos, left)
            buf[:left] = memoryview(self._buf)[pos : self._end]
            self._buf = buf
        else:
            self._buf = bytearray(memoryview(self._buf)[pos : self._end]) if left else _EMPTY
        self._shift(pos)

    def _release_idle(self) -> None:
        """Drop the buffer of an idle parser, giving a big one to the thread's spares."""
        if not self._in_scratch and len(self._buf) > SPARE_MIN:
            _give_back(self._buf)
        self._buf = _EMPTY
        self._pos = self._end = 0
        self._in_scratch = False

    def _shift(self, n: int) -> None:
        """The unread bytes moved *n* places towards the buffer's start."""
        self._pos -= n
        self._end -= n
        pending = self._pending
        if pending is not None:
            self._pending = (pending[0], pending[1], pending[2] - n, pending[3], pending[4])

    def _reserve(self, n: int) -> None:
        """Make room for *n* more bytes: slide unread bytes to the front, then
        grow. Never called while the transport holds a view of the buffer."""
        buf = self._buf
        if len(buf) - self._end >= n:
            return
        pos = self._pos
        if pos:
            buf[: self._end - pos] = buf[pos : self._end]
            self._shift(pos)
        grow = self._end + n - len(buf)
        if grow > 0:
            if buf is _EMPTY:
                buf = self._buf = bytearray()
            buf.extend(bytes(grow))

    def next_frame(self) -> Frame | None:
        """Parse and return one frame, or ``None`` if it is not complete yet."""
        buf = self._buf
        pos = self._pos
        received = self._end
        avail = received - pos
        if avail < 2:
            return None
        b0 = buf[pos]
        b1 = buf[pos + 1]
        opcode = b0 & 0x0F
        length = b1 & 0x7F
        self._check_header(b0, b1, opcode, length)
        start = pos + 2
        if length == 126:
            if avail < 4:
                return None
            length = (buf[pos + 2] << 8) | buf[pos + 3]
            start = pos + 4
        elif length == 127:
            if avail < 10:
                return None
            if buf[pos + 2] & 0x80:
                raise ProtocolError("64-bit payload length with the most significant bit set")
            if buf[pos + 2] & 0x40:  # 2**62 bytes or more: no message that large can be held
                raise PayloadTooBig("declared payload length of 2**62 bytes or more")
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            start = pos + 10
        if opcode < 8:
            limit = self.max_compressed_payload if b0 & 0x40 else self.max_payload
            if limit is not None and length > limit:
                raise PayloadTooBig(f"message exceeds max_msg_size ({length} > {limit} bytes left)")
        masked = b1 & 0x80
        end = start + length + (4 if masked else 0)
        if received < end:
            if received >= start + 4 or not masked:
                key = bytes(buf[start : start + 4]) if masked else b""
                self._pending = (opcode, bool(b0 & 0x40), start + len(key), length, key)
            return None
        self._pending = None
        payload = _payload(buf, start, end, masked)
        if end == received:
            self._pos = self._end = 0
        else:
            self._pos = end
        # tuple.__new__: the NamedTuple's generated __new__ is a Python-level call.
        return _new_tuple(Frame, (bool(b0 & 0x80), opcode, payload, bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10)))

    def read_messages(self, out: list[Any], message: type, binary: object, text: object) -> int:
        """Append a ``message`` tuple ``(binary, payload, None)`` or ``(text,
        str, None)`` to *out* for each complete frame at the front of the
        buffer that is a whole message on its own: FIN set, no RSV bit,
        opcode TEXT or BINARY, valid UTF-8 for text, within ``max_payload``.

        Stops, consuming nothing of it, at the first frame that is anything
        else (a control frame, a fragment, a compressed or invalid frame) or
        not complete yet: ``next_frame()`` takes that one and raises what it
        must. The per-message fast path of a connection that is not in the
        middle of a fragmented message; ``next_frame()`` alone gives the same
        result one frame at a time. Returns the bytes left unparsed
        (``buffered``): 0 means there is nothing for ``next_frame()``.
        """
        if self._pending is not None:  # a frame that arrived in pieces: next_frame() has its state
            return self._end - self._pos
        buf = self._buf
        pos = self._pos
        received = self._end
        expect_mask = self._expect_mask
        limit = self.max_payload
        while received - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            if b0 != 0x82 and b0 != 0x81:  # FIN, no RSV bit, BINARY or TEXT
                break
            if (b1 & 0x80) != expect_mask:
                break
            length = b1 & 0x7F
            start = pos + 2
            if length == 126:
                if received - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                break  # 64 KiB or more: rare enough for next_frame()
            if limit is not None and length > limit:
                break
            end = start + length + (4 if expect_mask else 0)
            if received < end:
                break
            payload = _payload(buf, start, end, expect_mask)
            if b0 == 0x82:
                out.append(_message(message, binary, payload))
            else:
                try:
                    out.append(_message(message, text, payload.decode("utf-8")))
                except UnicodeDecodeError:
                    break  # next_frame() takes it again and the caller fails the connection
            pos = end
        if pos == received:
            self._pos = self._end = 0
            return 0
        self._pos = pos
        return received - pos

    def pending_frame(self) -> tuple[int, bool] | None:
        """``(opcode, rsv1)`` of the frame being received when ``next_frame()``
        last returned ``None`` with its header in, else ``None``."""
        pending = self._pending
        return None if pending is None else (pending[0], pending[1])

    def pending_payload(self, skip: int) -> bytes:
        """The unmasked payload bytes of that frame received so far, from
        offset *skip* on (for validating text before the frame completes)."""
        pending = self._pending
        if pending is None:
            return b""
        start = pending[2] + skip
        data = bytes(memoryview(self._buf)[start : min(pending[2] + pending[3], self._end)])
        key = pending[4]
        if key and data:
            shift = skip & 3
            data = apply_mask(data, key[shift:] + key[:shift])
        return data

    def _check_header(self, b0: int, b1: int, opcode: int, length: int) -> None:
        if (b1 & 0x80) != self._expect_mask:
            if self._expect_mask:
                raise ProtocolError("received an unmasked frame from a client (RFC 6455 §5.1)")
            raise ProtocolError("received a masked frame from a server (RFC 6455 §5.1)")
        if b0 & self._rsv_forbidden:
            raise ProtocolError("reserved bits set without a negotiated extension (RFC 6455 §5.2)")
        if opcode not in _KNOWN_OPCODES:
            raise ProtocolError(f"unknown opcode {opcode:#x} (RFC 6455 §5.2)")
        if opcode >= 8:
            if not b0 & 0x80:
                raise ProtocolError("fragmented control frame (RFC 6455 §5.5)")
            if length > MAX_CONTROL_PAYLOAD:
                raise ProtocolError("control frame payload over 125 bytes (RFC 6455 §5.5)")


def is_valid_close_code(code: int) -> bool:
    """Whether *code* may appear in a close frame (RFC 6455 §7.4).

    Valid: the registered 1000-1003 and 1007-1014, and 3000-4999. Invalid:
    below 1000, 1004-1006, 1015, the unassigned 1016-2999 and above 4999.
    """
    return code in _SENDABLE_CLOSE_CODES or 3000 <= code <= 4999


def parse_close_payload(payload: bytes) -> tuple[int, str]:
    """Return ``(close code, close reason)`` from a received close frame.

    An empty payload means "no status": ``(1005, "")`` (RFC 6455 §7.1.5).
    Raises ``ProtocolError`` (1002) for a 1-byte payload or an invalid code,
    ``InvalidPayloadError`` (1007) for a reason that is not UTF-8 (§5.5.1).
    """
    if not payload:
        return 1005, ""
    if len(payload) == 1:
        raise ProtocolError("close frame payload of 1 byte (RFC 6455 §5.5.1)")
    code = (payload[0] << 8) | payload[1]
    if not is_valid_close_code(code):
        raise ProtocolError(f"invalid close code {code} (RFC 6455 §7.4)")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidPayloadError("close reason is not valid UTF-8 (RFC 6455 §5.5.1)") from exc
    return code, reason


def build_close_payload(code: int | None, reason: bytes | str = b"") -> bytes:
    """The payload of a close frame to send: 2-byte code plus UTF-8 reason.

    ``code=None`` gives an empty payload (allowed only with no reason).
    Raises ``ValueError`` for a code a peer may not receive (see
    :func:`is_valid_close_code`) or a reason over 123 bytes (RFC 6455 §5.5).
    """
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    if code is None:
        if reason:
            raise ValueError("a close reason needs a close code")
        return b""
    if not is_valid_close_code(code):
        raise ValueError(f"close code {code} may not be sent (RFC 6455 §7.4)")
    if len(reason) > MAX_CLOSE_REASON:
        raise ValueError(f"close reason is {len(reason)} bytes; at most 123 are allowed")
    return struct.pack("!H", code) + reason


def compiled_twin(name: str) -> bool:
    """Whether the compiled twin *name* (``"aiohttp_ws.sansio._frames_c"``)
    is to be used: extensions not switched off (``AIOHTTP_WS_NO_EXTENSIONS``),
    the module built as an extension (not, say, the build's plain copy of its
    source), and importable (a broken build keeps pure Python)."""
    from importlib import import_module
    from importlib.machinery import EXTENSION_SUFFIXES
    from importlib.util import find_spec

    if NO_EXTENSIONS:
        return False
    spec = find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(tuple(EXTENSION_SUFFIXES)):
        return False
    try:
        import_module(name)
    except ImportError:
        return False
    return True


#: Whether the compiled hot path is in use: this module built by Cython as
#: ``aiohttp_ws.sansio._frames_c`` (declarations in ``_frames_c.pxd``) and the C mask.
HAS_EXTENSIONS = __name__ == "aiohttp_ws.sansio.frames" and compiled_twin("aiohttp_ws.sansio._frames_c")
if HAS_EXTENSIONS and not TYPE_CHECKING:
    from ._frames_c import FrameParser, build_frame, masking_key, read_buffer  # noqa: F811
