"""An object that is a coroutine and an async context manager, as aiohttp's
request context managers are."""

from __future__ import annotations

from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Awaitable, Callable, Generator, TypeVar

T = TypeVar("T")


class AwaitableContext(Coroutine[Any, Any, T]):
    """``await x`` gives the result; ``async with x as r`` also closes it; and
    as a coroutine, ``asyncio.create_task(x)`` and ``asyncio.wait_for(x, t)``
    run it (aiohttp's ``session.ws_connect(...)`` allows all three)."""

    __slots__ = ("_coro", "_close", "_result")

    def __init__(self, coro: Coroutine[Any, Any, T], close: Callable[[T], Awaitable[Any]]) -> None:
        self._coro = coro
        self._close = close
        self._result: T | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: TracebackType | None = None) -> Any:
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> T:
        self._result = await self._coro
        return self._result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._result is not None:
            await self._close(self._result)
