"""Peers for the HTTP/2 tests: hypercorn (a real RFC 8441 server) running an
ASGI echo app, and a scripted HTTP/2 server (the h2 library, our own framing
of nothing) for what a real server will not do on demand: no extended
CONNECT, refused streams, GOAWAY with a last stream ID, silence."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any, AsyncIterator

import h2.config
import h2.connection
import h2.events
import h2.settings
import hypercorn.asyncio
import hypercorn.config

from ..ports import free_port, wait_listening


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI: a WebSocket echo with commands ('close:CODE:REASON',
    'flood:COUNT:SIZE', 'info' → 'http_version subprotocol'); plain HTTP
    answers 200 'plain'."""
    if scope["type"] == "lifespan":
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"plain"})
        return
    await receive()  # websocket.connect
    if scope["path"] == "/private":
        await send({"type": "websocket.close", "code": 1008})  # before accept: hypercorn answers 403
        return
    offered = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": offered[0] if offered else None})
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        text = event.get("text")
        if text is None:
            await send({"type": "websocket.send", "bytes": event["bytes"]})
        elif text.startswith("close:"):
            _, code, reason = text.split(":", 2)
            await send({"type": "websocket.close", "code": int(code), "reason": reason})
            return
        elif text.startswith("flood:"):
            count, size = map(int, text[6:].split(":"))
            for i in range(count):
                await send({"type": "websocket.send", "bytes": i.to_bytes(4, "big") * (size // 4)})
        elif text == "info":
            await send({"type": "websocket.send", "text": f"{scope['http_version']} {offered[0] if offered else None}"})
        else:
            await send({"type": "websocket.send", "text": text})


@contextlib.asynccontextmanager
async def hypercorn_server(
    *, certfile: str | None = None, keyfile: str | None = None, max_streams: int = 100, app: Any = echo_app
) -> AsyncIterator[tuple[int, asyncio.Event]]:
    """Hypercorn running the ASGI *app* on 127.0.0.1 (h2c prior knowledge; TLS
    with ALPN h2 when given a certificate). Yields the port and the event that
    shuts it down."""
    port = free_port()
    config = hypercorn.config.Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    config.accesslog = None
    config.websocket_max_message_size = 64 * 1024 * 1024
    config.h2_max_concurrent_streams = max_streams
    config.graceful_timeout = 2.0
    if certfile:
        config.certfile, config.keyfile = certfile, keyfile
    stop = asyncio.Event()
    task = asyncio.create_task(hypercorn.asyncio.serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    await wait_listening(port)
    try:
        yield port, stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


class ScriptedH2:
    """An HTTP/2 server written for one test: ``enable_connect`` (send
    SETTINGS_ENABLE_CONNECT_PROTOCOL), ``status`` (answer to each CONNECT;
    ``None``: never answer), ``reset`` (RST_STREAM every request with this
    code instead), ``goaway_last`` (after this many streams, GOAWAY with the
    last accepted stream ID). Counts connections and requests."""

    def __init__(
        self,
        *,
        enable_connect: bool = True,
        status: int | None = 200,
        reset: int | None = None,
        goaway_after: int | None = None,
        max_streams: int | None = None,
    ) -> None:
        self.enable_connect = enable_connect
        self.status = status
        self.reset = reset
        self.goaway_after = goaway_after
        self.max_streams = max_streams
        self.connections = 0
        self.requests: list[list[tuple[str, str]]] = []
        self.server: asyncio.Server | None = None
        self.ended: list[int] = []

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> ScriptedH2:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=ssl_context)
        return self

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        settings: dict[h2.settings.SettingCodes, int] = {}
        if self.enable_connect:
            settings[h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL] = 1
        if self.max_streams is not None:
            settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = self.max_streams
        conn.local_settings = h2.settings.Settings(client=False, initial_values=settings)
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        self._request(conn, event)
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id or 0)
                    elif isinstance(event, h2.events.StreamEnded):
                        self.ended.append(event.stream_id or 0)
                writer.write(conn.data_to_send())
        except (ConnectionError, h2.exceptions.ProtocolError):
            pass
        finally:
            writer.close()

    def _request(self, conn: h2.connection.H2Connection, event: h2.events.RequestReceived) -> None:
        sid = event.stream_id or 0
        self.requests.append([(str(k), str(v)) for k, v in event.headers or []])
        if self.reset is not None:
            conn.reset_stream(sid, error_code=self.reset)
        elif self.status is not None:
            conn.send_headers(sid, [(":status", str(self.status))], end_stream=self.status >= 300)
        if self.goaway_after is not None and len(self.requests) == self.goaway_after:
            conn.close_connection(last_stream_id=sid)
