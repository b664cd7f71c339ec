"""Request/response over JSON: match each answer to its request by id.

    python examples/json_rpc.py

Starts a local server that answers requests out of order (the slow one
last), then sends three requests at once from three tasks. One reader task
owns ``receive()`` and resolves the future waiting for each id; senders
only send (sends are safe from many tasks).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp_ws
from aiohttp_ws import ServerWebSocket, WSMsgType


async def slow_server(ws: ServerWebSocket) -> None:
    async def answer(request: dict[str, Any]) -> None:
        await asyncio.sleep(request["params"]["delay"])
        await ws.send_json({"id": request["id"], "result": request["params"]["x"] * 2})

    tasks = set()
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            task = asyncio.ensure_future(answer(json.loads(msg.data)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)


class Client:
    """Calls over one WebSocket; ``call()`` may run in many tasks at once."""

    def __init__(self, ws: aiohttp_ws.ClientWebSocketResponse[bool]) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is WSMsgType.TEXT:
                reply = json.loads(msg.data)
                future = self.pending.pop(reply["id"], None)
                if future is not None and not future.done():
                    future.set_result(reply["result"])
        for future in self.pending.values():  # the connection ended: nobody will answer
            future.set_exception(ConnectionError(f"closed with {self.ws.close_code}"))

    async def call(self, method: str, timeout: float = 5, **params: Any) -> Any:
        request_id = next(self.ids)
        future = self.pending[request_id] = asyncio.get_running_loop().create_future()
        await self.ws.send_json({"id": request_id, "method": method, "params": params})
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(request_id, None)


async def main() -> None:
    async with aiohttp_ws.serve(slow_server, "127.0.0.1", 0) as server:
        async with aiohttp_ws.ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
            client = Client(ws)
            results = await asyncio.gather(
                client.call("double", x=1, delay=0.3), client.call("double", x=2, delay=0.1), client.call("double", x=3, delay=0.2)
            )
            print(f"3 answers matched to their requests: {results}")
            await ws.close()
            await client.reader


if __name__ == "__main__":
    asyncio.run(main())
