"""WebSockets over HTTP/2 (RFC 8441), on the h2 library (the ``http2`` extra).

- ``connection``: ``H2Protocol``, the asyncio protocol that owns an
  ``h2.connection.H2Connection`` and hands each stream to a ``StreamTransport``.
- ``stream``: ``StreamTransport``, one stream as an asyncio transport, on which
  the usual ``WebSocketConnection`` and Sans-I/O core run unchanged.
- ``client``: the client's connections (extended CONNECT streams, the server's
  stream limit) and the per-origin pool.
- ``dial``: an HTTP/2 connection for a WebSocket from a connector (ALPN,
  prior knowledge, fallback to HTTP/1.1).
- ``server``: extended CONNECT for ``serve(..., http2=True)``.

Importing this package needs h2; ``require()`` says how to get it.
"""

from __future__ import annotations

__all__ = ("require", "available")


def available() -> bool:
    """Whether h2 can be imported."""
    try:
        import h2.connection  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    """Raise ``ImportError`` with the install command unless h2 is importable."""
    if not available():
        raise ImportError("WebSockets over HTTP/2 need the h2 library: pip install 'aiohttp_ws[http2]'")
