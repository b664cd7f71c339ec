"""How long large compressed sends stall the event loop: worker thread vs inline.

    python bench/compress_stall.py [--messages 20] [--size 1048576]

Starts a websockets echo server (compression on) in another process, then sends
compressible messages with aiohttp_ws while a ticker task measures event-loop
lag (how late a 1 ms sleep wakes up). Runs once with the default threshold
(messages >= 64 KiB deflated in the executor) and once with compression inline.
Prints the worst and 99th-percentile lag and the throughput of each.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

import aiohttp_ws
from aiohttp_ws import _send as connection  # where the send path reads EXECUTOR_COMPRESS_THRESHOLD

SERVER = """
import asyncio, sys, websockets.asyncio.server as s
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with s.serve(echo, "127.0.0.1", 0, max_size=None) as srv:
        print(srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - start - 0.001)


async def measure(url: str, messages: int, size: int) -> tuple[float, float, float]:
    words = "permessage deflate compresses repeated words rather well, in a loop "
    text = (words * (size // len(words) + 1))[:size]
    async with aiohttp_ws.ws_connect(url, compress=15, max_msg_size=0) as ws:
        lags: list[float] = []
        stop = asyncio.Event()
        tick = asyncio.ensure_future(ticker(lags, stop))
        start = time.perf_counter()
        for _ in range(messages):
            await ws.send_str(text)
            assert await ws.receive_str() == text
        elapsed = time.perf_counter() - start
        stop.set()
        await tick
    lags.sort()
    return max(lags), lags[int(len(lags) * 0.99)], messages * size / elapsed / 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--size", type=int, default=1 << 20)
    args = parser.parse_args()
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = f"ws://127.0.0.1:{proc.stdout.readline().strip()}/"
        print(f"{args.messages} round trips of {args.size} bytes of text, compressed both ways")
        print("| outbound compression | worst loop lag | p99 lag | echo MB/s |")
        print("|---|---|---|---|")
        for label, threshold in (("inline", 1 << 62), (f"executor >= {connection.EXECUTOR_COMPRESS_THRESHOLD // 1024} KiB", connection.EXECUTOR_COMPRESS_THRESHOLD)):
            saved = connection.EXECUTOR_COMPRESS_THRESHOLD
            connection.EXECUTOR_COMPRESS_THRESHOLD = threshold
            try:
                runs = [await measure(url, args.messages, args.size) for _ in range(3)]
            finally:
                connection.EXECUTOR_COMPRESS_THRESHOLD = saved
            worst = statistics.median(r[0] for r in runs)
            p99 = statistics.median(r[1] for r in runs)
            rate = statistics.median(r[2] for r in runs)
            print(f"| {label} | {worst * 1000:.1f} ms | {p99 * 1000:.1f} ms | {rate:.1f} |")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
