"""Instructions per message, counted by valgrind (callgrind), for the small
cells: a figure that a noisy shared machine cannot move.

    python bench/instructions.py [--count 2000] [--libs aiohttp_ws,picows,...]

Each library's client (bench/clients.py, default asyncio loop) runs twice
under ``valgrind --tool=callgrind`` against bench/server.py, with COUNT/4 and
COUNT echoes; the difference of the two totals over the difference of the
messages is the client's instructions per message (user space only, the
kernel's share is not counted; startup, imports and connecting cancel out).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clients  # noqa: E402
import run  # noqa: E402

CELLS = [("echo 64 B", "echo-bytes", 64), ("echo 1 KiB", "echo-bytes", 1024), ("pipelined 1 KiB, window 128", "pipeline", 1024)]


def instructions(lib: str, scenario: str, size: int, count: int, url: str) -> int:
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
           os.path.join(HERE, "clients.py"), lib, "asyncio", scenario, str(size), str(count), url]
    done = subprocess.run(run.pinned(1) + cmd, capture_output=True, text=True, timeout=1800, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    assert match is not None, done.stderr[-500:]
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--libs", default=",".join(run.LIBS))
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed")
    server, url = run.start_server()
    try:
        libs = args.libs.split(",")
        print("| cell | " + " | ".join(libs) + " | " + " | ".join(f"{lib} / ours" for lib in libs[1:]) + " |")
        print("|---" * (2 * len(libs)) + "|")
        for label, scenario, size in CELLS:
            per: dict[str, float] = {}
            for lib in libs:
                small, big = args.count // 4, args.count
                n_small = small + clients.warmup(lib, scenario, small)
                n_big = big + clients.warmup(lib, scenario, big)
                diff = instructions(lib, scenario, size, big, url) - instructions(lib, scenario, size, small, url)
                per[lib] = diff / (n_big - n_small)
            ours = per[libs[0]]
            print(f"| {label} | " + " | ".join(f"{per[lib] / 1000:.1f} k" for lib in libs)
                  + " | " + " | ".join(f"{per[lib] / ours:.2f}" for lib in libs[1:]) + " |", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
