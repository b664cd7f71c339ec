"""aiohttp's older and newer keyword arguments, normalised in one place.

Each function takes what a caller of aiohttp 3.14 may pass and returns the one
value this package uses, with aiohttp's ``DeprecationWarning`` texts and its
``TypeError`` / ``ValueError`` for bad combinations, so that code written for
aiohttp behaves the same here.
"""

from __future__ import annotations

import ssl as ssl_module
import warnings
from typing import Any

import attrs

from .connector import Fingerprint, SSLArg
from .models import DEFAULT_TIMEOUT, DEFAULT_WS_TIMEOUT, ClientTimeout, ClientWSTimeout

__all__ = ("merge_ssl", "ws_timeout", "session_timeout")

_UNSET: Any = object()


def merge_ssl(
    ssl: Any,
    verify_ssl: bool | None = None,
    ssl_context: ssl_module.SSLContext | None = None,
    fingerprint: bytes | None = None,
) -> SSLArg:
    """One ``ssl=`` value from aiohttp's ``ssl`` and its deprecated
    ``verify_ssl`` / ``ssl_context`` / ``fingerprint`` (each warns).

    Raises ``TypeError`` if *ssl* is not an ``SSLContext``, ``Fingerprint`` or
    ``bool``, and ``ValueError`` if two of them are given at once.
    """
    if not isinstance(ssl, (bool, ssl_module.SSLContext, Fingerprint)):
        raise TypeError(f"ssl should be SSLContext, Fingerprint, or bool, got {ssl!r} instead.")
    if verify_ssl is None and ssl_context is None and fingerprint is None:
        return ssl  # the usual call: none of the deprecated three
    legacy = {"verify_ssl": verify_ssl, "ssl_context": ssl_context, "fingerprint": fingerprint}
    given = {name: value for name, value in legacy.items() if value is not None}
    for name in given:
        warnings.warn(f"{name} is deprecated, use ssl=... instead", DeprecationWarning, stacklevel=3)
    if not given:
        return ssl
    if len(given) > 1 or ssl is not True:
        raise ValueError("ssl, verify_ssl, ssl_context and fingerprint are mutually exclusive")
    if verify_ssl is not None:
        return bool(verify_ssl)
    if ssl_context is not None:
        return ssl_context
    assert fingerprint is not None
    return Fingerprint(fingerprint)


def ws_timeout(timeout: Any, receive_timeout: float | None) -> ClientWSTimeout:
    """The ``ClientWSTimeout`` of a ``ws_connect`` call. A float *timeout*
    (aiohttp's older ``ws_close``) and *receive_timeout* still work and warn
    as in aiohttp 3.14."""
    if timeout is None:
        result = DEFAULT_WS_TIMEOUT
    elif isinstance(timeout, ClientWSTimeout):
        result = timeout
    else:
        warnings.warn(
            "parameter 'timeout' of type 'float' is deprecated, please use 'timeout=ClientWSTimeout(ws_close=...)'",
            DeprecationWarning,
            stacklevel=3,
        )
        result = ClientWSTimeout(ws_receive=None, ws_close=float(timeout))
    if receive_timeout is not None:
        warnings.warn(
            "float parameter 'receive_timeout' is deprecated, please use parameter "
            "'timeout=ClientWSTimeout(ws_receive=...)'",
            DeprecationWarning,
            stacklevel=3,
        )
        result = attrs.evolve(result, ws_receive=receive_timeout)
    return result


def session_timeout(timeout: Any, read_timeout: Any, conn_timeout: float | None) -> ClientTimeout:
    """The session's ``ClientTimeout`` from aiohttp's ``timeout``, or from the
    deprecated ``read_timeout`` (→ ``total``) and ``conn_timeout`` (→
    ``connect``), which warn. Raises ``ValueError`` when both styles are mixed
    or *timeout* is not a ``ClientTimeout``."""
    if timeout is _UNSET or timeout is None:
        result = DEFAULT_TIMEOUT
        if read_timeout is not _UNSET:
            warnings.warn("read_timeout is deprecated, use timeout argument instead", DeprecationWarning, stacklevel=3)
            result = attrs.evolve(result, total=read_timeout)
        if conn_timeout is not None:
            warnings.warn("conn_timeout is deprecated, use timeout argument instead", DeprecationWarning, stacklevel=3)
            result = attrs.evolve(result, connect=conn_timeout)
        return result
    if not isinstance(timeout, ClientTimeout):
        raise ValueError(f"timeout parameter cannot be of {type(timeout)} type, please use 'timeout=ClientTimeout(...)'")
    if read_timeout is not _UNSET or conn_timeout is not None:
        raise ValueError("read_timeout and conn_timeout conflict with timeout: set ClientTimeout fields instead")
    return timeout
