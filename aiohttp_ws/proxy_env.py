"""Proxy settings from the environment, for ``ClientSession(trust_env=True)``.

The variables are those curl, aiohttp and websockets read: ``ws_proxy`` /
``wss_proxy`` first, then ``http_proxy`` (for ws/http) or ``https_proxy`` (for
wss/https), then ``all_proxy`` (often a ``socks5h://`` URL), in lower or
upper case, with ``no_proxy`` for exceptions (read by ``urllib.request``). Credentials for the proxy come from its URL
(``http://user:pass@proxy``) or else from the ``netrc`` file (``$NETRC`` or
``~/.netrc``).
"""

from __future__ import annotations

import netrc
import os
import urllib.request

from yarl import URL

from .models import BasicAuth

__all__ = ("proxy_from_env", "netrc_auth")

_ENV_SCHEMES = {"ws": ("ws", "http", "all"), "http": ("http", "all"), "wss": ("wss", "https", "all"), "https": ("https", "all")}


def proxy_from_env(url: URL) -> tuple[URL, BasicAuth | None] | None:
    """The proxy for *url* and its credentials, or ``None`` (no variable set,
    or the host listed in ``no_proxy``)."""
    host = url.raw_host or ""
    bypass = getattr(urllib.request, "proxy_bypass_environment")  # not in typeshed
    if not host or bypass(host):
        return None
    proxies = urllib.request.getproxies_environment()
    for scheme in _ENV_SCHEMES.get(url.scheme, ()):
        value = proxies.get(scheme)
        if value:
            proxy = URL(value if "://" in value else "http://" + value)
            auth = BasicAuth.from_url(proxy)
            proxy = proxy.with_user(None)
            if auth is None and proxy.raw_host:
                auth = netrc_auth(proxy.raw_host)
            return proxy, auth
    return None


def netrc_auth(host: str) -> BasicAuth | None:
    """``BasicAuth`` for *host* from the netrc file, or ``None``."""
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        entry = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None:
        return None
    login, _account, password = entry
    return BasicAuth(login or "", password or "")
