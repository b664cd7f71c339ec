"""Session cookie storage following RFC 6265 §5.3 (storage) and §5.4 (sending).

``Set-Cookie`` values are parsed by the standard library (``http.cookies``);
the rules of which cookies to keep and which to send are ours, from the RFC:
domain matching (§5.1.3), default path and path matching (§5.1.4), ``Secure``,
``Max-Age`` over ``Expires`` (§5.3 step 3), deletion by an expiry in the past.
Like aiohttp's ``CookieJar``, cookies from a host that is an IP address are
refused unless ``unsafe=True``.
"""

from __future__ import annotations

import ipaddress
import time
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import Iterable, Iterator, Mapping, Union

import attrs
from yarl import URL

__all__ = ("CookieJar", "DummyCookieJar", "Cookie", "CookiesArg")

CookiesArg = Union[Mapping[str, Union[str, "Morsel[str]"]], Iterable[tuple[str, Union[str, "Morsel[str]"]]], None]

_SECURE_SCHEMES = ("https", "wss")


@attrs.frozen
class Cookie:
    """One stored cookie. ``expires`` is a ``time.time()`` value in seconds, or
    ``None`` for a session cookie; ``host_only`` cookies go to ``domain`` alone."""

    name: str
    value: str
    domain: str
    path: str
    host_only: bool
    secure: bool
    http_only: bool
    expires: float | None


def is_ip(host: str) -> bool:
    """Whether *host* is an IPv4 or IPv6 literal (brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: *host* equals *domain*, or ends with ``.`` + *domain*
    where neither is an IP address."""
    return host == domain or (host.endswith("." + domain) and not is_ip(host) and not is_ip(domain))


def default_path(url: URL) -> str:
    """RFC 6265 §5.1.4: the request path up to, not including, its last ``/``."""
    path = url.raw_path
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _expiry(morsel: Morsel[str], now: float) -> float | None:
    max_age = morsel["max-age"]
    if max_age:
        try:
            delta = int(max_age)
        except ValueError:
            delta = None
        if delta is not None:
            return now + delta if delta > 0 else 0.0
    expires = morsel["expires"]
    if expires:
        try:
            return parsedate_to_datetime(expires).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return None


class CookieJar:
    """Cookies of one session: stores ``Set-Cookie`` answers, sends matching cookies.

    Args:
        unsafe: accept cookies from hosts that are IP addresses (default
            ``False``, as aiohttp: such cookies are ignored).
        quote_cookie: kept for aiohttp compatibility; values are sent as stored.

    Iterating yields ``Cookie`` records; ``len(jar)`` counts the live ones.
    """

    def __init__(self, *, unsafe: bool = False, quote_cookie: bool = True) -> None:
        self._unsafe = unsafe
        self._cookies: dict[tuple[str, str, str], Cookie] = {}

    @property
    def unsafe(self) -> bool:
        """Whether cookies from IP-address hosts are accepted."""
        return self._unsafe

    def __iter__(self) -> Iterator[Cookie]:
        self._expire(time.time())
        return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        self._expire(time.time())
        return len(self._cookies)

    def clear(self) -> None:
        """Forget every cookie."""
        self._cookies.clear()

    def clear_domain(self, domain: str) -> None:
        """Forget the cookies of *domain* and its subdomains."""
        domain = domain.lower().lstrip(".")
        for key in [k for k in self._cookies if domain_match(k[0], domain)]:
            del self._cookies[key]

    def _expire(self, now: float) -> None:
        for key in [k for k, c in self._cookies.items() if c.expires is not None and c.expires <= now]:
            del self._cookies[key]

    def update_cookies(self, cookies: CookiesArg, response_url: URL = URL()) -> None:
        """Store name/value pairs (``str`` or ``Morsel``) as if set by *response_url*.

        With an empty *response_url* (the ``cookies=`` of a session) the cookies
        are shared: sent to every host, as aiohttp does.
        """
        if cookies is None:
            return
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in items:
            if isinstance(value, Morsel):
                self._store(value, response_url)
            else:
                morsel: Morsel[str] = Morsel()
                morsel.set(name, value, value)
                self._store(morsel, response_url)

    def update_from_headers(self, set_cookie: Iterable[str], response_url: URL) -> None:
        """Store each ``Set-Cookie`` field value of a response from *response_url*
        (RFC 6265 §5.2, parsed with ``http.cookies``). Unparsable values are skipped."""
        for header in set_cookie:
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(header)
            except CookieError:
                continue
            for morsel in parsed.values():
                self._store(morsel, response_url)

    def _store(self, morsel: Morsel[str], url: URL) -> None:
        host = (url.raw_host or "").lower().rstrip(".")
        if host and not self._unsafe and is_ip(host):
            return
        domain = morsel["domain"].lower().lstrip(".").rstrip(".")
        host_only = not domain
        if host_only:
            domain = host
        elif host and not domain_match(host, domain):
            return  # §5.3 step 6: the Domain attribute must cover the request host
        path = morsel["path"]
        if not path.startswith("/"):
            path = default_path(url) if host else "/"
        now = time.time()
        expires = _expiry(morsel, now)
        key = (domain, path, morsel.key)
        if expires is not None and expires <= now:
            self._cookies.pop(key, None)
            return
        self._cookies[key] = Cookie(
            name=morsel.key,
            value=morsel.value,
            domain=domain,
            path=path,
            host_only=host_only and bool(host),
            secure=bool(morsel["secure"]),
            http_only=bool(morsel["httponly"]),
            expires=expires,
        )

    def filter_cookies(self, request_url: URL) -> SimpleCookie:
        """The cookies to send to *request_url* (RFC 6265 §5.4): domain and
        path match, ``Secure`` only over https/wss, none expired; longer paths first."""
        if not self._cookies:  # the usual jar: nothing to match
            return SimpleCookie()
        host = (request_url.raw_host or "").lower().rstrip(".")
        now = time.time()
        self._expire(now)
        secure = request_url.scheme in _SECURE_SCHEMES
        path = request_url.raw_path or "/"
        chosen = [
            c
            for c in self._cookies.values()
            if (not c.domain or (host == c.domain if c.host_only else domain_match(host, c.domain)))
            and path_match(path, c.path)
            and (secure or not c.secure)
        ]
        chosen.sort(key=lambda c: len(c.path), reverse=True)
        out: SimpleCookie = SimpleCookie()
        for c in chosen:
            if c.name not in out:
                morsel: Morsel[str] = Morsel()
                morsel.set(c.name, c.value, c.value)
                out[c.name] = morsel
        return out

    def cookie_header(self, request_url: URL) -> str | None:
        """The ``Cookie`` field value for *request_url*, or ``None`` if no cookie matches."""
        cookies = self.filter_cookies(request_url)
        if not cookies:
            return None
        return "; ".join(f"{m.key}={m.value}" for m in cookies.values())


class DummyCookieJar(CookieJar):
    """A jar that stores nothing and sends nothing (aiohttp's ``DummyCookieJar``)."""

    def _store(self, morsel: Morsel[str], url: URL) -> None:
        return
