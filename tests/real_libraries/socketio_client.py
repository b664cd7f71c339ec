"""python-socketio's AsyncClient on aiohttp_ws through a plain alias.

Run as ``python -m tests.real_libraries.socketio_client URL DEAD_URL``: sets
``sys.modules["aiohttp"] = aiohttp_ws`` *before* importing socketio (the only
change a user would make), runs the scenarios against a python-socketio server
on aiohttp.web, and prints one JSON object of what happened.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp_ws

sys.modules["aiohttp"] = aiohttp_ws

import socketio  # noqa: E402  (after the alias, on purpose)


async def session(url: str, transports: list[str] | None) -> dict[str, Any]:
    """Connect, call and receive, get kicked by the server: what was seen."""
    sio = socketio.AsyncClient(reconnection=False)
    seen: dict[str, Any] = {"pushed": [], "disconnected": asyncio.Event()}

    @sio.on("pushed")
    async def on_pushed(data: Any) -> None:
        seen["pushed"].append(data)

    @sio.event
    async def disconnect(*_reason: Any) -> None:
        seen["disconnected"].set()

    await sio.connect(url, transports=transports, wait_timeout=10)
    ack = await sio.call("echo", {"n": 1, "text": "ünïcödé"}, timeout=10)
    big = await sio.call("echo", "x" * 200_000, timeout=10)
    for _ in range(100):
        if sio.transport() == "websocket":
            break
        await asyncio.sleep(0.05)
    transport = sio.transport()
    await sio.emit("push-me", "hello")
    for _ in range(100):
        if seen["pushed"]:
            break
        await asyncio.sleep(0.05)
    await sio.emit("kick-me")
    await asyncio.wait_for(seen["disconnected"].wait(), 10)
    return {"ack": ack, "big": len(big), "transport": transport, "pushed": seen["pushed"], "kicked": True}


async def refused(dead_url: str) -> str:
    sio = socketio.AsyncClient(reconnection=False)
    try:
        await sio.connect(dead_url, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError as exc:
        return type(exc).__name__
    return "connected?"


async def reconnect(url: str) -> None:
    """Stay connected while the server restarts: print ``connected N`` at each
    connect (the test restarts the server after the first), then the echo
    answered over the second connection."""
    sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.1, reconnection_delay_max=0.5)
    connects = 0
    second = asyncio.Event()

    @sio.event
    async def connect() -> None:
        nonlocal connects
        connects += 1
        print(f"connected {connects}", flush=True)
        if connects == 2:
            second.set()

    await sio.connect(url, transports=["websocket"], wait_timeout=10)
    await asyncio.wait_for(second.wait(), 30)
    ack = await sio.call("echo", "after restart", timeout=10)
    await sio.disconnect()
    print(json.dumps({"connects": connects, "ack": ack}), flush=True)


async def main(url: str, dead_url: str) -> None:
    result = {
        "aiohttp_is_ours": sys.modules["aiohttp"] is aiohttp_ws,
        "websocket": await session(url, ["websocket"]),
        "upgrade": await session(url, None),
        "refused": await refused(dead_url),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "reconnect":
        asyncio.run(reconnect(sys.argv[2]))
    else:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
