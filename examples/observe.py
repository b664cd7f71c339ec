"""See what a connection does: DEBUG logs, tracing metrics, a refusal's body,
and a heartbeat timeout that names a blocked event loop.

    python examples/observe.py
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any

import aiohttp_ws
from aiohttp_ws import ServerWebSocket, WSMsgType
from aiohttp_ws.server import Refuse, UpgradeRequest


def gate(request: UpgradeRequest) -> Refuse | None:
    if request.path == "/private":
        return Refuse(401, body="missing token")
    return None


async def quiet_echo(ws: ServerWebSocket) -> None:
    async for msg in ws:
        if msg.type is WSMsgType.TEXT and msg.data == "stop answering":
            await asyncio.sleep(3600)  # the server stops reading: no more pongs
        await ws.send_str(msg.data)


async def main() -> None:
    metrics: collections.Counter[str] = collections.Counter()

    async def count(session: Any, ctx: Any, params: Any) -> None:
        metrics[f"{type(params).__name__}"] += 1

    trace = aiohttp_ws.TraceConfig()
    for signal in (trace.on_request_start, trace.on_ws_handshake_end, trace.on_ws_message_sent,
                   trace.on_ws_message_received, trace.on_ws_closed):
        signal.append(count)

    async with aiohttp_ws.serve(quiet_echo, process_request=gate, autoping=False) as server:
        base = f"ws://127.0.0.1:{server.port}"
        async with aiohttp_ws.ClientSession(trace_configs=[trace]) as session:
            # 1. DEBUG logs of one exchange (secrets redacted)
            logging.basicConfig(level=logging.DEBUG, format="  log %(name)s %(message)s")
            logging.getLogger("asyncio").setLevel(logging.WARNING)
            async with session.ws_connect(f"{base}/", headers={"Authorization": "Bearer secret"}) as ws:
                await ws.send_str("hello")
                await ws.receive()
            logging.getLogger("aiohttp_ws").setLevel(logging.WARNING)

            # 2. A refusal, readable from its message
            try:
                await session.ws_connect(f"{base}/private")
            except aiohttp_ws.WSServerHandshakeError as exc:
                print("refused:", exc)

            # 3. A heartbeat timeout while our own loop was blocked
            async with session.ws_connect(f"{base}/", heartbeat=0.2) as ws:
                await ws.send_str("stop answering")
                await asyncio.sleep(0.25)  # the heartbeat's ping went out at 0.2 s
                time.sleep(0.4)  # blocking code in the event loop, over the pong check at 0.3 s
                msg = await ws.receive()
                print("heartbeat:", msg.data, f"(loop_blocked={msg.data.loop_blocked:.2f} s)")
        await asyncio.sleep(0.05)
    print("trace counts:", dict(sorted(metrics.items())))


if __name__ == "__main__":
    asyncio.run(main())
