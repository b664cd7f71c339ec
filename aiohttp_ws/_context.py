"""An object that is both awaitable and an async context manager."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Awaitable, Callable, Coroutine, Generator, Generic, TypeVar

T = TypeVar("T")


class AwaitableContext(Generic[T]):
    """``await x`` gives the result; ``async with x as r`` also closes it."""

    __slots__ = ("_coro", "_close", "_result")

    def __init__(self, coro: Coroutine[Any, Any, T], close: Callable[[T], Awaitable[Any]]) -> None:
        self._coro = coro
        self._close = close
        self._result: T | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._coro.__await__()

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
