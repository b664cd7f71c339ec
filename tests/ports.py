"""Ports for peers started by the tests: a free one, waiting until
something listens on one, and our own ``serve`` command on one."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import sys
from typing import AsyncIterator


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


@contextlib.asynccontextmanager
async def served(*args: str, log: bool = True) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """``python -m aiohttp_ws serve --port 0 *args`` in its own process: the
    process (with *log*, its standard error piped for the per-connection
    lines; else discarded, so that nothing in this process reads it) and the
    URL it prints; terminated on exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiohttp_ws", "serve", "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE if log else asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        found = re.search(r"wss?://127\.0\.0\.1:\d+/", line)
        assert found is not None, line
        yield proc, found.group(0)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
