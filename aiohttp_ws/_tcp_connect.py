"""One non-blocking TCP connect of a resolved address, for ``TCPConnector``.

On asyncio's selector loops the connect is started with ``connect_ex`` and
completed when the socket becomes writable (``SO_ERROR`` says how it went),
as POSIX non-blocking ``connect(2)`` works. ``loop.sock_connect`` does the
same after re-resolving the address it was given in a coroutine of its own
and converting the socket's family and type to enums; the address here is
already resolved, so none of that is needed. Other loops (uvloop, the
proactor) keep their own ``sock_connect``.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

__all__ = ("sock_connect",)

_IN_PROGRESS = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EINTR})


async def sock_connect(loop: asyncio.AbstractEventLoop, sock: socket.socket, address: Any) -> None:
    """Connect the non-blocking *sock* to the resolved *address* (a tuple as
    ``getaddrinfo`` gives it).

    Raises ``OSError`` with the connect's errno (``ConnectionRefusedError``
    for ECONNREFUSED, ...) and the message ``Connect call failed <address>``,
    as ``loop.sock_connect`` does; on cancellation the socket is no longer
    watched when ``CancelledError`` propagates (the caller closes it).
    """
    if not isinstance(loop, asyncio.SelectorEventLoop):
        await loop.sock_connect(sock, address)
        return
    err = sock.connect_ex(address)
    if err == 0:
        return
    if err not in _IN_PROGRESS:
        raise OSError(err, f"Connect call failed {address}")
    fut: asyncio.Future[int] = loop.create_future()
    fd = sock.fileno()

    def writable() -> None:
        if not fut.done():
            fut.set_result(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))

    loop.add_writer(fd, writable)
    try:
        err = await fut
    finally:
        loop.remove_writer(fd)  # before the caller may close the socket and its number is reused
    if err:
        raise OSError(err, f"Connect call failed {address}")
