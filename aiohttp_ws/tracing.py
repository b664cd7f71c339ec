"""Request tracing: aiohttp's ``TraceConfig``, plus WebSocket signals.

::

    async def on_start(session, ctx, params):
        ctx.started = asyncio.get_running_loop().time()

    async def on_end(session, ctx, params):
        metrics.observe("http.seconds", asyncio.get_running_loop().time() - ctx.started)

    trace = aiohttp_ws.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    trace.on_ws_message_received.append(count_messages)
    async with aiohttp_ws.ClientSession(trace_configs=[trace]) as session: ...

Every callback is ``async def callback(session, trace_config_ctx, params)``:
*trace_config_ctx* is made per request by the config's
``trace_config_ctx_factory`` (``SimpleNamespace``), with ``trace_request_ctx``
(the request's ``trace_request_ctx=`` argument) set on it; *params* is one of
the ``Trace*Params`` classes below. The signals and parameter classes are
aiohttp's (``aiohttp.tracing``), for the client's HTTP requests and
``ws_connect`` alike; the ``on_ws_*`` signals are ours. Callbacks run in the
request's task, in order; an exception in one propagates to the caller, as
in aiohttp. With no ``trace_configs`` nothing here runs.
"""

from __future__ import annotations

import contextvars
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Generic, TypeVar

import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .models import WSMessage, WSMsgType

if TYPE_CHECKING:
    from .client_reqrep import ClientResponse

__all__ = (
    "TraceConfig",
    "TraceSignal",
    "Trace",
    "TraceRequestStartParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestRedirectParams",
    "TraceRequestHeadersSentParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionCreateEndParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsResolveHostStartParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceWSHandshakeEndParams",
    "TraceWSMessageSentParams",
    "TraceWSMessageReceivedParams",
    "TraceWSClosedParams",
)

P = TypeVar("P")
Callback = Callable[[Any, SimpleNamespace, P], Awaitable[None]]


class TraceSignal(list, Generic[P]):  # type: ignore[type-arg]
    """A list of async callbacks; ``freeze()`` (done by the session) ends
    changes, after which ``append`` raises ``RuntimeError``."""

    frozen = False

    def freeze(self) -> None:
        self.frozen = True

    def append(self, callback: Callback[P]) -> None:
        if self.frozen:
            raise RuntimeError("Cannot modify frozen signal.")
        super().append(callback)

    async def send(self, session: Any, ctx: SimpleNamespace, params: P) -> None:
        for callback in self:
            await callback(session, ctx, params)


def _signal() -> Any:
    return attrs.field(factory=TraceSignal, init=False)


@attrs.frozen(slots=True)
class TraceRequestStartParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


@attrs.frozen(slots=True)
class TraceRequestEndParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@attrs.frozen(slots=True)
class TraceRequestExceptionParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@attrs.frozen(slots=True)
class TraceRequestRedirectParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@attrs.frozen(slots=True)
class TraceRequestHeadersSentParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


@attrs.frozen(slots=True)
class TraceConnectionQueuedStartParams:
    pass


@attrs.frozen(slots=True)
class TraceConnectionQueuedEndParams:
    pass


@attrs.frozen(slots=True)
class TraceConnectionCreateStartParams:
    pass


@attrs.frozen(slots=True)
class TraceConnectionCreateEndParams:
    pass


@attrs.frozen(slots=True)
class TraceConnectionReuseconnParams:
    pass


@attrs.frozen(slots=True)
class TraceDnsResolveHostStartParams:
    host: str


@attrs.frozen(slots=True)
class TraceDnsResolveHostEndParams:
    host: str


@attrs.frozen(slots=True)
class TraceDnsCacheHitParams:
    host: str


@attrs.frozen(slots=True)
class TraceDnsCacheMissParams:
    host: str


@attrs.frozen(slots=True)
class TraceWSHandshakeEndParams:
    """The 101 was accepted: ``url``, ``protocol`` (the subprotocol or
    ``None``), ``headers`` (the 101's fields)."""

    url: URL
    protocol: str | None
    headers: CIMultiDictProxy[str]


@attrs.frozen(slots=True)
class TraceWSMessageSentParams:
    """A data message was sent: ``type`` (TEXT or BINARY) and ``size`` in bytes."""

    type: WSMsgType
    size: int


@attrs.frozen(slots=True)
class TraceWSMessageReceivedParams:
    """``receive()`` returned ``message`` (any type)."""

    message: WSMessage


@attrs.frozen(slots=True)
class TraceWSClosedParams:
    """The connection ended: ``url``, ``close_code``, ``exception`` (the
    error that ended it, or ``None``)."""

    url: URL
    close_code: int | None
    exception: BaseException | None


@attrs.define(slots=False)
class TraceConfig:
    """The signals a session sends; see the module docstring."""

    trace_config_ctx_factory: Callable[..., SimpleNamespace] = SimpleNamespace
    on_request_start: TraceSignal[TraceRequestStartParams] = _signal()
    on_request_end: TraceSignal[TraceRequestEndParams] = _signal()
    on_request_exception: TraceSignal[TraceRequestExceptionParams] = _signal()
    on_request_redirect: TraceSignal[TraceRequestRedirectParams] = _signal()
    on_request_headers_sent: TraceSignal[TraceRequestHeadersSentParams] = _signal()
    on_connection_queued_start: TraceSignal[TraceConnectionQueuedStartParams] = _signal()
    on_connection_queued_end: TraceSignal[TraceConnectionQueuedEndParams] = _signal()
    on_connection_create_start: TraceSignal[TraceConnectionCreateStartParams] = _signal()
    on_connection_create_end: TraceSignal[TraceConnectionCreateEndParams] = _signal()
    on_connection_reuseconn: TraceSignal[TraceConnectionReuseconnParams] = _signal()
    on_dns_resolvehost_start: TraceSignal[TraceDnsResolveHostStartParams] = _signal()
    on_dns_resolvehost_end: TraceSignal[TraceDnsResolveHostEndParams] = _signal()
    on_dns_cache_hit: TraceSignal[TraceDnsCacheHitParams] = _signal()
    on_dns_cache_miss: TraceSignal[TraceDnsCacheMissParams] = _signal()
    on_ws_handshake_end: TraceSignal[TraceWSHandshakeEndParams] = _signal()
    on_ws_message_sent: TraceSignal[TraceWSMessageSentParams] = _signal()
    on_ws_message_received: TraceSignal[TraceWSMessageReceivedParams] = _signal()
    on_ws_closed: TraceSignal[TraceWSClosedParams] = _signal()

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> SimpleNamespace:
        """A fresh context for one request."""
        return self.trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """End changes to every signal (the session does it)."""
        for value in vars(self).values():
            if isinstance(value, TraceSignal):
                value.freeze()


class Trace:
    """One config's signals for one request, with its context."""

    __slots__ = ("session", "config", "ctx")

    def __init__(self, session: Any, config: TraceConfig, trace_request_ctx: Any = None) -> None:
        self.session = session
        self.config = config
        self.ctx = config.trace_config_ctx(trace_request_ctx)

    async def send(self, signal: str, params: Any) -> None:
        """Send *params* to the callbacks of the signal named *signal*."""
        await getattr(self.config, signal).send(self.session, self.ctx, params)


#: The traces of the request whose connection is being opened (for the DNS
#: signals, deep in the connector); empty outside of one.
CURRENT_TRACES: contextvars.ContextVar[tuple[Trace, ...]] = contextvars.ContextVar("aiohttp_ws_traces", default=())


async def send_all(traces: tuple[Trace, ...], signal: str, params: Any) -> None:
    """Send one signal through every trace of a request, in order."""
    for trace in traces:
        await trace.send(signal, params)
