"""permessage-deflate (RFC 7692), Sans-I/O: negotiation and per-message codec.

``PerMessageDeflate`` is one offer a client makes (or the configuration a
server accepts with); ``DeflateParams`` is what the handshake settled;
``DeflateCodec`` compresses and decompresses messages under those parameters.
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable, Sequence, Union

import attrs

from ..exceptions import InvalidPayloadError, PayloadTooBig

__all__ = (
    "DEFAULT_LEVEL",
    "EXTENSION_NAME",
    "PerMessageDeflate",
    "DeflateParams",
    "CompressArg",
    "offers_from",
    "NegotiationError",
    "parse_extensions",
    "format_offers",
    "negotiate_client",
    "negotiate_server",
    "DeflateCodec",
    "deflate_bound",
)

EXTENSION_NAME = "permessage-deflate"
#: zlib level of the messages we compress unless ``PerMessageDeflate(level=...)``
#: says otherwise: 1, as aiohttp. Measured with ``bench/deflate_levels.py``
#: (64 KiB messages, context takeover): JSON records shrink to 22.0 % at level 1
#: in 303 µs and to 16.4 % at level 6 in 950 µs, English text to 38.4 % (555 µs)
#: and 32.0 % (2013 µs); binary samples and random bytes barely shrink at any
#: level. Level 6 saves 6 % of the original size for 3-3.6 times the CPU, and
#: would make compression, not the network, the limit above about 550 Mbit/s.
DEFAULT_LEVEL = 1
#: RFC 7692 §7.2.1: the empty stored block removed from (and added back to) each message.
_TAIL = b"\x00\x00\xff\xff"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_WINDOW_BITS = re.compile(r"[1-9][0-9]?")  # RFC 7692 §7.1.2: 1*DIGIT, no leading zero
_NO_VALUE = ("server_no_context_takeover", "client_no_context_takeover")

Param = tuple[str, "str | None"]
Extension = tuple[str, list[Param]]


class NegotiationError(ValueError):
    """A Sec-WebSocket-Extensions value that breaks RFC 6455 §9.1 or RFC 7692 §7."""


def _check_client_bits(_i: object, _a: object, value: bool | int) -> None:
    if not isinstance(value, bool) and not 9 <= value <= 15:
        raise ValueError("client_max_window_bits must be True, False or 9..15 (zlib cannot compress with 8)")


def _check_server_bits(_i: object, _a: object, value: int | None) -> None:
    if value is not None and not 8 <= value <= 15:
        raise ValueError("server_max_window_bits must be None or 8..15")


@attrs.frozen
class PerMessageDeflate:
    """One permessage-deflate offer (RFC 7692 §7.1), for ``ws_connect(compress=...)``.

    Attributes:
        client_max_window_bits: ``True`` offers the parameter without a value
            (the server may limit our LZ77 window, 2**8..2**15 bytes); an int
            9..15 caps it ourselves; ``False`` leaves it out (server may not limit it).
        server_max_window_bits: ask the server to use at most 2**N bytes of
            window (8..15), or ``None`` to let it choose.
        client_no_context_takeover: promise to compress each message on its own.
        server_no_context_takeover: ask the server to compress each message on its own.
        level: zlib compression level 0..9 for our messages (not negotiated);
            default ``DEFAULT_LEVEL`` (1).
    """

    client_max_window_bits: bool | int = attrs.field(default=True, validator=_check_client_bits)
    server_max_window_bits: int | None = attrs.field(default=None, validator=_check_server_bits)
    client_no_context_takeover: bool = False
    server_no_context_takeover: bool = False
    level: int = attrs.field(default=DEFAULT_LEVEL, validator=attrs.validators.in_(range(10)))

    @classmethod
    def from_compress(cls, compress: int) -> PerMessageDeflate:
        """aiohttp's ``compress=N`` (9..15): offer client_max_window_bits and, below
        15, ask the server for ``server_max_window_bits=N``."""
        if not 9 <= compress <= 15:
            raise ValueError("compress must be 0 (off) or window bits 9..15")
        return cls(server_max_window_bits=compress if compress < 15 else None)

    def header_value(self) -> str:
        """This offer as one element of Sec-WebSocket-Extensions."""
        parts = [EXTENSION_NAME]
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_max_window_bits is True:
            parts.append("client_max_window_bits")
        elif self.client_max_window_bits is not False:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        if self.server_max_window_bits is not None:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        return "; ".join(parts)


@attrs.frozen
class DeflateParams:
    """The negotiated parameters (RFC 7692 §7.1): window bits 8..15 for each
    direction and whether each side resets its context after every message."""

    client_max_window_bits: int = 15
    server_max_window_bits: int = 15
    client_no_context_takeover: bool = False
    server_no_context_takeover: bool = False
    level: int = DEFAULT_LEVEL

    def response_value(self) -> str:
        """The server's Sec-WebSocket-Extensions answer for these parameters."""
        parts = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits != 15:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits != 15:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)


CompressArg = Union[int, PerMessageDeflate, Sequence[PerMessageDeflate]]


def offers_from(compress: CompressArg) -> tuple[PerMessageDeflate, ...]:
    """``ws_connect(compress=...)`` as a tuple of offers: 0 none, 9..15 aiohttp's
    meaning (``PerMessageDeflate.from_compress``), an offer, or several in
    order of preference. Raises ``ValueError`` for another int."""
    if isinstance(compress, PerMessageDeflate):
        return (compress,)
    if isinstance(compress, int):
        return (PerMessageDeflate.from_compress(compress),) if compress else ()
    offers = tuple(compress)
    if not all(isinstance(offer, PerMessageDeflate) for offer in offers):
        raise TypeError("compress must be an int, a PerMessageDeflate or a sequence of them")
    return offers


def format_offers(offers: Sequence[PerMessageDeflate]) -> str:
    """Offers in preference order, comma-separated (RFC 7692 §5)."""
    return ", ".join(offer.header_value() for offer in offers)


def parse_extensions(values: Iterable[str]) -> list[Extension]:
    """Parse Sec-WebSocket-Extensions field values (RFC 6455 §9.1) into
    ``[(name, [(param, value or None), ...]), ...]``, quoted-strings unescaped.

    Raises ``NegotiationError`` for anything the ABNF does not allow.
    """
    extensions: list[Extension] = []
    for value in values:
        extensions.extend(_Scanner(value).extensions())
    return extensions


class _Scanner:
    """Recursive-descent reader of one field value: ``1#extension``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def _peek(self) -> str:
        self._skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _token(self) -> str:
        self._skip_ws()
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            raise NegotiationError(f"expected a token at {self.pos} in {self.text!r}")
        self.pos = match.end()
        return match.group()

    def _quoted(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                value = "".join(out)
                if not _TOKEN.fullmatch(value):  # RFC 6455 §9.1: unescaped value must be a token
                    raise NegotiationError(f"quoted value {value!r} is not a token")
                return value
            if char == "\\" and self.pos < len(self.text):
                char = self.text[self.pos]
                self.pos += 1
            out.append(char)
        raise NegotiationError(f"unterminated quoted-string in {self.text!r}")

    def extensions(self) -> list[Extension]:
        result: list[Extension] = []
        while True:
            while self._peek() == ",":  # empty list elements are allowed (RFC 9110 §5.6.1)
                self.pos += 1
            if self._peek() == "":
                return result
            result.append(self._extension())
            nxt = self._peek()
            if nxt == "":
                return result
            if nxt != ",":
                raise NegotiationError(f"unexpected {nxt!r} in {self.text!r}")

    def _extension(self) -> Extension:
        name = self._token()
        params: list[Param] = []
        while self._peek() == ";":
            self.pos += 1
            key = self._token()
            value: str | None = None
            if self._peek() == "=":
                self.pos += 1
                value = self._quoted() if self._peek() == '"' else self._token()
            params.append((key, value))
        return name, params


def _params_dict(params: list[Param], allowed: tuple[str, ...]) -> dict[str, str | None]:
    """Check names, duplicates and values of permessage-deflate parameters."""
    found: dict[str, str | None] = {}
    for key, value in params:
        if key not in allowed:
            raise NegotiationError(f"unknown permessage-deflate parameter {key!r}")
        if key in found:
            raise NegotiationError(f"permessage-deflate parameter {key!r} given twice")
        if key in _NO_VALUE and value is not None:
            raise NegotiationError(f"{key} takes no value")
        if key.endswith("_max_window_bits") and value is not None:
            if not _WINDOW_BITS.fullmatch(value) or not 8 <= int(value) <= 15:
                raise NegotiationError(f"{key}={value!r} is not 8..15")
        found[key] = value
    return found


#: The four parameters RFC 7692 §7.1 defines, for offers and responses alike.
_PARAMS = (
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
)


def negotiate_client(offers: Sequence[PerMessageDeflate], values: Iterable[str]) -> DeflateParams | None:
    """Check the server's Sec-WebSocket-Extensions (RFC 7692 §5, §7.1) against
    our *offers* and return the parameters in force, or ``None`` when the
    server accepted no extension.

    Raises ``NegotiationError`` for: an extension we did not offer, more than
    one permessage-deflate, an unknown, repeated or invalid parameter, a
    response none of our offers allows (e.g. client_max_window_bits that was
    not offered, or a server_max_window_bits above what we asked for).
    """
    extensions = parse_extensions(values)
    if not extensions:
        return None
    if not offers or any(name != EXTENSION_NAME for name, _ in extensions):
        raise NegotiationError(f"the server accepted an extension we did not offer: {extensions!r}")
    if len(extensions) > 1:
        raise NegotiationError("the server accepted permessage-deflate more than once")
    found = _params_dict(extensions[0][1], _PARAMS)
    if "client_max_window_bits" in found and found["client_max_window_bits"] is None:
        raise NegotiationError("client_max_window_bits needs a value in a response (RFC 7692 §7.1.2.2)")
    if "server_max_window_bits" in found and found["server_max_window_bits"] is None:
        raise NegotiationError("server_max_window_bits needs a value (RFC 7692 §7.1.2.1)")
    for offer in offers:
        params = _accepted(offer, found)
        if params is not None:
            return params
    raise NegotiationError(f"the server's permessage-deflate response fits none of our offers: {found!r}")


def _accepted(offer: PerMessageDeflate, found: dict[str, str | None]) -> DeflateParams | None:
    """The parameters if *found* is a valid answer to *offer*, else ``None``."""
    server_bits = int(found.get("server_max_window_bits") or 15)
    if offer.server_max_window_bits is not None and server_bits > offer.server_max_window_bits:
        return None  # §7.1.2.1: the server must answer with the same or a smaller value
    if offer.server_no_context_takeover and "server_no_context_takeover" not in found:
        return None  # §7.1.1.1: the server accepts this request by echoing it
    client_bits = 15 if offer.client_max_window_bits in (True, False) else int(offer.client_max_window_bits)
    if "client_max_window_bits" in found:
        if offer.client_max_window_bits is False:
            return None  # §7.1.2.2: must not appear unless offered
        client_bits = min(client_bits, int(found.get("client_max_window_bits") or 15))
    return DeflateParams(
        client_max_window_bits=client_bits,
        server_max_window_bits=server_bits,
        client_no_context_takeover=offer.client_no_context_takeover or "client_no_context_takeover" in found,
        server_no_context_takeover="server_no_context_takeover" in found,
        level=offer.level,
    )


def negotiate_server(values: Iterable[str], config: PerMessageDeflate | None = None) -> DeflateParams | None:
    """Pick the first permessage-deflate offer we can accept (RFC 7692 §5) and
    return the parameters to answer with, or ``None`` to accept none.

    Offers with unknown, repeated or invalid parameters are declined, as is
    ``server_max_window_bits=8`` (zlib cannot compress with an 8-bit window).
    *config* adds our own wishes: ``server_no_context_takeover`` and
    ``client_no_context_takeover`` to require them, ``server_max_window_bits``
    to cap our window. A malformed header raises ``NegotiationError``.
    """
    config = config or PerMessageDeflate()
    for name, params in parse_extensions(values):
        if name != EXTENSION_NAME:
            continue
        try:
            found = _params_dict(params, _PARAMS)
        except NegotiationError:
            continue  # §5: decline this offer, consider the next
        if found.get("server_max_window_bits", "") is None:
            continue  # a value is required in an offer too
        server_bits = min(int(found.get("server_max_window_bits") or 15), config.server_max_window_bits or 15)
        if server_bits < 9:
            continue
        client_bits = 15
        if "client_max_window_bits" in found:
            client_bits = int(found["client_max_window_bits"] or 15)
        return DeflateParams(
            client_max_window_bits=client_bits,
            server_max_window_bits=server_bits,
            # Echoing the client's promise lets us drop our inflate context between messages.
            client_no_context_takeover=config.client_no_context_takeover or "client_no_context_takeover" in found,
            server_no_context_takeover=config.server_no_context_takeover or "server_no_context_takeover" in found,
            level=config.level,
        )
    return None


def deflate_bound(size: int) -> int:
    """Most bytes a *size*-byte message can take once deflated (zlib's
    ``deflateBound`` for raw streams, plus slack): the cap on a compressed frame."""
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 64


class DeflateCodec:
    """Per-message compression for one side of a connection (RFC 7692 §7.2).

    Args:
        params: the negotiated parameters.
        is_client: our side; it selects which half of *params* is ours.

    ``compress(data)`` returns a message payload (RSV1 to be set on its first
    frame). ``decompress(data, final=..., limit=...)`` inflates one frame of a
    compressed message, producing at most *limit* bytes in all.
    """

    def __init__(self, params: DeflateParams, *, is_client: bool) -> None:
        self.params = params
        if is_client:
            self.local_bits, self.local_reset = params.client_max_window_bits, params.client_no_context_takeover
            self.remote_bits, self.remote_reset = params.server_max_window_bits, params.server_no_context_takeover
        else:
            self.local_bits, self.local_reset = params.server_max_window_bits, params.server_no_context_takeover
            self.remote_bits, self.remote_reset = params.client_max_window_bits, params.client_no_context_takeover
        #: Whether messages are compressed, false when zlib cannot compress with
        #: an 8-bit window; then every message goes out uncompressed, which
        #: RFC 7692 allows message by message.
        self.can_compress = self.local_bits >= 9
        self._compressor: zlib._Compress | None = None
        self._decompressor: zlib._Decompress | None = None
        self._after_final = b""  # bytes of the message after a DEFLATE block with BFINAL set

    def compress(self, data: bytes) -> bytes:
        """Deflate one whole message, without the 4-byte tail (§7.2.1). With
        no context takeover the next message cannot refer to this one."""
        comp = self._compressor
        if comp is None:
            comp = self._compressor = zlib.compressobj(self.params.level, zlib.DEFLATED, -self.local_bits)
        out = comp.compress(data) + comp.flush(zlib.Z_FULL_FLUSH if self.local_reset else zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(_TAIL) else out

    def compress_part(self, data: bytes, *, final: bool) -> bytes:
        """Deflate one fragment of a message sent in several frames: each part
        ends on a byte boundary (a sync flush), and the last one without the
        4-byte tail (§7.2.1), as ``compress`` of the whole message would."""
        comp = self._compressor
        if comp is None:
            comp = self._compressor = zlib.compressobj(self.params.level, zlib.DEFLATED, -self.local_bits)
        if not final:
            return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
        out = comp.compress(data) + comp.flush(zlib.Z_FULL_FLUSH if self.local_reset else zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(_TAIL) else out

    def decompress(self, data: bytes, *, final: bool, limit: int | None) -> bytes:
        """Inflate one frame of a compressed message; *final* for its last frame.

        *limit* is how many bytes this frame may still produce (``None``: no
        limit). Raises ``PayloadTooBig`` (1009) past it, having held at most
        *limit* bytes plus one 256 KiB piece, and ``InvalidPayloadError`` (1007)
        for a corrupt stream.
        """
        dec = self._decompressor
        if dec is None:
            dec = self._decompressor = zlib.decompressobj(-self.remote_bits)
        budget = _UNLIMITED if limit is None else limit
        try:
            parts: list[bytes] = []
            rest = data if dec.eof else _inflate_bounded(dec, data, budget, parts)
            if dec.eof:
                self._check_after_final(rest, final)
            elif final:
                _inflate_bounded(dec, _TAIL, budget, parts)
        except (zlib.error, PayloadTooBig, InvalidPayloadError) as exc:
            self._decompressor = None
            self._after_final = b""
            if isinstance(exc, (PayloadTooBig, InvalidPayloadError)):
                raise
            raise InvalidPayloadError(f"invalid compressed data: {exc} (RFC 7692 §7.2.2)") from exc
        if final and (self.remote_reset or dec.eof):
            self._decompressor = None
        return b"".join(parts)

    def _check_after_final(self, rest: bytes, final: bool) -> None:
        """After a DEFLATE block with BFINAL set (RFC 7692 §7.2.3.4) only an
        empty stored block may follow (``00``, completed by the ``00 00 ff ff``
        tail). Anything else, such as more DEFLATE streams, would be dropped
        by zlib; it fails the connection (1007) instead of truncating."""
        after = self._after_final + rest
        if len(after) > 8:
            raise InvalidPayloadError("compressed data after the final DEFLATE block (RFC 7692 §7.2.3.4)")
        self._after_final = after
        if final:
            self._after_final = b""
            check = zlib.decompressobj(-15)
            if check.decompress(after + _TAIL) or check.unused_data:
                raise InvalidPayloadError("compressed data after the final DEFLATE block (RFC 7692 §7.2.3.4)")


#: Input is fed to zlib in slices of this size, so ``unconsumed_tail`` copies stay small.
_IN_CHUNK = 64 * 1024
#: Most output asked of zlib per call: a bomb costs at most the limit plus this.
_OUT_CHUNK = 256 * 1024
#: The output bound when no ``max_msg_size`` applies.
_UNLIMITED = 1 << 62


def _inflate_bounded(dec: zlib._Decompress, data: bytes, limit: int, parts: list[bytes]) -> bytes:
    """Inflate *data* into *parts* until they would hold more than *limit*
    bytes; then raise ``PayloadTooBig`` having produced at most ``limit + 1``.
    Returns the bytes of *data* after the end of the DEFLATE stream (BFINAL),
    if it ended, else ``b""``."""
    produced = sum(map(len, parts))
    view = memoryview(data)
    for start in range(0, len(view), _IN_CHUNK):
        pending: bytes | memoryview = view[start : start + _IN_CHUNK]
        while pending:
            piece = dec.decompress(pending, min(limit - produced + 1, _OUT_CHUNK))
            produced += len(piece)
            if produced > limit:
                raise PayloadTooBig(f"decompressed message exceeds max_msg_size ({limit} bytes left)")
            parts.append(piece)
            if dec.eof:
                return bytes(dec.unused_data) + bytes(view[start + _IN_CHUNK :])
            pending = dec.unconsumed_tail
    return b""
