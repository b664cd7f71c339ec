"""Refusals and handshakes that lie: absurd lengths, bad subprotocol offers."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

import aiohttp_ws

from ..conftest import RawServer, Script

HUGE = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 100000000000000000000\r\n\r\nno"


def huge_then_silence() -> Script:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(HUGE)
        await writer.drain()
        await reader.read()

    return script


async def test_refusal_declaring_an_absurd_body_fails_at_once(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    server = await raw_server(huge_then_silence())
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(aiohttp_ws.WSServerHandshakeError) as info:
        await aiohttp_ws.ws_connect(server.url)
    assert loop.time() - start < 1.0  # before: waited for 10**20 bytes until the 10 s deadline
    assert info.value.status == 403 and info.value.body == b"no"


async def test_plain_response_declaring_an_absurd_body_fails_at_once(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    server = await raw_server(huge_then_silence())
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with aiohttp_ws.ClientSession() as session:
        async with session.get(server.url.replace("ws://", "http://")) as resp:
            assert resp.status == 403
            with pytest.raises(aiohttp_ws.ClientPayloadError, match="larger than"):
                await resp.read()
    assert loop.time() - start < 1.0


@pytest.mark.parametrize("protocol", ["a, b", "chat room", "", "x\r\ny", "ü", "a;b"])
async def test_subprotocols_must_be_tokens(protocol: str) -> None:
    """``protocols=["a, b"]`` would offer two subprotocols in one header."""
    async with aiohttp_ws.ClientSession() as session:
        with pytest.raises(ValueError, match="subprotocol"):
            await session.ws_connect("ws://127.0.0.1:1/", protocols=["chat", protocol])


async def test_a_bare_string_is_one_subprotocol(our_server: str) -> None:
    async with aiohttp_ws.ws_connect(our_server, protocols="chat") as ws:  # not "c, h, a, t"
        assert ws.protocol == "chat"
