"""Run the Autobahn TestSuite client cases against aiohttp_ws, through kosoku.

    python -m tests.autobahn.run                    # the whole client suite (517 cases)
    python -m tests.autobahn.run -i '1.*' -i '13.7.*'

kosoku serves the cases (its ``run_fuzzingserver``); our client follows the
Autobahn client protocol: ``/getCaseCount``, then ``/runCase?case=N&agent=A``
echoing every text and binary message until the server closes, then
``/updateReports?agent=A``. One static client configuration serves the whole
run, as a user would configure it. Exit status 1 if any case's behavior is not
OK, NON-STRICT or INFORMATIONAL, or its close behavior not OK or INFORMATIONAL.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import time
from typing import Any, Sequence

import kosoku

import aiohttp_ws
from aiohttp_ws import WSMsgType

AGENT = "aiohttp_ws"
#: Offer that leaves the server every choice of window and context takeover,
#: as Autobahn's own reference client offers.
OFFER = aiohttp_ws.PerMessageDeflate(client_no_context_takeover=True, client_max_window_bits=True)
#: Section 9 sends messages up to 16 MiB; the peers' compliance clients raise the limit likewise.
MAX_MSG_SIZE = 32 * 1024 * 1024
GOOD = {"OK", "NON-STRICT", "INFORMATIONAL"}
GOOD_CLOSE = {"OK", "INFORMATIONAL"}


async def echo_case(url: str) -> None:
    """Connect to one case and echo until the server closes."""
    try:
        async with aiohttp_ws.ws_connect(url, compress=OFFER, max_msg_size=MAX_MSG_SIZE) as ws:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await ws.send_str(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await ws.send_bytes(msg.data)
    except aiohttp_ws.ClientError:
        pass  # some cases end the connection abruptly on purpose; kosoku judges the outcome


async def drive(base: str) -> int:
    """Run every case the server offers; return how many there were."""
    async with aiohttp_ws.ws_connect(f"{base}/getCaseCount") as ws:
        count = int(await ws.receive_str())
    for number in range(1, count + 1):
        await echo_case(f"{base}/runCase?case={number}&agent={AGENT}")
    async with aiohttp_ws.ws_connect(f"{base}/updateReports?agent={AGENT}") as ws:
        await ws.receive()
    return count


def passed(result: Any) -> bool:
    return result.behavior.value in GOOD and result.behavior_close.value in GOOD_CLOSE


async def run(cases: Sequence[str] | None, exclude: Sequence[str] | None) -> list[Any]:
    async with kosoku.run_fuzzingserver(cases=list(cases) if cases else None,
                                        exclude_cases=list(exclude) if exclude else None, port=0) as server:
        await drive(f"ws://{server.address}:{server.port}")
        try:
            return list(await server.get_result())
        except kosoku.FailureError as exc:  # carries the results; we judge them ourselves
            return list(exc.results)


def summary(results: list[Any], seconds: float) -> str:
    """A markdown summary: counts per behavior pair, then every case not OK."""
    counts = collections.Counter((r.behavior.value, r.behavior_close.value) for r in results)
    lines = [
        f"Autobahn client cases: {len(results)}, {sum(map(passed, results))} passed, "
        f"{len(results) - sum(map(passed, results))} failed, in {seconds:.0f} s "
        f"({'compiled' if getattr(aiohttp_ws, 'HAS_EXTENSIONS', False) else 'pure-Python'} hot path)",
        "",
        "| behavior | close behavior | cases |",
        "|---|---|---|",
    ]
    lines += [f"| {b} | {c} | {n} |" for (b, c), n in sorted(counts.items(), key=lambda kv: -kv[1])]
    odd = [r for r in results if (r.behavior.value, r.behavior_close.value) != ("OK", "OK")]
    if odd:
        lines += ["", "| case | behavior | close | result |", "|---|---|---|---|"]
        lines += [
            f"| {r.case_id} | {r.behavior.value} | {r.behavior_close.value} | {r.result} {r.result_close} |"
            for r in odd
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.autobahn.run", description=__doc__.split("\n")[0])
    parser.add_argument("-i", "--include", action="append", help="case id or glob (repeatable); default all")
    parser.add_argument("-x", "--exclude", action="append", help="case id or glob to leave out (repeatable)")
    parser.add_argument("--json", help="write per-case results to this file")
    args = parser.parse_args(argv)
    start = time.monotonic()
    results = asyncio.run(run(args.include, args.exclude))
    print(summary(results, time.monotonic() - start), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"case": r.case_id, "behavior": r.behavior.value, "close": r.behavior_close.value,
                        "duration_ms": r.duration} for r in results], f, indent=1)
    if not results:
        print("no case ran", file=sys.stderr)
        return 1
    return 0 if all(map(passed, results)) else 1


if __name__ == "__main__":
    sys.exit(main())
