"""What the two HTTP/2 relays of the Autobahn runs share (``h2front``: HTTP/2
in front of HTTP/1.1, ``h2back``: HTTP/1.1 in front of HTTP/2): a listener
that tracks its connections so ``stop()`` ends them, and sending a stream's
bytes as the peer's flow-control windows allow (RFC 9113 §5.2). Written on
the h2 library alone."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import h2.connection
import h2.exceptions


class Relay:
    """``start()`` listens on 127.0.0.1; ``port`` is where to connect; each
    connection runs ``serve(reader, writer)`` (the subclass's), errors of a
    peer that went away are ignored."""

    #: Exceptions that end one relayed connection quietly.
    QUIET: tuple[type[BaseException], ...] = (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, h2.exceptions.ProtocolError)

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> Any:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        """Stop listening, end every connection and wait for their tasks."""
        if self.server is not None:
            self.server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=5)
        if self.server is not None:
            await self.server.wait_closed()

    def track(self, writer: asyncio.StreamWriter) -> None:
        """End *writer* (an upstream connection too) on ``stop()``."""
        self._writers.add(writer)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.track(writer)
        try:
            await self.serve(reader, writer)
        except self.QUIET:
            pass
        finally:
            writer.transport.abort()
            self._writers.discard(writer)
            self._handlers.discard(task)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


async def send_data(
    conn: h2.connection.H2Connection,
    stream_id: int,
    data: bytes,
    window_open: asyncio.Event,
    flush: Callable[[], None],
    gone: Callable[[], bool],
) -> bool:
    """Send *data* on the stream in frames the windows allow, waiting on
    *window_open* (set on WINDOW_UPDATE) when they are shut; ``False`` if the
    stream ended meanwhile (*gone*, or h2 says it is closed)."""
    view = memoryview(data)
    while view:
        if gone():
            return False
        try:
            size = min(conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size, len(view))
        except (h2.exceptions.StreamClosedError, KeyError):
            return False
        if size <= 0:
            window_open.clear()
            await window_open.wait()
            continue
        conn.send_data(stream_id, bytes(view[:size]))
        view = view[size:]
        flush()
    return not gone()
