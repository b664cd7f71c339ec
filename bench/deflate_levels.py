"""Compression level vs ratio and CPU on realistic payloads: the measurement
behind ``PerMessageDeflate``'s default level (docs/compression.rst).

    python bench/deflate_levels.py

Each payload kind is a stream of 20 different messages of about 64 KiB,
compressed as permessage-deflate does (RFC 7692 §7.2.1: raw deflate, a
15-bit window, the context kept from message to message, a sync flush per
message). Prints, per zlib level, the compressed size as a share of the
original and the CPU per message (best of 3).
"""

from __future__ import annotations

import json
import os
import random
import struct
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from clients import json_payload  # noqa: E402

SIZE = 64 * 1024
COUNT = 20


def messages() -> dict[str, list[bytes]]:
    rng = random.Random(7692)
    docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")
    prose = "".join(open(os.path.join(docs, name), encoding="utf-8").read() for name in sorted(os.listdir(docs)) if name.endswith(".rst"))
    records = json.loads(json_payload(SIZE * COUNT))
    per = len(records) // COUNT
    return {
        "JSON records": [json.dumps(records[i * per : (i + 1) * per]).encode() for i in range(COUNT)],
        "English text (docs)": [(prose * (1 + SIZE * COUNT // len(prose)))[i * SIZE : (i + 1) * SIZE].encode() for i in range(COUNT)],
        "float64 samples": [struct.pack(f"<{SIZE // 8}d", *(rng.gauss(0, 1) for _ in range(SIZE // 8))) for _ in range(COUNT)],
        "random bytes": [rng.randbytes(SIZE) for _ in range(COUNT)],
    }


def measure(data: list[bytes], level: int) -> tuple[float, float]:
    best = float("inf")
    out = 0
    for _ in range(3):
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        out = 0
        start = time.process_time()
        for message in data:
            out += len(comp.compress(message) + comp.flush(zlib.Z_SYNC_FLUSH)) - 4
        best = min(best, time.process_time() - start)
    return out / sum(map(len, data)), best / len(data)


def main() -> None:
    print("| payload | level | compressed / original | CPU per 64 KiB message |\n|---|---|---|---|")
    for kind, data in messages().items():
        for level in (1, 2, 3, 4, 5, 6, 9):
            share, cpu = measure(data, level)
            print(f"| {kind} | {level} | {share:.3f} | {cpu * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
