"""Sphinx configuration: ``python -m sphinx -n -W -b html docs docs/_build/html``
(``pip install -r docs/requirements.txt`` first; CI builds it with warnings as errors)."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import aiohttp_ws  # noqa: E402

project = "aiohttp_ws"
author = "The aiohttp_ws developers"
copyright = "2026, the aiohttp_ws developers"
release = aiohttp_ws.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.intersphinx", "sphinx.ext.viewcode"]
napoleon_google_docstring = True
napoleon_numpy_docstring = False
exclude_patterns = ["_build"]
nitpicky = True
# Without network at build time there is no intersphinx inventory for Python, yarl, multidict or h2:
# references into them stay plain text. Our type aliases and private helpers are not API entries.
nitpick_ignore_regex = [
    ("py:class", r"(yarl|multidict|asyncio|_asyncio|ssl|socket|enum|types|random|h2|collections|typing|concurrent|http)\..*"),
    ("py:class", r"(URL|CIMultiDict|CIMultiDictProxy|Trace|TracebackType)"),
    ("py:class", r"(SSLArg|Http2Arg|HeadersArg|CookiesArg|CompressArg|DataArg|HttpVersion|Handler|ProcessRequest|SelectSubprotocol|WSConnection|Decision|BodySource)"),
    # Internal plumbing named in signatures: the session's base, a leased connection, one trace.
    ("py:class", r"aiohttp_ws\.(client_base\.SessionBase|connector\.Connection|tracing\.Trace)"),
    ("py:(class|obj)", r"aiohttp_ws\.(.*\.)?_\w+(\..*)?"),
    ("py:class", r"aiohttp_ws\.\w+Error"),
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# No network at build time: cross-references to Python's docs stay plain text.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
html_theme = "furo"
html_title = f"aiohttp_ws {release}"
