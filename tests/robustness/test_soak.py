"""A bounded soak: 1,000 connect / echo / close cycles leave fds, tasks and
RSS where they were."""

from __future__ import annotations

import asyncio
import gc
from typing import Callable

import pytest

import aiohttp_ws

from .conftest import open_fds, rss_bytes


@pytest.mark.timeout(120)
async def test_1000_connect_echo_close_cycles_leave_nothing_behind(
    our_server: str, report: Callable[[str, str], None]
) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async def cycle(i: int) -> None:
            async with session.ws_connect(our_server, heartbeat=30) as ws:
                await ws.send_str(f"m{i}")
                assert await ws.receive_str() == f"m{i}"

        for i in range(100):  # warm up: caches, pools, allocator arenas
            await cycle(i)
        gc.collect()
        fds, tasks, rss = open_fds(), len(asyncio.all_tasks()), rss_bytes()
        for i in range(1000):
            await cycle(i)
        await asyncio.sleep(0.05)  # the server's handler tasks finish
        gc.collect()
        report("fds, tasks, RSS growth", f"{fds}→{open_fds()}, {tasks}→{len(asyncio.all_tasks())}, {(rss_bytes() - rss) / 1024:.0f} KiB")
        assert open_fds() <= fds
        assert len(asyncio.all_tasks()) <= tasks
        assert rss_bytes() - rss < 8 * 1024 * 1024, rss_bytes() - rss
