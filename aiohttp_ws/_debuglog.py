"""DEBUG logging of handshakes and frames, silent and free when DEBUG is off.

Loggers: ``aiohttp_ws.client`` (the client's handshake requests and
responses), ``aiohttp_ws.server`` (the server's), ``aiohttp_ws.websocket``
(frames and state of open connections). A connection decides once, when it
opens, whether ``aiohttp_ws.websocket`` is enabled for DEBUG; when it is not,
the only cost left is one ``is None`` test per received batch and per write.

Lines look like ``[client 127.0.0.1:8765] > TEXT 'hello' [5 bytes]``: ``>``
is sent, ``<`` received. Sent frames are decoded from the bytes written (so
automatic pongs, close replies and fragments show as they went out);
received ones are shown as the messages the core produced. Payload previews
stop at ``PREVIEW`` characters. The values of ``Authorization``,
``Proxy-Authorization``, ``Cookie`` and ``Set-Cookie`` are never logged.
"""

from __future__ import annotations

import logging
import struct
from typing import Any, Iterable

from .models import WSMessage, WSMsgType
from .sansio.frames import OP_CLOSE, OP_TEXT, FrameParser

__all__ = ("client_log", "server_log", "websocket_log", "WireLog", "wire_log", "log_head", "log_raw_head", "PREVIEW")

client_log = logging.getLogger("aiohttp_ws.client")
server_log = logging.getLogger("aiohttp_ws.server")
websocket_log = logging.getLogger("aiohttp_ws.websocket")

#: Characters (or bytes) of a payload shown in a log line.
PREVIEW = 64
#: Header fields whose values are replaced by ``<redacted>``.
SECRET_FIELDS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_OPCODES = {0x0: "CONTINUATION", 0x1: "TEXT", 0x2: "BINARY", 0x8: "CLOSE", 0x9: "PING", 0xA: "PONG"}


def preview(data: Any) -> str:
    """A short ``repr`` of a payload: at most ``PREVIEW`` characters or bytes."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data[:PREVIEW + 1])
    elif isinstance(data, str):
        data = data[: PREVIEW + 1]
    else:
        return repr(data)
    if len(data) > PREVIEW:
        return repr(data[:PREVIEW]) + "…"
    return repr(data)


def log_head(logger: logging.Logger, direction: str, start_line: str, headers: Iterable[tuple[str, str]]) -> None:
    """One DEBUG line per HTTP head: start line and fields, secrets redacted."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    fields = "".join(
        f"\n    {name}: {'<redacted>' if name.lower() in SECRET_FIELDS else value}" for name, value in headers
    )
    logger.debug("%s %s%s", direction, start_line, fields)


def log_raw_head(logger: logging.Logger, direction: str, data: bytes) -> None:
    """``log_head`` for a serialized head (ours: a request or a response)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])]
    log_head(logger, direction, lines[0], fields)


def describe_message(msg: WSMessage) -> str:
    tp = msg.tp
    if tp is WSMsgType.CLOSE:
        return f"CLOSE {msg.data} {msg.extra!r}"
    if tp is WSMsgType.ERROR:
        return f"ERROR {msg.data!r}"
    size = len(msg.data.encode("utf-8")) if isinstance(msg.data, str) else len(msg.data)
    return f"{tp.name} {preview(msg.data)} [{size} bytes]"


def describe_frames(data: bytes | memoryview, masked: bool) -> list[str]:
    """The frames in *data* (whole frames, as written), one line each; parsed
    by the frame parser itself (DEBUG only)."""
    parser = FrameParser(expect_masked=masked, allowed_rsv=0x40)
    parser.feed(bytes(data))
    lines: list[str] = []
    while (frame := parser.next_frame()) is not None:
        name = _OPCODES.get(frame.opcode, f"opcode {frame.opcode:#x}")
        flags = "" if frame.fin else " fin=0"
        payload = frame.payload
        if frame.rsv1:  # a permessage-deflate payload; its bytes say nothing to a reader
            lines.append(f"{name}{flags} deflated [{len(payload)} bytes on the wire]")
        elif frame.opcode == OP_CLOSE and len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            lines.append(f"CLOSE {code} {payload[2:].decode('utf-8', 'replace')!r}")
        elif frame.opcode == OP_TEXT:
            lines.append(f"{name}{flags} {preview(payload[: 4 * (PREVIEW + 1)].decode('utf-8', 'replace'))} [{len(payload)} bytes]")
        else:
            lines.append(f"{name}{flags} {preview(payload)} [{len(payload)} bytes]")
    return lines


class WireLog:
    """The DEBUG log of one open connection (exists only while DEBUG is on)."""

    __slots__ = ("tag", "masked")

    def __init__(self, tag: str, masked: bool) -> None:
        self.tag = tag
        self.masked = masked

    def sent(self, data: bytes | memoryview) -> None:
        for line in describe_frames(data, self.masked):
            websocket_log.debug("[%s] > %s", self.tag, line)

    def received(self, messages: list[WSMessage]) -> None:
        for msg in messages:
            websocket_log.debug("[%s] < %s", self.tag, describe_message(msg))

    def event(self, text: str, *args: Any) -> None:
        websocket_log.debug("[%s] " + text, self.tag, *args)


def wire_log(is_client: bool, peer: Any) -> WireLog | None:
    """A ``WireLog`` if ``aiohttp_ws.websocket`` logs at DEBUG now, else ``None``.
    *peer*: the peer's address, or a callable returning it (called only then)."""
    if not websocket_log.isEnabledFor(logging.DEBUG):
        return None
    if callable(peer):
        peer = peer()
    where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer or "?")
    return WireLog(f"{'client' if is_client else 'server'} {where}", masked=is_client)
