"""Deciding on an upgrade request before the 101: the server's hooks.

``serve(handler, process_request=..., select_subprotocol=...)``:

* ``process_request(request)`` sees each request (an ``UpgradeRequest``: method,
  path, query, headers, peer address) before any WebSocket check, so it can
  also answer plain HTTP (a health check, a redirect). It returns ``None`` (go
  on), ``Accept(subprotocol=..., headers=...)`` or ``Refuse(status, headers=...,
  body=...)``; it may be a coroutine function. If it raises, the client gets
  500 and the error is logged.
* ``select_subprotocol(request, offered)`` picks one of the subprotocols the
  client offered (``Sec-WebSocket-Protocol``, its order) or ``None``; the
  default is the first of the server's ``protocols`` that was offered. A
  choice that was not offered gives 500 (RFC 6455 §4.2.2 allows only those).
"""

from __future__ import annotations

import inspect
import logging
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Sequence, Union

import attrs
from multidict import CIMultiDictProxy, MultiDictProxy
from yarl import URL

from .sansio.handshake import refusal_response
from .sansio.http11 import RequestHead

__all__ = ("UpgradeRequest", "Accept", "Refuse", "ProcessRequest", "SelectSubprotocol", "decide")

logger = logging.getLogger("aiohttp_ws.server")


@attrs.frozen
class UpgradeRequest:
    """What a hook sees of one request.

    Attributes: ``method``, ``target`` (path and query as sent), ``path``,
    ``query`` (decoded parameters), ``headers``, ``remote`` (the peer's
    address as the transport reports it, or ``None``).
    """

    method: str
    target: str
    headers: CIMultiDictProxy[str]
    remote: Any = None

    @property
    def path(self) -> str:
        """The decoded path of the request target."""
        return URL(self.target).path

    @property
    def query(self) -> MultiDictProxy[str]:
        """The decoded query parameters of the request target."""
        return URL(self.target).query

    @classmethod
    def from_head(cls, head: RequestHead, remote: Any) -> UpgradeRequest:
        return cls(head.method, head.target, head.headers, remote)


@attrs.frozen
class Accept:
    """Accept the upgrade: *subprotocol* (``None``: let ``select_subprotocol``
    choose) and extra header fields for the 101 response."""

    subprotocol: str | None = None
    headers: Sequence[tuple[str, str]] = ()


@attrs.frozen
class Refuse:
    """Answer with an HTTP status instead of the 101: *status* (403 by
    default), *headers*, and a *body* (``str`` is sent as UTF-8 text)."""

    status: int = 403
    headers: Sequence[tuple[str, str]] = ()
    body: bytes | str = b""

    def response(self) -> bytes:
        """The complete HTTP/1.1 answer."""
        body = self.body.encode("utf-8") if isinstance(self.body, str) else bytes(self.body)
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Refused"
        return refusal_response(self.status, reason, self.headers, body)


Decision = Union[Accept, Refuse, None]
ProcessRequest = Callable[[UpgradeRequest], Union[Decision, Awaitable[Decision]]]
SelectSubprotocol = Callable[[UpgradeRequest, Sequence[str]], Union[str, None]]

SERVER_ERROR = Refuse(500, body="Internal Server Error\n")


async def decide(hook: ProcessRequest | None, request: UpgradeRequest) -> Decision:
    """Run *hook* (sync or async) on *request*; an exception or a value that
    is not a decision becomes a 500 refusal, logged."""
    if hook is None:
        return None
    try:
        decision = hook(request)
        if inspect.isawaitable(decision):
            decision = await decision
    except Exception:
        logger.exception("process_request failed for %s %s", request.method, request.target)
        return SERVER_ERROR
    if decision is not None and not isinstance(decision, (Accept, Refuse)):
        logger.error("process_request returned %r: not None, Accept or Refuse", decision)
        return SERVER_ERROR
    return decision


def choose(
    decision: Decision,
    hook: SelectSubprotocol | None,
    request: UpgradeRequest,
    offered: list[str],
    protocols: Sequence[str],
) -> str | None | Refuse:
    """The subprotocol to answer with: ``Accept.subprotocol`` if the decision
    names one, else *hook*'s choice, else the first of the server's
    *protocols* that was offered; a 500 refusal when *hook* fails or the
    choice was not offered."""
    try:
        if isinstance(decision, Accept) and decision.subprotocol is not None:
            chosen: str | None = decision.subprotocol
        elif hook is not None:
            chosen = hook(request, offered)
        else:
            chosen = next((p for p in protocols if p in offered), None)
    except Exception:
        logger.exception("select_subprotocol failed for %s", request.target)
        return SERVER_ERROR
    if chosen is not None and chosen not in offered:
        logger.error("select_subprotocol chose %r, which the client did not offer (%r)", chosen, offered)
        return SERVER_ERROR
    return chosen
