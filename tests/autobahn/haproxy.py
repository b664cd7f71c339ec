"""HAProxy (Debian's haproxy package) as an RFC 8441 front: h2c (or TLS with
ALPN h2, or HTTP/1.1 only) on its frontend, HTTP/1.1 to the server behind it,
WebSocket bytes tunnelled. Used by the Autobahn runs (in front of kosoku) and
tests/http2/test_proxies.py."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from typing import AsyncIterator

from ..ports import free_port, wait_listening


def config(front: int, back: int, *, pem: str | None = None, h2: bool = True) -> str:
    """A configuration listening on 127.0.0.1:*front*: TLS with ALPN h2 and
    http/1.1 with *pem* (key and certificate), else cleartext HTTP/2 (h2c)
    or, without *h2*, HTTP/1.1 only; forwarding to 127.0.0.1:*back*."""
    bind = f"bind 127.0.0.1:{front}" + (f" ssl crt {pem} alpn h2,http/1.1" if pem else (" proto h2" if h2 else " proto h1"))
    return (
        "global\n  maxconn 2000\n"
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 120s\n"
        f"frontend fe\n  {bind}\n  default_backend be\n"
        f"backend be\n  server s1 127.0.0.1:{back}\n"
    )


@contextlib.asynccontextmanager
async def running_haproxy(backend_port: int, *, pem: str | None = None, h2: bool = True) -> AsyncIterator[int]:
    """HAProxy in front of 127.0.0.1:*backend_port* (``config``); yields its port."""
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(config(port, backend_port, pem=pem, h2=h2))
        f.flush()
        proc = subprocess.Popen(["haproxy", "-f", f.name, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await wait_listening(port)
            yield port
        finally:
            proc.terminate()
            proc.wait()
