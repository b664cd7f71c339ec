"""A WebSocket through a SOCKS5 proxy with credentials, remote DNS.

    pip install 'aiohttp_ws[socks]' pproxy
    python examples/socks_proxy.py

Starts pproxy as a SOCKS5 server (user "alice", password "s3cret") and a
local echo server, then connects through the proxy with ``socks5h://``: the
proxy, not this process, resolves "localhost".
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import aiohttp_ws

# pproxy would pick uvloop if it is installed and fail on it; run it on asyncio's loop.
PPROXY = "import sys; sys.modules['uvloop'] = None; from pproxy.server import main; sys.argv[0] = 'pproxy'; main()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main() -> None:
    port = free_port()
    proxy = subprocess.Popen(
        [sys.executable, "-c", PPROXY, "-l", f"socks5://127.0.0.1:{port}#alice:s3cret"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proxy.stdout is not None
        while "Serving on" not in proxy.stdout.readline():
            pass
        async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler) as server:
            url = f"ws://localhost:{server.port}/"
            async with aiohttp_ws.ClientSession() as session:
                async with session.ws_connect(url, proxy=f"socks5h://alice:s3cret@127.0.0.1:{port}") as ws:
                    await ws.send_str("through the proxy")
                    print("echo:", await ws.receive_str())
                    print("connected to:", ws.get_extra_info("peername"), "(the proxy)")
    finally:
        proxy.terminate()
        proxy.wait()
        if proxy.stdout is not None:
            proxy.stdout.close()


if __name__ == "__main__":
    asyncio.run(main())
