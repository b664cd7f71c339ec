"""RFC 6265 storage and sending rules of CookieJar, without I/O."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from yarl import URL

from aiohttp_ws import CookieJar, DummyCookieJar
from aiohttp_ws.sansio.cookiejar import default_path, domain_match, path_match


def sent(jar: CookieJar, url: str) -> str | None:
    return jar.cookie_header(URL(url))


def test_host_only_cookie_not_sent_to_subdomains() -> None:
    jar = CookieJar()
    jar.update_from_headers(["a=1"], URL("http://example.com/"))
    assert sent(jar, "http://example.com/") == "a=1"
    assert sent(jar, "http://www.example.com/") is None
    assert sent(jar, "http://other.com/") is None


def test_domain_attribute_covers_subdomains_and_must_match_the_host() -> None:
    jar = CookieJar()
    jar.update_from_headers(["a=1; Domain=.example.com", "b=2; Domain=evil.com", "c=3; Domain=www.example.com"], URL("http://www.example.com/"))
    assert sent(jar, "http://deep.sub.example.com/") == "a=1"
    assert sent(jar, "http://evil.com/") is None  # rejected: Domain does not cover the setting host
    assert sent(jar, "http://www.example.com/") in ("a=1; c=3", "c=3; a=1")
    assert sent(jar, "http://notexample.com/") is None


def test_path_rules() -> None:
    assert default_path(URL("http://h/a/b/c")) == "/a/b"
    assert default_path(URL("http://h/a")) == "/"
    assert default_path(URL("http://h")) == "/"
    assert path_match("/docs/x", "/docs") and path_match("/docs", "/docs") and path_match("/docs/", "/docs/")
    assert not path_match("/docsx", "/docs") and not path_match("/", "/docs")
    jar = CookieJar()
    jar.update_from_headers(["p=1; Path=/docs", "d=2"], URL("http://h.test/app/page"))
    assert sent(jar, "http://h.test/docs/a") == "p=1"
    assert sent(jar, "http://h.test/app/other") == "d=2"
    assert sent(jar, "http://h.test/") is None


def test_longer_paths_first_and_one_value_per_name() -> None:
    jar = CookieJar()
    jar.update_from_headers(["x=root; Path=/", "x=deep; Path=/a/b", "y=1; Path=/a"], URL("http://h.test/"))
    assert sent(jar, "http://h.test/a/b/c") == "x=deep; y=1"


def test_secure_only_over_tls() -> None:
    jar = CookieJar()
    jar.update_from_headers(["s=1; Secure", "p=2"], URL("https://h.test/"))
    assert sent(jar, "https://h.test/") == "s=1; p=2"
    assert sent(jar, "wss://h.test/") == "s=1; p=2"
    assert sent(jar, "http://h.test/") == "p=2"
    assert sent(jar, "ws://h.test/") == "p=2"


def test_expiry_max_age_wins_and_deletion() -> None:
    jar = CookieJar()
    past = formatdate(time.time() - 3600, usegmt=True)
    future = formatdate(time.time() + 3600, usegmt=True)
    jar.update_from_headers([f"a=1; Expires={future}", f"b=2; Expires={past}", f"c=3; Max-Age=3600; Expires={past}"], URL("http://h.test/"))
    assert sent(jar, "http://h.test/") == "a=1; c=3"
    jar.update_from_headers(["a=gone; Max-Age=0"], URL("http://h.test/"))
    assert sent(jar, "http://h.test/") == "c=3"
    expiring = [c for c in jar if c.name == "c"][0]
    assert expiring.expires is not None and 3500 < expiring.expires - time.time() <= 3600


def test_ip_hosts_refused_unless_unsafe() -> None:
    jar = CookieJar()
    jar.update_from_headers(["a=1"], URL("http://127.0.0.1/"))
    assert len(jar) == 0
    unsafe = CookieJar(unsafe=True)
    unsafe.update_from_headers(["a=1"], URL("http://127.0.0.1/"))
    assert sent(unsafe, "http://127.0.0.1/") == "a=1"
    assert sent(unsafe, "http://127.0.0.2/") is None
    assert not domain_match("1.127.0.0.1", "127.0.0.1")


def test_shared_cookies_clear_and_dummy() -> None:
    jar = CookieJar()
    jar.update_cookies({"token": "t"})
    assert sent(jar, "http://anywhere.test/x") == "token=t"
    jar.update_from_headers(["a=1; Domain=example.com"], URL("http://example.com/"))
    jar.clear_domain("example.com")
    assert [c.name for c in jar] == ["token"]
    jar.clear()
    assert len(jar) == 0
    dummy = DummyCookieJar()
    dummy.update_cookies({"a": "1"})
    dummy.update_from_headers(["b=2"], URL("http://h.test/"))
    assert len(dummy) == 0 and sent(dummy, "http://h.test/") is None


@pytest.mark.parametrize("header", ["", "=novalue", "bad name=1", "a=1; Expires=not a date"])
def test_odd_set_cookie_values_never_raise(header: str) -> None:
    jar = CookieJar()
    jar.update_from_headers([header], URL("http://h.test/"))
    assert all(c.domain == "h.test" for c in jar)
