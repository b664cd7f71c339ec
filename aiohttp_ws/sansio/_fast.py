"""The per-message path of ``WebSocketProtocol`` (a part of it), Sans-I/O.

``FastPath`` turns received bytes into messages (``receive_data``,
``buffer_updated``) and one whole TEXT/BINARY message into frame bytes
(``send_message``): what runs for every message. Control frames, fragments,
compression, failures and closing stay in Python in ``protocol.py`` and
``reassembly.py``, which this class calls for anything but a whole data
message.

Cython compiles this file as it is, as ``aiohttp_ws.sansio._fast_c`` with the
declarations of ``_fast_c.pxd`` (a typed base class: its fields are C fields,
its inner steps C calls). ``WebSocketProtocol`` derives from the compiled class
when it was built, else from this one (``AIOHTTP_WS_NO_EXTENSIONS=1``); the
equivalence tests in ``tests/core/test_hot_path.py`` run the protocol over both.
Imports nothing but the core's own modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exceptions import InvalidPayloadError, ProtocolError, WebSocketError
from ..models import WSMessage
from .frames import OP_BINARY, OP_TEXT, build_frame, compiled_twin
from .state import State
from ._members import MSG_BINARY, MSG_TEXT, STATE_CLOSED, STATE_CLOSING, STATE_OPEN

if TYPE_CHECKING:
    from . import _pure_mode as cython
    from .deflate import DeflateCodec
    from .frames import FrameParser
else:
    try:  # Cython reads ``cython.compiled`` as True when it compiles this file as _fast_c
        import cython
    except ImportError:
        from . import _pure_mode as cython

__all__ = ("FastPath", "HAS_COMPILED_PROTOCOL")

#: ``tuple.__new__(WSMessage, (tp, data, extra))``: what ``WSMessage(tp, data,
#: extra)`` makes, without the NamedTuple's Python-level ``__new__``.
_new_message = tuple.__new__


class FastPath:
    """The receive loop and the whole-message send of ``WebSocketProtocol``,
    which sets the attributes declared here (C fields of the compiled class,
    in the .pxd) and provides the methods stubbed here. Raises what
    ``receive_data`` and ``send_message`` document."""

    if TYPE_CHECKING:
        state: State
        is_client: bool
        close_received: bool
        close_sent: bool
        exception: WebSocketError | None
        codec: DeflateCodec | None
        _parser: FrameParser
        _frag_opcode: int
        _partial_used: int
        _sending_fragmented: bool

        def _on_control(self, opcode: int, payload: bytes) -> WSMessage:
            raise NotImplementedError  # Cython compiles these in: loud if the MRO ever stops shadowing them

        def _on_data(self, fin: bool, opcode: int, rsv1: bool, payload: bytes) -> WSMessage | None:
            raise NotImplementedError

        def _validate_pending_text(self) -> None:
            raise NotImplementedError

        def _fail(self, exc: WebSocketError) -> WSMessage:
            raise NotImplementedError

        def check_can_send_message(self) -> None:
            raise NotImplementedError

    # -- receiving -------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[WSMessage]:
        """Feed received bytes; return the complete messages they finish.

        Data messages come as TEXT (``str``) or BINARY (``bytes``); control
        frames as PING, PONG and CLOSE messages. A protocol violation appends
        an ERROR message (``data`` is the ``WebSocketError``), sets
        ``exception``, ``close_code`` and ``failing``; bytes after it are
        ignored. Messages completed before it are still returned, and the
        application may still answer them until the caller (soon) calls
        ``finish_failure()``, which returns the close frame to send.
        """
        if self._done_receiving():
            return []
        self._parser.feed(data)
        return self._receive()

    def buffer_updated(self, nbytes: int) -> list[WSMessage]:
        """*nbytes* were read into ``get_buffer()``'s buffer: as ``receive_data``."""
        parser = self._parser
        parser.buffer_updated(nbytes)
        if self._done_receiving():
            parser.release_scratch()
            return []
        return self._receive()

    def _done_receiving(self) -> bool:
        return self.state is STATE_CLOSED or self.close_received or self.exception is not None

    def _receive(self) -> list[WSMessage]:
        parser = self._parser
        messages: list[WSMessage] = []
        try:
            while True:
                if not self._frag_opcode and not self._partial_used:
                    # Whole unfragmented, uncompressed messages in one compiled loop.
                    if not parser.read_messages(messages, WSMessage, MSG_BINARY, MSG_TEXT):
                        break  # every byte parsed
                frame = parser.next_frame()
                if frame is None:
                    break
                opcode = frame.opcode
                simple = frame.fin and not frame.rsv1 and not self._frag_opcode and not self._partial_used
                if simple and opcode == OP_BINARY:
                    messages.append(_new_message(WSMessage, (MSG_BINARY, frame.payload, None)))
                elif simple and opcode == OP_TEXT:
                    messages.append(_new_message(WSMessage, (MSG_TEXT, _decode_text(frame.payload), None)))
                elif opcode >= 8:
                    if frame.rsv1:
                        raise ProtocolError("RSV1 set on a control frame (RFC 7692 §6.1)")
                    messages.append(self._on_control(opcode, frame.payload))
                    if self.close_received:
                        break
                else:
                    msg = self._on_data(frame.fin, opcode, frame.rsv1, frame.payload)
                    if msg is not None:
                        messages.append(msg)
            if parser.buffered > 2:
                self._validate_pending_text()
        except WebSocketError as exc:
            messages.append(self._fail(exc))
        parser.release_scratch()
        return messages

    # -- sending ---------------------------------------------------------------

    def send_message(self, payload: bytes, opcode: int, compress: int | bool | None = None) -> bytes:
        """Bytes of one unfragmented TEXT (``OP_TEXT``) or BINARY message,
        deflated with RSV1 set when ``will_compress(compress)``.

        Raises ``InvalidStateError`` unless the state is OPEN (or CLOSING with
        only the peer's close received), or inside a fragmented send.
        """
        # check_can_send_message() and will_compress() inlined; the precise
        # error still comes from check_can_send_message().
        state = self.state
        if self.close_sent or self._sending_fragmented or state is not STATE_OPEN and state is not STATE_CLOSING:
            self.check_can_send_message()
        codec = self.codec
        if codec is not None and codec.can_compress and (compress is None or compress):
            payload = codec.compress(payload)
            if cython.compiled:  # the frame in one C allocation (_mask.pyx)
                return build_frame_c(opcode | 0xC0, payload, self.is_client)  # type: ignore[name-defined,no-any-return]  # noqa: F821
            return build_frame(opcode, payload, self.is_client, True, True)
        if cython.compiled:
            return build_frame_c(opcode | 0x80, payload, self.is_client)  # type: ignore[name-defined,no-any-return]  # noqa: F821
        return build_frame(opcode, payload, self.is_client)


def _decode_text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidPayloadError("text message is not valid UTF-8 (RFC 6455 §8.1)") from exc


#: Whether ``WebSocketProtocol`` derives from the compiled class.
HAS_COMPILED_PROTOCOL = __name__ == "aiohttp_ws.sansio._fast" and compiled_twin("aiohttp_ws.sansio._fast_c")
if HAS_COMPILED_PROTOCOL and not TYPE_CHECKING:
    from ._fast_c import FastPath  # noqa: F811
