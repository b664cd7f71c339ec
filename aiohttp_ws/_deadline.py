"""One way to bound an awaitable by a deadline and report it."""

from __future__ import annotations

import asyncio
import sys
from contextvars import ContextVar
from typing import Awaitable, Callable, TypeVar

from .exceptions import ServerTimeoutError

T = TypeVar("T")
_current_task = asyncio.current_task
#: The innermost ``bounded`` deadline active in a task: (that task, deadline).
_ENCLOSING: ContextVar[tuple[object, float] | None] = ContextVar("aiohttp_ws_deadline", default=None)


class _Expiry:
    """The timer callback of one ``bounded`` wait: cancels its task."""

    __slots__ = ("task", "fired")

    def __init__(self, task: asyncio.Task[object]) -> None:
        self.task = task
        self.fired = False

    def __call__(self) -> None:
        self.fired = True
        self.task.cancel()


def bounded(
    awaitable: Awaitable[T],
    deadline: float | None,
    message: Callable[[], str] | None = None,
    error: type[ServerTimeoutError] = ServerTimeoutError,
) -> Awaitable[T]:
    """Await *awaitable* in the calling task until *deadline* (a ``loop.time()``
    value; ``None``: no bound), then cancel it and raise ``asyncio.TimeoutError``
    (with a *message*: ``error(message())``, see ``within``).

    On Python 3.11+ this is ``asyncio.timeout_at``'s behaviour (the task is
    cancelled at the deadline; the cancellation becomes ``TimeoutError`` only
    if nobody else cancelled the task meanwhile, counted with
    ``Task.cancelling``/``uncancel``) with one timer and no context-manager
    object: no task is made for the awaitable (as ``asyncio.wait_for`` does
    before 3.12). Inside another ``bounded`` of the same task whose deadline
    comes no later, no timer is set at all: the enclosing one ends the wait
    first, and its expiry reaches this caller as the cancellation it would
    have been (a ``ws_connect`` within its 10 s handshake deadline does not
    also arm the connector's 30 s ``sock_connect`` timer). On the default
    event loop each timer costs about as much as an event-loop iteration.
    Raises ``RuntimeError`` outside a task.

    Call it in the task that awaits it, right before the ``await``: when no
    timer would be armed and nothing would be reported (no *deadline*, or an
    enclosing earlier one and no *message*) *awaitable* itself is returned,
    without a coroutine around it."""
    if deadline is None:
        return awaitable
    if message is None and sys.version_info >= (3, 11):
        enclosing = _ENCLOSING.get()
        if enclosing is not None and enclosing[1] <= deadline and enclosing[0] is _current_task():
            return awaitable
    return _bounded(awaitable, deadline, message, error)


async def _bounded(
    awaitable: Awaitable[T],
    deadline: float,
    message: Callable[[], str] | None,
    error: type[ServerTimeoutError],
) -> T:
    try:  # with a message, within()'s report in the same frame: one coroutine per deadline
        if sys.version_info < (3, 11):  # no Task.uncancel: a task per wait
            return await asyncio.wait_for(awaitable, max(deadline - asyncio.get_running_loop().time(), 0))
        task = _current_task()
        if task is None:
            raise RuntimeError("a deadline needs a task")
        enclosing = _ENCLOSING.get()
        if enclosing is not None and enclosing[0] is task and enclosing[1] <= deadline:
            return await awaitable
        loop = task.get_loop()
        cancelling = task.cancelling()
        expiry = _Expiry(task)
        handle = loop.call_at(deadline, expiry) if deadline > loop.time() else loop.call_soon(expiry)
        token = _ENCLOSING.set((task, deadline))
        try:
            return await awaitable
        except asyncio.CancelledError as exc:
            if expiry.fired:
                expiry.fired = False
                if task.uncancel() <= cancelling:
                    raise asyncio.TimeoutError() from exc
            raise
        finally:
            handle.cancel()
            if expiry.fired:  # expired as the wait ended otherwise: drop its cancel request
                task.uncancel()
            _ENCLOSING.reset(token)
    except asyncio.TimeoutError as exc:
        if message is None or isinstance(exc, ServerTimeoutError):
            raise
        raise error(message()) from exc


def within(
    deadline: float | None,
    awaitable: Awaitable[T],
    message: Callable[[], str],
    error: type[ServerTimeoutError] = ServerTimeoutError,
) -> Awaitable[T]:
    """Await *awaitable* until *deadline* (a ``loop.time()`` value; ``None``:
    no bound). Past it: ``error(message())`` (the text is made only then: a
    URL made a string costs about half a microsecond). A ``ServerTimeoutError``
    raised inside (a read timeout, say) passes unchanged, as does any error
    when there is no deadline. (``bounded`` with a message: one coroutine.)"""
    return bounded(awaitable, deadline, message, error)


def deadline_after(seconds: float | None) -> float | None:
    """The ``loop.time()`` value *seconds* from now, or ``None``."""
    return None if seconds is None else asyncio.get_running_loop().time() + seconds
