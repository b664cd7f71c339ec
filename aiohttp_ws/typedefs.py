"""Type aliases under aiohttp's module path ``aiohttp.typedefs``.

Libraries written for aiohttp annotate with these (``StrOrURL``,
``LooseHeaders``, ...); they describe what this package's functions take.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable, Mapping, Tuple, Union

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

__all__ = (
    "Byteish",
    "DEFAULT_JSON_DECODER",
    "DEFAULT_JSON_ENCODER",
    "JSONBytesEncoder",
    "JSONDecoder",
    "JSONEncoder",
    "LooseCookies",
    "LooseCookiesIterables",
    "LooseCookiesMappings",
    "LooseHeaders",
    "PathLike",
    "Query",
    "RawHeaders",
    "StrOrURL",
)

DEFAULT_JSON_ENCODER = json.dumps
DEFAULT_JSON_DECODER = json.loads

Byteish = Union[bytes, bytearray, memoryview]
JSONEncoder = Callable[[Any], str]
JSONBytesEncoder = Callable[[Any], bytes]
JSONDecoder = Callable[[str], Any]
LooseHeaders = Union[
    Mapping[str, str],
    Mapping[istr, str],
    "CIMultiDict[str]",
    "CIMultiDictProxy[str]",
    Iterable[Tuple[Union[str, istr], str]],
]
RawHeaders = Tuple[Tuple[bytes, bytes], ...]
StrOrURL = Union[str, URL]
LooseCookiesMappings = Mapping[str, Any]
LooseCookiesIterables = Iterable[Tuple[str, Any]]
LooseCookies = Union[LooseCookiesMappings, LooseCookiesIterables]
Query = Union[None, str, Mapping[str, Any], Iterable[Tuple[str, Any]], "MultiDict[Any]", "MultiDictProxy[Any]"]
PathLike = Union[str, "os.PathLike[str]"]
