"""Benchmark aiohttp_ws against aiohttp, websockets and picows, in one run,
with the no-library ceiling (bench/baseline.py) as the last column.

    python -m pip install -e '.[bench]'
    python bench/run.py            # full: 5 interleaved rounds (about 10 minutes)
    python bench/run.py --quick    # one short round (under a minute)

One echo server (picows on uvloop, bench/server.py) runs in its own process;
each measurement runs in a fresh client process (bench/clients.py). With
taskset the server is pinned to core 0 and the clients to core 1. The table
gives the median over rounds of the client's CPU time (user+sys) per message,
which is far steadier on a shared machine than wall time, the rate, and the
ratio of each peer's CPU per message to ours (above 1: we use less).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = ["aiohttp_ws", "aiohttp", "websockets", "picows", "picows_await", "baseline"]
LOOPS = ["asyncio", "uvloop"]
#: (label, scenario, payload bytes, operations in a full run)
SCENARIOS = [
    ("echo 64 B", "echo-bytes", 64, 20000),
    ("echo 1 KiB", "echo-bytes", 1024, 20000),
    ("echo 64 KiB", "echo-bytes", 65536, 3000),
    ("echo 1 MiB", "echo-bytes", 1 << 20, 200),
    ("echo 64 KiB text", "echo-text", 65536, 2000),
    ("pipelined 1 KiB, window 128", "pipeline", 1024, 50000),
    ("echo 64 KiB JSON, deflate", "echo-json", 65536, 1000),
    ("connect + close", "handshake", 0, 500),
    ("idle memory per connection", "memory", 0, 1000),
]


def pinned(core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core)]
    return []


#: Libraries with permessage-deflate (the compressed cells; picows has none).
DEFLATE_LIBS = ["aiohttp_ws", "aiohttp", "websockets"]


def start_server(script: str = "server.py") -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(pinned(0) + [sys.executable, os.path.join(HERE, script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    return proc, f"ws://127.0.0.1:{port}/"


def run_one(lib: str, loop: str, scenario: str, size: int, count: int, url: str) -> dict[str, Any] | None:
    cmd = pinned(1) + [sys.executable, os.path.join(HERE, "clients.py"), lib, loop, scenario, str(size), str(count), url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        print(f"  {lib}/{loop}/{scenario}/{size}: failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def collect(rounds: int, scale: float, urls: dict[str, str]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """*urls*: the plain echo server's (``""``) and the deflate one's (``"echo-json"``)."""
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in range(rounds):
        for label, scenario, size, count in SCENARIOS:
            n = max(50, int(count * scale)) if scenario != "memory" else max(200, int(count * min(1.0, scale * 2)))
            url = urls.get(scenario, urls[""])
            for lib in DEFLATE_LIBS if scenario == "echo-json" else LIBS:
                if lib == "picows_await" and scenario in ("handshake", "memory"):
                    continue  # the same code as the picows column
                for loop in LOOPS:
                    res = run_one(lib, loop, scenario, size, n, url)
                    if res is not None:
                        results.setdefault((label, loop, lib), []).append(res)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def cell(values: list[dict[str, Any]], memory: bool) -> tuple[float, str]:
    if memory:
        kib = statistics.median(v["kib_per_conn"] for v in values)
        return kib, f"{kib:.1f} KiB"
    us = statistics.median(v["cpu"] / v["ops"] * 1e6 for v in values)
    rate = statistics.median(v["ops"] / v["wall"] for v in values)
    return us, f"{us:.1f} µs ({rate / 1000:.1f}k/s)" if rate >= 1000 else f"{us:.1f} µs ({rate:.0f}/s)"


def table(results: dict[tuple[str, str, str], list[dict[str, Any]]]) -> str:
    head = "| scenario | loop | " + " | ".join(LIBS) + " | " + " | ".join(f"{p} / ours" for p in LIBS[1:]) + " |"
    lines = [head, "|" + "---|" * (2 + len(LIBS) * 2 - 1)]
    for label, scenario, _size, _count in SCENARIOS:
        for loop in LOOPS:
            memory = scenario == "memory"
            if memory and loop == "uvloop":
                continue
            values = {lib: cell(results[(label, loop, lib)], memory) for lib in LIBS if (label, loop, lib) in results}
            ours = values.get("aiohttp_ws", (float("nan"), "-"))[0]
            cols = [values[lib][1] if lib in values else "-" for lib in LIBS]
            ratios = [f"{values[p][0] / ours:.2f}" if p in values and ours else "-" for p in LIBS[1:]]
            lines.append(f"| {label} | {'-' if memory else loop} | " + " | ".join(cols + ratios) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round, under a minute")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the raw results here")
    args = parser.parse_args()
    rounds, scale = (1, 0.1) if args.quick else (args.rounds, 1.0)
    import aiohttp_ws

    server, url = start_server()
    deflate_server, deflate_url = start_server("deflate_server.py")
    start = time.monotonic()
    try:
        results = collect(rounds, scale, {"": url, "echo-json": deflate_url})
    finally:
        for proc in (server, deflate_server):
            proc.terminate()
            proc.wait()
    print(f"aiohttp_ws {aiohttp_ws.__version__}, compiled hot path: {aiohttp_ws.HAS_EXTENSIONS}; "
          f"client CPU per message (user+sys), median of {rounds} round(s); rate in parentheses; "
          f"{time.monotonic() - start:.0f} s\n")
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"|".join(k): v for k, v in results.items()}, f)


if __name__ == "__main__":
    main()
