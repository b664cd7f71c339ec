"""The cookie jars under aiohttp's module path (re-exports only).

``aiohttp.cookiejar.CookieJar`` keeps working after ``import aiohttp_ws as
aiohttp``; the classes live in ``sansio/cookiejar.py``.
"""

from __future__ import annotations

from .sansio.cookiejar import CookieJar, DummyCookieJar

__all__ = ["CookieJar", "DummyCookieJar"]
