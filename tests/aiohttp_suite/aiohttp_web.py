"""``aiohttp.web`` for aiohttp's own client tests run against aiohttp_ws.

In aiohttp's test files one name, ``WSMsgType``, serves both the client and
the server handlers, which compare by identity (``msg.type is
WSMsgType.BINARY``). Once the client is ours, that name is our enum, and the
server's messages carry aiohttp's enum, so identity fails for reasons that
have nothing to do with either library's behaviour. This module is
``aiohttp.web`` with one change: ``WebSocketResponse.receive*()`` hand the
handler messages whose ``type`` is our ``WSMsgType`` (same values), checking
types by value as aiohttp does by identity. Everything on the wire is
aiohttp's server, unchanged.
"""

from __future__ import annotations

import json
import types
from typing import Any, Callable

import aiohttp
import aiohttp.web

from aiohttp_ws import WSMsgType

web = types.ModuleType("aiohttp.web (test shim)")
web.__dict__.update({k: v for k, v in vars(aiohttp.web).items() if not k.startswith("__")})


class WebSocketResponse(aiohttp.web.WebSocketResponse):  # type: ignore[type-arg]
    """aiohttp's server WebSocket, its messages typed with our ``WSMsgType``."""

    async def receive(self, timeout: float | None = None) -> Any:
        msg = await super().receive(timeout)
        return msg._replace(type=WSMsgType(msg.type))

    async def _receive_type(self, tp: WSMsgType, timeout: float | None) -> Any:
        msg = await self.receive(timeout)
        if msg.type != tp:
            raise aiohttp.WSMessageTypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.{tp.name}")
        return msg.data

    async def receive_str(self, *, timeout: float | None = None) -> Any:
        return await self._receive_type(WSMsgType.TEXT, timeout)

    async def receive_bytes(self, *, timeout: float | None = None) -> Any:
        return await self._receive_type(WSMsgType.BINARY, timeout)

    async def receive_json(self, *, loads: Callable[[Any], Any] = json.loads, timeout: float | None = None) -> Any:
        return loads(await self.receive_str(timeout=timeout))


web.WebSocketResponse = WebSocketResponse  # type: ignore[attr-defined]
