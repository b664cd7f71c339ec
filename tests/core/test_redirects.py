"""Where redirects lead and what they drop, without I/O."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict
from yarl import URL

from aiohttp_ws import InsecureRedirectError, NonHttpUrlRedirectClientError
from aiohttp_ws.sansio.redirects import next_url, origin, redirect_method, strip_credentials


@pytest.mark.parametrize(
    "current, location, websocket, want",
    [
        ("http://h/a/b", "c", False, "http://h/a/c"),
        ("http://h/a/b", "/x?y=1", False, "http://h/x?y=1"),
        ("http://h/a", "//other:81/p", False, "http://other:81/p"),
        ("http://h/a", "https://h/a#frag", False, "https://h/a"),
        ("ws://h/a", "http://h2/ws", True, "ws://h2/ws"),
        ("ws://h/a", "https://h2/ws", True, "wss://h2/ws"),
        ("wss://h/a", "/b", True, "wss://h/b"),
        ("wss://h/a", "https://h/b", True, "wss://h/b"),
    ],
)
def test_next_url(current: str, location: str, websocket: bool, want: str) -> None:
    assert str(next_url(URL(current), location, websocket=websocket)) == want


@pytest.mark.parametrize("current, location", [("https://h/", "http://h/"), ("wss://h/", "ws://h/"), ("wss://h/", "http://h/")])
def test_downgrade_refused(current: str, location: str) -> None:
    with pytest.raises(InsecureRedirectError):
        next_url(URL(current), location, websocket=current.startswith("ws"))


def test_websocket_schemes_not_followed_by_plain_requests() -> None:
    with pytest.raises(NonHttpUrlRedirectClientError):
        next_url(URL("http://h/"), "ws://h/", websocket=False)


def test_origin_pairs_schemes() -> None:
    assert origin(URL("ws://H:80/")) == origin(URL("http://h/"))
    assert origin(URL("wss://h/")) == origin(URL("https://h:443/x"))
    assert origin(URL("http://h/")) != origin(URL("https://h/"))
    assert origin(URL("http://h/")) != origin(URL("http://h:8080/"))


def test_redirect_method() -> None:
    assert redirect_method(303, "POST") == ("GET", False)
    assert redirect_method(303, "HEAD") == ("HEAD", True)
    assert redirect_method(302, "POST") == ("GET", False)
    assert redirect_method(301, "PUT") == ("PUT", True)
    assert redirect_method(307, "POST") == ("POST", True)
    assert redirect_method(308, "POST") == ("POST", True)


def test_strip_credentials_every_copy_any_case() -> None:
    headers: CIMultiDict[str] = CIMultiDict(
        [("authorization", "a"), ("AUTHORIZATION", "b"), ("cookie", "c"), ("Proxy-authorization", "p"), ("X", "keep")]
    )
    strip_credentials(headers)
    assert list(headers.items()) == [("X", "keep")]
