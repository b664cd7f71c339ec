"""HTTP and WebSocket names under aiohttp's module path ``aiohttp.http``.

Re-exports of ``http_websocket`` plus ``HttpVersion`` / ``HttpVersion10`` /
``HttpVersion11``, ``HttpProcessingError``, ``RESPONSES`` (status code →
``(reason phrase, description)``) and ``SERVER_SOFTWARE``.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler
from typing import Final, Mapping

from . import __version__
from . import http_websocket
from .exceptions import HttpProcessingError
from .http_websocket import *  # noqa: F403  (re-exported: its __all__ is part of ours)
from .models import HttpVersion, HttpVersion10, HttpVersion11

#: Status code → ``(reason phrase, description)`` (RFC 9110 §15).
RESPONSES: Final[Mapping[int, tuple[str, str]]] = BaseHTTPRequestHandler.responses
#: The product token of this client (``User-Agent`` default).
SERVER_SOFTWARE: Final[str] = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp_ws/{__version__}"

__all__ = (
    "HttpProcessingError",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RESPONSES",
    "SERVER_SOFTWARE",
    *http_websocket.__all__,
)
