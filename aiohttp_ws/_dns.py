"""Name resolution for the TCP connector: the event loop's ``getaddrinfo``,
a cache with a time to live, one lookup shared by concurrent connections to
the same host, IP literals without a lookup, and the address order for Happy
Eyeballs (RFC 8305 §4). Sends the tracing DNS signals of the request being
connected (``tracing.CURRENT_TRACES``).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Sequence

from .tracing import (
    CURRENT_TRACES,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    send_all,
)

__all__ = ("Resolver", "ip_literal", "interleave")


class Resolver:
    """Cached resolution. *ttl*: seconds an answer is kept (``None``:
    forever); *use_cache*: ``False`` resolves every time; *family*:
    ``AF_INET``, ``AF_INET6`` or ``AF_UNSPEC``."""

    def __init__(self, *, family: int = socket.AF_UNSPEC, ttl: float | None = 10, use_cache: bool = True) -> None:
        self.family = family
        self.ttl = ttl
        self.use_cache = use_cache
        self._dns: dict[tuple[str, int], tuple[list[Any], float]] = {}
        self._resolving: dict[tuple[str, int], asyncio.Future[list[Any]]] = {}

    def clear(self, host: str | None = None, port: int | None = None) -> None:
        """Forget cached answers (of one *host* and *port*, or all)."""
        if host is not None and port is not None:
            self._dns.pop((host, port), None)
        else:
            self._dns.clear()

    async def resolve(self, host: str, port: int) -> list[Any]:
        """Address infos for *host*: from the cache while fresh; concurrent
        lookups of one host share a single ``getaddrinfo``."""
        literal = ip_literal(host, port, self.family)
        if literal is not None:
            return literal
        loop = asyncio.get_running_loop()
        key = (host, port)
        traces = CURRENT_TRACES.get()
        if self.use_cache:
            cached = self._dns.get(key)
            if cached is not None and cached[1] > loop.time():
                if traces:
                    await send_all(traces, "on_dns_cache_hit", TraceDnsCacheHitParams(host))
                return cached[0]
            if traces:
                await send_all(traces, "on_dns_cache_miss", TraceDnsCacheMissParams(host))
            pending = self._resolving.get(key)
            if pending is not None:
                return await asyncio.shield(pending)
        fut: asyncio.Future[list[Any]] = loop.create_future()
        if self.use_cache:
            self._resolving[key] = fut
        try:
            if traces:
                await send_all(traces, "on_dns_resolvehost_start", TraceDnsResolveHostStartParams(host))
            infos = await loop.getaddrinfo(host, port, family=self.family, type=socket.SOCK_STREAM)
            if traces:
                await send_all(traces, "on_dns_resolvehost_end", TraceDnsResolveHostEndParams(host))
            if not infos:
                raise OSError(f"no address for {host}")
            fut.set_result(infos)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved here; sharers get it too
            raise
        finally:
            self._resolving.pop(key, None)
        if self.use_cache:
            ttl = self.ttl
            self._dns[key] = (infos, loop.time() + ttl if ttl is not None else float("inf"))
        return infos


def ip_literal(host: str, port: int, family: int) -> list[Any] | None:
    """The address info of an IP literal without a lookup (``getaddrinfo`` would
    cost a thread-pool round trip), or ``None`` for a name. Raises ``OSError``
    when the literal's family is not the connector's."""
    if "%" in host:
        return None  # scoped IPv6: let getaddrinfo fill the scope id
    try:  # inet_pton: the same literals as ipaddress.ip_address (no leading zeros), in C
        socket.inet_pton(socket.AF_INET, host)
        found = socket.AF_INET
        address: tuple[Any, ...] = (host, port)
    except (OSError, ValueError):  # ValueError: an embedded NUL
        try:
            socket.inet_pton(socket.AF_INET6, host)
        except (OSError, ValueError):
            return None
        found = socket.AF_INET6
        address = (host, port, 0, 0)
    if family and family != found:
        raise OSError(f"{host} is not an address of family {socket.AddressFamily(family).name}")
    return [(found, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]


def interleave(infos: Sequence[Any], first_family_count: int) -> list[Any]:
    """RFC 8305 §4: alternate address families, starting with the first one
    returned (*first_family_count* of it first)."""
    by_family: dict[int, list[Any]] = {}
    for info in infos:
        by_family.setdefault(info[0], []).append(info)
    queues = list(by_family.values())
    out: list[Any] = []
    if queues:
        out.extend(queues[0][:first_family_count])
        queues[0] = queues[0][first_family_count:]
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out
