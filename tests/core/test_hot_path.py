"""The compiled hot path and its pure-Python twin: which is live, and that they agree."""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aiohttp_ws
from aiohttp_ws.sansio import frames

NO_EXTENSIONS = bool(os.environ.get("AIOHTTP_WS_NO_EXTENSIONS"))


def pure_twin() -> ModuleType:
    """frames.py executed again under another name, so its classes stay pure Python."""
    spec = importlib.util.spec_from_file_location("aiohttp_ws.sansio._frames_pure_twin", frames.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PURE = pure_twin()
compiled = pytest.mark.skipif(not frames.HAS_EXTENSIONS, reason="compiled hot path not built")


def pure_protocol_class() -> type:
    """``WebSocketProtocol`` over the pure-Python ``FastPath`` (``_fast.py``
    executed again under another name, framing with the pure serializer)."""
    from aiohttp_ws.sansio import _fast
    from aiohttp_ws.sansio.protocol import WebSocketProtocol
    from aiohttp_ws.sansio.reassembly import Reassembly

    spec = importlib.util.spec_from_file_location("aiohttp_ws.sansio._fast_pure_twin", _fast.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_frame = PURE.build_frame
    body = {k: v for k, v in vars(WebSocketProtocol).items() if k not in ("__dict__", "__weakref__")}
    return type("PureWebSocketProtocol", (Reassembly, module.FastPath), body)


PURE_PROTOCOL = pure_protocol_class()


def feed_all(
    parser: frames.FrameParser,
    chunks: list[bytes],
    item: Callable[[frames.Frame], object] = tuple,
    after: Callable[[frames.FrameParser], object] | None = None,
) -> list[object]:
    """Feed *chunks* one by one, taking every frame with next_frame():
    ``item(frame)`` for each, ``after(parser)`` after each chunk; a protocol
    error ends the list as (its type name, its close code)."""
    out: list[object] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while (f := parser.next_frame()) is not None:
                out.append(item(f))
            if after is not None:
                out.append(after(parser))
    except aiohttp_ws.WebSocketError as exc:
        out.append((type(exc).__name__, exc.code))
    return out


def test_the_switch_decides_which_path_is_live() -> None:
    assert aiohttp_ws.HAS_EXTENSIONS is frames.HAS_EXTENSIONS
    if NO_EXTENSIONS:
        assert not frames.HAS_EXTENSIONS
        assert frames.FrameParser.__module__ == "aiohttp_ws.sansio.frames"
        assert frames.apply_mask is frames._apply_mask_py
    if os.environ.get("AIOHTTP_WS_REQUIRE_EXTENSIONS"):  # set by CI, where a compiler exists
        assert frames.HAS_EXTENSIONS
    if frames.HAS_EXTENSIONS:
        assert frames.FrameParser.__module__ == "aiohttp_ws.sansio._frames_c"
    from aiohttp_ws import _hotpath, connection
    from aiohttp_ws.sansio import _fast, protocol

    # The typed bases of the protocol and the connection follow the same switch.
    assert _fast.HAS_COMPILED_PROTOCOL is _hotpath.HAS_COMPILED_CONNECTION is frames.HAS_EXTENSIONS
    assert protocol.WebSocketProtocol.__mro__[2].__module__ == (
        "aiohttp_ws.sansio._fast_c" if frames.HAS_EXTENSIONS else "aiohttp_ws.sansio._fast"
    )
    assert issubclass(connection.WebSocketConnection, _hotpath.HotPath)
    assert _hotpath.HotPath.__module__ == ("aiohttp_ws._hotpath_c" if frames.HAS_EXTENSIONS else "aiohttp_ws._hotpath")
    assert not PURE_PROTOCOL.__mro__[2].__module__.endswith("_c")


@compiled
@given(data=st.binary(max_size=2000), key=st.binary(min_size=4, max_size=4))
def test_c_mask_matches_python(data: bytes, key: bytes) -> None:
    assert frames.apply_mask(data, key) == frames._apply_mask_py(data, key)
    assert frames.apply_mask(bytearray(data), key) == frames._apply_mask_py(data, key)
    assert frames.apply_mask(memoryview(data), key) == frames._apply_mask_py(data, key)
    assert frames.mask_frame(b"\x82\x05" + key, data, key) == b"\x82\x05" + key + frames._apply_mask_py(data, key)


def test_pure_twin_is_pure() -> None:
    assert PURE.FrameParser.__module__ == "aiohttp_ws.sansio._frames_pure_twin"
    assert not PURE.HAS_EXTENSIONS


@compiled
def test_c_mask_rejects_bad_keys() -> None:
    with pytest.raises(ValueError):
        frames.apply_mask(b"abc", b"abc")


@compiled
@given(
    chunks=st.lists(st.binary(max_size=40), max_size=30),
    masked=st.booleans(),
    limit=st.one_of(st.none(), st.integers(0, 300)),
)
def test_compiled_parser_agrees_with_python(chunks: list[bytes], masked: bool, limit: int | None) -> None:
    """Arbitrary bytes, valid or not, give the same frames or the same error."""
    def run(parser_cls: type) -> list[object]:
        parser = parser_cls(expect_masked=masked, allowed_rsv=0x40)
        parser.max_payload = limit
        return feed_all(parser, chunks, after=lambda p: p.pending_frame())

    assert frames.FrameParser is not PURE.FrameParser
    assert run(frames.FrameParser) == run(PURE.FrameParser)


@given(st.binary(max_size=2000), st.binary(min_size=4, max_size=4), st.integers(0, 50))
def test_mask_into_matches_apply_mask(data: bytes, key: bytes, offset: int) -> None:
    for mask_into in {frames.mask_into, frames._mask_into_py}:
        out = bytearray(b"\xaa" * (offset + len(data) + 3))
        mask_into(out, offset, data, key)
        assert bytes(out[offset : offset + len(data)]) == frames._apply_mask_py(data, key)
        assert out[:offset] == b"\xaa" * offset and out[offset + len(data) :] == b"\xaa" * 3
        with pytest.raises(ValueError):
            mask_into(bytearray(offset + len(data) - 1 if data else 0), offset if data else 1, data or b"x", key)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 300_000])
def test_build_frame_into_reuses_one_buffer(size: int) -> None:
    out = bytearray()
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    for opcode in (frames.OP_BINARY, frames.OP_TEXT):
        n = frames.build_frame_into(out, opcode, payload)
        parser = frames.FrameParser(expect_masked=True)
        parser.feed(bytes(out[:n]))
        frame = parser.next_frame()
        assert frame is not None and frame.opcode == opcode and frame.fin and frame.payload == payload
        assert parser.next_frame() is None
    assert len(out) == n  # grown once, to the frame's size


@compiled
@pytest.mark.parametrize("size", [0, 7, 8, 9, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 5, 200_001])
def test_c_mask_on_both_sides_of_the_gil_threshold(size: int) -> None:
    """Payloads of NOGIL_SIZE bytes or more are masked with the GIL released:
    the same bytes either way, whatever buffer type the key comes in."""
    from aiohttp_ws.sansio import _mask

    assert _mask.NOGIL_SIZE == 16 * 1024
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    key = b"\x01\x80\xfe\x7f"
    want = frames._apply_mask_py(data, key)
    for k in (key, bytearray(key), memoryview(key)):
        assert frames.apply_mask(data, k) == want
        out = bytearray(size + 2)
        frames.mask_into(out, 2, data, k)
        assert bytes(out[2:]) == want
    for bad in (b"", b"abc", b"abcde"):
        with pytest.raises(ValueError):
            frames.mask_frame(b"", data, bad)
        with pytest.raises(ValueError):
            frames.mask_into(bytearray(size), 0, data, bad)


def clear_spares() -> None:
    """Forget this thread's spare buffers (pure module, its twin, the compiled one)."""
    modules: list[ModuleType] = [frames, PURE]
    if frames.HAS_EXTENSIONS:
        from aiohttp_ws.sansio import _frames_c

        modules.append(_frames_c)
    for module in modules:
        module._scratch.__dict__.pop("spares", None)


@pytest.mark.parametrize("cls", [frames.FrameParser, PURE.FrameParser])
@pytest.mark.parametrize("size", [20_000, 100_000, 400_000])
def test_a_frame_spanning_reads_reuses_the_threads_spare_buffer(cls: type, size: int) -> None:
    """A frame whose rest is over SPARE_MIN bytes, arriving in two reads,
    goes into a buffer of at most twice the bytes received the first time;
    that buffer returns to the thread's spares when the parser is idle, and
    the next such frame reuses it (warm memory: no page faults)."""
    clear_spares()
    payload = bytes(range(256)) * (size // 256)
    frame = frames.build_frame(frames.OP_BINARY, payload, mask=False)
    cut = min(len(frame) // 2, frames.READ_SIZE)
    parser = cls(expect_masked=False)
    held = []
    for _ in range(3):
        f = None
        for i, piece in enumerate((frame[:cut], frame[cut:])):
            buf = parser.get_buffer(-1)
            assert len(buf) >= len(piece)
            buf[: len(piece)] = piece
            del buf  # a transport holds the view only while it reads
            parser.buffer_updated(len(piece))
            f = parser.next_frame()
            parser.release_scratch()
            if i == 0:
                assert f is None
                held.append(parser.held_bytes)
        assert f is not None and f.payload == payload
        assert parser.held_bytes == 0  # idle: its buffer went back to the spares
    assert held[0] <= 2 * cut  # a new buffer: twice what arrived, at most
    assert held[1] == held[2] >= len(frame)  # then the spare that held the whole frame, each time


def _read_in_place(parser: frames.FrameParser, chunks: list[bytes]) -> list[object]:
    """What an asyncio.BufferedProtocol does: get_buffer, copy, buffer_updated,
    parse, release_scratch; with a feed() between reads now and then."""
    out: list[object] = []
    try:
        for i, chunk in enumerate(chunks):
            if i % 5 == 4:
                parser.feed(chunk)
            else:
                buf = parser.get_buffer(-1)
                n = min(len(chunk), len(buf))
                buf[:n] = chunk[:n]
                del buf  # a transport holds the view only while it reads
                parser.buffer_updated(n)
                if n < len(chunk):
                    parser.feed(chunk[n:])
            while (f := parser.next_frame()) is not None:
                out.append(tuple(f))
            parser.release_scratch()
            out.append((parser.pending_frame(), parser.buffered))
    except aiohttp_ws.WebSocketError as exc:
        out.append((type(exc).__name__, exc.code))
    return out


@given(
    chunks=st.lists(st.binary(max_size=300), max_size=30),
    masked=st.booleans(),
)
def test_reading_in_place_agrees_with_feeding(chunks: list[bytes], masked: bool) -> None:
    """The scratch-buffer path (shared per-thread buffer, its cached view, the
    shared empty buffer of idle parsers) gives the frames feed() gives, on the
    compiled parser and on the pure twin, two parsers taking turns."""
    clear_spares()  # none left by other tests: the bound below is exact
    want = feed_all(PURE.FrameParser(expect_masked=masked, allowed_rsv=0x40), chunks,
                    after=lambda p: (p.pending_frame(), p.buffered))
    for cls in {frames.FrameParser, PURE.FrameParser}:
        first, second = cls(expect_masked=masked, allowed_rsv=0x40), cls(expect_masked=masked, allowed_rsv=0x40)
        assert _read_in_place(first, chunks) == want
        assert _read_in_place(second, chunks) == want  # the same thread's scratch buffer, reused
        assert first.held_bytes <= 2 * sum(map(len, chunks)) + frames.MIN_READ


@compiled
@given(
    chunks=st.lists(st.binary(max_size=60), max_size=25),
    sends=st.lists(st.tuples(st.sampled_from([1, 2, 9, 10]), st.binary(max_size=20)), max_size=5),
)
def test_protocol_on_the_compiled_parser_agrees_with_the_pure_twin(
    chunks: list[bytes], sends: list[tuple[int, bytes]]
) -> None:
    """The connection state machine compiled (typed FastPath, compiled
    parser) and pure (both twins in Python): the same messages, the same
    automatic replies (pongs, close reply, failure close frame), the same
    state, close code and errors for arbitrary received bytes and sends in
    between (a server core: the frames it sends are unmasked, so the bytes
    out are comparable)."""
    from aiohttp_ws.sansio.protocol import WebSocketProtocol

    def run(protocol_cls: type, parser_cls: type) -> list[object]:
        core = protocol_cls(is_client=False)
        core._parser = parser_cls(expect_masked=True, allowed_rsv=0)
        core._set_limits()
        log: list[object] = []
        for i, chunk in enumerate(chunks):
            log.append([(m.tp, m.data if not isinstance(m.data, BaseException) else repr(m.data), m.extra)
                        for m in core.receive_data(chunk)])
            log.append(core.data_to_send())
            if i < len(sends):
                opcode, payload = sends[i]
                try:
                    log.append(core.send_frame(payload, opcode) if opcode >= 8 else core.send_message(payload, opcode))
                except (aiohttp_ws.InvalidStateError, ValueError) as exc:
                    log.append(type(exc).__name__)
            log.append((core.state, core.close_code, core.failing))
        log.append(core.finish_failure())
        return log

    assert run(WebSocketProtocol, frames.FrameParser) == run(PURE_PROTOCOL, PURE.FrameParser)


@given(
    chunks=st.lists(st.binary(max_size=80), max_size=25),
    frames_in=st.lists(
        st.tuples(st.sampled_from([0x81, 0x82, 0x01, 0x80, 0x89, 0xC2, 0x83]), st.binary(max_size=300)), max_size=12
    ),
    masked=st.booleans(),
    limit=st.one_of(st.none(), st.integers(0, 400)),
)
def test_read_messages_then_next_frame_agrees_with_next_frame_alone(
    chunks: list[bytes], frames_in: list[tuple[int, bytes]], masked: bool, limit: int | None
) -> None:
    """The fast loop (whole TEXT/BINARY messages, stopping at anything else)
    followed by next_frame() gives what next_frame() alone gives, compiled and
    pure: the same messages in the same order, the same error at the same
    place; invalid UTF-8 is left to next_frame()."""
    from aiohttp_ws.models import WSMessage, WSMsgType

    stream = b"".join(frames.frame_header(b0 & 0x0F, len(p), masked, bool(b0 & 0x80), bool(b0 & 0x40))
                      + (b"\x01\x02\x03\x04" + frames._apply_mask_py(p, b"\x01\x02\x03\x04") if masked else p)
                      for b0, p in frames_in)
    pieces = chunks + [stream[i : i + 37] for i in range(0, len(stream), 37)]

    def as_item(f: frames.Frame) -> object:
        """A whole TEXT/BINARY message as (type, data), any other frame as its tuple."""
        if f.fin and not f.rsv1 and f.opcode in (1, 2):
            try:
                data: object = f.payload.decode("utf-8") if f.opcode == 1 else f.payload
            except UnicodeDecodeError:
                data = ("invalid", f.payload)
            return (WSMsgType.TEXT if f.opcode == 1 else WSMsgType.BINARY, data)
        return tuple(f)

    def alone(cls: type) -> list[object]:
        parser = cls(expect_masked=masked, allowed_rsv=0x40)
        parser.max_payload = limit
        return feed_all(parser, pieces, item=as_item)

    def fast(cls: type) -> list[object]:
        parser = cls(expect_masked=masked, allowed_rsv=0x40)
        parser.max_payload = limit
        out: list[object] = []
        try:
            for piece in pieces:
                parser.feed(piece)
                while True:
                    got: list[WSMessage] = []
                    left = parser.read_messages(got, WSMessage, WSMsgType.BINARY, WSMsgType.TEXT)
                    assert left == parser.buffered
                    out.extend((m.tp, m.data) for m in got)
                    assert all(type(m) is WSMessage and m.extra is None for m in got)
                    f = parser.next_frame()
                    if f is None:
                        break
                    out.append(as_item(f))
        except aiohttp_ws.WebSocketError as exc:
            out.append((type(exc).__name__, exc.code))
        return out

    want = alone(PURE.FrameParser)
    assert fast(PURE.FrameParser) == want
    assert fast(frames.FrameParser) == want
    assert alone(frames.FrameParser) == want


def unmask_frame(frame: bytes) -> tuple[bytes, bytes]:
    """(header without the masking key, unmasked payload) of one masked frame."""
    n = frame[1] & 0x7F
    head = 2 + (2 if n == 126 else 8 if n == 127 else 0)
    key = frame[head : head + 4]
    return frame[:head], frames._apply_mask_py(frame[head + 4 :], key)


@compiled
@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70_000])
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_compiled_build_frame_agrees_with_the_pure_twin(size: int, kind: type) -> None:
    """The C frame builder (header, key and masked payload in one allocation)
    writes the bytes the pure serializer writes, for every length encoding,
    FIN/RSV1 combination and payload buffer type; keys differ per frame."""
    payload = kind(bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
    assert frames.build_frame.__module__ == "aiohttp_ws.sansio._frames_c"
    for opcode, fin, rsv1 in [(2, True, False), (1, False, True), (0, True, True), (9, True, False)]:
        want = PURE.build_frame(opcode, payload, False, fin, rsv1)
        assert frames.build_frame(opcode, payload, False, fin, rsv1) == want
        a = frames.build_frame(opcode, payload, True, fin, rsv1)
        b = frames.build_frame(opcode, payload, True, fin, rsv1)
        assert unmask_frame(a) == unmask_frame(b) == unmask_frame(PURE.build_frame(opcode, payload, True, fin, rsv1))
        assert unmask_frame(a)[1] == bytes(payload)
        head = len(unmask_frame(a)[0])
        assert a[head : head + 4] != b[head : head + 4]
    with pytest.raises(TypeError):
        frames.build_frame(2, "text", True)


@pytest.mark.parametrize("module", [frames, PURE], ids=["live", "pure"])
def test_masking_key_pool_is_dropped_in_a_forked_child(module: ModuleType) -> None:
    """Keys are drawn from a pool; a forked child must not take the keys its
    parent is about to use (RFC 6455 §10.3: unpredictable to the peer)."""
    module.masking_key()  # the pool is filled
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next key, then out without running any cleanup
        os.write(write_end, module.masking_key())
        os._exit(0)
    os.close(write_end)
    child_key = os.read(read_end, 4)
    os.close(read_end)
    os.waitpid(pid, 0)
    parent_keys = {module.masking_key() for _ in range(4)}
    assert len(child_key) == 4
    assert child_key not in parent_keys


@compiled
def test_compiled_messages_are_real_message_tuples_and_leak_nothing() -> None:
    """read_messages makes WSMessage tuples in C: equal to the Python ones,
    of the right type, every reference counted (no memory left after 20,000)."""
    import gc
    import sys
    import tracemalloc

    from aiohttp_ws.models import WSMessage, WSMsgType

    body = b"payload"
    stream = frames.build_frame(2, body, False) * 10_000 + frames.build_frame(1, "tëxt".encode(), False) * 10_000
    parser = frames.FrameParser(expect_masked=False)
    out: list[WSMessage] = []
    parser.feed(stream)
    binary, text = object(), object()  # fresh tags: their reference counts are ours alone
    base = sys.getrefcount(binary)
    left = parser.read_messages(out, WSMessage, binary, text)
    held = sys.getrefcount(binary) - base, sys.getrefcount(text) - base
    first, last, n = out[0], out[-1], len(out)
    del out
    released = sys.getrefcount(binary) - base, sys.getrefcount(text) - base
    assert (left, n, held, released) == (0, 20_000, (10_000, 10_000), (1, 1))  # first and last remain
    assert type(first) is WSMessage and tuple(first) == (binary, body, None)
    assert tuple(last) == (text, "tëxt", None) and last.extra is None
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(3):
            parser.feed(stream)
            batch: list[WSMessage] = []
            parser.read_messages(batch, WSMessage, WSMsgType.BINARY, WSMsgType.TEXT)
            del batch
        before = tracemalloc.get_traced_memory()[0]
        parser.feed(stream)
        batch = []
        parser.read_messages(batch, WSMessage, WSMsgType.BINARY, WSMsgType.TEXT)
        del batch
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 4096
    with pytest.raises(TypeError):
        parser.feed(frames.build_frame(2, b"x", False))
        parser.read_messages([], dict, WSMsgType.BINARY, WSMsgType.TEXT)
