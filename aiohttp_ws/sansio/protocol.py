"""The WebSocket connection state machine (RFC 6455 §5-§7), Sans-I/O.

``WebSocketProtocol`` turns received bytes into messages and send calls into
bytes. It owns every transition of the one ``State`` enum (``state.py``):

======================  ===============================================
CONNECTING → OPEN       the opening handshake completed (``open()``)
OPEN → CLOSING          a close frame was sent, or received and not yet
                        answered (``autoclose=False``)
CLOSING → CLOSED        close frames went both ways (handshake complete)
any → CLOSING           the peer broke the protocol: receiving stops,
                        ``failing`` is set until ``finish_failure()``
                        (or ``send_close()``, which then does the same)
                        builds the close frame with the mapped code
any → CLOSED            ``finish_failure()``, the end of the byte stream
                        (``receive_eof``), or ``abort()``
======================  ===============================================
"""

from __future__ import annotations

from ..exceptions import InvalidStateError, WebSocketError
from .frames import (
    MAX_CONTROL_PAYLOAD,
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameParser,
    build_close_payload,
    build_frame,
    build_frame_into,
    parse_close_payload,
)
from .deflate import DeflateCodec, DeflateParams
from ._fast import FastPath
from .reassembly import Reassembly
from .state import State
from ..models import WSMessage
from ._members import MSG_CLOSE, MSG_ERROR, MSG_PING, MSG_PONG, STATE_CLOSED, STATE_CLOSING, STATE_CONNECTING, STATE_OPEN

__all__ = ("State", "WebSocketProtocol")


class WebSocketProtocol(Reassembly, FastPath):
    """One side of a WebSocket connection, on bytes alone.

    Args:
        is_client: the client masks its frames and expects unmasked ones.
        max_msg_size: largest message accepted, in bytes, inclusive; 0 means no
            limit. Checked on each frame's declared length before buffering.
        max_fragments: most frames one data message may span (4096); one
            more fails the connection with 1009. 0 means no limit.
        autoping: answer each ping with a pong at once (RFC 6455 §5.5.2).
        autoclose: answer a received close frame at once (RFC 6455 §5.5.1).
        state: ``State.OPEN`` once the handshake is done (the usual case).
        deflate: negotiated permessage-deflate parameters (RFC 7692), if any.

    ``receive_data(bytes)`` returns messages (the per-message path,
    ``receive_data`` / ``buffer_updated`` / ``send_message``, is ``FastPath``
    in ``_fast.py``, compiled when the extensions are built); automatic replies (pongs, the
    close reply, the close frame of a failure) collect in ``data_to_send()``.
    ``send_*`` methods return the bytes to write.
    """

    def __init__(
        self,
        *,
        is_client: bool,
        max_msg_size: int = 4 * 1024 * 1024,
        max_fragments: int = 4096,
        autoping: bool = True,
        autoclose: bool = True,
        state: State = State.OPEN,
        deflate: DeflateParams | None = None,
    ) -> None:
        if max_msg_size < 0 or max_fragments < 0:
            raise ValueError("max_msg_size and max_fragments must be >= 0 (0: no limit)")
        self.max_fragments = max_fragments
        self.is_client = is_client
        self.max_msg_size = max_msg_size
        self.autoping = autoping
        self.autoclose = autoclose
        self.state = state
        #: The close code, the peer's (1005 if its close frame had none), the code of
        #: a failure, or 1006 for a connection that ended without a close frame.
        self.close_code: int | None = None
        self.close_reason: str = ""
        #: The protocol violation that failed the connection, if any.
        self.exception: WebSocketError | None = None
        self.close_sent = False
        self.close_received = False
        #: A violation was received; the close frame waits for ``finish_failure()``.
        self.failing = False
        #: The permessage-deflate codec when the extension was negotiated.
        self.codec = DeflateCodec(deflate, is_client=is_client) if deflate is not None else None
        self._parser = FrameParser(expect_masked=not is_client, allowed_rsv=0x40 if deflate else 0)
        self._out: list[bytes] = []
        self._pongs: list[bytes] = []  # payloads of pings not answered yet, oldest first
        self._init_reassembly()
        self._sending_fragmented = False
        self._sending_compressed = False  # the message being sent in parts is deflated
        self._set_limits()

    # -- state ---------------------------------------------------------------

    def open(self) -> None:
        """CONNECTING → OPEN, once the opening handshake succeeded."""
        if self.state is not STATE_CONNECTING:
            raise InvalidStateError(f"cannot open a connection in state {self.state.name}")
        self.state = STATE_OPEN

    def data_to_send(self, hold_pongs: bool = False) -> list[bytes]:
        """Take the bytes the protocol produced on its own: pongs, then the close reply.

        *hold_pongs*: the transport cannot take more now (its write buffer is
        over the high-water mark). Pongs then stay here and only the answer
        to the most recent ping is kept (RFC 6455 §5.5.3), so a ping flood
        from a peer that does not read costs one pending pong, not a growing
        buffer; call again once writing resumes. Pongs still pending once a
        close frame went out are dropped (§5.5.1: nothing follows it).
        """
        out = self._out
        pongs = self._pongs
        if pongs:
            if hold_pongs and not out:
                del pongs[:-1]
                return []
            self._pongs = []
            if not self.close_sent or out:
                out[:0] = [self._frame(OP_PONG, payload) for payload in pongs]
        self._out = []
        return out

    # -- receiving -------------------------------------------------------------

    @property
    def parser(self) -> FrameParser:
        """The frame parser (its ``get_buffer`` is this object's)."""
        return self._parser

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Where to read the next bytes, for ``asyncio.BufferedProtocol``."""
        return self._parser.get_buffer(sizehint)

    def receive_eof(self) -> None:
        """The byte stream ended. Without a completed close handshake this is
        an abnormal closure: ``close_code`` becomes 1006 (RFC 6455 §7.1.5)."""
        if self.state is not STATE_CLOSED:
            self.state = STATE_CLOSED
            self.failing = False
            if not self.close_received and self.exception is None:
                self.close_code = 1006

    def _on_control(self, opcode: int, payload: bytes) -> WSMessage:
        if opcode == OP_PING:
            if self.autoping and self.state is STATE_OPEN:
                self._pongs.append(payload)
            return WSMessage(MSG_PING, payload, None)
        if opcode == OP_PONG:
            return WSMessage(MSG_PONG, payload, None)
        code, reason = parse_close_payload(payload)
        self.close_received = True
        self.close_code = code
        self.close_reason = reason
        if self.close_sent:
            self.state = STATE_CLOSED
        elif self.autoclose:
            self._out.append(self._frame(OP_CLOSE, b"" if code == 1005 else payload[:2]))
            self.close_sent = True
            self.state = STATE_CLOSED
        else:
            self.state = STATE_CLOSING
        return WSMessage(MSG_CLOSE, code, reason)

    def _fail(self, exc: WebSocketError) -> WSMessage:
        """Start failing the connection (RFC 6455 §7.1.7): stop receiving and
        record the close code; ``finish_failure()`` sends the close frame."""
        self.close_code = exc.code
        self.exception = exc
        if self.close_sent:
            self.state = STATE_CLOSED
        else:
            self.state = STATE_CLOSING
            self.failing = True
        return WSMessage(MSG_ERROR, exc, None)

    def finish_failure(self) -> bytes:
        """Bytes of the close frame that ends a failed connection, with the
        mapped close code (unless a close frame was sent meanwhile); CLOSED."""
        if not self.failing:
            return b""
        self.failing = False
        self.state = STATE_CLOSED
        if self.close_sent:
            return b""
        assert self.exception is not None
        self.close_sent = True
        reason = str(self.exception).encode("utf-8")[:123].decode("utf-8", "ignore")
        return self._frame(OP_CLOSE, build_close_payload(self.exception.code, reason))

    def abort(self, code: int = 1006) -> None:
        """Move to CLOSED at once without a close handshake (e.g. heartbeat
        timeout); ``close_code`` becomes *code*."""
        if self.state is not STATE_CLOSED:
            self.state = STATE_CLOSED
            self.close_code = code

    # -- sending ---------------------------------------------------------------

    def _frame(self, opcode: int, payload: bytes, fin: bool = True) -> bytes:
        return build_frame(opcode, payload, mask=self.is_client, fin=fin)

    def will_compress(self, compress: int | bool | None = None) -> bool:
        """Whether a message sent with this *compress* argument is deflated:
        ``None`` (the default) or a true value when permessage-deflate was
        negotiated and our window allows compression; never for 0 / ``False``."""
        codec = self.codec
        return codec is not None and codec.can_compress and (compress is None or bool(compress))

    def send_message_into(self, out: bytearray, payload: bytes, opcode: int) -> int:
        """Write one unfragmented, uncompressed, masked TEXT or BINARY message
        into *out* (client role only) and return its length in bytes; see
        ``frames.build_frame_into``. Raises ``InvalidStateError`` as ``send_message``."""
        if not self.is_client:
            raise InvalidStateError("only a client masks its frames")
        self.check_can_send_message()
        return build_frame_into(out, opcode, payload)

    def send_compressed(self, compressed: bytes, opcode: int) -> bytes:
        """Bytes of one message whose payload was already deflated with
        ``codec.compress`` (e.g. in a worker thread): RSV1 is set."""
        self.check_can_send_message()
        return build_frame(opcode, compressed, mask=self.is_client, rsv1=True)

    def check_can_send_message(self) -> None:
        """Raise ``InvalidStateError`` if a whole data message cannot be sent now."""
        self._check_can_send_data()
        if self._sending_fragmented:
            raise InvalidStateError("a fragmented message is being sent; finish it first")

    def send_frame(self, payload: bytes, opcode: int, *, fin: bool = True) -> bytes:
        """Bytes of one frame of any opcode, for manual fragmentation.

        Data frames follow RFC 6455 §5.4: a TEXT/BINARY frame with ``fin=False``
        opens a message, CONTINUATION frames carry it on, the last has
        ``fin=True``. Raises ``ValueError`` for control-frame rule breaks and
        ``InvalidStateError`` for an out-of-order fragment or a closed state.
        """
        if opcode == OP_CLOSE:
            return self.send_close(int.from_bytes(payload[:2], "big") if payload else None, payload[2:])
        if opcode in (OP_PING, OP_PONG):
            if not fin:
                raise ValueError("control frames cannot be fragmented (RFC 6455 §5.5)")
            return self._control(opcode, payload)
        if opcode not in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
            raise ValueError(f"unknown opcode {opcode:#x}")
        self._check_can_send_data()
        if (opcode == OP_CONTINUATION) != self._sending_fragmented:
            raise InvalidStateError(
                "CONTINUATION frames only continue a fragmented message, which must be finished first"
            )
        self._sending_fragmented = not fin
        return build_frame(opcode, payload, mask=self.is_client, fin=fin)

    @property
    def sending_in_parts(self) -> bool:
        """A message sent in frames (``send_message_part`` or ``send_frame``
        with ``fin=False``) is not finished yet."""
        return self._sending_fragmented

    def send_message_part(self, payload: bytes, opcode: int, *, fin: bool, compress: int | bool | None = None) -> bytes:
        """Bytes of the next frame of a message sent in parts (RFC 6455 §5.4):
        the first call (``OP_TEXT`` or ``OP_BINARY``) opens it, later calls
        continue it, ``fin=True`` ends it. Whether the message is deflated
        (``will_compress(compress)``) is decided by its first part: RSV1 on
        the first frame, every part flushed to a byte boundary (RFC 7692 §6).
        Raises ``InvalidStateError`` as ``send_message``."""
        if not self._sending_fragmented:
            self.check_can_send_message()
            self._sending_compressed = self.will_compress(compress)
            first, frame_opcode = True, opcode
        else:
            self._check_can_send_data()
            first, frame_opcode = False, OP_CONTINUATION
        if self._sending_compressed:
            assert self.codec is not None
            payload = self.codec.compress_part(payload, final=fin)
        self._sending_fragmented = not fin
        return build_frame(frame_opcode, payload, mask=self.is_client, fin=fin, rsv1=first and self._sending_compressed)

    def send_ping(self, payload: bytes = b"") -> bytes:
        """Bytes of a ping (payload ≤ 125 bytes, else ``ValueError``)."""
        return self._control(OP_PING, payload)

    def send_pong(self, payload: bytes = b"") -> bytes:
        """Bytes of a pong (payload ≤ 125 bytes, else ``ValueError``)."""
        return self._control(OP_PONG, payload)

    def _control(self, opcode: int, payload: bytes) -> bytes:
        """Bytes of a ping or pong. A pong once the peer's close frame has
        arrived is ``b""``: no answer is due any more (RFC 6455 §5.5.2), so an
        application answering pings by hand (``autoping=False``) is not
        raised at for a ping read just before the peer closed."""
        if len(payload) > MAX_CONTROL_PAYLOAD:
            raise ValueError(f"control frame payload is {len(payload)} bytes; at most 125 are allowed")
        if opcode == OP_PONG and self.close_received:
            return b""
        if self.close_sent or self.state is STATE_CLOSED:
            raise InvalidStateError(f"cannot send in state {self.state.name}")
        return self._frame(opcode, payload)

    def send_close(self, code: int | None = 1000, reason: bytes | str = b"") -> bytes:
        """Bytes of a close frame; starts or completes the close handshake.

        Raises ``ValueError`` for a code a peer may not receive or a reason over
        123 bytes (nothing changes), ``InvalidStateError`` if a close frame was
        already sent or the connection is CLOSED. While ``failing``, the close
        frame is the failure's (``finish_failure()``): once the peer broke the
        protocol, the close code on the wire is the one the violation maps to
        (RFC 6455 §7.1.7), whatever code the application asks for.
        """
        payload = build_close_payload(code, reason)
        if self.close_sent or self.state is STATE_CLOSED:
            raise InvalidStateError("a close frame was already sent")
        if self.failing:
            return self.finish_failure()
        self.close_sent = True
        self.state = STATE_CLOSED if self.close_received else STATE_CLOSING
        return self._frame(OP_CLOSE, payload)

    def _check_can_send_data(self) -> None:
        if self.close_sent or self.state is not STATE_OPEN and self.state is not STATE_CLOSING:
            raise InvalidStateError(f"cannot send data in state {self.state.name}")

