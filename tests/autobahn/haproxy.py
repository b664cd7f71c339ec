"""HAProxy (Debian's haproxy package) as an RFC 8441 front for kosoku: h2c on
its frontend, HTTP/1.1 to the fuzzing server, WebSocket bytes tunnelled."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import tempfile
from typing import AsyncIterator


@contextlib.asynccontextmanager
async def running_haproxy(backend_port: int) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    cfg = (
        "global\n  maxconn 2000\n"
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 120s\n"
        f"frontend fe\n  bind 127.0.0.1:{port} proto h2\n  default_backend be\n"
        f"backend be\n  server s1 127.0.0.1:{backend_port}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(cfg)
        f.flush()
        proc = subprocess.Popen(["haproxy", "-f", f.name, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                await writer.wait_closed()
                break
            yield port
        finally:
            proc.terminate()
            proc.wait()
