"""Compare two source trees of aiohttp_ws cell by cell (a regression check).

    python bench/ab.py BASE_TREE HEAD_TREE [--rounds 5] [--cells "echo 64 B;connect + close"] [--loops asyncio]

Each tree must be importable with ``PYTHONPATH=TREE`` (build its compiled
twins first: ``python setup.py build_ext --inplace`` in it, e.g. a ``git
worktree``). One echo server (bench/server.py, pinned to core 0), clients
pinned to core 1, rounds interleaved and the order of the trees alternated;
prints the median client CPU per operation in µs and base/head (above 1: the
head uses less).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import run  # the cells of bench/run.py

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("head")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cells", help="labels of bench/run.py's cells, separated by semicolons")
    parser.add_argument("--loops", default="asyncio,uvloop")
    args = parser.parse_args()
    cells = [c for c in run.SCENARIOS if c[1] != "memory"]
    if args.cells:
        cells = [c for c in cells if c[0] in args.cells.split(";")]
    pin = ["taskset", "-c", "0"] if run.shutil.which("taskset") else []
    server, url = run.start_server()
    deflate_server, deflate_url = run.start_server("deflate_server.py")
    client_pin = ["taskset", "-c", "1"] if pin else []
    results: dict[tuple[str, str, str], list[float]] = {}
    try:
        for round_ in range(args.rounds):
            for loop in args.loops.split(","):
                for label, scenario, size, count in cells:
                    trees = [("base", args.base), ("head", args.head)]
                    for name, tree in trees if round_ % 2 == 0 else trees[::-1]:
                        env = dict(os.environ, PYTHONPATH=tree)
                        cmd = client_pin + [sys.executable, os.path.join(HERE, "clients.py"), "aiohttp_ws", loop, scenario, str(size), str(count),
                               deflate_url if scenario == "echo-json" else url]
                        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE, timeout=300, check=True)
                        cpu = json.loads(out.stdout.strip().splitlines()[-1])["cpu"]
                        results.setdefault((loop, label, name), []).append(cpu / count * 1e6)
    finally:
        for proc in (server, deflate_server):
            proc.terminate()
            proc.wait()
    print("| loop | cell | base µs | head µs | base/head |\n|---|---|---|---|---|")
    for loop in args.loops.split(","):
        for label, *_ in cells:
            base = statistics.median(results[(loop, label, "base")])
            head = statistics.median(results[(loop, label, "head")])
            print(f"| {loop} | {label} | {base:.2f} | {head:.2f} | {base / head:.2f} |")


if __name__ == "__main__":
    main()
