"""Following redirects safely (RFC 9110 §15.4), Sans-I/O.

Which statuses redirect, where a ``Location`` leads (resolved against the
request URL, RFC 3986 §5), which method follows, and which credentials must be
dropped when the origin changes. ``ws``/``http`` and ``wss``/``https`` are one
scheme pair each: a WebSocket handshake may be redirected to an ``http(s)``
URL of the same server and continues as ``ws(s)``.
"""

from __future__ import annotations

import re

from multidict import CIMultiDict
from yarl import URL

from ..exceptions import InsecureRedirectError, InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError

__all__ = (
    "REDIRECT_STATUSES",
    "MAX_LOCATION_SIZE",
    "CREDENTIAL_HEADERS",
    "next_url",
    "origin",
    "redirect_method",
    "strip_credentials",
    "follow",
)

REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
#: Longest ``Location`` value followed, in bytes (4 KiB).
MAX_LOCATION_SIZE = 4096
#: Dropped, every copy and any spelling, when a redirect changes origin.
CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")

_SECURE = {"https": True, "wss": True, "http": False, "ws": False}
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_WS_FOR = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_HTTP_FOR = {"http": "http", "https": "https"}


def origin(url: URL) -> tuple[bool, str, int | None]:
    """``(secure, host, port)``: scheme pairs ws/http and wss/https compare equal."""
    return _SECURE.get(url.scheme, False), (url.raw_host or "").lower(), url.port


def next_url(current: URL, location: str, *, websocket: bool) -> URL:
    """The URL a ``Location`` value leads to from *current*.

    For a WebSocket handshake (*websocket*) the result has a ``ws``/``wss``
    scheme; otherwise it must be ``http``/``https``. Raises
    ``InvalidUrlRedirectClientError`` for a value that is too long, has bad
    percent-encoding, a bad IPv6 literal or port, or no host,
    ``NonHttpUrlRedirectClientError`` for another scheme, and ``InsecureRedirectError`` for a redirect from ``https``/``wss`` to
    plaintext.
    """
    if len(location) > MAX_LOCATION_SIZE:
        raise InvalidUrlRedirectClientError(location[:64] + "...", f"Location longer than {MAX_LOCATION_SIZE} bytes")
    if not location or _BAD_PERCENT.search(location) or any(c in location for c in "\x00\r\n\t "):
        raise InvalidUrlRedirectClientError(location, "is not a valid Location")
    try:
        parsed = URL(location, encoded=True)
        authority = f"{parsed.scheme}://" if parsed.scheme else "//"
        if location.lower().startswith(authority) and not parsed.raw_host:
            raise ValueError("empty host")  # RFC 3986 §3.2: an authority was given, without a host
        target = current.join(parsed)
        host = target.raw_host
        target.port  # a bad port fails here
        str(target)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise InvalidUrlRedirectClientError(location, f"is not a valid Location: {exc}") from None
    schemes = _WS_FOR if websocket else _HTTP_FOR
    if target.scheme not in schemes:
        raise NonHttpUrlRedirectClientError(location, "is not an HTTP(S) or WS(S) URL")
    if not host:
        raise InvalidUrlRedirectClientError(location, "is not a URL with a host")
    target = target.with_scheme(schemes[target.scheme]).with_fragment(None)
    if _SECURE[current.scheme] and not _SECURE[target.scheme]:
        raise InsecureRedirectError(location, f"refused: a redirect from {current.scheme} to plaintext")
    return target


def redirect_method(status: int, method: str) -> tuple[str, bool]:
    """The method of the next request and whether the body is sent again:
    303 turns anything but HEAD into GET; 301/302 turn POST into GET (RFC 9110
    §15.4.2-3, what browsers and aiohttp do); 307/308 keep both."""
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        return "GET", False
    return method, True


def strip_credentials(headers: CIMultiDict[str]) -> None:
    """Remove every copy of ``Authorization``, ``Cookie`` and
    ``Proxy-Authorization`` (case-insensitive: a ``CIMultiDict``)."""
    for name in CREDENTIAL_HEADERS:
        headers.popall(name, None)


def follow(
    current: URL, location: str, first: tuple[bool, str, int | None], headers: CIMultiDict[str], *, websocket: bool
) -> tuple[URL, bool]:
    """One redirect step: the next URL (see ``next_url``) and whether it is
    still at the *first* request's ``origin``. Leaving it strips the
    credentials from *headers*; the caller stops sending its ``BasicAuth``."""
    target = next_url(current, location, websocket=websocket)
    same = origin(target) == first
    if not same:
        strip_credentials(headers)
    return target, same
