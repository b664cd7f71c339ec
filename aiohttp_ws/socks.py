"""SOCKS proxies for the connector, on the ``python-socks`` package (an
optional extra: ``pip install 'aiohttp_ws[socks]'``).

``proxy="socks5://user:pass@host:1080"`` (or ``proxy_auth=BasicAuth(...)``):

==========  =====================================================
scheme      the proxy protocol and where host names are resolved
==========  =====================================================
socks5      SOCKS5 (RFC 1928, user/password auth RFC 1929); here
socks5h     SOCKS5; by the proxy (remote DNS)
socks4      SOCKS4; here (IPv4 only)
socks4a     SOCKS4a; by the proxy
==========  =====================================================

The proxy hands back a connected socket to the origin; TLS for ``wss://``
then runs over it to the origin, verifying the origin's certificate.
"""

from __future__ import annotations

import socket

from yarl import URL

from .exceptions import ClientProxyConnectionError
from .models import BasicAuth

__all__ = ("SOCKS_SCHEMES", "socks_connect")

#: Scheme → (SOCKS version, resolve host names at the proxy).
SOCKS_SCHEMES = {"socks5": (5, False), "socks5h": (5, True), "socks4": (4, False), "socks4a": (4, True)}


async def socks_connect(proxy: URL, auth: BasicAuth | None, host: str, port: int) -> socket.socket:
    """A socket connected to *host*:*port* through the SOCKS *proxy*.

    Credentials come from *auth*, else from the proxy URL. Raises
    ``ClientProxyConnectionError`` when the proxy cannot be reached, refuses
    the credentials or the destination, ``RuntimeError`` without the
    ``python-socks`` package, ``ValueError`` for another scheme.
    """
    try:
        from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError, ProxyType
        from python_socks.async_.asyncio import Proxy
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise RuntimeError("SOCKS proxies need python-socks: pip install 'aiohttp_ws[socks]'") from exc
    if proxy.scheme not in SOCKS_SCHEMES or not proxy.raw_host:
        raise ValueError(f"not a SOCKS proxy URL: {proxy}")
    version, remote_dns = SOCKS_SCHEMES[proxy.scheme]
    auth = auth or BasicAuth.from_url(proxy)
    proxy_port = proxy.port or 1080
    client = Proxy(
        proxy_type=ProxyType.SOCKS5 if version == 5 else ProxyType.SOCKS4,
        host=proxy.raw_host,
        port=proxy_port,
        username=auth.login if auth else None,
        password=auth.password if auth else None,
        rdns=remote_dns,
    )
    try:
        return await client.connect(dest_host=host, dest_port=port)
    except (ProxyConnectionError, ProxyTimeoutError) as exc:
        raise ClientProxyConnectionError(proxy.raw_host, proxy_port, False, exc) from exc
    except ProxyError as exc:  # the proxy answered: bad credentials, destination refused or unreachable
        raise ClientProxyConnectionError(proxy.raw_host, proxy_port, False, exc) from exc
