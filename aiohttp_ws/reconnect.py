"""Reconnecting with backoff: ``ws_connect_forever``.

::

    async with session.ws_connect_forever(url, heartbeat=20, backoff=Backoff(cap=30)) as connections:
        async for ws in connections:          # a fresh connected WebSocket each time
            await ws.send_json({"subscribe": "prices"})
            async for msg in ws:
                ...

Why a separate name and not ``ws_connect(..., reconnect=True)``: ``ws_connect``
returns one connection, awaitable and an async context manager, as in
aiohttp; reconnecting yields many, so it is an async iterator of its own,
with every keyword of ``ws_connect`` passed through unchanged.

What is retried (transient): connection refused, reset or timed out, DNS
failures, a server that disconnects during the handshake, 5xx and 429
refusals (``Retry-After`` honoured), and connections that ended with close
code 1006, 1011, 1012, 1013 or 1014. What ends the iteration: a normal close
(1000, 1001) or any other close code (StopAsyncIteration), ``break`` (the
current WebSocket is closed when the iterator is closed), and errors that
retrying cannot fix, which are raised: other 4xx refusals, TLS certificate
verification failures, bad URLs and arguments.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from types import TracebackType
from typing import Any, Awaitable, Callable

import attrs

from .client_ws import ClientWebSocketResponse
from .connector import ClientConnectorCertificateError
from .exceptions import ClientConnectorError, ClientOSError, ServerDisconnectedError, ServerTimeoutError, WSServerHandshakeError

__all__ = ("Backoff", "WebSocketReconnector", "RETRIED_CLOSE_CODES")

logger = logging.getLogger("aiohttp_ws.client")

#: Close codes after which ``ws_connect_forever`` reconnects: abnormal closure
#: (1006), internal error (1011), service restart (1012), try again later
#: (1013), bad gateway (1014).
RETRIED_CLOSE_CODES = frozenset({1006, 1011, 1012, 1013, 1014})


def _positive(instance: Any, attribute: Any, value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


@attrs.frozen(kw_only=True)
class Backoff:
    """Exponential backoff with full jitter, in seconds.

    The n-th consecutive retry (n = 0, 1, ...) waits a uniformly random time
    in ``[0, min(cap, initial * factor ** n)]``. A connection that stayed up
    at least ``reset_after`` seconds resets n to 0. ``max_attempts``
    consecutive failed attempts (``None``: no limit) end the reconnecting with
    the last error. A ``Retry-After`` on a 429 or 503 refusal is waited
    instead, up to ``max_retry_after`` seconds.
    """

    initial: float = attrs.field(default=1.0, validator=_positive)
    factor: float = attrs.field(default=2.0, validator=_positive)
    cap: float = attrs.field(default=60.0, validator=_positive)
    reset_after: float = attrs.field(default=10.0, validator=_positive)
    max_attempts: int | None = None
    max_retry_after: float = attrs.field(default=600.0, validator=_positive)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number *attempt* (0-based)."""
        bound = min(self.cap, self.initial * self.factor ** min(attempt, 64))
        return (rng or random).uniform(0, bound)


def is_transient(exc: BaseException) -> bool:
    """Whether a failed connection attempt is worth retrying."""
    if isinstance(exc, WSServerHandshakeError):
        return exc.status >= 500 or exc.status == 429
    if isinstance(exc, ClientConnectorCertificateError):
        return False
    return isinstance(exc, (ClientConnectorError, ClientOSError, ServerDisconnectedError, ServerTimeoutError))


def retry_after(exc: BaseException, limit: float) -> float | None:
    """The delay a 429 or 503 refusal asks for (``Retry-After``: seconds or
    an HTTP-date, RFC 9110 §10.2.3), at most *limit*; ``None`` without one."""
    if not isinstance(exc, WSServerHandshakeError) or exc.status not in (429, 503) or exc.headers is None:
        return None
    value = exc.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return min(float(value), limit)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), limit)


class WebSocketReconnector:
    """The async iterator ``ws_connect_forever`` returns; see the module
    docstring. Use it with ``async with`` (or call ``aclose()``) so that the
    current WebSocket is closed when the loop is left early."""

    def __init__(self, connect: Callable[[], Awaitable[ClientWebSocketResponse[Any]]], backoff: Backoff) -> None:
        self._connect = connect
        self.backoff = backoff
        self._ws: ClientWebSocketResponse[Any] | None = None
        self._connected_at = 0.0
        self._attempt = 0  # retries since the last connection that stayed up (grows the delay)
        self._failures = 0  # consecutive failed connection attempts
        self._done = False
        #: Connections made so far.
        self.connections = 0

    def __aiter__(self) -> WebSocketReconnector:
        return self

    async def __anext__(self) -> ClientWebSocketResponse[Any]:
        if self._done:
            raise StopAsyncIteration
        loop = asyncio.get_running_loop()
        ws = self._ws
        if ws is not None:
            self._ws = None
            if not ws.closed:
                await ws.close()  # the body is done with it: a normal end
            if ws.close_code not in RETRIED_CLOSE_CODES:
                self._done = True
                raise StopAsyncIteration
            if loop.time() - self._connected_at >= self.backoff.reset_after:
                self._attempt = 0
            delay = self.backoff.delay(self._attempt)
            logger.info("WebSocket closed with %s; reconnecting in %.2f s", ws.close_code, delay)
            self._attempt += 1
            await asyncio.sleep(delay)
        while True:
            try:
                ws = await self._connect()
            except Exception as exc:
                self._failures += 1
                limit = self.backoff.max_attempts
                if not is_transient(exc) or limit is not None and self._failures >= limit:
                    self._done = True
                    raise
                asked = retry_after(exc, self.backoff.max_retry_after)
                wait = self.backoff.delay(self._attempt) if asked is None else asked
                logger.info("WebSocket connection failed (%s); retrying in %.2f s", exc, wait)
                self._attempt += 1
                await asyncio.sleep(wait)
                continue
            self._ws = ws
            self._failures = 0
            self._connected_at = loop.time()
            self.connections += 1
            return ws

    async def aclose(self) -> None:
        """Stop: close the current WebSocket (1000) if it is open."""
        self._done = True
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            await ws.close()

    async def __aenter__(self) -> WebSocketReconnector:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
