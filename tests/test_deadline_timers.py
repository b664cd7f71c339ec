"""The deadlines of the connect and request paths (``aiohttp_ws._deadline``):
``asyncio.timeout_at``'s behaviour with one timer, and no timer for a
deadline that an enclosing one of the same task comes before. Checked against
``asyncio.timeout_at`` itself where it defines the behaviour, and end to end
through ``ws_connect`` against a server that never answers."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable, Callable

import pytest

import aiohttp_ws
from aiohttp_ws._deadline import bounded, within
from aiohttp_ws.client_exceptions import ConnectionTimeoutError, ServerTimeoutError
from aiohttp_ws.connection import CLOSE_LINGER
from aiohttp_ws.sansio.handshake import accept_key

from .conftest import RawServer, Script

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout_at is 3.11+")


def count_timers(loop: asyncio.AbstractEventLoop) -> list[float]:
    """Record the delay of every timer armed on *loop* from now on."""
    armed: list[float] = []
    call_at = loop.call_at

    def spy(when: float, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        armed.append(round(when - loop.time(), 1))
        return call_at(when, callback, *args, **kwargs)

    loop.call_at = spy  # type: ignore[method-assign]
    return armed


async def forever(result: Any = None) -> Any:
    """Wait with no timer of its own (asyncio.sleep would arm one)."""
    await asyncio.get_running_loop().create_future()
    return result


async def test_expiry_is_timeout_error_and_leaves_no_cancel_request() -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    with pytest.raises(TimeoutError):
        await bounded(forever(), loop.time() + 0.02)
    assert task.cancelling() == 0
    await asyncio.sleep(0)  # no stray cancellation is delivered later
    with pytest.raises(TimeoutError):  # a deadline already past: expires at the next iteration
        await bounded(forever(), loop.time() - 1)


@pytest.mark.parametrize("impl", ["ours", "asyncio.timeout_at"])
async def test_cancel_from_outside_stays_a_cancellation(impl: str) -> None:
    """A cancel from outside is never turned into a timeout, also when the
    deadline passes at the same time (the same rule as asyncio.timeout_at)."""
    loop = asyncio.get_running_loop()

    async def wait(deadline: float) -> None:
        if impl == "ours":
            await bounded(forever(), deadline)
        else:
            async with asyncio.timeout_at(deadline):
                await forever()

    for delay in (5.0, 0.0):  # far deadline; deadline due in the same iteration as the cancel
        task = asyncio.create_task(wait(loop.time() + delay))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_result_comes_back_and_timer_is_cancelled() -> None:
    loop = asyncio.get_running_loop()
    before = len(loop._scheduled)  # type: ignore[attr-defined]

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert await bounded(answer(), loop.time() + 30) == 42
    pending = [h for h in loop._scheduled[before:] if not h.cancelled()]  # type: ignore[attr-defined]
    assert pending == []


async def test_inner_deadline_after_an_enclosing_one_arms_no_timer() -> None:
    loop = asyncio.get_running_loop()
    armed = count_timers(loop)

    async def inner(deadline: float) -> str:
        return await within(deadline, forever("slept"), lambda: "inner", ConnectionTimeoutError)

    now = loop.time()
    with pytest.raises(ServerTimeoutError, match="^outer$") as info:
        await within(now + 0.05, inner(now + 30), lambda: "outer")
    assert not isinstance(info.value, ConnectionTimeoutError)  # the outer deadline's error, as before
    assert armed == [0.0]  # 0.05 rounded: only the outer timer
    armed.clear()
    with pytest.raises(ConnectionTimeoutError, match="^inner$"):  # an earlier inner deadline still arms
        await within(loop.time() + 30, inner(loop.time() + 0.05), lambda: "outer")
    assert armed == [30.0, 0.0]


async def test_no_coroutine_around_a_wait_that_arms_no_timer() -> None:
    """``bounded`` hands back the awaitable itself when it would arm nothing
    and report nothing: no deadline, or (without a message) an enclosing
    earlier deadline of the same task; otherwise its own coroutine."""
    loop = asyncio.get_running_loop()
    seen: list[bool] = []

    async def probe(deadline: float | None, message: Callable[[], str] | None = None) -> None:
        waited = forever("x")
        wrapper = bounded(waited, deadline, message)
        seen.append(wrapper is waited)
        waited.close()
        if wrapper is not waited:
            wrapper.close()  # type: ignore[attr-defined]

    await probe(None)
    await probe(loop.time() + 30)
    await bounded(probe(loop.time() + 60), loop.time() + 30)  # enclosed, no message
    await bounded(probe(loop.time() + 60, lambda: "m"), loop.time() + 30)  # enclosed, reports
    await bounded(probe(loop.time() + 10), loop.time() + 30)  # earlier than the enclosing one
    assert seen == [True, False, True, False, False]


async def test_a_task_started_inside_keeps_its_own_deadline() -> None:
    """The enclosing deadline bounds only its own task: a task created
    inside it (the context is copied) arms its own timer."""
    loop = asyncio.get_running_loop()
    armed = count_timers(loop)

    async def child() -> None:
        await bounded(forever(), loop.time() + 0.05)

    async def parent() -> None:
        task = asyncio.create_task(child())
        with pytest.raises(TimeoutError):
            await task

    await bounded(parent(), loop.time() + 30)
    assert armed == [30.0, 0.0]


async def test_ws_connect_to_a_silent_server_arms_one_connect_timer(
    raw_server: Callable[[Script], Awaitable[RawServer]],
) -> None:
    """End to end: a server that accepts and never answers. The handshake
    deadline (ws_handshake) is the only timer of the connect path;
    ClientTimeout.sock_connect (30 s) comes after it and arms none."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await raw_server(silent)
    loop = asyncio.get_running_loop()
    async with aiohttp_ws.ClientSession(timeout=aiohttp_ws.ClientTimeout(total=300, sock_connect=30)) as session:
        armed = count_timers(loop)
        timeout = aiohttp_ws.ClientWSTimeout(ws_handshake=0.2)
        with pytest.raises(ServerTimeoutError, match="handshake"):
            await session.ws_connect(server.url, timeout=timeout)
        assert armed == [0.2]
        del loop.call_at


def test_deadlines_and_close_on_uvloop() -> None:
    """The same rules on uvloop (its own timers and tasks): expiry is a
    TimeoutError, an outside cancel stays a cancellation, a silent server
    times the handshake out, and a close whose server waits for our FIN ends
    after the linger."""
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            await bounded(forever(), loop.time() + 0.02)
        task = asyncio.create_task(bounded(forever(), loop.time()))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.readuntil(b"\r\n\r\n")
            if b"/answer" in request.split(b"\r\n", 1)[0]:
                key = [line.split(b":", 1)[1].strip() for line in request.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key:")][0]
                writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: " + accept_key(key.decode()).encode() + b"\r\n\r\n")
                head = await reader.readexactly(2)
                payload = await reader.readexactly(4 + (head[1] & 0x7F))
                writer.write(b"\x88\x02" + bytes(a ^ b for a, b in zip(payload[4:6], payload[:4])))
            await reader.read()  # then wait for the client to end TCP
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with aiohttp_ws.ClientSession() as session:
                with pytest.raises(ServerTimeoutError, match="handshake"):
                    await session.ws_connect(f"ws://127.0.0.1:{port}/", timeout=aiohttp_ws.ClientWSTimeout(ws_handshake=0.2))
                ws = await session.ws_connect(f"ws://127.0.0.1:{port}/answer")
                start = loop.time()
                assert await ws.close() is True
                assert CLOSE_LINGER - 0.1 < loop.time() - start < CLOSE_LINGER + 0.5
                assert ws.close_code == 1000
        finally:
            server.close()
            await server.wait_closed()

    uvloop.run(main())


async def test_within_reports_timeouts_from_inside_as_before() -> None:
    """``within`` (now ``bounded`` with a message, in one coroutine) turns any
    ``TimeoutError`` that leaves the wait into ``error(message())`` when it has a
    deadline (an OS-level ETIMEDOUT from a connect included), lets a
    ``ServerTimeoutError`` through unchanged, and reports nothing without a
    deadline."""
    loop = asyncio.get_running_loop()

    async def raises(exc: BaseException) -> None:
        raise exc

    etimedout = TimeoutError(110, "Connection timed out")
    with pytest.raises(ConnectionTimeoutError, match="^reported$") as info:
        await within(loop.time() + 30, raises(etimedout), lambda: "reported", ConnectionTimeoutError)
    assert info.value.__cause__ is etimedout
    read_timeout = ServerTimeoutError("read")
    with pytest.raises(ServerTimeoutError, match="^read$"):
        await within(loop.time() + 30, raises(read_timeout), lambda: "reported", ConnectionTimeoutError)
    with pytest.raises(TimeoutError) as bare:
        await within(None, raises(etimedout), lambda: "reported", ConnectionTimeoutError)
    assert bare.value is etimedout
    made: list[str] = []  # the message is made only for a report

    def message() -> str:
        made.append("m")
        return "m"

    await within(loop.time() + 30, asyncio.sleep(0), message, ConnectionTimeoutError)
    assert made == []
    with pytest.raises(ConnectionTimeoutError, match="^m$"):
        await within(loop.time() + 0.01, asyncio.sleep(1), message, ConnectionTimeoutError)
    assert made == ["m"]
    with pytest.raises(TimeoutError) as plain:  # bounded without a message reports nothing
        await bounded(raises(etimedout), loop.time() + 30)
    assert plain.value is etimedout
