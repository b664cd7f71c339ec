"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``
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
nitpicky = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# No network at build time: cross-references to Python's docs stay plain text.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
html_theme = "alabaster"
html_title = f"aiohttp_ws {release}"
