"""Instructions per message, counted by valgrind (callgrind), for the small
cells and for connect + close: a figure that a noisy shared machine cannot move.

    python bench/instructions.py [--count 2000] [--handshakes 400] [--loop asyncio|uvloop] [--libs aiohttp_ws,picows,...]

Each library's client (bench/clients.py) runs twice under ``valgrind
--tool=callgrind`` against bench/server.py, with COUNT/4 and COUNT echoes
(HANDSHAKES/4 and HANDSHAKES connect + close cycles, each a module-level
``ws_connect`` and ``close()`` for us, a session per cycle for aiohttp); the
difference of the two totals over the difference of the messages (cycles) is
the client's instructions per message (user space only, the kernel's share is
not counted; startup, imports and connecting cancel out).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clients  # noqa: E402
import run  # noqa: E402

CELLS = [
    ("echo 64 B", "echo-bytes", 64),
    ("echo 1 KiB", "echo-bytes", 1024),
    ("pipelined 1 KiB, window 128", "pipeline", 1024),
    ("connect + close", "handshake", 0),
]


def instructions(lib: str, loop: str, scenario: str, size: int, count: int, url: str) -> int:
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
           os.path.join(HERE, "clients.py"), lib, loop, scenario, str(size), str(count), url]
    done = subprocess.run(run.pinned(1) + cmd, capture_output=True, text=True, timeout=1800, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    assert match is not None, done.stderr[-500:]
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="echoes in the longer run")
    parser.add_argument("--handshakes", type=int, default=400, help="connect + close cycles in the longer run")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--cells", help="labels of the cells to count, separated by semicolons (default: all)")
    parser.add_argument("--libs", default=",".join(run.LIBS))
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed")
    server, url = run.start_server()
    try:
        libs = args.libs.split(",")
        print("| cell | " + " | ".join(libs) + " | " + " | ".join(f"{lib} / ours" for lib in libs[1:]) + " |")
        print("|---" * (2 * len(libs)) + "|")
        cells = [c for c in CELLS if not args.cells or c[0] in args.cells.split(";")]
        for label, scenario, size in cells:
            per: dict[str, float] = {}
            for lib in libs:
                if scenario == "handshake":
                    if lib == "picows_await":  # the same connect as picows
                        per[lib] = float("nan")
                        continue
                    small = n_small = args.handshakes // 4  # one warm-up cycle in both runs
                    big = n_big = args.handshakes
                else:
                    small, big = args.count // 4, args.count
                    n_small = small + clients.warmup(lib, scenario, small)
                    n_big = big + clients.warmup(lib, scenario, big)
                diff = (instructions(lib, args.loop, scenario, size, big, url)
                        - instructions(lib, args.loop, scenario, size, small, url))
                per[lib] = diff / (n_big - n_small)
            ours = per[libs[0]]

            def cell(value: float, text: str) -> str:
                return "-" if math.isnan(value) else text

            print(f"| {label} | " + " | ".join(cell(per[lib], f"{per[lib] / 1000:.1f} k") for lib in libs)
                  + " | " + " | ".join(cell(per[lib], f"{per[lib] / ours:.2f}") for lib in libs[1:]) + " |", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
