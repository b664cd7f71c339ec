"""Ports for peers started by the tests: a free one, and waiting until
something listens on one."""

from __future__ import annotations

import asyncio
import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_listening(port: int, attempts: int = 500) -> None:
    """Return once a connection to 127.0.0.1:*port* succeeds (every 10 ms);
    ``RuntimeError`` after *attempts* tries."""
    for _ in range(attempts):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
