"""Reassembling fragmented and compressed messages (RFC 6455 §5.4, RFC 7692),
a part of ``WebSocketProtocol``, Sans-I/O.

Unfragmented, uncompressed frames never come here (the protocol's fast path).
Fragments are kept in ``_Pieces`` (memory O(bytes received) whatever the
number of frames); text is decoded as it arrives, so invalid UTF-8 fails the
connection at the first bad byte (RFC 6455 §8.1); each frame's declared
length is bounded by what remains of ``max_msg_size`` (§10.4).
"""

from __future__ import annotations

import codecs
from typing import Any, Callable

from ..exceptions import InvalidPayloadError, PayloadTooBig, ProtocolError
from ..models import WSMessage, WSMsgType
from .deflate import DeflateCodec, deflate_bound
from .frames import OP_CONTINUATION, OP_TEXT, FrameParser

__all__ = ("Reassembly",)

_utf8_decoder: Callable[[], codecs.IncrementalDecoder] = codecs.getincrementaldecoder("utf-8")
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CHUNK = WSMsgType.CONTINUATION


class _Pieces:
    """The pieces of a message being reassembled. Small pieces are joined in
    groups as they come, so a message of 100,000 one-byte fragments holds a
    few hundred objects, not 100,000: memory stays O(bytes received)."""

    __slots__ = ("_done", "_small", "_empty")

    def __init__(self, empty: Any) -> None:
        self._done: list[Any] = []
        self._small: list[Any] = []
        self._empty = empty

    def add(self, piece: Any) -> None:
        if len(piece) >= _BIG_PIECE:
            self._flush()
            self._done.append(piece)
        elif piece:
            small = self._small
            small.append(piece)
            if len(small) >= _GROUP:
                self._flush()

    def _flush(self) -> None:
        if self._small:
            self._done.append(self._empty.join(self._small))
            self._small = []

    def join(self) -> Any:
        self._flush()
        return self._empty.join(self._done)


_BIG_PIECE = 4096  # a piece this large is kept as it is
_GROUP = 64  # small pieces joined per group
_NO_PIECES = _Pieces(b"")  # between messages; never added to


class Reassembly:
    """Message reassembly for ``WebSocketProtocol``, which provides the
    attributes declared here."""

    max_msg_size: int
    max_fragments: int
    codec: DeflateCodec | None
    _parser: FrameParser

    #: Streamed receiving, for a message that takes more than one frame (or is
    #: compressed) comes as one CONTINUATION message per frame, ``data`` the
    #: frame's part (``str`` for text, decoded at fragment boundaries;
    #: ``bytes`` for binary, inflated) and ``extra`` ``(WSMsgType.TEXT or
    #: BINARY, fin)``. ``max_msg_size`` still bounds the whole message;
    #: nothing but the current frame is kept. Off: whole messages.
    stream_fragments = False

    def _init_reassembly(self) -> None:
        self._frag_opcode = 0
        self._frag_compressed = False
        self._frag_parts = _NO_PIECES  # replaced when a message starts
        self._frag_size = 0
        self._frag_count = 0  # frames of the message being reassembled
        self._frag_text: codecs.IncrementalDecoder | None = None
        self._partial_used = 0  # payload bytes of the arriving frame already validated

    def _set_limits(self) -> None:
        """Bound the declared length of the next data frame (RFC 6455 §10.4):
        the rest of ``max_msg_size`` for plain messages; for compressed frames,
        the deflated size of a whole message (the inflated size is checked as
        it is produced)."""
        parser = self._parser
        limit = self.max_msg_size
        if not limit:
            parser.max_payload = parser.max_compressed_payload = None
        elif not self._frag_opcode:
            parser.max_payload = limit
            parser.max_compressed_payload = deflate_bound(limit)
        elif self._frag_compressed:
            parser.max_payload = deflate_bound(limit)
        else:
            parser.max_payload = limit - self._frag_size

    def _on_data(self, fin: bool, opcode: int, rsv1: bool, payload: bytes) -> WSMessage | None:
        """A data frame that is part of a fragmented or compressed message."""
        if opcode == OP_CONTINUATION:
            if not self._frag_opcode:
                raise ProtocolError("continuation frame without a message to continue (RFC 6455 §5.4)")
            if rsv1:
                raise ProtocolError("RSV1 set on a continuation frame (RFC 7692 §6.1)")
            self._frag_count += 1
            if self.max_fragments and self._frag_count >= self.max_fragments:
                raise PayloadTooBig(f"message in more than {self.max_fragments} frames (max_fragments)")
        elif self._frag_opcode:
            raise ProtocolError("new data frame inside a fragmented message (RFC 6455 §5.4)")
        else:
            self._frag_opcode = opcode
            self._frag_compressed = rsv1
            if not self._partial_used:  # else _validate_pending_text began the message
                self._frag_text = _utf8_decoder() if opcode == OP_TEXT else None
                self._frag_parts = _Pieces("" if opcode == OP_TEXT else b"")
        if self._frag_compressed:
            assert self.codec is not None
            limit = self.max_msg_size - self._frag_size if self.max_msg_size else None
            payload = self.codec.decompress(payload, final=fin, limit=limit)
        decoder = self._frag_text
        if decoder is not None:
            self._decode_part(decoder, payload[self._partial_used :] if self._partial_used else payload, fin)
            self._partial_used = 0
        else:
            self._frag_parts.add(payload)
        self._frag_size += len(payload)
        if not fin:
            self._set_limits()
            return self._take_chunk(False) if self.stream_fragments else None
        if self.stream_fragments:
            chunk = self._take_chunk(True)
            self._end_message()
            return chunk
        parts = self._frag_parts
        is_text = decoder is not None
        self._end_message()
        return WSMessage(_TEXT if is_text else _BINARY, parts.join(), None)

    def _end_message(self) -> None:
        self._frag_opcode = 0
        self._frag_compressed = False
        self._frag_parts = _NO_PIECES  # let the finished message's pieces go
        self._frag_size = 0
        self._frag_count = 0
        self._frag_text = None
        self._set_limits()

    def _take_chunk(self, fin: bool) -> WSMessage:
        """The part of a streamed message this frame completed."""
        is_text = self._frag_text is not None
        parts = self._frag_parts
        self._frag_parts = _Pieces("" if is_text else b"")
        return WSMessage(_CHUNK, parts.join(), (_TEXT if is_text else _BINARY, fin))

    def _decode_part(self, decoder: codecs.IncrementalDecoder, data: bytes, final: bool) -> None:
        try:
            self._frag_parts.add(decoder.decode(data, final))
        except UnicodeDecodeError as exc:
            raise InvalidPayloadError("text message is not valid UTF-8 (RFC 6455 §8.1)") from exc

    def _validate_pending_text(self) -> None:
        """Validate the UTF-8 received so far of a text frame still arriving, so
        an invalid byte fails the connection at once (RFC 6455 §8.1, Autobahn
        6.4.3-6.4.4). The decoded text is kept: nothing is decoded twice."""
        pending = self._parser.pending_frame()
        if pending is None or pending[1]:
            return
        opcode = pending[0]
        starts_message = opcode == OP_TEXT and not self._frag_opcode
        continues_text = opcode == OP_CONTINUATION and self._frag_opcode == OP_TEXT and not self._frag_compressed
        if not (starts_message or continues_text):
            return
        data = self._parser.pending_payload(self._partial_used)
        if not data:
            return
        if starts_message and not self._partial_used:
            self._frag_text = _utf8_decoder()
            self._frag_parts = _Pieces("")
        assert self._frag_text is not None
        self._decode_part(self._frag_text, data, False)
        self._partial_used += len(data)
